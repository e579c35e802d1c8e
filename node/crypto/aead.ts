/**
 * AES-256-GCM with a random 12-byte nonce: sealed = nonce(12) ‖ ciphertext ‖ tag(16).
 *
 * Deviation, on purpose (like the frame signatures' Ed25519, adapters/libp2p/authenticator.ts): the
 * share store's seal and open (`aeadSeal`/`aeadOpen`, every record at rest and the key wrap) run on
 * node:crypto — OpenSSL's AES-GCM, with AES-NI where the CPU has it, which is also free of the table
 * lookups a JS AES cannot avoid — because noble's costs ~50 µs per record here against ~10 µs, paid
 * several times per signature on every member. The bytes are the same AES-GCM: the tests open each
 * implementation's output with the other (`aeadSealNoble`), so stores written before still open.
 * The explicit-nonce helpers below (eciesjs interoperability) stay on noble.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { gcm } from "@noble/ciphers/aes.js";
import { DecodeError, ParameterError } from "../protocol/errors.js";
import { concatBytes } from "./hash.js";
import { defaultRng, type Rng } from "./rng.js";

export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

export function aeadSeal(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
  rng: Rng = defaultRng,
): Uint8Array {
  assertKey(key);
  const nonce = rng(AEAD_NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const last = cipher.final();
  return concatBytes(nonce, body, last, cipher.getAuthTag());
}

/** The same seal on noble (tests: both implementations must produce and open the same boxes). */
export function aeadSealNoble(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
  rng: Rng = defaultRng,
): Uint8Array {
  assertKey(key);
  const nonce = rng(AEAD_NONCE_BYTES);
  return concatBytes(nonce, aesGcmEncrypt(key, nonce, plaintext, aad));
}

/** Opens a sealed box; throws DecodeError if it is truncated or fails authentication. */
export function aeadOpen(
  key: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
): Uint8Array {
  assertSealed(key, sealed);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, AEAD_NONCE_BYTES), {
      authTagLength: AEAD_TAG_BYTES,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - AEAD_TAG_BYTES));
    const body = decipher.update(sealed.subarray(AEAD_NONCE_BYTES, sealed.length - AEAD_TAG_BYTES));
    return concatBytes(body, decipher.final());
  } catch (cause) {
    throw new DecodeError("authentication failed (tampered, truncated or wrong key)", [], { cause });
  }
}

/** The same open on noble (tests). */
export function aeadOpenNoble(
  key: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
): Uint8Array {
  assertSealed(key, sealed);
  return aesGcmDecrypt(key, sealed.subarray(0, AEAD_NONCE_BYTES), sealed.subarray(AEAD_NONCE_BYTES), aad);
}

function assertKey(key: Uint8Array): void {
  if (key.length !== 32) throw new ParameterError("`key` expected 32 bytes");
}

function assertSealed(key: Uint8Array, sealed: Uint8Array): void {
  assertKey(key);
  if (sealed.length < AEAD_NONCE_BYTES + AEAD_TAG_BYTES) throw new DecodeError("sealed box too short");
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
