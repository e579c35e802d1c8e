/**
 * specs/protocols.md §4 "Verify": collect the private sub-shares u_{i→self} and check each against the
 * dealer's echo-agreed commitments, u_{i→self}·G == Σ_{k≥1} self^k·ε_{i,k}. Failures become this
 * member's complaints (round 4, broadcast even when empty so everyone can agree on them).
 */
import type { Rng } from "../../crypto/rng.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import type { Transition } from "../../protocol/round.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import type { EpochOutput } from "../lifecycle/pending.js";
import { refreshCodec, type RefreshDeal, type RefreshMessage, type RefreshShare } from "./messages.js";
import { ComplaintsRound } from "./round4-complaints.js";
import type { RefreshContext } from "./session.js";
import { subShareValid } from "./zero-sharing.js";

export class SharesRound extends CodecRound<RefreshMessage, EpochOutput> {
  readonly protocol = "refresh";
  readonly number = 3;

  constructor(
    private readonly ctx: RefreshContext,
    private readonly deals: ReadonlyMap<number, RefreshDeal>,
    /** u_{self→j} for every roster member (answers to complaints need them). Secret. */
    private readonly dealt: ReadonlyMap<number, bigint>,
    /** Echo digest of round 1 (the run's transcript so far). */
    private readonly digests: readonly Uint8Array[],
  ) {
    super(
      ctx.self,
      ctx.roster.filter((id) => id !== ctx.self),
      refreshCodec,
    );
  }

  protected validate(from: number, m: RefreshMessage): void {
    if (m.kind !== "share") throw new InvalidMessageError(from, "refresh round 3 expects a sub-share");
  }

  finalize(_rng: Rng): Transition<RefreshMessage, EpochOutput> {
    const received = new Map<number, bigint>([[this.self, this.dealt.get(this.self)!]]);
    for (const [from, m] of this.received as Map<number, RefreshShare>) received.set(from, m.subShare);
    const accused = [...received]
      .filter(([dealer, u]) => !subShareValid(this.deals.get(dealer)!.commitments, this.self, u))
      .map(([dealer]) => dealer)
      .sort((a, b) => a - b);
    const complaints = { kind: "complaints", accused } as const;
    return {
      kind: "next",
      round: new ComplaintsRound(
        this.ctx,
        { deals: this.deals, dealt: this.dealt, received },
        complaints,
        this.digests,
      ),
      outgoing: [{ to: "all", message: complaints }],
    };
  }
}
