/**
 * DKG round 7 — specs/protocols.md §1.1 (echo of the answers, EchoRound in protocol/echo.ts), then §1
 * "Round 3" steps 3–4: an accused dealer is disqualified if it left a complaint unanswered or an answer
 * fails the Feldman check against its (agreed) commitments; a valid answer to my own complaint replaces
 * the share I was missing. Then the output (output.ts) over QUAL.
 */
import type { Transition } from "../../protocol/round.js";
import type { AnswersMessage, DkgMessage } from "./messages.js";
import { finishDkg, type DkgOutput } from "./output.js";
import { feldmanVerify } from "../../crypto/vss.js";
import type { ComplaintPhase, DisqualifyReason } from "./state.js";

export function afterAnswerEcho(
  phase: ComplaintPhase,
  answers: ReadonlyMap<number, AnswersMessage>,
): Transition<DkgMessage, DkgOutput> {
  const disqualified = new Map(phase.disqualified);
  const shares = new Map(phase.shares);
  for (const [dealer, complainers] of phase.pending) {
    const given = answers.get(dealer)?.answers ?? [];
    let fault: DisqualifyReason | undefined;
    for (const complainer of complainers) {
      const answer = given.find((a) => a.complainer === complainer);
      if (!answer) fault ??= "unanswered-complaint";
      else if (!feldmanVerify(phase.deals.get(dealer)!.commitments, complainer, answer.share))
        fault ??= "bad-answer";
      else if (complainer === phase.ctx.self) shares.set(dealer, answer.share);
    }
    if (fault) disqualified.set(dealer, fault);
  }
  return finishDkg({ ...phase, disqualified, shares, pending: new Map() });
}
