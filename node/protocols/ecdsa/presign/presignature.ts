/**
 * A presignature (specs/ecdsa.md §1.4 step 6): what one member keeps after presigning, for exactly one
 * later signature. The public part is the same at every member of S; the secret part is this member's
 * shares ρ_j of k⁻¹ (degree t), σ_j of k⁻¹·x (degree 2t) and d_j, e_j of zero (degree 2t). Shares of
 * (k⁻¹, k⁻¹·x) plus one signature reveal x: store them like key shares, use once, erase after use.
 */
import { ByteWriter, decodeWith } from "../../../protocol/codec.js";
import { DecodeError, ParameterError } from "../../../protocol/errors.js";
import { CURVE_ORDER, affineX, bytesToHex, hexToBytes, mod, type Point } from "../../../crypto/index.js";
import { PRESIG_ID_BYTES } from "./params.js";

/** What the combiner needs: identical at every member of S. */
export interface PresignaturePublic {
  /** 64 lowercase hex characters (32 bytes), bound to (session, keyId, epoch, S, index). */
  readonly presigId: string;
  readonly keyId: string;
  readonly epoch: number;
  /** S, ascending, exactly 2·degree+1 ids. */
  readonly signers: readonly number[];
  /** The group public key Y the signature must verify under. */
  readonly publicKey: Point;
  /** R = k·G; R.x < n (presignatures with R.x ≥ n are discarded: no Ethereum recovery id). */
  readonly R: Point;
  /** r = R.x mod n, never 0. */
  readonly r: bigint;
}

/** One member's presignature. Secret: ρ, σ, d, e. */
export interface Presignature extends PresignaturePublic {
  readonly self: number;
  readonly rho: bigint;
  readonly sigma: bigint;
  readonly d: bigint;
  readonly e: bigint;
}

export const PRESIGNATURE_FORMAT_VERSION = 1;

export function assertPresigId(presigId: string): void {
  if (typeof presigId !== "string" || !/^[0-9a-f]{64}$/.test(presigId)) {
    throw new ParameterError("presigId expected 64 lowercase hex characters");
  }
}

/** The public part only (what a coordinator keeps in its pool). */
export function presignaturePublic(p: PresignaturePublic): PresignaturePublic {
  const { presigId, keyId, epoch, signers, publicKey, R, r } = p;
  return { presigId, keyId, epoch, signers, publicKey, R, r };
}

/** Canonical encoding for the (encrypted) share store. The result is secret. */
export function encodePresignature(p: Presignature): Uint8Array {
  assertPresigId(p.presigId);
  return new ByteWriter()
    .u8(PRESIGNATURE_FORMAT_VERSION)
    .fixed(hexToBytes(p.presigId), PRESIG_ID_BYTES)
    .string(p.keyId)
    .u64(p.epoch)
    .u16s(p.signers)
    .u16(p.self)
    .point(p.publicKey)
    .point(p.R)
    .scalar(p.rho)
    .scalar(p.sigma)
    .scalar(p.d)
    .scalar(p.e)
    .finish();
}

/** Strict decoding; recomputes r from R and checks the invariants every presignature satisfies. */
export function decodePresignature(bytes: Uint8Array): Presignature {
  return decodeWith(bytes, (r) => {
    const version = r.u8();
    if (version !== PRESIGNATURE_FORMAT_VERSION) throw new DecodeError(`presignature version ${version}`);
    const presigId = bytesToHex(r.fixed(PRESIG_ID_BYTES, "presigId"));
    const keyId = r.string(256);
    const epoch = r.u64();
    const signers = r.u16s(1024);
    const self = r.u16();
    const publicKey = r.point();
    const R = r.point();
    const [rho, sigma, d, e] = [r.scalar(), r.scalar(), r.scalar(), r.scalar()];
    if (signers.length % 2 !== 1 || signers.some((id, k) => id < 1 || (k > 0 && id <= signers[k - 1]))) {
      throw new DecodeError("presignature: bad signer set");
    }
    if (!signers.includes(self)) throw new DecodeError("presignature: owner not in signer set");
    const x = affineX(R);
    if (x >= CURVE_ORDER || mod(x) === 0n) throw new DecodeError("presignature: unusable R");
    return { presigId, keyId, epoch, signers, self, publicKey, R, r: mod(x), rho, sigma, d, e };
  });
}
