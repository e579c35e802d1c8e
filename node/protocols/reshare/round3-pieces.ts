/**
 * specs/protocols.md §6 "Checks by new party j'" check 2 and "Output" (round 3, after a passed echo
 * check): new member j checks g_i(j)·G == Σ_k j^k·V_{i,k} for every dealer, then
 *   s'_j = Σ_{i∈S} g_i(j), and s'_j·G == Y'_j.
 * A bad piece is seen by j alone, while the others may already hold a pending epoch: j signs an ABORT
 * (LocalAbortError; it never ACKs this session) naming the dealer, and the runner announces it in the
 * ACK session. A dealer leaving the committee has nothing to check here (DealerDoneRound).
 */
import type { Rng } from "../../crypto/rng.js";
import { Fn, mulBase } from "../../crypto/secp256k1.js";
import { Transcript } from "../../crypto/transcript.js";
import {
  InvalidMessageError,
  ProtocolAbortError,
  VerificationError,
  type ShardlessError,
} from "../../protocol/errors.js";
import { keyPublicDigest, type KeyPublic } from "../../protocol/key-share.js";
import type { Transition } from "../../protocol/round.js";
import { signAbort } from "../lifecycle/ack.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import { feldmanVerify } from "../../crypto/vss.js";
import { LocalAbortError } from "../lifecycle/errors.js";
import { reshareCodec, type ReshareDeal, type ReshareMessage, type ResharePiece } from "./messages.js";
import type { ReshareResult } from "./result.js";
import type { ReshareContext } from "./session.js";

export class PiecesRound extends CodecRound<ReshareMessage, ReshareResult> {
  readonly protocol = "reshare";
  readonly number = 3;

  constructor(
    private readonly ctx: ReshareContext,
    private readonly deals: ReadonlyMap<number, ReshareDeal>,
    private readonly pub: KeyPublic,
    /** g_self(self) if this member also deals. Secret. */
    private readonly ownPiece: bigint | undefined,
    private readonly broadcastDigest: Uint8Array,
  ) {
    super(
      ctx.self,
      ctx.session.dealers.filter((id) => id !== ctx.self),
      reshareCodec,
    );
  }

  protected validate(from: number, m: ReshareMessage): void {
    if (m.kind !== "piece") throw new InvalidMessageError(from, "reshare round 3 expects a piece");
  }

  finalize(_rng: Rng): Transition<ReshareMessage, ReshareResult> {
    const pieces = new Map(
      [...(this.received as Map<number, ResharePiece>)].map(([i, m]) => [i, m.piece] as const),
    );
    if (this.ownPiece !== undefined) pieces.set(this.self, this.ownPiece);
    const bad = [...pieces]
      .filter(([i, piece]) => !feldmanVerify(this.deals.get(i)!.commitments, this.self, piece))
      .map(([i]) => i)
      .sort((a, b) => a - b);
    if (bad.length > 0) {
      return this.fail(new ProtocolAbortError("dealers sent pieces that fail check 2", bad));
    }

    const secretShare = [...pieces.values()].reduce((acc, p) => Fn.add(acc, p), 0n);
    if (!mulBase(secretShare).equals(this.pub.verificationShares.get(this.self)!)) {
      // Unreachable once check 2 passed for every dealer; no unchecked share is ever released.
      return this.fail(new VerificationError("new share does not match its verification share"));
    }
    const { session } = this.ctx;
    const transcriptDigest = new Transcript("reshare/transcript", session.sessionId)
      .append("echo-0", this.broadcastDigest)
      .digest();
    return {
      kind: "done",
      outgoing: [],
      result: {
        role: "member",
        output: {
          protocol: "reshare",
          sessionId: session.sessionId,
          share: { public: this.pub, self: this.self, secretShare },
          transcriptDigest,
          roster: session.newParticipants,
          culprits: [],
        },
      },
    };
  }

  /** Aborts with this member's signed ABORT attached (it has not ACKed and never will in this session). */
  private fail(cause: ShardlessError): Transition<ReshareMessage, ReshareResult> {
    const { session, sign } = this.ctx;
    const abort = signAbort(this.self, session.sessionId, this.pub.epoch, sign!);
    return { kind: "abort", error: new LocalAbortError(abort, cause) };
  }
}

/** A dealer outside the new committee: done after sending its pieces; it observes the ACK session. */
export class DealerDoneRound extends CodecRound<ReshareMessage, ReshareResult> {
  readonly protocol = "reshare";
  readonly number = 3;

  constructor(
    private readonly ctx: ReshareContext,
    private readonly pub: KeyPublic,
  ) {
    super(ctx.self, [], reshareCodec);
  }

  protected validate(from: number): void {
    throw new InvalidMessageError(from, "a leaving dealer expects nothing in round 3", false);
  }

  finalize(_rng: Rng): Transition<ReshareMessage, ReshareResult> {
    const { session } = this.ctx;
    return {
      kind: "done",
      outgoing: [],
      result: {
        role: "dealer",
        sessionId: session.sessionId,
        epoch: session.oldPublic.epoch + 1,
        packageDigest: keyPublicDigest(this.pub),
        public: this.pub,
        roster: session.newParticipants,
      },
    };
  }
}
