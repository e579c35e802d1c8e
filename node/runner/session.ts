/**
 * One running session: feeds verified frames to the current round, queues frames of later rounds,
 * drops exact duplicates, sends the rounds' outgoing messages as signed frames and enforces the round
 * deadlines. Created and routed to by Runner (runner.ts); not used directly.
 */
import { bytesEqual, bytesToHex } from "../crypto/hash.js";
import { defaultRng, type Rng } from "../crypto/rng.js";
import { isExpirable, type VerifyFrame } from "../protocol/echo.js";
import { ParameterError, RoundTimeoutError, ShardlessError } from "../protocol/errors.js";
import { BROADCAST, encodeFrame, frameSigningBytes, type Frame } from "../protocol/frame.js";
import type { MessageCodec, Outgoing, Round, SignedFrame, Start, Transition } from "../protocol/round.js";
import {
  FrameRejectedError,
  InternalError,
  SessionCancelledError,
  type FrameRejectReason,
} from "./errors.js";
import type { Clock, FrameAuthenticator, Logger, Transport } from "./ports.js";

/** Given to a `start` factory: what a protocol needs from the session to build its first round. */
export interface SessionContext {
  readonly sessionId: Uint8Array;
  readonly self: number;
  /** Member ids, ascending, self included. */
  readonly members: readonly number[];
  /** Checks a frame's signature against a member's identity key (for echo-broadcast evidence). */
  readonly verifyFrame: VerifyFrame;
}

/** One session to run. */
export interface RunOptions<M, R> {
  /** 32-byte session id (node/protocol/session.ts deriveSessionId). */
  readonly sessionId: Uint8Array;
  readonly codec: MessageCodec<M>;
  /** This member's id. */
  readonly self: number;
  /** Member id → libp2p peer id for every participant, self included. */
  readonly members: ReadonlyMap<number, string>;
  /** The protocol's first round, or a factory receiving the session context (frame verifier). */
  readonly start: Start<M, R> | ((ctx: SessionContext) => Start<M, R>);
  /** Hard deadline per round: RoundTimeoutError naming the members still missing. */
  readonly roundTimeoutMs: number;
  /**
   * Soft deadline for rounds that implement `expire()` (echo.ts Expirable): they stop waiting and
   * treat missing members as absent (e.g. a withheld DKG share becomes a complaint).
   * @default roundTimeoutMs / 2
   */
  readonly expireAfterMs?: number;
  /** Randomness for `finalize`. @default the platform CSPRNG */
  readonly rng?: Rng;
  /** Cancels the run (rejects with SessionCancelledError). */
  readonly signal?: AbortSignal;
}

export interface SessionDeps {
  readonly transport: Transport;
  readonly auth: FrameAuthenticator;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly reject: (e: FrameRejectedError) => void;
  readonly maxEarlyFrames: number;
}

/** A frame that decoded, with the raw bytes it came in. */
export interface InboundFrame {
  readonly peer: string;
  readonly frame: Frame;
  readonly raw: Uint8Array;
}

export class SessionDriver<M, R> {
  readonly sessionHex: string;
  readonly members: readonly number[];
  readonly promise: Promise<R>;
  private readonly memberOfPeer = new Map<string, number>();
  private readonly rng: Rng;
  private round!: Round<M, R>;
  private finished = false;
  /** Members whose connection dropped during this session (they cannot catch up: no retransmission). */
  private readonly lost = new Set<number>();
  private expiredEarly: Round<M, R> | undefined;
  private resolve!: (r: R) => void;
  private rejectRun!: (e: ShardlessError) => void;
  private timers: { cancel(): void }[] = [];
  /** Frames for later rounds, by round number. */
  private readonly early = new Map<number, InboundFrame[]>();
  private earlyCount = 0;
  /** Accepted frames by `round/from/to`, to drop exact duplicates. */
  private readonly accepted = new Map<string, Uint8Array[]>();
  private readonly onAbort = () => this.fail(new SessionCancelledError("session cancelled"));
  /** Frame bytes and frame count this member sent in the session. */
  bytesSent = 0;
  framesSent = 0;

  constructor(
    private readonly deps: SessionDeps,
    readonly opts: RunOptions<M, R>,
    private readonly onFinish: () => void,
  ) {
    this.sessionHex = bytesToHex(opts.sessionId);
    this.members = [...opts.members.keys()].sort((a, b) => a - b);
    for (const [id, peer] of opts.members) this.memberOfPeer.set(peer, id);
    this.rng = opts.rng ?? defaultRng;
    this.promise = new Promise<R>((resolve, reject) => {
      this.resolve = resolve;
      this.rejectRun = reject;
    });
  }

  /** A pure frame verifier for this session's members (rounds use it for revealed evidence). */
  verifyFrame: VerifyFrame = (sender, frame) => {
    const peer = this.opts.members.get(sender);
    return peer !== undefined && this.deps.auth.verify(peer, frame.bytes, frame.signature);
  };

  /**
   * `peer` is gone (its last connection closed, or a frame to it could not be delivered): whatever it had
   * not sent will not come. A round that needs every missing member ends the session now with the
   * RoundTimeoutError it would raise at its deadline, naming the unreachable members (not proof of
   * malice), so the coordinator can retry without them at once. A round that may complete without
   * stragglers (expirable) stops waiting once every member it still waits for is gone.
   */
  peerLost(peer: string): void {
    const member = this.memberOfPeer.get(peer);
    if (this.finished || member === undefined) return;
    this.lost.add(member);
    this.settleLost();
  }

  private settleLost(): void {
    const round = this.round as Round<M, R> | undefined; // undefined until begin() entered the first round
    if (this.finished || this.lost.size === 0 || round === undefined) return;
    const missing = round.missing();
    const gone = missing.filter((m) => this.lost.has(m));
    if (gone.length === 0) return;
    if (isExpirable(round)) {
      if (gone.length < missing.length || this.expiredEarly === round) return;
      this.expiredEarly = round;
      round.expire();
      this.advance();
      return;
    }
    const name = `${round.protocol} round ${round.number}`;
    this.fail(new RoundTimeoutError(`${name} (members ${gone.join(", ")} unreachable)`, gone));
  }

  /** Starts the protocol, then replays frames that arrived before the session started here. */
  begin(buffered: readonly InboundFrame[]): void {
    if (this.opts.signal?.aborted) return this.onAbort();
    this.opts.signal?.addEventListener("abort", this.onAbort, { once: true });
    let start: Start<M, R>;
    try {
      start =
        typeof this.opts.start === "function"
          ? this.opts.start({
              sessionId: this.opts.sessionId,
              self: this.opts.self,
              members: this.members,
              verifyFrame: this.verifyFrame,
            })
          : this.opts.start;
      this.send(start.outgoing, start.round.number);
    } catch (e) {
      return this.fail(asShardless(e));
    }
    this.enter(start.round);
    for (const f of buffered) this.handle(f);
    this.advance();
  }

  /** Routes one decoded frame of this session. Never throws. */
  handle(inbound: InboundFrame): void {
    if (this.finished) return this.refuse("stale-session", inbound);
    const { peer, frame } = inbound;
    const from = this.memberOfPeer.get(peer);
    if (from === undefined) return this.refuse("unknown-peer", inbound);
    if (frame.from !== from) return this.refuse("sender-mismatch", inbound);
    if (frame.protocolId !== this.opts.codec.protocolId) return this.refuse("foreign-protocol", inbound);
    if (frame.to !== BROADCAST && frame.to !== this.opts.self) return this.refuse("wrong-recipient", inbound);
    const key = `${frame.round}/${frame.from}/${frame.to}`;
    const prior = this.accepted.get(key) ?? [];
    if (prior.some((raw) => bytesEqual(raw, inbound.raw))) return this.refuse("duplicate", inbound);
    if (frame.round < this.round.number) return this.refuse("stale-round", inbound);
    const signed = signedPart(inbound);
    if (!this.deps.auth.verify(peer, signed.bytes, signed.signature)) {
      return this.refuse("bad-signature", inbound);
    }
    this.accepted.set(key, [...prior, inbound.raw]);
    if (frame.round > this.round.number) {
      if (this.earlyCount >= this.deps.maxEarlyFrames) return this.refuse("early-overflow", inbound);
      this.early.set(frame.round, [...(this.early.get(frame.round) ?? []), inbound]);
      this.earlyCount++;
      return;
    }
    this.deliver(inbound, signed);
    this.advance();
  }

  /** Decodes and passes a current-round frame to the round. */
  private deliver(inbound: InboundFrame, signed: SignedFrame): void {
    const { frame } = inbound;
    let message: M;
    try {
      message = this.opts.codec.decode(frame.round, frame.payload);
    } catch (e) {
      return this.refuse("undecodable-payload", inbound, e);
    }
    try {
      this.round.receive(frame.from, message, signed);
    } catch (e) {
      this.refuse("rejected-by-round", inbound, e);
    }
  }

  /** Finalizes rounds while they are ready. */
  private advance(): void {
    while (!this.finished && this.round.ready()) {
      const number = this.round.number;
      let t: Transition<M, R>;
      try {
        t = this.round.finalize(this.rng);
      } catch (e) {
        return this.fail(asShardless(e));
      }
      if (t.kind === "next") {
        try {
          this.send(t.outgoing, t.round.number);
        } catch (e) {
          return this.fail(asShardless(e));
        }
        this.enter(t.round);
        const queued = this.early.get(t.round.number) ?? [];
        this.early.delete(t.round.number);
        this.earlyCount -= queued.length;
        for (const f of queued) this.deliver(f, signedPart(f));
        this.settleLost();
      } else {
        try {
          if (t.outgoing) this.send(t.outgoing, number + 1);
        } catch (e) {
          this.deps.logger.warn({ session: this.sessionHex, code: asShardless(e).code }, "final send failed");
        }
        if (t.kind === "done") this.succeed(t.result);
        else this.fail(t.error);
      }
    }
  }

  private enter(round: Round<M, R>): void {
    for (const t of this.timers) t.cancel();
    this.round = round;
    const { clock } = this.deps;
    const timeout = this.opts.roundTimeoutMs;
    this.timers = [
      clock.setTimeout(() => {
        if (this.round !== round || this.finished) return;
        this.fail(new RoundTimeoutError(`${round.protocol} round ${round.number}`, round.missing()));
      }, timeout),
    ];
    if (isExpirable(round)) {
      this.timers.push(
        clock.setTimeout(
          () => {
            if (this.round !== round || this.finished) return;
            round.expire();
            this.advance();
          },
          this.opts.expireAfterMs ?? timeout / 2,
        ),
      );
    }
  }

  /** Encodes, signs and sends a round's outgoing messages; a broadcast is one frame signed once. */
  private send(outgoing: readonly Outgoing<M>[], round: number): void {
    for (const o of outgoing) {
      const to = o.to === "all" ? BROADCAST : o.to;
      if (to !== BROADCAST && (to === this.opts.self || !this.opts.members.has(to))) {
        throw new ParameterError(`cannot send to member ${to}`);
      }
      const unsigned = {
        protocolId: this.opts.codec.protocolId,
        sessionId: this.opts.sessionId,
        round,
        from: this.opts.self,
        to,
        payload: this.opts.codec.encode(o.message),
      };
      const bytes = encodeFrame({ ...unsigned, signature: this.deps.auth.sign(frameSigningBytes(unsigned)) });
      const targets = to === BROADCAST ? this.members.filter((id) => id !== this.opts.self) : [to];
      for (const id of targets) {
        const peer = this.opts.members.get(id)!;
        this.bytesSent += bytes.length;
        this.framesSent++;
        this.deps.transport.send(peer, bytes).catch((e: unknown) => {
          this.deps.logger.warn({ session: this.sessionHex, peer, code: asShardless(e).code }, "send failed");
          // It cannot finish a round without our message: treat it as gone for this session.
          this.peerLost(peer);
        });
      }
    }
  }

  private refuse(reason: FrameRejectReason, inbound: InboundFrame, cause?: unknown): void {
    const culprits = cause instanceof ShardlessError ? cause.culprits : [];
    this.deps.reject(
      new FrameRejectedError(
        reason,
        {
          peer: inbound.peer,
          sessionId: this.sessionHex,
          sender: inbound.frame.from,
          round: inbound.frame.round,
        },
        { cause, culprits },
      ),
    );
  }

  private succeed(result: R): void {
    this.stop();
    this.resolve(result);
  }

  private fail(error: ShardlessError): void {
    if (this.finished) return;
    this.stop();
    this.rejectRun(error);
  }

  /** Ends the run from outside (runner closing). */
  cancel(error: ShardlessError): void {
    this.fail(error);
  }

  private stop(): void {
    this.finished = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.early.clear();
    this.opts.signal?.removeEventListener("abort", this.onAbort);
    this.onFinish();
  }
}

/** The signed part of a raw frame: everything before the signature-length byte, and the signature. */
function signedPart({ raw, frame }: InboundFrame): SignedFrame {
  // A copy: rounds may keep it as evidence, and the transport may reuse its buffers.
  return { bytes: raw.slice(0, raw.length - 1 - frame.signature.length), signature: frame.signature };
}

function asShardless(e: unknown): ShardlessError {
  if (e instanceof ShardlessError) return e;
  return new InternalError("internal error while running a round", [], { cause: e });
}
