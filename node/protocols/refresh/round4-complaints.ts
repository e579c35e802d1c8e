/**
 * specs/protocols.md §4 "Complaints and disqualification exactly as §1 Round 3", step 1: collect every
 * member's complaint list, then echo-check them (round 5) so all members judge the same complaints. No
 * complaint anywhere → the new epoch is computed right away; otherwise each accused dealer answers in
 * clear (round 6). Publishing u_{i→j} is harmless: j's new share stays masked by every honest dealer.
 */
import type { Rng } from "../../crypto/rng.js";
import { collectBroadcast, startEcho, viewDigest } from "../../protocol/echo.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import type { Transition } from "../../protocol/round.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import type { EpochOutput } from "../lifecycle/pending.js";
import { computeNewEpoch } from "./new-epoch.js";
import { refreshCodec, type RefreshComplaints, type RefreshMessage } from "./messages.js";
import { AnswersRound } from "./round6-answers.js";
import type { RefreshContext } from "./session.js";
import type { DealtState } from "./state.js";

export class ComplaintsRound extends CodecRound<RefreshMessage, EpochOutput> {
  readonly protocol = "refresh";
  readonly number = 4;

  constructor(
    private readonly ctx: RefreshContext,
    private readonly state: DealtState,
    private readonly own: RefreshComplaints,
    /** Echo digests of the earlier broadcast rounds (the run's transcript so far). */
    private readonly digests: readonly Uint8Array[],
  ) {
    super(
      ctx.self,
      ctx.roster.filter((id) => id !== ctx.self),
      refreshCodec,
    );
  }

  protected validate(from: number, m: RefreshMessage): void {
    if (m.kind !== "complaints") throw new InvalidMessageError(from, "refresh round 4 expects complaints");
    if (m.accused.some((id) => id === from || !this.ctx.roster.includes(id))) {
      throw new InvalidMessageError(from, "a complaint must name other roster members");
    }
  }

  finalize(_rng: Rng): Transition<RefreshMessage, EpochOutput> {
    const { echo, adapter } = this.ctx;
    const view = collectBroadcast(adapter, this.number, this.self, this.own, this.received, this.frames);
    const complaints = new Map<number, readonly number[]>([[this.self, this.own.accused]]);
    for (const [from, m] of this.received as Map<number, RefreshComplaints>) complaints.set(from, m.accused);
    const digests = [...this.digests, viewDigest(echo, view)];
    return startEcho(echo, adapter, view, () => {
      if ([...complaints.values()].every((list) => list.length === 0)) {
        return computeNewEpoch(this.ctx, this.state, complaints, new Map(), digests);
      }
      const answers = [...complaints]
        .filter(([, accused]) => accused.includes(this.self))
        .map(([complainer]) => ({ complainer, subShare: this.state.dealt.get(complainer)! }))
        .sort((a, b) => a.complainer - b.complainer);
      const message = { kind: "answers", answers } as const;
      return {
        kind: "next",
        round: new AnswersRound(this.ctx, this.state, complaints, message, digests),
        outgoing: [{ to: "all", message }],
      };
    });
  }
}
