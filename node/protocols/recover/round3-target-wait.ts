/**
 * specs/protocols.md §5 (target r, round 3): r receives nothing while the helpers exchange pieces. The
 * round exists so the echo layer's guard covers round 3 for r too (a reveal reaching r here aborts it).
 */
import type { Rng } from "../../crypto/rng.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import type { Transition } from "../../protocol/round.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import type { RecoveryContext } from "./context.js";
import { recoverCodec, type RecoverCommit, type RecoverMessage } from "./messages.js";
import type { RecoveryResult } from "./result.js";
import { TargetSumRound } from "./round4-sums.js";

export class TargetWaitRound extends CodecRound<RecoverMessage, RecoveryResult> {
  readonly protocol = "recover";
  readonly number = 3;

  constructor(
    private readonly ctx: RecoveryContext,
    private readonly commits: ReadonlyMap<number, RecoverCommit>,
  ) {
    super(ctx.self, [], recoverCodec);
  }

  protected validate(from: number): void {
    throw new InvalidMessageError(from, "the target expects nothing in round 3", false);
  }

  finalize(_rng: Rng): Transition<RecoverMessage, RecoveryResult> {
    return { kind: "next", round: new TargetSumRound(this.ctx, this.commits), outgoing: [] };
  }
}
