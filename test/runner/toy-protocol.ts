/**
 * TEST ONLY: a tiny three-round protocol to exercise the runner and echo.ts without DKG math.
 *   round 1 (broadcast, echo-protected): every member sends a number;
 *   round 2: echo digests of round 1;
 *   round 3 (private): every member sends each other member `own * 1000 + recipient`;
 * result: the numbers of round 1 and the private numbers received, by sender.
 * `cheat` hooks let a member equivocate (different round-1 numbers to different members).
 */
import { ByteWriter, decodeWith } from "../../node/protocol/codec.js";
import {
  collectBroadcast,
  readEcho,
  readReveal,
  startEcho,
  writeEcho,
  writeReveal,
  type EchoAdapter,
  type EchoContext,
  type EchoLayerMessage,
} from "../../node/protocol/echo.js";
import { DecodeError, InvalidMessageError } from "../../node/protocol/errors.js";
import {
  CollectingRound,
  type MessageCodec,
  type Outgoing,
  type Start,
  type Transition,
} from "../../node/protocol/round.js";
import type { SessionContext } from "../../node/runner/session.js";

export type ToyMessage =
  | { readonly kind: "value"; readonly value: number }
  | { readonly kind: "private"; readonly value: number }
  | EchoLayerMessage;

export interface ToyResult {
  readonly values: Map<number, number>;
  readonly privates: Map<number, number>;
}

export const TOY_PROTOCOL_ID = 250;

const TAG = { value: 1, private: 2, echo: 3, reveal: 4 } as const;

export const toyCodec: MessageCodec<ToyMessage> = {
  protocolId: TOY_PROTOCOL_ID,
  encode(m) {
    const w = new ByteWriter().u8(TAG[m.kind]);
    if (m.kind === "value" || m.kind === "private") w.u32(m.value);
    else if (m.kind === "echo") writeEcho(w, m);
    else writeReveal(w, m);
    return w.finish();
  },
  decode(round, bytes) {
    return decodeWith(bytes, (r) => {
      const tag = r.u8();
      if (round === 1 && tag === TAG.value) return { kind: "value", value: r.u32() };
      if (round === 2 && tag === TAG.echo) return readEcho(r);
      if (round === 3 && tag === TAG.private) return { kind: "private", value: r.u32() };
      if (round === 3 && tag === TAG.reveal) return readReveal(r);
      throw new DecodeError(`toy: unexpected tag ${tag} in round ${round}`);
    });
  },
};

const adapter: EchoAdapter<ToyMessage> = {
  lift: (m) => m,
  lower: (m) => (m.kind === "echo" || m.kind === "reveal" ? m : undefined),
  encode: (m) => toyCodec.encode(m),
};

class PrivateRound extends CollectingRound<ToyMessage, ToyResult> {
  readonly protocol = "toy";
  readonly number = 3;
  constructor(
    self: number,
    expected: readonly number[],
    private readonly values: Map<number, number>,
  ) {
    super(self, expected);
  }
  protected validate(from: number, m: ToyMessage): void {
    if (m.kind !== "private") throw new InvalidMessageError(from, "toy round 3 expects a private value");
  }
  protected same(a: ToyMessage, b: ToyMessage): boolean {
    return a.kind === "private" && b.kind === "private" && a.value === b.value;
  }
  finalize(): Transition<ToyMessage, ToyResult> {
    const privates = new Map([...this.received].map(([id, m]) => [id, (m as { value: number }).value]));
    return { kind: "done", result: { values: this.values, privates }, outgoing: [] };
  }
}

class ValueRound extends CollectingRound<ToyMessage, ToyResult> {
  readonly protocol = "toy";
  readonly number = 1;
  constructor(
    private readonly ctx: EchoContext,
    private readonly own: number,
  ) {
    super(
      ctx.self,
      ctx.members.filter((id) => id !== ctx.self),
    );
  }
  protected validate(from: number, m: ToyMessage): void {
    if (m.kind !== "value") throw new InvalidMessageError(from, "toy round 1 expects a value");
  }
  protected same(a: ToyMessage, b: ToyMessage): boolean {
    return a.kind === "value" && b.kind === "value" && a.value === b.value;
  }
  finalize(): Transition<ToyMessage, ToyResult> {
    const ownMessage: ToyMessage = { kind: "value", value: this.own };
    const view = collectBroadcast(adapter, this.number, this.self, ownMessage, this.received, this.frames);
    const values = new Map([...this.received].map(([id, m]) => [id, (m as { value: number }).value]));
    values.set(this.self, this.own);
    return startEcho(this.ctx, adapter, view, () => ({
      kind: "next",
      round: new PrivateRound(this.self, this.expected, values),
      outgoing: this.expected.map((to) => ({
        to,
        message: { kind: "private", value: this.own * 1000 + to },
      })),
    }));
  }
}

export interface ToyOptions {
  /** Round-1 number this member announces; default 100 + self. */
  readonly value?: number;
  /** Equivocate: the round-1 number sent to each recipient (private frames instead of one broadcast). */
  readonly lieTo?: (recipient: number) => number;
}

export function toyStart(ctx: SessionContext, opts: ToyOptions = {}): Start<ToyMessage, ToyResult> {
  const echoCtx: EchoContext = { ...ctx, protocol: "toy", protocolId: TOY_PROTOCOL_ID };
  const value = opts.value ?? 100 + ctx.self;
  const others = ctx.members.filter((id) => id !== ctx.self);
  const outgoing: Outgoing<ToyMessage>[] = opts.lieTo
    ? others.map((to) => ({ to, message: { kind: "value", value: opts.lieTo!(to) } }))
    : [{ to: "all", message: { kind: "value", value } }];
  return { round: new ValueRound(echoCtx, value), outgoing };
}
