/**
 * Retrying a FROST signature after an identifiable abort (RFC 9591 §5.4: the coordinator "MUST abort"
 * and may start over without the cheaters). A retry is a new session with a new request id, a signer set
 * without the culprits (and without members that timed out) and fresh nonces from everyone: the old
 * commitments are never reused, since each signer erased its nonces when it signed.
 */
import { ParameterError } from "../../protocol/errors.js";
import { MAX_REQUEST_ID_BYTES } from "./constants.js";
import type { FrostSession, FrostSessionParams } from "./session.js";
import { utf8ToBytes } from "../../crypto/index.js";

/** How many sessions one signing request may use before giving up. */
export const MAX_SIGNING_ATTEMPTS = 3;

/**
 * The signer set for the next attempt, or null when fewer than `quorum` members remain. Keeps the
 * previous attempt's honest signers (known to be online), tops up from the other participants in
 * ascending order, and returns `size` (default: quorum) members in ascending order.
 */
export function nextSignerSet(opts: {
  readonly participants: readonly number[];
  readonly quorum: number;
  readonly previous: readonly number[];
  readonly exclude: readonly number[];
  readonly size?: number;
}): number[] | null {
  const { participants, quorum, previous, exclude } = opts;
  if (!Number.isInteger(quorum) || quorum < 1)
    throw new ParameterError(`quorum must be positive, got ${quorum}`);
  const excluded = new Set(exclude);
  const candidates = [...new Set(participants)].filter((id) => !excluded.has(id)).sort((a, b) => a - b);
  if (candidates.length < quorum) return null;
  const size = Math.min(Math.max(opts.size ?? quorum, quorum), candidates.length);
  const kept = candidates.filter((id) => previous.includes(id));
  const others = candidates.filter((id) => !previous.includes(id));
  return [...kept, ...others].slice(0, size).sort((a, b) => a - b);
}

/** The request id of attempt `attempt` (0 = the first) of a signing request. */
export function attemptRequestId(requestId: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new ParameterError(`attempt must be >= 0, got ${attempt}`);
  const id = attempt === 0 ? requestId : `${requestId}/attempt-${attempt}`;
  if (utf8ToBytes(id).length > MAX_REQUEST_ID_BYTES)
    throw new ParameterError("request id too long for a retry");
  return id;
}

/**
 * The next session after `failed` aborted, excluding `exclude` (the abort's culprits plus members that
 * timed out), or null when no retry is possible (too few members left, or `attempt` reached the limit).
 * `attempt` is the number of the attempt to start (1 for the first retry).
 */
export function planFrostRetry(
  failed: FrostSession,
  opts: { readonly baseRequestId: string; readonly attempt: number; readonly exclude: readonly number[] },
): FrostSessionParams | null {
  if (opts.attempt >= MAX_SIGNING_ATTEMPTS) return null;
  if (opts.exclude.includes(failed.coordinator)) return null;
  const signers = nextSignerSet({
    participants: failed.key.participants,
    quorum: failed.quorum,
    previous: failed.signers,
    exclude: opts.exclude,
    size: failed.signers.length,
  });
  if (!signers) return null;
  return {
    variant: failed.variant,
    requestId: attemptRequestId(opts.baseRequestId, opts.attempt),
    coordinator: failed.coordinator,
    signers,
    message: failed.message,
  };
}
