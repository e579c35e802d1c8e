/**
 * DKG round 6 — specs/protocols.md §1 "Round 3" step 2: accused dealers broadcast y_{i→ℓ} for each
 * complainer ℓ in the clear; every member sends an answers message (empty if nobody accused it) so the
 * round has a definite end. The messages go through the echo broadcast of §1.1 (round 7), so every
 * honest member that goes on judges the same answers.
 */
import { bytesEqual } from "../../crypto/hash.js";
import { collectBroadcast, startEcho } from "../../protocol/echo.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import { CollectingRound, type Transition } from "../../protocol/round.js";
import { dkgCodec, dkgEchoAdapter } from "./codec.js";
import { DKG_PROTOCOL, DKG_ROUND, type AnswersMessage, type DkgMessage } from "./messages.js";
import type { DkgOutput } from "./output.js";
import { afterAnswerEcho } from "./round7-answer-echo.js";
import type { ComplaintPhase } from "./state.js";

export class AnswersRound extends CollectingRound<DkgMessage, DkgOutput> {
  readonly protocol = DKG_PROTOCOL;
  readonly number = DKG_ROUND.answers;

  constructor(
    private readonly phase: ComplaintPhase,
    private readonly own: AnswersMessage,
  ) {
    super(phase.ctx.self, phase.ctx.others);
  }

  /** Answers only to complaints that exist (missing answers are judged in round 7, not here). */
  protected validate(from: number, m: DkgMessage): void {
    if (m.kind !== "answers")
      throw new InvalidMessageError(from, `dkg round 6 expects answers, got ${m.kind}`);
    const complainers = this.phase.pending.get(from) ?? [];
    if (m.answers.some((a) => !complainers.includes(a.complainer))) {
      throw new InvalidMessageError(from, `member ${from} answered a complaint nobody made`);
    }
  }

  protected same(a: DkgMessage, b: DkgMessage): boolean {
    return bytesEqual(dkgCodec.encode(a), dkgCodec.encode(b));
  }

  finalize(): Transition<DkgMessage, DkgOutput> {
    const answers = new Map<number, AnswersMessage>([[this.self, this.own]]);
    for (const [id, m] of this.received) answers.set(id, m as AnswersMessage);
    const view = collectBroadcast(
      dkgEchoAdapter,
      this.number,
      this.self,
      this.own,
      this.received,
      this.frames,
    );
    return startEcho(this.phase.ctx.echo, dkgEchoAdapter, view, () => afterAnswerEcho(this.phase, answers));
  }
}
