/**
 * DKG round 2 — specs/protocols.md §1.1 (echo of round 1, EchoRound in protocol/echo.ts), then §1
 * "On receipt" and "Round 2 (private)". Runs only once every member's echo digest matched ours, so all
 * honest members judge the same deals:
 *   - a deal must carry exactly degree + 1 commitments (spec: "exactly t", t = quorum);
 *   - its proof of knowledge must verify in this session: R == μ·G − c·φ_{i,0}.
 * A failure is a provable fault of the dealer (everyone holds its signed deal): it is disqualified and
 * its shares are ignored. Then each member sends y_{i→ℓ} = f_i(ℓ) privately to every other member.
 * Confidentiality of the share comes from the transport (libp2p Noise); share frames are never revealed.
 */
import { evaluatePolynomial } from "../../crypto/polynomial.js";
import { verifyKnowledge } from "../../crypto/proofs/schnorr-pok.js";
import type { Transition } from "../../protocol/round.js";
import { pokTranscript } from "./context.js";
import type { DkgMessage } from "./messages.js";
import type { DkgOutput } from "./output.js";
import { SharesRound } from "./round3-shares.js";
import type { DealPhase, DisqualifyReason } from "./state.js";

/** Why a deal is unacceptable, or undefined if it is good. Pure; the same at every honest member. */
export function judgeDeal(phase: DealPhase, dealer: number): DisqualifyReason | undefined {
  const deal = phase.deals.get(dealer)!;
  if (deal.commitments.length !== phase.ctx.degree + 1) return "bad-commitments";
  const ok = verifyKnowledge(deal.commitments[0], deal.proof, pokTranscript(phase.ctx, dealer));
  return ok ? undefined : "bad-proof";
}

export function afterDealEcho(phase: DealPhase): Transition<DkgMessage, DkgOutput> {
  const { ctx } = phase;
  const disqualified = new Map(phase.disqualified);
  for (const dealer of ctx.others) {
    const reason = judgeDeal(phase, dealer);
    if (reason) disqualified.set(dealer, reason);
  }
  const next: DealPhase = { ...phase, disqualified };
  const f = phase.secret.polynomial;
  return {
    kind: "next",
    round: new SharesRound(next),
    outgoing: ctx.others.map((to) => ({
      to,
      message: { kind: "share", share: evaluatePolynomial(f, to) },
    })),
  };
}
