/** Hash functions, KDF and byte helpers used across Shardless (all from @noble/hashes). */
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { bytesToHex, hexToBytes, concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { equalBytes } from "@noble/ciphers/utils.js";

export { sha256, keccak_256 as keccak256, bytesToHex, hexToBytes, concatBytes, utf8ToBytes };

/** Constant-time equality of two byte arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(a, b);
}

/** HKDF-SHA256. `salt` undefined means no salt (RFC 5869: a zero block). */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: Uint8Array | undefined,
  length: number,
): Uint8Array {
  return hkdf(sha256, ikm, salt, info, length);
}

/** Best-effort erasure of a secret buffer (JS cannot guarantee no copies remain). */
export function wipe(...buffers: Uint8Array[]): void {
  for (const b of buffers) b.fill(0);
}
