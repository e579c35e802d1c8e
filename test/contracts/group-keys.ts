/**
 * Single-key stand-ins for group keys in contract tests (not a test file). The contracts only see
 * signatures, so one secp256k1 key per "group key" exercises the same on-chain paths as a threshold key.
 * Keys are derived from labels so every run is identical.
 */
import { schnorr } from "@noble/curves/secp256k1.js";
import { SigningKey, computeAddress, concat, getBytes, hexlify, keccak256, toBeHex, toUtf8Bytes } from "ethers";

export const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

export interface TestKey {
  readonly scheme: "ecdsa" | "schnorr" | "encryption";
  /** 33-byte compressed public key as the registry stores it. */
  readonly publicKey: string;
  /** Signature over a 32-byte digest in the contract's encoding (ECDSA r‖s‖v, Schnorr Rx‖Ry‖z). */
  sign(digest: string): string;
}

export interface EcdsaTestKey extends TestKey {
  readonly scheme: "ecdsa";
  readonly address: string;
  readonly signingKey: SigningKey;
}

export interface SchnorrTestKey extends TestKey {
  readonly scheme: "schnorr";
  /** BIP-340 x-only key. */
  readonly px: bigint;
  /** The raw 64-byte BIP-340 signature Rx ‖ z. */
  signBip340(digest: string): Uint8Array;
}

const secretFor = (label: string): string => keccak256(toUtf8Bytes(`shardless-test-key:${label}`));
export const word = (x: bigint): string => toBeHex(x, 32);

export function ecdsaTestKey(label: string): EcdsaTestKey {
  const signingKey = new SigningKey(secretFor(label));
  return {
    scheme: "ecdsa",
    signingKey,
    publicKey: signingKey.compressedPublicKey,
    address: computeAddress(signingKey.publicKey),
    sign: (digest) => signingKey.sign(digest).serialized,
  };
}

/** Appends the even y of R to a BIP-340 signature: Rx ‖ z → Rx ‖ Ry ‖ z. */
export function withRy(bip340: Uint8Array): string {
  const rx = BigInt(hexlify(bip340.subarray(0, 32)));
  const ry = schnorr.utils.lift_x(rx).toAffine().y;
  return concat([bip340.subarray(0, 32), word(ry), bip340.subarray(32, 64)]);
}

export function schnorrTestKey(label: string): SchnorrTestKey {
  // Skip the ~2^-128 keys whose x is >= n (not verifiable with ecrecover; the registry refuses them).
  for (let i = 0; ; i++) {
    const secret = getBytes(secretFor(`${label}#${i}`));
    const xOnly = schnorr.getPublicKey(secret);
    const px = BigInt(hexlify(xOnly));
    if (px >= N) continue;
    const signBip340 = (digest: string) => schnorr.sign(getBytes(digest), secret, new Uint8Array(32));
    return {
      scheme: "schnorr",
      px,
      publicKey: concat(["0x02", xOnly]),
      signBip340,
      sign: (digest) => withRy(signBip340(digest)),
    };
  }
}

/** An encryption key: only its public key matters on-chain (it never signs). */
export function encryptionTestKey(label: string): TestKey {
  const signingKey = new SigningKey(secretFor(`enc:${label}`));
  return {
    scheme: "encryption",
    publicKey: signingKey.compressedPublicKey,
    sign: () => {
      throw new Error("encryption keys never sign");
    },
  };
}

/** Flips bit `bit` (0 = least significant of the last byte) of a hex string. */
export function flipBit(hex: string, bit: number): string {
  const bytes = getBytes(hex).slice();
  bytes[bytes.length - 1 - (bit >> 3)] ^= 1 << (bit & 7);
  return hexlify(bytes);
}
