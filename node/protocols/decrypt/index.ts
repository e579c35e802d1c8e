/**
 * Threshold decryption protocol (specs/protocols.md §2 TDH2, §3.1 eciesjs), as pure rounds.
 *
 *   combiner                                   member i (each of `members`)
 *   startDecryption ── round 1: request ──────▶ startMember → ServeRequestRound
 *                                               validity check → policy (node's chain reads) → share
 *   CollectSharesRound ◀── round 2: share | refusal ──
 *   verify proofs (session-bound), name culprits, combine a quorum, open the payload → DecryptionResult
 *
 * If round 2 ends without a quorum: `timeout()` names the silent members; retryDecryption asks others in
 * a new session keeping verified shares.
 */
export { startDecryption, type DecryptionInput } from "./round1-request.js";
export { startMember, serveRequest, ServeRequestRound, type ServeOutcome } from "./round1-serve.js";
export { CollectSharesRound, type CombinerContext } from "./round2-collect.js";
export { retryDecryption, retryCandidates, type RetryInput } from "./retry.js";
export { decryptSessionId } from "./session.js";
export { DecryptionFailedError } from "./errors.js";
export {
  decryptCodec,
  encodeDecryptMessage,
  decodeDecryptMessage,
  MAX_CIPHERTEXT_BYTES,
  REFUSAL_CODES,
  type DecryptMessage,
  type DecryptRequestFields,
  type RefusalCode,
} from "./messages.js";
export { DECRYPT_SCHEMES, type DecryptScheme, type ShareFields } from "./schemes.js";
export type * from "./types.js";
