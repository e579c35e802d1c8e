/**
 * Retry helper for the combiner (specs/protocols.md §2 "take any set S of t valid shares"): when round 2
 * ended without a quorum (members withheld, refused or cheated), ask other members in a NEW session,
 * keeping the shares already verified. Carried shares were verified by this combiner under the session
 * they were proven in; members asked in the new session prove theirs under the new session id, so
 * nothing received is ever accepted across sessions. Culprits stay named and are never asked again.
 */
import { ParameterError } from "../../protocol/errors.js";
import type { Start } from "../../protocol/round.js";
import type { DecryptMessage } from "./messages.js";
import { startDecryption } from "./round1-request.js";
import type { CollectSharesRound } from "./round2-collect.js";
import type { DecryptionResult, MemberContext } from "./types.js";

export interface RetryInput {
  /** A fresh request id (e.g. `${requestId}/retry-1`): the retry is a new session. */
  readonly requestId: string;
  /** Other members to ask; by default every participant not yet valid, culprit or already asked. */
  readonly members?: readonly number[];
  /** The combiner's own share, if it did not contribute yet. */
  readonly local?: MemberContext;
}

/** The members a retry may ask: participants that gave no valid share, are no culprit and were not asked. */
export function retryCandidates(previous: CollectSharesRound): number[] {
  const p = previous.progress();
  const done = new Set([...p.valid.map((s) => s.id), ...p.culprits, ...previous.expected, previous.ctx.self]);
  return previous.ctx.key.participants.filter((id) => !done.has(id));
}

export function retryDecryption(
  previous: CollectSharesRound,
  input: RetryInput,
): Start<DecryptMessage, DecryptionResult> {
  if (input.requestId === previous.ctx.request.requestId) {
    throw new ParameterError("a retry needs a fresh `requestId` (it is a new session)");
  }
  const p = previous.progress();
  return startDecryption({
    self: previous.ctx.self,
    key: previous.ctx.key,
    request: { ...previous.ctx.request, requestId: input.requestId },
    members: input.members ?? retryCandidates(previous),
    ...(input.local ? { local: input.local } : {}),
    progress: { valid: p.valid, culprits: p.culprits, refusals: p.refusals, missing: [] },
  });
}
