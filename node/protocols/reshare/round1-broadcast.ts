/**
 * specs/protocols.md §6 round 1 + check 1 (consistent broadcast, §1.1): collect every member's round-1
 * broadcast, run the echo check (round 2), then — identically at every member — the public checks: the
 * same old package everywhere, check 4 (V_{i,0} == λ_i^S·Y_i, naming the dealer) and check 3
 * (Σ_i V_{i,0} == Y). Only then do dealers send their private pieces g_i(j) (round 3).
 */
import type { Rng } from "../../crypto/rng.js";
import { collectBroadcast, startEcho, viewDigest } from "../../protocol/echo.js";
import { InvalidMessageError, ProtocolAbortError, VerificationError } from "../../protocol/errors.js";
import type { Round, Transition } from "../../protocol/round.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import { badBroadcasts, dealsOf, newPackage } from "./checks.js";
import { reshareCodec, type ReshareDeal, type ReshareJoin, type ReshareMessage } from "./messages.js";
import type { ReshareResult } from "./result.js";
import { DealerDoneRound, PiecesRound } from "./round3-pieces.js";
import type { ReshareContext } from "./session.js";

export class BroadcastRound extends CodecRound<ReshareMessage, ReshareResult> {
  readonly protocol = "reshare";
  readonly number = 1;

  constructor(
    private readonly ctx: ReshareContext,
    private readonly own: ReshareDeal | ReshareJoin,
    /** g_self(j) for every new member j (empty unless a dealer). Secret. */
    private readonly pieces: ReadonlyMap<number, bigint>,
  ) {
    super(
      ctx.self,
      ctx.session.members.filter((id) => id !== ctx.self),
      reshareCodec,
    );
  }

  protected validate(from: number, m: ReshareMessage): void {
    const { dealers, newDegree } = this.ctx.session;
    if (!dealers.includes(from)) {
      if (m.kind !== "join") throw new InvalidMessageError(from, "a new member broadcasts a join");
      return;
    }
    if (m.kind !== "deal") throw new InvalidMessageError(from, "a dealer broadcasts a deal");
    if (m.commitments.length !== newDegree + 1) {
      throw new InvalidMessageError(from, `a deal has exactly new degree + 1 = ${newDegree + 1} commitments`);
    }
  }

  finalize(_rng: Rng): Transition<ReshareMessage, ReshareResult> {
    const { echo, adapter, session } = this.ctx;
    const view = collectBroadcast(adapter, this.number, this.self, this.own, this.received, this.frames);
    const round1 = new Map(this.received).set(this.self, this.own);
    const transcriptDigest = viewDigest(echo, view);
    return startEcho(echo, adapter, view, () => {
      const bad = badBroadcasts(session, round1);
      if (bad.length > 0) {
        return { kind: "abort", error: new ProtocolAbortError("invalid resharing broadcasts", bad) };
      }
      const deals = dealsOf(round1);
      const pub = newPackage(session, deals);
      if (!pub) {
        const error = new VerificationError("dealt constants do not sum to the group key");
        return { kind: "abort", error };
      }

      const outgoing = [...this.pieces]
        .filter(([j]) => j !== this.self)
        .map(([to, piece]) => ({ to, message: { kind: "piece", piece } as const }));
      const round: Round<ReshareMessage, ReshareResult> = this.ctx.isNewMember
        ? new PiecesRound(this.ctx, deals, pub, this.pieces.get(this.self), transcriptDigest)
        : new DealerDoneRound(this.ctx, pub);
      return { kind: "next", round, outgoing };
    });
  }
}
