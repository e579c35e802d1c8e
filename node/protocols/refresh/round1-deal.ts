/**
 * specs/protocols.md §4 round 1 + §1.1: collect every member's zero-sharing commitments ε_{i,1..t}.
 * Exactly `degree` points: a transmitted k = 0 commitment (degree + 1 points) is rejected, as is any
 * other length (points themselves are decoded strictly, never the identity). Then the echo check
 * (round 2); only if everyone saw the same commitments do the private sub-shares go out (round 3).
 */
import type { Rng } from "../../crypto/rng.js";
import { collectBroadcast, startEcho, viewDigest } from "../../protocol/echo.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import type { Transition } from "../../protocol/round.js";
import type { EpochOutput } from "../lifecycle/pending.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import { refreshCodec, type RefreshDeal, type RefreshMessage } from "./messages.js";
import { SharesRound } from "./round3-shares.js";
import type { RefreshContext } from "./session.js";

export class DealRound extends CodecRound<RefreshMessage, EpochOutput> {
  readonly protocol = "refresh";
  readonly number = 1;

  constructor(
    private readonly ctx: RefreshContext,
    private readonly ownDeal: RefreshDeal,
    /** u_{self→j} for every roster member. Secret. */
    private readonly subShares: ReadonlyMap<number, bigint>,
  ) {
    super(
      ctx.self,
      ctx.roster.filter((id) => id !== ctx.self),
      refreshCodec,
    );
  }

  protected validate(from: number, m: RefreshMessage): void {
    if (m.kind !== "deal") throw new InvalidMessageError(from, "refresh round 1 expects a deal");
    if (m.commitments.length !== this.ctx.degree) {
      throw new InvalidMessageError(
        from,
        `a zero-sharing deal has exactly ${this.ctx.degree} commitments (k ≥ 1)`,
      );
    }
  }

  finalize(_rng: Rng): Transition<RefreshMessage, EpochOutput> {
    const { echo, adapter } = this.ctx;
    const view = collectBroadcast(adapter, this.number, this.self, this.ownDeal, this.received, this.frames);
    const deals = new Map(this.received as Map<number, RefreshDeal>).set(this.self, this.ownDeal);
    return startEcho(echo, adapter, view, () => {
      const round = new SharesRound(this.ctx, deals, this.subShares, [viewDigest(echo, view)]);
      const outgoing = round.expected.map((to) => ({
        to,
        message: { kind: "share", subShare: this.subShares.get(to)! } as const,
      }));
      return { kind: "next", round, outgoing };
    });
  }
}
