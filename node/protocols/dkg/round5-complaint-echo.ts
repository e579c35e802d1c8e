/**
 * DKG round 5 — specs/protocols.md §1.1 (echo of the complaint lists, EchoRound in protocol/echo.ts),
 * then §1 "Round 3" steps 2–3 on the agreed complaints:
 *   - a dealer accused by more than `degree` members is disqualified without an answer (spec: "more
 *     than t−1 complaints" with t = quorum = degree + 1). Answering would publish more than `degree`
 *     of its shares, which could reveal its secret a_{i,0};
 *   - any other accused dealer must answer every complaint in public (round 6).
 * With no dealer to answer, every honest member finishes here, with the same QUAL.
 */
import { evaluatePolynomial } from "../../crypto/polynomial.js";
import type { Transition } from "../../protocol/round.js";
import type { AnswersMessage, DkgMessage } from "./messages.js";
import { finishDkg, type DkgOutput } from "./output.js";
import { AnswersRound } from "./round6-answers.js";
import type { ComplaintPhase, SharePhase } from "./state.js";

export function afterComplaintEcho(
  phase: SharePhase,
  complaints: ReadonlyMap<number, readonly number[]>,
): Transition<DkgMessage, DkgOutput> {
  const { ctx } = phase;
  const disqualified = new Map(phase.disqualified);
  const pending = new Map<number, readonly number[]>();
  for (const dealer of ctx.members) {
    if (disqualified.has(dealer)) continue;
    const complainers = ctx.members.filter((id) => complaints.get(id)?.includes(dealer));
    if (complainers.length > ctx.degree) disqualified.set(dealer, "too-many-complaints");
    else if (complainers.length > 0) pending.set(dealer, complainers);
  }
  const next: ComplaintPhase = { ...phase, disqualified, pending };
  if (pending.size === 0) return finishDkg(next);
  const mine = pending.get(ctx.self) ?? [];
  const own: AnswersMessage = {
    kind: "answers",
    answers: mine.map((complainer) => ({
      complainer,
      share: evaluatePolynomial(phase.secret.polynomial, complainer),
    })),
  };
  return { kind: "next", round: new AnswersRound(next, own), outgoing: [{ to: "all", message: own }] };
}
