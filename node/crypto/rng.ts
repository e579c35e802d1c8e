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
  let buffer = new Uint8Array(0);
  return (length) => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (buffer.length === 0) {
        // 64 KiB of keystream per refill; the counter is the block counter of ChaCha20.
        buffer = chacha20(key, nonce, new Uint8Array(65536), undefined, counter);
        counter += 1024;
      }
      const take = Math.min(length - filled, buffer.length);
      out.set(buffer.subarray(0, take), filled);
      buffer = buffer.subarray(take);
      filled += take;
    }
    return out;
  };
}
