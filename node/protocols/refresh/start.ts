/**
 * specs/protocols.md §4 round 1: each member deals a fresh zero-sharing and broadcasts its commitments
 * ε_{i,1..t} (consistent broadcast, §1.1); the sub-shares go out privately after the echo check.
 */
import { defaultRng, type Rng } from "../../crypto/rng.js";
import type { VerifyFrame } from "../../protocol/echo.js";
import type { KeyShare } from "../../protocol/key-share.js";
import type { Start } from "../../protocol/round.js";
import type { EpochOutput } from "../lifecycle/pending.js";
import type { RefreshMessage } from "./messages.js";
import { DealRound } from "./round1-deal.js";
import { refreshContext, type RefreshParams } from "./session.js";
import { dealZeroSharing } from "./zero-sharing.js";

export interface RefreshStartOptions extends RefreshParams {
  /** Checks a member's signed frame (echo-broadcast evidence); the runner's SessionContext.verifyFrame. */
  readonly verifyFrame: VerifyFrame;
}

/**
 * Starts a refresh of `share` (epoch e) with every other participant. The result is the EpochOutput of
 * epoch e+1; the runner turns it into a pending epoch (lifecycle/pending.ts), persists it and runs the
 * ACK session before switching.
 */
export function startRefresh(
  share: KeyShare,
  opts: RefreshStartOptions,
  rng: Rng = defaultRng,
): Start<RefreshMessage, EpochOutput> {
  const ctx = refreshContext(share, opts, opts.verifyFrame);
  const { commitments, subShares } = dealZeroSharing(ctx.degree, ctx.roster, rng);
  const deal = { kind: "deal", commitments } as const;
  return { round: new DealRound(ctx, deal, subShares), outgoing: [{ to: "all", message: deal }] };
}
