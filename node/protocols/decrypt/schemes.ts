/**
 * The two ciphertext kinds the decrypt protocol handles, behind one shape: TDH2 (specs/protocols.md §2)
 * and eciesjs ECIES (§3, §3.1). Shares of both are a point plus a Chaum–Pedersen proof (c, z) bound to
 * the session id (see node/crypto/tdh2.ts and node/crypto/ecies.ts for the exact challenges).
 */
import {
  decodeTdh2Ciphertext,
  tdh2Combine,
  tdh2DecryptionShare,
  tdh2Validate,
  tdh2VerifyShare,
  type Tdh2Ciphertext,
} from "../../crypto/tdh2.js";
import {
  decodeEciesCiphertext,
  eciesCombine,
  eciesDecryptionShare,
  eciesVerifyShare,
  type EciesCiphertext,
  type EciesOptions,
} from "../../crypto/ecies.js";
import type { Rng } from "../../crypto/rng.js";
import type { Point } from "../../crypto/secp256k1.js";

export const DECRYPT_SCHEMES = ["tdh2", "ecies"] as const;
export type DecryptScheme = (typeof DECRYPT_SCHEMES)[number];

/** A decryption share on the wire: the point (u_i or D_i) and its proof (e_i/c, f_i/z). */
export interface ShareFields {
  readonly point: Point;
  readonly c: bigint;
  readonly z: bigint;
}

export interface MemberShare {
  readonly id: number;
  readonly fields: ShareFields;
}

export type ParsedCiphertext =
  | { readonly scheme: "tdh2"; readonly ct: Tdh2Ciphertext }
  | { readonly scheme: "ecies"; readonly ct: EciesCiphertext; readonly options: EciesOptions };

/** Strict decoding (DecodeError). Does not check TDH2 validity: see checkCiphertext. */
export function parseCiphertext(
  scheme: DecryptScheme,
  bytes: Uint8Array,
  ecies: EciesOptions = {},
): ParsedCiphertext {
  return scheme === "tdh2"
    ? { scheme, ct: decodeTdh2Ciphertext(bytes) }
    : { scheme, ct: decodeEciesCiphertext(bytes, ecies), options: ecies };
}

/**
 * TDH2: the validity proof (InvalidCiphertextError); returns the ciphertext marked as checked so shares
 * and combination do not check it again. ECIES has no proof: decoding already checked E.
 */
export function checkCiphertext(p: ParsedCiphertext): ParsedCiphertext {
  return p.scheme === "tdh2" ? { scheme: "tdh2", ct: tdh2Validate(p.ct) } : p;
}

export function ciphertextLabel(p: ParsedCiphertext): Uint8Array | undefined {
  return p.scheme === "tdh2" ? p.ct.label : undefined;
}

/** Member `id`'s share for session `sessionId` (TDH2: checks validity unless checkCiphertext did). */
export function makeShare(
  p: ParsedCiphertext,
  id: number,
  secretShare: bigint,
  sessionId: Uint8Array,
  rng: Rng,
): ShareFields {
  if (p.scheme === "tdh2") {
    const s = tdh2DecryptionShare(p.ct, id, secretShare, rng, { sessionId });
    return { point: s.ui, c: s.ei, z: s.fi };
  }
  const s = eciesDecryptionShare(p.ct.ephemeralKey, id, secretShare, sessionId, rng);
  return { point: s.D, c: s.c, z: s.z };
}

export function verifyShare(
  p: ParsedCiphertext,
  share: MemberShare,
  verificationShare: Point,
  sessionId: Uint8Array,
): boolean {
  const { id, fields } = share;
  if (p.scheme === "tdh2") {
    return tdh2VerifyShare(p.ct, { id, ui: fields.point, ei: fields.c, fi: fields.z }, verificationShare, {
      sessionId,
    });
  }
  return eciesVerifyShare(
    p.ct.ephemeralKey,
    { id, D: fields.point, c: fields.c, z: fields.z },
    verificationShare,
    sessionId,
  );
}

/** Lagrange in the exponent over `quorum` verified shares, then the DEM (AES-GCM is the last check). */
export function combineShares(
  p: ParsedCiphertext,
  shares: readonly MemberShare[],
  quorum: number,
): Uint8Array {
  if (p.scheme === "tdh2") {
    return tdh2Combine(
      p.ct,
      shares.map(({ id, fields }) => ({ id, ui: fields.point, ei: fields.c, fi: fields.z })),
      quorum,
    );
  }
  return eciesCombine(
    p.ct,
    shares.map(({ id, fields }) => ({ id, D: fields.point, c: fields.c, z: fields.z })),
    quorum,
    p.options,
  );
}
