/**
 * Pedersen DKG with Feldman commitments, session-bound proofs of knowledge, echo broadcast, complaints
 * and public answers (specs/protocols.md §1, §1.1). One run makes one key for one scheme.
 *
 *   const share = await runner.run({ sessionId, codec: dkgCodec, self, members, roundTimeoutMs,
 *     start: (ctx) => startDkg({ ...ctx, scheme: "schnorr", keyId, degree }) });
 */
export { startDkg } from "./round1-deal.js";
export { dkgCodec, dkgEchoAdapter, DKG_MAX_MEMBERS } from "./codec.js";
export { dkgContext, dkgSessionId, type DkgParams, type DkgContext } from "./context.js";
export { DKG_PROTOCOL, DKG_ROUND, type DkgMessage } from "./messages.js";
export type * from "./messages.js";
export type { DkgOutput } from "./output.js";
export type { DisqualifyReason } from "./state.js";
