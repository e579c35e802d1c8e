/**
 * eciesjs 0.5 ciphertexts (secp256k1 defaults, specs/protocols.md §3) and their threshold decryption
 * without assembling the key (§3.1).
 *
 *   format    E (65 B uncompressed, or 33 B if the sender set isEphemeralKeyCompressed) ‖ nonce 16 ‖ tag 16 ‖ ct
 *   share     D_i = x_i·E with a DLEQ proof that log_G X_i = log_E D_i
 *   combine   Z = Σ λ_i·D_i = x·E;  key = HKDF-SHA256(uncompressed(E) ‖ uncompressed(Z), no salt, no info, 32)
 *             AES-256-GCM open (nonce, ct ‖ tag), no AAD
 *
 * The ephemeral key's encoding is detected from its first byte (04 → 65 bytes, 02/03 → 33 bytes). The HKDF
 * input always uses the encoding of `hkdfKeyCompressed` (eciesjs isHkdfKeyCompressed, default false),
 * independent of how E was sent, exactly like eciesjs.
 *
 * DLEQ challenge (§3.1, plus a session id): c = hash_to_field(u32be(|sid|) ‖ sid ‖ ser(i) ‖ ser(X_i) ‖
 * ser(E) ‖ ser(D_i) ‖ ser(A1) ‖ ser(A2)) with DST = "SHARDLESS-secp256k1-SHA256-v1/ecies-dleq". The spec's
 * input has no session id; we prefix it so a share proven in one session never verifies in another
 * (DESIGN invariant 7). ECIES has no label, so each share is an x_i·E oracle for any point: the policy
 * deciding who may ask must be enforced before a share is made (protocols/decrypt does).
 */
import { DecodeError, ParameterError, VerificationError } from "../protocol/errors.js";
import { aesGcmDecrypt, aesGcmEncrypt } from "./aead.js";
import { concatBytes, hkdfSha256, wipe } from "./hash.js";
import { interpolatePoint } from "./polynomial.js";
import { proveDleq, verifyDleq, type DleqStatement } from "./proofs/dleq.js";
import { defaultRng, type Rng } from "./rng.js";
import {
  G,
  decodePoint,
  decodePointAny,
  decodeScalar,
  encodePoint,
  encodePointUncompressed,
  encodeScalar,
  hashToScalar,
  mul,
  mulBase,
  randomScalar,
  type Point,
} from "./secp256k1.js";
import { DST_PREFIX } from "./transcript.js";

export const ECIES_TAG_BYTES = 16;
/** eciesjs default symmetricNonceLength (AES-256-GCM with a 16-byte nonce). */
export const ECIES_DEFAULT_NONCE_BYTES = 16;
export const ECIES_MAX_PLAINTEXT_BYTES = 16 * 1024 * 1024;
export const ECIES_DLEQ_DST = DST_PREFIX + "ecies-dleq";

/** eciesjs settings that change the bytes (the secp256k1 / AES-256-GCM ones). */
export interface EciesOptions {
  /** eciesjs symmetricNonceLength. @default 16 */
  readonly nonceLength?: 12 | 16;
  /** eciesjs isHkdfKeyCompressed. @default false */
  readonly hkdfKeyCompressed?: boolean;
}

export interface EciesCiphertext {
  readonly ephemeralKey: Point;
  /** Whether E was sent compressed (33 bytes) rather than uncompressed (65 bytes). */
  readonly ephemeralCompressed: boolean;
  readonly nonce: Uint8Array;
  readonly tag: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** Member `id`'s share D_i = x_i·E with its DLEQ proof (c, z). */
export interface EciesDecryptionShare {
  readonly id: number;
  readonly D: Point;
  readonly c: bigint;
  readonly z: bigint;
}

function nonceLength(options: EciesOptions): number {
  const n = options.nonceLength ?? ECIES_DEFAULT_NONCE_BYTES;
  if (n !== 12 && n !== 16) throw new ParameterError("`nonceLength` expected 12 or 16");
  return n;
}

function assertSessionId(sessionId: unknown): asserts sessionId is Uint8Array {
  if (!(sessionId instanceof Uint8Array) || sessionId.length === 0 || sessionId.length > 255) {
    throw new ParameterError("`sessionId` expected 1..255 bytes");
  }
}

function assertMemberId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new ParameterError("`id` expected 1..65535");
}

/** Strict parse of an eciesjs ciphertext; the ephemeral key's length comes from its prefix byte. */
export function decodeEciesCiphertext(bytes: Uint8Array, options: EciesOptions = {}): EciesCiphertext {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0)
    throw new DecodeError("ciphertext expected bytes");
  const nlen = nonceLength(options);
  const prefix = bytes[0];
  const keyLength = prefix === 0x04 ? 65 : prefix === 0x02 || prefix === 0x03 ? 33 : 0;
  if (keyLength === 0) throw new DecodeError("ephemeral key prefix must be 02, 03 or 04");
  if (bytes.length < keyLength + nlen + ECIES_TAG_BYTES) throw new DecodeError("ECIES ciphertext too short");
  if (bytes.length - keyLength - nlen - ECIES_TAG_BYTES > ECIES_MAX_PLAINTEXT_BYTES) {
    throw new DecodeError("ECIES payload exceeds its cap");
  }
  const ephemeralKey = decodePointAny(bytes.subarray(0, keyLength));
  let off = keyLength;
  const nonce = bytes.slice(off, (off += nlen));
  const tag = bytes.slice(off, (off += ECIES_TAG_BYTES));
  return { ephemeralKey, ephemeralCompressed: keyLength === 33, nonce, tag, ciphertext: bytes.slice(off) };
}

export function encodeEciesCiphertext(ct: EciesCiphertext): Uint8Array {
  const E = ct.ephemeralCompressed ? encodePoint(ct.ephemeralKey) : encodePointUncompressed(ct.ephemeralKey);
  if (ct.tag.length !== ECIES_TAG_BYTES) throw new ParameterError("`tag` expected 16 bytes");
  return concatBytes(E, ct.nonce, ct.tag, ct.ciphertext);
}

function sharedKey(E: Point, Z: Point, options: EciesOptions): Uint8Array {
  const enc = options.hkdfKeyCompressed ? encodePoint : encodePointUncompressed;
  return hkdfSha256(concatBytes(enc(E), enc(Z)), undefined, undefined, 32);
}

/**
 * Single-key ECIES encryption, byte-compatible with eciesjs `encrypt` (same options). For deterministic
 * tests and benchmarks (`rng` parameter); applications may as well use eciesjs itself.
 */
export function eciesEncrypt(
  receiver: Point,
  msg: Uint8Array,
  rng: Rng = defaultRng,
  options: EciesOptions & { readonly ephemeralCompressed?: boolean } = {},
): Uint8Array {
  if (receiver.is0()) throw new ParameterError("`receiver` is the identity");
  if (msg.length > ECIES_MAX_PLAINTEXT_BYTES) throw new ParameterError("`msg` too long");
  const r = randomScalar(rng);
  const E = mulBase(r);
  const key = sharedKey(E, mul(receiver, r), options);
  const nonce = rng(nonceLength(options));
  const sealed = aesGcmEncrypt(key, nonce, msg);
  wipe(key);
  const split = sealed.length - ECIES_TAG_BYTES;
  return encodeEciesCiphertext({
    ephemeralKey: E,
    ephemeralCompressed: options.ephemeralCompressed ?? false,
    nonce,
    tag: sealed.slice(split),
    ciphertext: sealed.slice(0, split),
  });
}

// ---- threshold decryption ---------------------------------------------------------------------------

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function challenge(
  sid: Uint8Array,
  id: number,
  Xi: Point,
  E: Point,
  Di: Point,
  A1: Point,
  A2: Point,
): bigint {
  const input = concatBytes(
    u32be(sid.length),
    sid,
    encodeScalar(BigInt(id)),
    encodePoint(Xi),
    encodePoint(E),
    encodePoint(Di),
    encodePoint(A1),
    encodePoint(A2),
  );
  return hashToScalar(input, ECIES_DLEQ_DST);
}

function statement(Xi: Point, E: Point, Di: Point): DleqStatement {
  return { B1: G, X1: Xi, B2: E, X2: Di };
}

/** D_i = x_i·E with its session-bound DLEQ proof. The caller must have applied the decryption policy. */
export function eciesDecryptionShare(
  ephemeralKey: Point,
  id: number,
  secretShare: bigint,
  sessionId: Uint8Array,
  rng: Rng = defaultRng,
): EciesDecryptionShare {
  assertMemberId(id);
  assertSessionId(sessionId);
  if (ephemeralKey.is0()) throw new ParameterError("`ephemeralKey` is the identity");
  const Xi = mulBase(secretShare);
  const D = mul(ephemeralKey, secretShare);
  const proof = proveDleq(
    secretShare,
    statement(Xi, ephemeralKey, D),
    (A1, A2) => challenge(sessionId, id, Xi, ephemeralKey, D, A1, A2),
    rng,
  );
  return { id, D, c: proof.c, z: proof.z };
}

/** Checks a share against the member's verification share X_i, in session `sessionId`. */
export function eciesVerifyShare(
  ephemeralKey: Point,
  share: EciesDecryptionShare,
  verificationShare: Point,
  sessionId: Uint8Array,
): boolean {
  assertSessionId(sessionId);
  if (!Number.isInteger(share.id) || share.id < 1 || share.id > 0xffff || share.D.is0()) return false;
  return verifyDleq(
    statement(verificationShare, ephemeralKey, share.D),
    { c: share.c, z: share.z },
    (A1, A2) => challenge(sessionId, share.id, verificationShare, ephemeralKey, share.D, A1, A2),
  );
}

/**
 * Combines `quorum` verified shares (lowest ids first), derives eciesjs' key and opens the payload.
 * AES-GCM authentication is the final check: VerificationError if it fails.
 */
export function eciesCombine(
  ct: EciesCiphertext,
  shares: readonly EciesDecryptionShare[],
  quorum: number,
  options: EciesOptions = {},
): Uint8Array {
  if (!Number.isInteger(quorum) || quorum < 1) throw new ParameterError("`quorum` expected integer >= 1");
  const byId = new Map<number, EciesDecryptionShare>();
  for (const s of shares) {
    if (byId.has(s.id)) throw new ParameterError(`two shares from member ${s.id}`);
    byId.set(s.id, s);
  }
  if (byId.size < quorum) throw new ParameterError(`need ${quorum} shares, got ${byId.size}`);
  if (ct.nonce.length !== nonceLength(options)) throw new ParameterError("nonce length differs from options");
  const chosen = [...byId.values()].sort((a, b) => a.id - b.id).slice(0, quorum);
  const Z = interpolatePoint(chosen.map((s) => ({ x: s.id, y: s.D })));
  if (Z.is0()) throw new VerificationError("combined ECIES shares give the identity");
  const key = sharedKey(ct.ephemeralKey, Z, options);
  try {
    return aesGcmDecrypt(key, ct.nonce, concatBytes(ct.ciphertext, ct.tag));
  } catch (cause) {
    throw new VerificationError("ECIES payload failed authentication", [], { cause });
  } finally {
    wipe(key);
  }
}

// ---- share encoding (99 bytes: u16 id ‖ D ‖ c ‖ z) ----------------------------------------------------

export const ECIES_SHARE_BYTES = 2 + 33 + 32 + 32;

export function encodeEciesShare(share: EciesDecryptionShare): Uint8Array {
  assertMemberId(share.id);
  return concatBytes(
    Uint8Array.of(share.id >> 8, share.id & 0xff),
    encodePoint(share.D),
    encodeScalar(share.c),
    encodeScalar(share.z),
  );
}

export function decodeEciesShare(bytes: Uint8Array): EciesDecryptionShare {
  if (bytes.length !== ECIES_SHARE_BYTES)
    throw new DecodeError(`ECIES share expected ${ECIES_SHARE_BYTES} bytes`);
  const id = (bytes[0] << 8) | bytes[1];
  if (id === 0) throw new DecodeError("ECIES share id is zero");
  return {
    id,
    D: decodePoint(bytes.subarray(2, 35)),
    c: decodeScalar(bytes.subarray(35, 67)),
    z: decodeScalar(bytes.subarray(67, 99)),
  };
}
