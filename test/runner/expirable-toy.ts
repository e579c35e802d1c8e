/**
 * TEST ONLY: a one-round protocol whose round may complete without stragglers (Expirable): every member
 * broadcasts a number; the result is the numbers that arrived before the round completed or expired.
 */
import { ByteWriter, decodeWith } from "../../node/protocol/codec.js";
import type { Expirable } from "../../node/protocol/echo.js";
import { InvalidMessageError } from "../../node/protocol/errors.js";
import {
  CollectingRound,
  type MessageCodec,
  type Start,
  type Transition,
} from "../../node/protocol/round.js";
import type { SessionContext } from "../../node/runner/session.js";

export const quorumToyCodec: MessageCodec<number> = {
  protocolId: 251,
  encode: (value) => new ByteWriter().u32(value).finish(),
  decode: (_round, bytes) => decodeWith(bytes, (r) => r.u32()),
};

class QuorumRound extends CollectingRound<number, Map<number, number>> implements Expirable {
  readonly protocol = "quorum-toy";
  readonly number = 1;
  private expired = false;
  constructor(ctx: SessionContext) {
    super(
      ctx.self,
      ctx.members.filter((id) => id !== ctx.self),
    );
  }
  protected validate(from: number, m: number): void {
    if (!Number.isInteger(m)) throw new InvalidMessageError(from, "integer expected");
  }
  protected same(a: number, b: number): boolean {
    return a === b;
  }
  expire(): void {
    this.expired = true;
  }
  override ready(): boolean {
    return this.expired || super.ready();
  }
  finalize(): Transition<number, Map<number, number>> {
    return { kind: "done", result: new Map([[this.self, this.self], ...this.received]), outgoing: [] };
  }
}

export function quorumToyStart(ctx: SessionContext): Start<number, Map<number, number>> {
  return { round: new QuorumRound(ctx), outgoing: [{ to: "all", message: ctx.self }] };
}
