/**
 * Session id of one decrypt run (DESIGN.md §1 "session", invariant 7): binds protocol, key, epoch,
 * request id, the key's participant set, and the request itself (scheme, ECIES flags, payload id,
 * ciphertext). Every share proof of the run hashes it, so a share is valid for exactly one request of
 * one ciphertext. It binds the key's whole participant set (not the subset asked) so that a member's
 * share does not depend on who else was asked; a retry with other members is a new session
 * (retry.ts).
 */
import { Transcript } from "../../crypto/transcript.js";
import type { KeyPublic } from "../../protocol/key-share.js";
import { deriveSessionId } from "../../protocol/session.js";
import { eciesFlags, payloadIdBytes, type DecryptRequestFields } from "./messages.js";

export function decryptSessionId(key: KeyPublic, request: DecryptRequestFields): Uint8Array {
  const extra = new Transcript("decrypt/request", new Uint8Array(0))
    .append("scheme", request.scheme)
    .append("flags", eciesFlags(request.scheme, request.ecies))
    .append("payloadId", payloadIdBytes(request.payloadId))
    .append("ciphertext", request.ciphertext)
    .digest();
  return deriveSessionId({
    protocol: "decrypt",
    keyId: key.keyId,
    epoch: key.epoch,
    requestId: request.requestId,
    participants: key.participants,
    extra,
  });
}
