/** AES-256-GCM with a random 12-byte nonce: sealed = nonce(12) ‖ ciphertext ‖ tag(16). */
import { gcm } from "@noble/ciphers/aes.js";
import { DecodeError, ParameterError } from "../protocol/errors.js";
import { defaultRng, type Rng } from "./rng.js";

export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

export function aeadSeal(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
  rng: Rng = defaultRng,
): Uint8Array {
  if (key.length !== 32) throw new ParameterError("`key` expected 32 bytes");
  const nonce = rng(AEAD_NONCE_BYTES);
  const ct = gcm(key, nonce, aad).encrypt(plaintext);
  const out = new Uint8Array(AEAD_NONCE_BYTES + ct.length);
  out.set(nonce, 0);
  out.set(ct, AEAD_NONCE_BYTES);
  return out;
}

/** Opens a sealed box; throws DecodeError if it is truncated or fails authentication. */
export function aeadOpen(
  key: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
): Uint8Array {
  if (key.length !== 32) throw new ParameterError("`key` expected 32 bytes");
  if (sealed.length < AEAD_NONCE_BYTES + AEAD_TAG_BYTES) throw new DecodeError("sealed box too short");
  try {
    return gcm(key, sealed.subarray(0, AEAD_NONCE_BYTES), aad).decrypt(sealed.subarray(AEAD_NONCE_BYTES));
  } catch (cause) {
    throw new DecodeError("authentication failed (tampered, truncated or wrong key)", [], { cause });
  }
}

/** AES-256-GCM with an explicit nonce of any length (eciesjs uses 16 bytes). Returns ct ‖ tag. */
export function aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array) {
  return gcm(key, nonce, aad).encrypt(plaintext);
}

/** Inverse of aesGcmEncrypt; throws DecodeError when authentication fails. */
export function aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, ctAndTag: Uint8Array, aad?: Uint8Array) {
  try {
    return gcm(key, nonce, aad).decrypt(ctAndTag);
  } catch (cause) {
    throw new DecodeError("authentication failed", [], { cause });
  }
}
