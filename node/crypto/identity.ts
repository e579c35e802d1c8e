/**
 * Long-term member identity: Ed25519 signatures over wire frames (node/protocol/frame.ts). The libp2p
 * identity key is Ed25519 too, and a libp2p peer id embeds its public key, so the same 32-byte seed can
 * authenticate the libp2p connection and sign frames; the libp2p adapter supplies `publicKeyOf(peer)`.
 *
 * The signed message is the frame's signing bytes as they are (frame.ts), exactly as the libp2p adapter's
 * authenticator (node:crypto) signs them, so both implementations verify each other's frames. This needs
 * no extra domain tag: frame bytes start with the frame version and a protocol id, while libp2p itself
 * signs only Noise payloads that start with the ASCII prefix "noise-libp2p-static-key:".
 * Verification is strict RFC 8032 (non-canonical encodings and small-order keys rejected).
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { ParameterError } from "../protocol/errors.js";
import { defaultRng, type Rng } from "./rng.js";

export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

function assertBytes(value: unknown, length: number, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new ParameterError(`\`${name}\` expected ${length} bytes`);
  }
}

/** A fresh 32-byte Ed25519 seed (the secret key in RFC 8032 terms). */
export function generateIdentitySeed(rng: Rng = defaultRng): Uint8Array {
  return rng(ED25519_SEED_BYTES);
}

/** The 32-byte Ed25519 public key of a seed. */
export function identityPublicKey(seed: Uint8Array): Uint8Array {
  assertBytes(seed, ED25519_SEED_BYTES, "seed");
  return ed25519.getPublicKey(seed);
}

/** Signs frame bytes. Deterministic (RFC 8032). */
export function signFrameBytes(seed: Uint8Array, bytes: Uint8Array): Uint8Array {
  assertBytes(seed, ED25519_SEED_BYTES, "seed");
  return ed25519.sign(bytes, seed);
}

/** Verifies a frame signature; false (never throws) on any malformed input. */
export function verifyFrameBytes(publicKey: Uint8Array, bytes: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) {
    return false;
  }
  try {
    return ed25519.verify(signature, bytes, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Signs and verifies frames; structurally the runner's FrameAuthenticator port (crypto imports no outer layer). */
export interface Ed25519Authenticator {
  readonly publicKey: Uint8Array;
  sign(bytes: Uint8Array): Uint8Array;
  verify(peer: string, bytes: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * A FrameAuthenticator (runner/ports.ts) backed by an Ed25519 seed. `publicKeyOf(peer)` returns the
 * peer's 32-byte Ed25519 public key, or undefined for an unknown peer (whose frames then fail).
 */
export function ed25519Authenticator(
  seed: Uint8Array,
  publicKeyOf: (peer: string) => Uint8Array | undefined,
): Ed25519Authenticator {
  assertBytes(seed, ED25519_SEED_BYTES, "seed");
  if (typeof publicKeyOf !== "function") throw new ParameterError("`publicKeyOf` expected function");
  const secret = seed.slice();
  return {
    publicKey: identityPublicKey(secret),
    sign: (bytes) => signFrameBytes(secret, bytes),
    verify(peer, bytes, signature) {
      const key = publicKeyOf(peer);
      return key !== undefined && verifyFrameBytes(key, bytes, signature);
    },
  };
}
