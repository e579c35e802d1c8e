/**
 * The two FROST ciphersuites Shardless signs with (specs/protocols.md §7.1 and §7.3), as noble
 * implements them: `rfc9591` is FROST(secp256k1, SHA-256) of RFC 9591 (context
 * "FROST-secp256k1-SHA256-v1", 65-byte signatures ser(R) ‖ z), `bip340` is the Taproot variant of ZF
 * frost-secp256k1-tr (context "FROST-secp256k1-SHA256-TR-v1", 64-byte BIP-340 signatures x(R) ‖ z over
 * the x-only group key). The round math (binding factors, group commitment, challenge, Lagrange
 * coefficients, even-y normalisation) is noble's; this module only selects the suite and converts
 * between our types and noble's byte-oriented ones.
 */
import {
  encodePoint,
  decodePoint,
  frostSecp256k1,
  frostTaproot,
  schnorrVerify,
  concatBytes,
  type Point,
} from "../../crypto/index.js";
import { ParameterError } from "../../protocol/errors.js";

export const FROST_VARIANTS = ["rfc9591", "bip340"] as const;
export type FrostVariant = (typeof FROST_VARIANTS)[number];

/** noble's FROST API (both suites share it). */
export type FrostSuite = typeof frostSecp256k1;
/** noble's shapes, derived from its signatures so that only node/crypto imports @noble. */
export type NobleFrostPublic = Parameters<FrostSuite["signShare"]>[1];
export type NobleFrostSecret = Parameters<FrostSuite["signShare"]>[0];
export type NobleNonces = ReturnType<FrostSuite["commit"]>["nonces"];
export type NobleCommitment = Parameters<FrostSuite["signShare"]>[3][number];

/** Signature lengths: ser(R) ‖ ser(z) for RFC 9591, x(R) ‖ ser(z) for BIP-340. */
export const SIGNATURE_BYTES: Readonly<Record<FrostVariant, number>> = { rfc9591: 65, bip340: 64 };

export function assertVariant(variant: unknown): asserts variant is FrostVariant {
  if (!FROST_VARIANTS.includes(variant as FrostVariant)) {
    throw new ParameterError(`unknown FROST variant ${String(variant)}`);
  }
}

export function frostSuite(variant: FrostVariant): FrostSuite {
  assertVariant(variant);
  return variant === "rfc9591" ? frostSecp256k1 : frostTaproot;
}

/**
 * Our member id as a noble Identifier. noble serialises `Identifier.fromNumber(i)` as the 32-byte
 * big-endian scalar i in hex, which is RFC 9591's SerializeScalar(i) for the small-integer identifiers
 * of its test vectors (binding_factor_input ends in 00…01 for participant 1).
 */
export function memberIdentifier(member: number): string {
  if (!Number.isInteger(member) || member < 1 || member > 0xffff) {
    throw new ParameterError(`member id must be 1..65535, got ${member}`);
  }
  return frostSecp256k1.Identifier.fromNumber(member);
}

/** The 32-byte x coordinate of P (its BIP-340 x-only encoding). */
export function xOnly(P: Point): Uint8Array {
  return encodePoint(P).subarray(1);
}

/** The point with x coordinate `x` and even y (BIP-340 lift_x); throws DecodeError if none exists. */
export function liftX(x: Uint8Array): Point {
  if (x.length !== 32) throw new ParameterError("x-only key expected 32 bytes");
  return decodePoint(concatBytes(Uint8Array.of(0x02), x));
}

/** The group key as each variant publishes it: 33-byte compressed (RFC 9591) or 32-byte x-only (BIP-340). */
export function groupKeyBytes(variant: FrostVariant, groupKey: Point): Uint8Array {
  return variant === "rfc9591" ? encodePoint(groupKey) : xOnly(groupKey);
}

/**
 * Independent check of a finished signature: RFC 9591 with noble's FROST `verify`, BIP-340 with the
 * single-key BIP-340 verifier (`schnorrVerify`), which shares no code with the FROST signing path.
 */
export function verifyFrostSignature(
  variant: FrostVariant,
  signature: Uint8Array,
  message: Uint8Array,
  groupKey: Point,
): boolean {
  if (signature.length !== SIGNATURE_BYTES[variant]) return false;
  if (variant === "bip340") return schnorrVerify(signature, message, xOnly(groupKey));
  try {
    return frostSecp256k1.verify(signature, message, encodePoint(groupKey));
  } catch {
    return false;
  }
}

/** The nonce point R of a signature (for BIP-340, the even-y point with x = x(R)). */
export function signatureNoncePoint(variant: FrostVariant, signature: Uint8Array): Point {
  if (signature.length !== SIGNATURE_BYTES[variant]) throw new ParameterError("signature length");
  return variant === "rfc9591" ? decodePoint(signature.subarray(0, 33)) : liftX(signature.subarray(0, 32));
}
