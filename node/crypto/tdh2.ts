/**
 * TDH2 (Shoup–Gennaro 1998) on secp256k1 with an AES-256-GCM payload: specs/protocols.md §2.
 *
 *   keys      h = x·G (group key), h_i = x_i·G (verification shares), Ḡ = hash_to_curve (no known log)
 *   encrypt   dem = AES-GCM_K(iv, msg, AAD = label); L = SHA-256(CTX ‖ "L" ‖ u32(|label|) ‖ label ‖ iv ‖ dem)
 *             c = H1(r·h) ⊕ K; u = r·G; ū = r·Ḡ; e = H2(c, L, u, s·G, ū, s·Ḡ); f = s + r·e
 *   validity  e == H2(c, L, u, f·G − e·u, ū, f·Ḡ − e·ū)  (proof that log_G u = log_Ḡ ū, bound to c and L)
 *   share     u_i = x_i·u with a DLEQ proof (e_i, f_i) that log_G h_i = log_u u_i, challenge H4
 *   combine   r·h = Σ λ_i·u_i over a quorum of verified shares; K = c ⊕ H1(r·h); open the DEM
 *
 * Choices the spec leaves to us (pinned by test/crypto/tdh2.test.ts snapshots):
 * - Ḡ = hash_to_curve(msg = "TDH2-secp256k1-v1 gbar", DST = TDH2_GBAR_DST), suite
 *   secp256k1_XMD:SHA-256_SSWU_RO_. The DST follows RFC 9380 §3.1 (application tag, version, suite id).
 * - H2/H4 are RFC 9380 hash_to_field with DST = CTX ‖ "H2" / CTX ‖ "H4" (the spec's H_tag); ser(i) is the
 *   member id as a 32-byte scalar.
 * - Session binding (DESIGN invariant 7): the spec's H4 hashes no session id. When a `sessionId` is given,
 *   the challenge is H4 with DST = CTX ‖ "H4/session" over u32(|sid|) ‖ sid ‖ (the spec's H4 input), so a
 *   share proven in one session never verifies in another. Without `sessionId` the spec-exact H4 is used.
 *   Either way a share is bound to `u`, and through the ciphertext's validity proof to (c, L, label): a
 *   share never helps decrypt another ciphertext or the same KEM under another label.
 *
 * Secrets (r, s, K, x_i, proof nonces) only meet constant-time multiplication; checks use variable time.
 */
import { DecodeError, ParameterError, ShardlessError, VerificationError } from "../protocol/errors.js";
import { aesGcmDecrypt, aesGcmEncrypt } from "./aead.js";
import { concatBytes, sha256, utf8ToBytes, wipe } from "./hash.js";
import { interpolatePoint } from "./polynomial.js";
import { proveDleq, verifyDleq, type DleqStatement } from "./proofs/dleq.js";
import { defaultRng, type Rng } from "./rng.js";
import {
  Fn,
  G,
  decodePoint,
  decodeScalar,
  encodePoint,
  encodeScalar,
  hashToCurve,
  hashToScalar,
  mul,
  mulBase,
  mulPublic,
  randomScalar,
  type Point,
} from "./secp256k1.js";

/** The spec's context string CTX. */
export const TDH2_CONTEXT = "TDH2-secp256k1-SHA256-v1";
/** First byte of every TDH2 ciphertext. */
export const TDH2_VERSION = 0x01;
/** hash_to_curve input and domain separation tag of Ḡ. */
export const TDH2_GBAR_MESSAGE = "TDH2-secp256k1-v1 gbar";
export const TDH2_GBAR_DST = `${TDH2_CONTEXT}-gbar_secp256k1_XMD:SHA-256_SSWU_RO_`;

export const TDH2_IV_BYTES = 12;
export const TDH2_TAG_BYTES = 16;
/** Bytes of a ciphertext besides label and encrypted payload: version, u, ū, e, f, c, label length, iv. */
export const TDH2_FIXED_BYTES = 1 + 33 + 33 + 32 + 32 + 32 + 4 + TDH2_IV_BYTES;
/** Decoding caps: labels are short identifiers; payloads are bounded so a length field never allocates. */
export const TDH2_MAX_LABEL_BYTES = 1024;
export const TDH2_MAX_PLAINTEXT_BYTES = 16 * 1024 * 1024;

/** A ciphertext that fails its validity proof (tampered, or presented under another label). */
export class InvalidCiphertextError extends ShardlessError {
  readonly code = "INVALID_CIPHERTEXT";
}

export interface Tdh2Ciphertext {
  readonly label: Uint8Array;
  readonly iv: Uint8Array;
  /** AES-256-GCM ciphertext ‖ 16-byte tag. */
  readonly dem: Uint8Array;
  /** 32 bytes: H1(r·h) ⊕ K. */
  readonly c: Uint8Array;
  readonly u: Point;
  readonly uBar: Point;
  readonly e: bigint;
  readonly f: bigint;
}

/** Member `id`'s decryption share: u_i = x_i·u and its DLEQ proof (e_i, f_i). */
export interface Tdh2DecryptionShare {
  readonly id: number;
  readonly ui: Point;
  readonly ei: bigint;
  readonly fi: bigint;
}

export interface Tdh2ShareOptions {
  /** Binds the share's proof to one protocol session (see the header). */
  readonly sessionId?: Uint8Array;
}

const CTX = utf8ToBytes(TDH2_CONTEXT);
const DST_H2 = TDH2_CONTEXT + "H2";
const DST_H4 = TDH2_CONTEXT + "H4";
const DST_H4_SESSION = TDH2_CONTEXT + "H4/session";

let gbar: Point | undefined;
/** The second generator Ḡ (computed once, with a wNAF table: every validity check multiplies it). */
export function tdh2Gbar(): Point {
  if (gbar === undefined) {
    gbar = hashToCurve(utf8ToBytes(TDH2_GBAR_MESSAGE), TDH2_GBAR_DST);
    gbar.precompute(8, false);
  }
  return gbar;
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** H1(P) = SHA-256(CTX ‖ "H1" ‖ ser(P)): the 32-byte mask of the DEM key. */
function h1(P: Point): Uint8Array {
  return sha256(concatBytes(CTX, utf8ToBytes("H1"), encodePoint(P)));
}

/** L = SHA-256(CTX ‖ "L" ‖ u32be(|label|) ‖ label ‖ iv ‖ dem): binds the DEM into the KEM's proof. */
function bindingHash(label: Uint8Array, iv: Uint8Array, dem: Uint8Array): Uint8Array {
  const h = sha256.create();
  h.update(CTX).update(utf8ToBytes("L")).update(u32be(label.length)).update(label).update(iv).update(dem);
  return h.digest();
}

function h2(c: Uint8Array, L: Uint8Array, u: Point, w: Point, uBar: Point, wBar: Point): bigint {
  const input = concatBytes(
    c,
    u32be(L.length),
    L,
    encodePoint(u),
    encodePoint(w),
    encodePoint(uBar),
    encodePoint(wBar),
  );
  return hashToScalar(input, DST_H2);
}

/** H4 over ser(i) ‖ ser(h_i) ‖ ser(u) ‖ ser(u_i) ‖ ser(û_i) ‖ ser(ĥ_i), session-bound if asked. */
function h4(id: number, hi: Point, u: Point, ui: Point, uHat: Point, hHat: Point, sid?: Uint8Array): bigint {
  const body = concatBytes(
    encodeScalar(BigInt(id)),
    encodePoint(hi),
    encodePoint(u),
    encodePoint(ui),
    encodePoint(uHat),
    encodePoint(hHat),
  );
  if (sid === undefined) return hashToScalar(body, DST_H4);
  return hashToScalar(concatBytes(u32be(sid.length), sid, body), DST_H4_SESSION);
}

function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ParameterError(`\`${name}\` expected Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new ParameterError(`\`${name}\` expected ${length} bytes`);
  }
}

function assertMemberId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new ParameterError("`id` expected 1..65535");
}

function assertGroupKey(groupKey: Point): void {
  try {
    groupKey.assertValidity();
  } catch (cause) {
    throw new ParameterError("`groupKey` is not a valid point", [], { cause });
  }
  if (groupKey.is0()) throw new ParameterError("`groupKey` is the identity");
}

function xor32(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let k = 0; k < 32; k++) out[k] = a[k] ^ b[k];
  return out;
}

// ---- encryption -----------------------------------------------------------------------------------

/** Encrypts `msg` under `label` to the group key `groupKey` (= h). Randomness: K, iv, r, s in that order. */
export function tdh2Encrypt(
  msg: Uint8Array,
  label: Uint8Array,
  groupKey: Point,
  rng: Rng = defaultRng,
): Tdh2Ciphertext {
  assertBytes(msg, "msg");
  assertBytes(label, "label");
  if (label.length > TDH2_MAX_LABEL_BYTES) throw new ParameterError("`label` too long");
  if (msg.length > TDH2_MAX_PLAINTEXT_BYTES) throw new ParameterError("`msg` too long");
  assertGroupKey(groupKey);
  const K = rng(32);
  const iv = rng(TDH2_IV_BYTES);
  const dem = aesGcmEncrypt(K, iv, msg, label);
  const L = bindingHash(label, iv, dem);
  const r = randomScalar(rng);
  const s = randomScalar(rng);
  const Gbar = tdh2Gbar();
  const mask = h1(mul(groupKey, r));
  const c = xor32(mask, K);
  const u = mulBase(r);
  const uBar = mul(Gbar, r);
  const e = h2(c, L, u, mulBase(s), uBar, mul(Gbar, s));
  const f = Fn.add(s, Fn.mul(r, e));
  wipe(K, mask);
  return { label: label.slice(), iv, dem, c, u, uBar, e, f };
}

// ---- validity -----------------------------------------------------------------------------------

/** Ciphertext objects returned by tdh2Validate: frozen copies whose proof was checked once. */
const validated = new WeakSet<Tdh2Ciphertext>();

/** The spec's validity check: recompute L, w, w̄ and compare e. Never throws on a well-formed value. */
export function tdh2IsValid(ct: Tdh2Ciphertext): boolean {
  if (validated.has(ct)) return true;
  if (ct.u.is0() || ct.uBar.is0()) return false;
  const L = bindingHash(ct.label, ct.iv, ct.dem);
  const w = mulPublic(G, ct.f).subtract(mulPublic(ct.u, ct.e));
  const wBar = mulPublic(tdh2Gbar(), ct.f).subtract(mulPublic(ct.uBar, ct.e));
  if (w.is0() || wBar.is0()) return false;
  return h2(ct.c, L, ct.u, w, ct.uBar, wBar) === ct.e;
}

/** Throws InvalidCiphertextError unless the ciphertext is valid. */
export function assertTdh2Valid(ct: Tdh2Ciphertext): void {
  if (!tdh2IsValid(ct)) {
    throw new InvalidCiphertextError("TDH2 ciphertext fails its validity proof (tampered or relabelled)");
  }
}

/**
 * Checks validity once and returns a frozen copy (own byte arrays) that tdh2DecryptionShare and
 * tdh2Combine accept without checking again. Treat its byte arrays as immutable.
 */
export function tdh2Validate(ct: Tdh2Ciphertext): Tdh2Ciphertext {
  if (validated.has(ct)) return ct;
  const copy: Tdh2Ciphertext = Object.freeze({
    ...ct,
    label: ct.label.slice(),
    iv: ct.iv.slice(),
    dem: ct.dem.slice(),
    c: ct.c.slice(),
  });
  assertTdh2Valid(copy);
  validated.add(copy);
  return copy;
}

// ---- decryption shares ----------------------------------------------------------------------------

function shareStatement(hi: Point, u: Point, ui: Point): DleqStatement {
  return { B1: G, X1: hi, B2: u, X2: ui };
}

/**
 * Member `id`'s decryption share, after the validity check (an invalid ciphertext yields no share:
 * InvalidCiphertextError). The caller must have checked the application's policy for `ct.label` first.
 */
export function tdh2DecryptionShare(
  ct: Tdh2Ciphertext,
  id: number,
  secretShare: bigint,
  rng: Rng = defaultRng,
  options: Tdh2ShareOptions = {},
): Tdh2DecryptionShare {
  assertMemberId(id);
  if (options.sessionId !== undefined) assertBytes(options.sessionId, "sessionId");
  assertTdh2Valid(ct);
  const hi = mulBase(secretShare);
  const ui = mul(ct.u, secretShare);
  // DLEQ with B1 = G, B2 = u: the prover's A1 = k·G is ĥ_i and A2 = k·u is û_i.
  const proof = proveDleq(
    secretShare,
    shareStatement(hi, ct.u, ui),
    (hHat, uHat) => h4(id, hi, ct.u, ui, uHat, hHat, options.sessionId),
    rng,
  );
  return { id, ui, ei: proof.c, fi: proof.z };
}

/** The spec's share verification against the member's verification share h_i. */
export function tdh2VerifyShare(
  ct: Tdh2Ciphertext,
  share: Tdh2DecryptionShare,
  verificationShare: Point,
  options: Tdh2ShareOptions = {},
): boolean {
  if (!Number.isInteger(share.id) || share.id < 1 || share.id > 0xffff) return false;
  if (share.ui.is0()) return false;
  return verifyDleq(
    shareStatement(verificationShare, ct.u, share.ui),
    { c: share.ei, z: share.fi },
    (hHat, uHat) => h4(share.id, verificationShare, ct.u, share.ui, uHat, hHat, options.sessionId),
  );
}

/**
 * Combines `quorum` verified shares (the lowest ids given are used) and opens the DEM. The ciphertext's
 * validity is checked again; AES-GCM authentication is the final check (VerificationError if it fails,
 * which verified shares make possible only for a ciphertext built wrongly by its encryptor).
 * Callers pass only shares that passed tdh2VerifyShare.
 */
export function tdh2Combine(
  ct: Tdh2Ciphertext,
  shares: readonly Tdh2DecryptionShare[],
  quorum: number,
): Uint8Array {
  if (!Number.isInteger(quorum) || quorum < 1) throw new ParameterError("`quorum` expected integer >= 1");
  const byId = new Map<number, Tdh2DecryptionShare>();
  for (const s of shares) {
    if (byId.has(s.id)) throw new ParameterError(`two shares from member ${s.id}`);
    byId.set(s.id, s);
  }
  if (byId.size < quorum) throw new ParameterError(`need ${quorum} shares, got ${byId.size}`);
  assertTdh2Valid(ct);
  const chosen = [...byId.values()].sort((a, b) => a.id - b.id).slice(0, quorum);
  const rh = interpolatePoint(chosen.map((s) => ({ x: s.id, y: s.ui })));
  if (rh.is0()) throw new VerificationError("combined TDH2 shares give the identity");
  const mask = h1(rh);
  const K = xor32(ct.c, mask);
  try {
    return aesGcmDecrypt(K, ct.iv, ct.dem, ct.label);
  } catch (cause) {
    throw new VerificationError("TDH2 payload failed authentication", [], { cause });
  } finally {
    wipe(K, mask);
  }
}

// ---- byte format ------------------------------------------------------------------------------------

/** 0x01 ‖ u 33 ‖ ū 33 ‖ e 32 ‖ f 32 ‖ c 32 ‖ u32be(|label|) ‖ label ‖ iv 12 ‖ dem (ct ‖ tag). */
export function encodeTdh2Ciphertext(ct: Tdh2Ciphertext): Uint8Array {
  assertBytes(ct.c, "c", 32);
  assertBytes(ct.iv, "iv", TDH2_IV_BYTES);
  assertBytes(ct.label, "label");
  assertBytes(ct.dem, "dem");
  if (ct.label.length > TDH2_MAX_LABEL_BYTES) throw new ParameterError("`label` too long");
  if (ct.dem.length < TDH2_TAG_BYTES) throw new ParameterError("`dem` shorter than its tag");
  return concatBytes(
    Uint8Array.of(TDH2_VERSION),
    encodePoint(ct.u),
    encodePoint(ct.uBar),
    encodeScalar(ct.e),
    encodeScalar(ct.f),
    ct.c,
    u32be(ct.label.length),
    ct.label,
    ct.iv,
    ct.dem,
  );
}

/** Strict: version 1, valid non-identity points, scalars < n, label and payload within caps. */
export function decodeTdh2Ciphertext(bytes: Uint8Array): Tdh2Ciphertext {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError("ciphertext expected bytes");
  if (bytes.length < TDH2_FIXED_BYTES + TDH2_TAG_BYTES) throw new DecodeError("TDH2 ciphertext too short");
  if (bytes[0] !== TDH2_VERSION) throw new DecodeError(`unsupported TDH2 ciphertext version ${bytes[0]}`);
  const labelLength = new DataView(bytes.buffer, bytes.byteOffset + 163, 4).getUint32(0);
  if (labelLength > TDH2_MAX_LABEL_BYTES) throw new DecodeError("TDH2 label exceeds its cap");
  const demStart = TDH2_FIXED_BYTES + labelLength;
  if (bytes.length < demStart + TDH2_TAG_BYTES) throw new DecodeError("TDH2 ciphertext truncated");
  if (bytes.length - demStart > TDH2_MAX_PLAINTEXT_BYTES + TDH2_TAG_BYTES) {
    throw new DecodeError("TDH2 payload exceeds its cap");
  }
  return {
    u: decodePoint(bytes.subarray(1, 34)),
    uBar: decodePoint(bytes.subarray(34, 67)),
    e: decodeScalar(bytes.subarray(67, 99)),
    f: decodeScalar(bytes.subarray(99, 131)),
    c: bytes.slice(131, 163),
    label: bytes.slice(167, 167 + labelLength),
    iv: bytes.slice(167 + labelLength, demStart),
    dem: bytes.slice(demStart),
  };
}

// ---- share encoding (99 bytes: u16 id ‖ u_i ‖ e_i ‖ f_i) ---------------------------------------------

export const TDH2_SHARE_BYTES = 2 + 33 + 32 + 32;

export function encodeTdh2Share(share: Tdh2DecryptionShare): Uint8Array {
  assertMemberId(share.id);
  return concatBytes(
    Uint8Array.of(share.id >> 8, share.id & 0xff),
    encodePoint(share.ui),
    encodeScalar(share.ei),
    encodeScalar(share.fi),
  );
}

export function decodeTdh2Share(bytes: Uint8Array): Tdh2DecryptionShare {
  if (bytes.length !== TDH2_SHARE_BYTES)
    throw new DecodeError(`TDH2 share expected ${TDH2_SHARE_BYTES} bytes`);
  const id = (bytes[0] << 8) | bytes[1];
  if (id === 0) throw new DecodeError("TDH2 share id is zero");
  return {
    id,
    ui: decodePoint(bytes.subarray(2, 35)),
    ei: decodeScalar(bytes.subarray(35, 67)),
    fi: decodeScalar(bytes.subarray(67, 99)),
  };
}
