/**
 * specs/protocols.md §5 step 1 (cheater-catching variant) + §1.1: round 1 collects every member's
 * broadcast — each helper's Δ vector, r's request naming the package it trusts — then opens the echo
 * check (round 2). Only if all echo digests agree do the public checks run, identically everywhere:
 * same package digest as ours, and Σ_j Δ_{i→j} == ζ_i·Y_i for every helper i. A failure names the
 * member at every honest participant; otherwise helpers send their private pieces (round 3).
 */
import type { Rng } from "../../crypto/rng.js";
import { collectBroadcast, startEcho } from "../../protocol/echo.js";
import { InvalidMessageError, ProtocolAbortError } from "../../protocol/errors.js";
import type { Round, Transition } from "../../protocol/round.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import { badBroadcasts, commitsOf } from "./checks.js";
import type { RecoveryContext } from "./context.js";
import { recoverCodec, type RecoverCommit, type RecoverMessage } from "./messages.js";
import type { RecoveryResult } from "./result.js";
import { HelperPieceRound } from "./round3-pieces.js";
import { TargetWaitRound } from "./round3-target-wait.js";

/** What this member broadcast and, for a helper, its secret pieces δ_{self→j} (helper order). */
export type OwnRound1 =
  | { readonly role: "helper"; readonly message: RecoverCommit; readonly pieces: readonly bigint[] }
  | { readonly role: "target"; readonly message: RecoverMessage & { kind: "request" } };

export class BroadcastRound extends CodecRound<RecoverMessage, RecoveryResult> {
  readonly protocol = "recover";
  readonly number = 1;

  constructor(
    private readonly ctx: RecoveryContext,
    private readonly own: OwnRound1,
  ) {
    super(
      ctx.self,
      ctx.echo.members.filter((id) => id !== ctx.self),
      recoverCodec,
    );
  }

  protected validate(from: number, m: RecoverMessage): void {
    const { helpers, target } = this.ctx.session;
    if (from === target) {
      if (m.kind !== "request") throw new InvalidMessageError(from, "the target broadcasts a request");
      return;
    }
    if (m.kind !== "commit") throw new InvalidMessageError(from, "a helper broadcasts a commit");
    if (m.deltas.length !== helpers.length) {
      throw new InvalidMessageError(from, `commit needs ${helpers.length} points`);
    }
  }

  finalize(_rng: Rng): Transition<RecoverMessage, RecoveryResult> {
    const { echo, adapter, session } = this.ctx;
    const view = collectBroadcast(
      adapter,
      this.number,
      this.self,
      this.own.message,
      this.received,
      this.frames,
    );
    const round1 = new Map(this.received).set(this.self, this.own.message);
    return startEcho(echo, adapter, view, () => {
      const bad = badBroadcasts(session, round1);
      if (bad.length > 0) {
        return { kind: "abort", error: new ProtocolAbortError("invalid repair broadcasts", bad) };
      }
      const commits = commitsOf(round1);
      if (this.own.role === "target") {
        return { kind: "next", round: new TargetWaitRound(this.ctx, commits), outgoing: [] };
      }
      const { pieces } = this.own;
      const piece = (id: number) => pieces[session.helpers.indexOf(id)];
      const round: Round<RecoverMessage, RecoveryResult> = new HelperPieceRound(
        this.ctx,
        commits,
        piece(this.self),
      );
      const outgoing = round.expected.map((to) => ({
        to,
        message: { kind: "piece", piece: piece(to) } as const,
      }));
      return { kind: "next", round, outgoing };
    });
  }
}
