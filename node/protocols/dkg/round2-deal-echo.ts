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
import { verifyKnowledgeBatch } from "../../crypto/proofs/schnorr-pok.js";
import type { Transition } from "../../protocol/round.js";
import { pokTranscript } from "./context.js";
import type { DkgMessage } from "./messages.js";
import type { DkgOutput } from "./output.js";
import { SharesRound } from "./round3-shares.js";
import type { DealPhase, DisqualifyReason } from "./state.js";

/**
 * Why each unacceptable deal is unacceptable. Pure; the same at every honest member. The proofs of
 * knowledge are checked in one batch (one multi-scalar multiplication), falling back to one by one only
 * to name the dealers whose proof fails.
 */
export function judgeDeals(phase: DealPhase, dealers: readonly number[]): Map<number, DisqualifyReason> {
  const verdicts = new Map<number, DisqualifyReason>();
  const withProof: number[] = [];
  for (const dealer of dealers) {
    const deal = phase.deals.get(dealer)!;
    if (deal.commitments.length !== phase.ctx.degree + 1) verdicts.set(dealer, "bad-commitments");
    else withProof.push(dealer);
  }
  const bad = verifyKnowledgeBatch(
    withProof.map((dealer) => {
      const deal = phase.deals.get(dealer)!;
      return { X: deal.commitments[0], proof: deal.proof, transcript: pokTranscript(phase.ctx, dealer) };
    }),
  );
  for (const k of bad) verdicts.set(withProof[k], "bad-proof");
  return verdicts;
}

export function afterDealEcho(phase: DealPhase): Transition<DkgMessage, DkgOutput> {
  const { ctx } = phase;
  const disqualified = new Map(phase.disqualified);
  for (const [dealer, reason] of judgeDeals(phase, ctx.others)) disqualified.set(dealer, reason);
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
