/**
 * specs/protocols.md §4 (complaints "exactly as §1 Round 3"), step 2: collect every member's answers
 * (empty when nobody accused it), echo-check them (round 7), then compute the new epoch with the QUAL
 * that every member derives from the same complaints and answers.
 */
import type { Rng } from "../../crypto/rng.js";
import { collectBroadcast, startEcho, viewDigest } from "../../protocol/echo.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import type { Transition } from "../../protocol/round.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import type { EpochOutput } from "../lifecycle/pending.js";
import { computeNewEpoch } from "./new-epoch.js";
import { refreshCodec, type RefreshAnswer, type RefreshAnswers, type RefreshMessage } from "./messages.js";
import type { RefreshContext } from "./session.js";
import type { DealtState } from "./state.js";

export class AnswersRound extends CodecRound<RefreshMessage, EpochOutput> {
  readonly protocol = "refresh";
  readonly number = 6;

  constructor(
    private readonly ctx: RefreshContext,
    private readonly state: DealtState,
    private readonly complaints: ReadonlyMap<number, readonly number[]>,
    private readonly own: RefreshAnswers,
    private readonly digests: readonly Uint8Array[],
  ) {
    super(
      ctx.self,
      ctx.roster.filter((id) => id !== ctx.self),
      refreshCodec,
    );
  }

  protected validate(from: number, m: RefreshMessage): void {
    if (m.kind !== "answers") throw new InvalidMessageError(from, "refresh round 6 expects answers");
    if (m.answers.some((a) => a.complainer === from || !this.ctx.roster.includes(a.complainer))) {
      throw new InvalidMessageError(from, "an answer must go to another roster member");
    }
  }

  finalize(_rng: Rng): Transition<RefreshMessage, EpochOutput> {
    const { echo, adapter } = this.ctx;
    const view = collectBroadcast(adapter, this.number, this.self, this.own, this.received, this.frames);
    const answers = new Map<number, readonly RefreshAnswer[]>([[this.self, this.own.answers]]);
    for (const [from, m] of this.received as Map<number, RefreshAnswers>) answers.set(from, m.answers);
    const digests = [...this.digests, viewDigest(echo, view)];
    return startEcho(echo, adapter, view, () =>
      computeNewEpoch(this.ctx, this.state, this.complaints, answers, digests),
    );
  }
}
