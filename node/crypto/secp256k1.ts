/**
 * secp256k1 for Shardless: the only file that imports @noble/curves. Everything here is a thin,
 * input-checking wrapper: scalars are bigints mod n, points are noble points, encodings are strict
 * (33-byte compressed points, or 65-byte uncompressed where a protocol's format says so, never the
 * identity; 32-byte big-endian scalars < n).
 *
 * Constant-time vs variable-time: `mulBase`, `mulBaseWide` and `mul` are constant-time (noble's
 * Point.multiply) and must be used for secret scalars; `mulPublic`, `mulBasePublicWide` and `msmPublic`
 * are variable-time and only for public values (checks, interpolation of commitments and public shares).
 */
import {
  secp256k1,
  schnorr,
  secp256k1_hasher,
  secp256k1_FROST,
  schnorr_FROST,
} from "@noble/curves/secp256k1.js";
import { normalizeZ, pippenger } from "@noble/curves/abstract/curve.js";
import { mapHashToField } from "@noble/curves/abstract/modular.js";
import { DecodeError, ParameterError } from "../protocol/errors.js";
import { defaultRng, type Rng } from "./rng.js";
import { utf8ToBytes } from "./hash.js";

const { Point } = secp256k1;
export type Point = InstanceType<typeof Point>;
export { Point };

/** Scalar field (mod n) operations from noble: add, sub, mul, neg, inv, pow, create, eql... */
export const Fn = Point.Fn;
/** Base field (mod p) operations from noble. */
export const Fp = Point.Fp;
/** The group order n. */
export const CURVE_ORDER: bigint = Fn.ORDER;
export const FIELD_PRIME: bigint = Fp.ORDER;
export const G: Point = Point.BASE;
export const IDENTITY: Point = Point.ZERO;

export const POINT_BYTES = 33;
export const POINT_BYTES_UNCOMPRESSED = 65;
export const SCALAR_BYTES = 32;

// ---- scalars ---------------------------------------------------------------------------------

/** Reduces any integer mod n. */
export const mod = (x: bigint): bigint => Fn.create(x);

/** Uniform non-zero scalar from `rng` (48 bytes reduced, bias < 2^-128, per RFC 9380 §5). */
export function randomScalar(rng: Rng = defaultRng): bigint {
  return Fn.fromBytes(mapHashToField(rng(48), CURVE_ORDER));
}

export function encodeScalar(s: bigint): Uint8Array {
  if (s < 0n || s >= CURVE_ORDER) throw new ParameterError("scalar out of range");
  return Fn.toBytes(s);
}

/** Strict: exactly 32 bytes, value < n. */
export function decodeScalar(bytes: Uint8Array): bigint {
  if (bytes.length !== SCALAR_BYTES) throw new DecodeError(`scalar expected ${SCALAR_BYTES} bytes`);
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (v >= CURVE_ORDER) throw new DecodeError("scalar not below the group order");
  return v;
}

/** Strict, and rejects zero. */
export function decodeNonZeroScalar(bytes: Uint8Array): bigint {
  const s = decodeScalar(bytes);
  if (s === 0n) throw new DecodeError("scalar is zero");
  return s;
}

export function scalarToBigEndian(s: bigint): Uint8Array {
  return encodeScalar(mod(s));
}

/** Big-endian bytes to integer (no reduction). */
export function bytesToNumber(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

// ---- points ----------------------------------------------------------------------------------

/** 33-byte SEC1 compressed encoding; the identity cannot be encoded. */
export function encodePoint(P: Point): Uint8Array {
  if (P.is0()) throw new ParameterError("cannot encode the identity point");
  return P.toBytes(true);
}

/** 65-byte uncompressed encoding (0x04 ‖ x ‖ y), for eciesjs and Ethereum addresses. */
export function encodePointUncompressed(P: Point): Uint8Array {
  if (P.is0()) throw new ParameterError("cannot encode the identity point");
  return P.toBytes(false);
}

/** Strict: 33 bytes, prefix 02/03, x < p, on the curve, not the identity. */
export function decodePoint(bytes: Uint8Array): Point {
  if (bytes.length !== POINT_BYTES) throw new DecodeError(`point expected ${POINT_BYTES} bytes`);
  if (bytes[0] !== 0x02 && bytes[0] !== 0x03) throw new DecodeError("point prefix must be 02 or 03");
  let P: Point;
  try {
    P = Point.fromBytes(bytes);
    P.assertValidity();
  } catch (cause) {
    throw new DecodeError("not a point on secp256k1", [], { cause });
  }
  if (P.is0()) throw new DecodeError("point is the identity");
  return P;
}

/** Accepts 33-byte compressed or 65-byte uncompressed encodings (eciesjs, user input). */
export function decodePointAny(bytes: Uint8Array): Point {
  if (bytes.length === POINT_BYTES) return decodePoint(bytes);
  if (bytes.length !== 65 || bytes[0] !== 0x04) throw new DecodeError("point expected 33 or 65 bytes");
  let P: Point;
  try {
    P = Point.fromBytes(bytes);
    P.assertValidity();
  } catch (cause) {
    throw new DecodeError("not a point on secp256k1", [], { cause });
  }
  if (P.is0()) throw new DecodeError("point is the identity");
  return P;
}

/**
 * Strict: exactly 65 bytes 04 ‖ x ‖ y, x and y < p, on the curve, not the identity. Checking y² = x³ + 7
 * costs a few field multiplications, where a compressed point needs a square root (~250 squarings):
 * for protocols that receive many points per message (batched presigning).
 */
export function decodePointUncompressed(bytes: Uint8Array): Point {
  if (bytes.length !== POINT_BYTES_UNCOMPRESSED || bytes[0] !== 0x04) {
    throw new DecodeError(`point expected ${POINT_BYTES_UNCOMPRESSED} bytes starting 04`);
  }
  return decodePointAny(bytes);
}

/** k·G, constant-time; k may be secret. Returns the identity for k = 0. */
export function mulBase(k: bigint): Point {
  const s = mod(k);
  return s === 0n ? IDENTITY : G.multiply(s);
}

/**
 * G again, with an 8-bit window table instead of noble's 6-bit one for Point.BASE: about 20% cheaper
 * fixed-base multiplications (fewer table additions), for protocols doing thousands per session
 * (batched presigning). The tables are built on first use, once per process (~6,300 points for the
 * blinded constant-time path and ~4,200 for the public one: ~8 MB, ~0.3 s), so only processes that
 * presign pay for them. Same noble code paths as G: Point.multiply (blinded, constant-time) for secrets.
 */
const G_WIDE: Point = Point.fromAffine(G.toAffine()).precompute(8);

/** k·G like `mulBase` (constant-time; k may be secret), through the wider table. */
export function mulBaseWide(k: bigint): Point {
  const s = mod(k);
  return s === 0n ? IDENTITY : G_WIDE.multiply(s);
}

/** k·G like `mulPublic(G, k)` (variable-time: public k only), through the wider table. */
export function mulBasePublicWide(k: bigint): Point {
  return G_WIDE.multiplyUnsafe(mod(k));
}

/** k·P, constant-time; k may be secret. */
export function mul(P: Point, k: bigint): Point {
  const s = mod(k);
  return s === 0n || P.is0() ? IDENTITY : P.multiply(s);
}

/** k·P, variable-time: only for public k. */
export function mulPublic(P: Point, k: bigint): Point {
  return P.multiplyUnsafe(mod(k));
}

/** Σ scalars[i]·points[i], variable-time: only for public values. */
export function msmPublic(points: readonly Point[], scalars: readonly bigint[]): Point {
  if (points.length !== scalars.length) throw new ParameterError("msm: length mismatch");
  if (points.length === 0) return IDENTITY;
  if (points.length <= 4) {
    let acc = IDENTITY;
    for (let i = 0; i < points.length; i++) acc = acc.add(points[i].multiplyUnsafe(mod(scalars[i])));
    return acc;
  }
  return pippenger(Point, points as Point[], scalars.map(mod));
}

/**
 * The same points with Z = 1 (affine), using one field inversion for the whole list instead of one
 * per point: later encodings, x/y reads and equality checks on them then skip their own inversion.
 * Public points only (the batch inversion is not constant-time in the Z values).
 */
export function normalizePoints(points: readonly Point[]): Point[] {
  return points.length === 0 ? [] : normalizeZ(Point, points as Point[]);
}

export function sumPoints(points: readonly Point[]): Point {
  return points.reduce((acc, P) => acc.add(P), IDENTITY);
}

/** True if the point's affine y is odd. */
export function hasOddY(P: Point): boolean {
  return (P.toAffine().y & 1n) === 1n;
}

/** Affine x coordinate as an integer (not reduced mod n). */
export function affineX(P: Point): bigint {
  return P.toAffine().x;
}

// ---- hashing to the field and the curve (RFC 9380) ------------------------------------------------

const asBytes = (x: string | Uint8Array) => (typeof x === "string" ? utf8ToBytes(x) : x);

/** RFC 9380 hash_to_field(msg, 1) with expand_message_xmd(SHA-256), L = 48, mod n. */
export function hashToScalar(msg: Uint8Array, dst: string | Uint8Array): bigint {
  return secp256k1_hasher.hashToScalar(msg, { DST: asBytes(dst) });
}

/** RFC 9380 hash_to_curve, suite secp256k1_XMD:SHA-256_SSWU_RO_. Point with unknown discrete log. */
export function hashToCurve(msg: Uint8Array, dst: string | Uint8Array): Point {
  const P = secp256k1_hasher.hashToCurve(msg, { DST: asBytes(dst) });
  return Point.fromAffine(P.toAffine());
}

// ---- single-key ECDSA / Schnorr (verification of threshold outputs, baselines, test oracles) ----------

/** Verifies a (r, s) ECDSA signature over a 32-byte digest (no prehash); low-s required unless told. */
export function ecdsaVerify(
  r: bigint,
  s: bigint,
  digest: Uint8Array,
  publicKey: Point,
  { lowS = true }: { lowS?: boolean } = {},
): boolean {
  if (r <= 0n || r >= CURVE_ORDER || s <= 0n || s >= CURVE_ORDER || digest.length !== 32) return false;
  const sig = new Uint8Array(64);
  sig.set(Fn.toBytes(r), 0);
  sig.set(Fn.toBytes(s), 32);
  try {
    return secp256k1.verify(sig, digest, publicKey.toBytes(true), { prehash: false, lowS });
  } catch {
    return false;
  }
}

/**
 * Public keys that verify many signatures, each with a 6-bit window table: a variable-time
 * multiplication by a tabled point costs ~0.5 ms here instead of ~1.8 ms. Bounded (least recently used
 * out): a table is ~1,400 points, built in ~20 ms on a key's first signature (8-bit tables save
 * another ~10% per multiplication but take ~70 ms to build).
 */
const VERIFY_TABLES: Point[] = []; // most recently used first
const MAX_VERIFY_TABLES = 32;

function tabled(publicKey: Point): Point {
  // Found by projective equality (a few field multiplications), not by an encoding of the key, which
  // would cost a field inversion for a point not in affine form.
  const at = VERIFY_TABLES.findIndex((P) => P.equals(publicKey));
  const P = at >= 0 ? VERIFY_TABLES.splice(at, 1)[0] : Point.fromAffine(publicKey.toAffine()).precompute(6);
  VERIFY_TABLES.unshift(P);
  if (VERIFY_TABLES.length > MAX_VERIFY_TABLES) VERIFY_TABLES.pop();
  return P;
}

/**
 * ECDSA verification when the signer's nonce point R is known (threshold signing: R is public from
 * presigning): true iff s ≠ 0 and s⁻¹·h·G + s⁻¹·r·Y = R exactly, with r = R.x mod n. That is the point
 * ordinary verification rebuilds (which compares only its x), so it implies that (r, s) verifies under
 * Y; and because it pins R itself, ecrecover with R's y-parity returns Y, and (r, n − s) with the other
 * parity does too (−R has the same x). Public values only (variable-time, tabled multiplications).
 */
export function ecdsaVerifyWithNonce(R: Point, s: bigint, digest: Uint8Array, publicKey: Point): boolean {
  if (s <= 0n || s >= CURVE_ORDER || digest.length !== 32 || R.is0() || publicKey.is0()) return false;
  const r = mod(affineX(R));
  if (r === 0n) return false;
  const sInv = Fn.inv(s);
  const h = mod(bytesToNumber(digest));
  const rebuilt = G_WIDE.multiplyUnsafe(Fn.mul(h, sInv)).add(
    tabled(publicKey).multiplyUnsafe(Fn.mul(r, sInv)),
  );
  return rebuilt.equals(R);
}

/** Recovers the public key from (r, s, recovery) over a 32-byte digest; null if impossible. */
export function ecdsaRecover(r: bigint, s: bigint, recovery: number, digest: Uint8Array): Point | null {
  try {
    const sig = new Uint8Array(65);
    sig[0] = recovery;
    sig.set(Fn.toBytes(r), 1);
    sig.set(Fn.toBytes(s), 33);
    const pub = secp256k1.recoverPublicKey(sig, digest, { prehash: false });
    return Point.fromBytes(pub);
  } catch {
    return null;
  }
}

/** Single-key ECDSA sign (baselines and tests only; threshold code never holds a whole key). */
export function ecdsaSignSingle(digest: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return secp256k1.sign(digest, secretKey, { prehash: false, format: "recovered" });
}

export function schnorrVerify(sig: Uint8Array, msg: Uint8Array, xOnlyPublicKey: Uint8Array): boolean {
  try {
    return schnorr.verify(sig, msg, xOnlyPublicKey);
  } catch {
    return false;
  }
}

/** Single-key BIP-340 sign (baselines and tests only). */
export function schnorrSignSingle(msg: Uint8Array, secretKey: Uint8Array, auxRand?: Uint8Array): Uint8Array {
  return schnorr.sign(msg, secretKey, auxRand);
}

export function schnorrPublicKey(secretKey: Uint8Array): Uint8Array {
  return schnorr.getPublicKey(secretKey);
}

/** noble's BIP-340 helpers: lift_x, taggedHash. */
export const schnorrUtils = schnorr.utils;

/** noble's single-key ECDSA object, for baselines and test oracles. */
export const ecdsaSingle = secp256k1;

/**
 * noble's RFC 9591 FROST(secp256k1, SHA-256) and its Taproot/BIP-340 variant. The FROST protocol in
 * protocols/frost wraps these (round math, share verification, aggregation) rather than rewriting it.
 */
export const frostSecp256k1 = secp256k1_FROST;
export const frostTaproot = schnorr_FROST;
