/**
 * specs/protocols.md §5 step 1 (Laing–Stinson RTS as in ZF frost `repair_share_part1`, with the
 * cheater-catching broadcast): opening messages of share recovery for helpers and for the target r.
 *
 * Why no helper learns s_r (or another helper's share): helper i splits ζ_i·s_i into |H| additive
 * pieces, |H|−1 of them uniform, so any |H|−1 pieces are jointly uniform and independent of ζ_i·s_i.
 * Helper j sees only the one piece δ_{i→j} from each other helper, plus the broadcast Δ's, which are
 * points whose discrete logs it cannot take, and sends its sum σ_j only to r. A coalition of fewer than
 * |H| helpers thus sees uniform values; s_r = Σ_j σ_j needs every σ_j, and only r receives them. r sees
 * the σ_j, each masked by the other helpers' pieces, so it learns s_r and nothing about any s_i.
 */
import { defaultRng, type Rng } from "../../crypto/rng.js";
import { Fn, mulBase, randomScalar } from "../../crypto/secp256k1.js";
import type { VerifyFrame } from "../../protocol/echo.js";
import { ParameterError } from "../../protocol/errors.js";
import type { KeyPublic, KeyShare } from "../../protocol/key-share.js";
import type { Start } from "../../protocol/round.js";
import { recoveryContext } from "./context.js";
import type { RecoverMessage } from "./messages.js";
import type { RecoveryResult } from "./result.js";
import { BroadcastRound } from "./round1-broadcast.js";
import { recoverySession, repairCoefficient, type RecoveryParams } from "./session.js";

export interface RecoveryStartOptions extends RecoveryParams {
  /** Checks a member's signed frame (echo-broadcast evidence); the runner's SessionContext.verifyFrame. */
  readonly verifyFrame: VerifyFrame;
}

/** A helper i ∈ H: splits ζ_i·s_i and broadcasts the images of the pieces. */
export function startRecoveryHelper(
  share: KeyShare,
  opts: RecoveryStartOptions,
  rng: Rng = defaultRng,
): Start<RecoverMessage, RecoveryResult> {
  const session = recoverySession(share.public, opts);
  if (!session.helpers.includes(share.self)) throw new ParameterError("this member is not a helper");
  if (!mulBase(share.secretShare).equals(share.public.verificationShares.get(share.self)!)) {
    throw new ParameterError("own share does not match its verification share");
  }
  const secret = Fn.mul(repairCoefficient(session, share.self), share.secretShare);
  // All pieces but the last are uniform; the last makes them sum to ζ_i·s_i.
  const pieces = session.helpers.slice(0, -1).map(() => randomScalar(rng));
  pieces.push(
    Fn.sub(
      secret,
      pieces.reduce((acc, p) => Fn.add(acc, p), 0n),
    ),
  );
  const message = {
    kind: "commit",
    packageDigest: session.packageDigest,
    deltas: pieces.map((p) => mulBase(p)),
  } as const;
  const ctx = recoveryContext(session, share.self, opts.verifyFrame);
  return {
    round: new BroadcastRound(ctx, { role: "helper", message, pieces }),
    outgoing: [{ to: "all", message }],
  };
}

/**
 * The target r: it holds no share, only the current public package, which the runner must obtain
 * authenticated (the registry's package digest, or cross-checked with several members). r broadcasts
 * the digest of that package; helpers of another package or epoch are refused by everyone.
 */
export function startRecoveryTarget(
  pub: KeyPublic,
  self: number,
  opts: RecoveryStartOptions,
): Start<RecoverMessage, RecoveryResult> {
  const session = recoverySession(pub, opts);
  if (self !== session.target) throw new ParameterError("this member is not the recovery target");
  const message = { kind: "request", packageDigest: session.packageDigest } as const;
  const ctx = recoveryContext(session, self, opts.verifyFrame);
  return { round: new BroadcastRound(ctx, { role: "target", message }), outgoing: [{ to: "all", message }] };
}
