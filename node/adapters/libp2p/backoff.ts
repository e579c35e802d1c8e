/** Reconnect delays: exponential backoff with bounded, symmetric jitter (so members do not redial in step). */
import { defaultRng, type Rng } from "../../crypto/rng.js";
import { ParameterError } from "../../protocol/errors.js";

export interface BackoffPolicy {
  /**
   * Delay before the first redial, in ms.
   * @default 100
   */
  initialDelayMs?: number;
  /**
   * Upper bound of the delay before jitter, in ms.
   * @default 10_000
   */
  maxDelayMs?: number;
  /**
   * Growth factor per failed attempt.
   * @default 2
   */
  factor?: number;
  /**
   * Jitter as a fraction of the delay: the result is uniform in [d·(1−jitter), d·(1+jitter)].
   * @default 0.2
   */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffPolicy> = {
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.2,
};

export function resolveBackoff(policy: BackoffPolicy = {}): Required<BackoffPolicy> {
  const p = { ...DEFAULT_BACKOFF, ...policy };
  if (!(p.initialDelayMs > 0)) throw new ParameterError("`initialDelayMs` expected > 0");
  if (!(p.maxDelayMs >= p.initialDelayMs))
    throw new ParameterError("`maxDelayMs` expected >= initialDelayMs");
  if (!(p.factor >= 1)) throw new ParameterError("`factor` expected >= 1");
  if (!(p.jitter >= 0 && p.jitter < 1)) throw new ParameterError("`jitter` expected in [0, 1)");
  return p;
}

/**
 * Delay before redial number `attempt` (0 = first redial after a loss). Always within
 * [initialDelayMs·(1−jitter), maxDelayMs·(1+jitter)].
 */
export function backoffDelay(
  attempt: number,
  policy: Required<BackoffPolicy>,
  rng: Rng = defaultRng,
): number {
  const exp = Math.min(attempt, 64); // factor^64 already saturates any sane maxDelayMs
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** exp);
  const r = rng(4);
  const u = new DataView(r.buffer, r.byteOffset, 4).getUint32(0) / 0x1_0000_0000; // [0, 1)
  return Math.round(base * (1 - policy.jitter + 2 * policy.jitter * u));
}
