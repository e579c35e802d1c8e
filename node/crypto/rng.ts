/**
 * Randomness is always a parameter (`rng`), defaulting to the platform CSPRNG. Tests pass
 * `seededRng(seed)` and get byte-identical runs.
 */
import { chacha20 } from "@noble/ciphers/chacha.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";

/** Returns `length` random bytes. */
export type Rng = (length: number) => Uint8Array;

/** The default: the platform's CSPRNG (crypto.getRandomValues). */
export const defaultRng: Rng = (length) => randomBytes(length);

export function assertRng(rng: unknown): asserts rng is Rng {
  if (typeof rng !== "function") throw new TypeError("`rng` expected function");
}

/**
 * Deterministic RNG for tests and benchmarks only: ChaCha20 keystream keyed by SHA-256(seed).
 * Never use it for real keys.
 */
export function seededRng(seed: string | Uint8Array): Rng {
  const key = sha256(typeof seed === "string" ? utf8ToBytes(seed) : seed);
  const nonce = new Uint8Array(12);
  let counter = 0;
  // 64 KiB of keystream per refill; the counter is the block counter of ChaCha20 (64-byte blocks).
  const keystream: Rng = (length) => {
    const block = chacha20(key, nonce, new Uint8Array(length), undefined, counter);
    counter += length / 64;
    return block;
  };
  return bufferedRng(keystream, 65536);
}

/**
 * Serves reads from `rng` through a buffer refilled `chunk` bytes at a time: one platform call for many
 * small draws (a presigning batch draws thousands of 48-byte scalars). The bytes returned are exactly
 * `rng`'s stream, in order, each byte handed out once; only the unread tail of the last chunk is
 * dropped. `chunk` ≤ 65536 (crypto.getRandomValues' limit per call).
 */
export function bufferedRng(rng: Rng, chunk = 4096): Rng {
  assertRng(rng);
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > 65536) throw new RangeError("chunk must be 1..65536");
  let buffer: Uint8Array = new Uint8Array(0);
  return (length) => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (buffer.length === 0) {
        buffer = rng(chunk);
        if (buffer.length !== chunk) throw new RangeError("rng returned the wrong number of bytes");
      }
      const take = Math.min(length - filled, buffer.length);
      out.set(buffer.subarray(0, take), filled);
      buffer.fill(0, 0, take); // handed out: do not keep a second copy
      buffer = buffer.subarray(take);
      filled += take;
    }
    return out;
  };
}
