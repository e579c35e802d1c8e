/**
 * Presigning parameters, session and presignature ids (specs/ecdsa.md §1.4, §1.7). Shared by the three
 * rounds: the context is computed once per session and flows, immutable, from round to round.
 *
 * Participants S: exactly 2t+1 members (t = the key's degree), ascending. Never more (§1.7: with more
 * presigners, two different 2t+1 subsets could sign different digests with one presignature, which
 * leaks the key), never fewer (the degree-2t opening of w and s needs 2t+1 shares).
 */
import { Fn, Transcript, bytesToHex, lagrangeCoefficients, type Point } from "../../../crypto/index.js";
import { ParameterError } from "../../../protocol/errors.js";
import { quorum, type KeyShare } from "../../../protocol/key-share.js";
import { deriveSessionId } from "../../../protocol/session.js";
import { ByteWriter } from "../../../protocol/codec.js";
import { DegreeCheck, ZeroInterpolator } from "./consistency.js";

export const PRESIGN_PROTOCOL = "ecdsa-presign";
/** Most presignatures one session may produce (a round-1 message is ~160 B per presignature per peer). */
export const PRESIGN_MAX_BATCH = 1000;
export const PRESIG_ID_BYTES = 32;

export interface PresignParams {
  /** This member's ECDSA key share (current epoch). */
  readonly share: KeyShare;
  /** S: exactly 2·degree+1 member ids, ascending, including this member. */
  readonly signers: readonly number[];
  /** How many presignatures this session produces. */
  readonly batch: number;
  /** 32 bytes agreed by all of S, from `presignSessionId`. */
  readonly sessionId: Uint8Array;
}

/** Everything the rounds of one session share. Contains the secret key share: never log it. */
export interface PresignContext {
  readonly self: number;
  readonly keyId: string;
  readonly epoch: number;
  readonly degree: number;
  readonly signers: readonly number[];
  /** S without self: whom each round expects a message from. */
  readonly others: readonly number[];
  readonly batch: number;
  readonly sessionId: Uint8Array;
  readonly publicKey: Point;
  readonly secretShare: bigint;
  /** λ_j^S(0) for every j ∈ S, in the order of `signers` (degree-2t opening of w). */
  readonly lambdas: readonly bigint[];
  /** C1: the R_j lie on a degree-t polynomial over S. */
  readonly checkR: DegreeCheck;
  /** C2 + C3: the W_j, with w·G at 0, lie on a degree-t polynomial over S ∪ {0} (0 last). */
  readonly checkW: DegreeCheck;
  readonly openR: ZeroInterpolator;
  /** The ids of this session's presignatures, in batch order. */
  readonly presigIds: readonly string[];
}

/** Checks S against the key: exactly quorum = 2t+1 ids, ascending, all holding shares. */
export function assertSigners(signers: readonly number[], degree: number, holders: readonly number[]): void {
  const expected = quorum("ecdsa", degree);
  if (signers.length !== expected) {
    throw new ParameterError(`ecdsa needs exactly ${expected} signers (2·degree+1), got ${signers.length}`);
  }
  for (let k = 0; k < signers.length; k++) {
    if (!Number.isInteger(signers[k]) || signers[k] < 1) throw new ParameterError("signer ids must be >= 1");
    if (k > 0 && signers[k] <= signers[k - 1])
      throw new ParameterError("signers must be ascending, no repeats");
    if (!holders.includes(signers[k]))
      throw new ParameterError(`member ${signers[k]} holds no share of the key`);
  }
}

function signersBytes(signers: readonly number[]): Uint8Array {
  return new ByteWriter().u16s(signers).finish();
}

/** The session id of one presigning run (every member of S must compute the same). */
export function presignSessionId(p: {
  keyId: string;
  epoch: number;
  signers: readonly number[];
  batch: number;
  /** Unique per run, e.g. a fresh random nonce chosen by the coordinator. */
  requestId: string;
}): Uint8Array {
  return deriveSessionId({
    protocol: PRESIGN_PROTOCOL,
    keyId: p.keyId,
    epoch: p.epoch,
    requestId: p.requestId,
    participants: p.signers,
    extra: new ByteWriter().u32(p.batch).finish(),
  });
}

/** presigId = H(session, key, epoch, S, index): binds each presignature to (keyId, epoch, S). */
export function presigIdFor(
  sessionId: Uint8Array,
  keyId: string,
  epoch: number,
  signers: readonly number[],
  index: number,
): string {
  return bytesToHex(
    new Transcript("ecdsa-presign/id", sessionId)
      .append("keyId", keyId)
      .append("epoch", new ByteWriter().u64(epoch).finish())
      .append("signers", signersBytes(signers))
      .append("index", index)
      .digest(),
  );
}

export function presignContext(p: PresignParams): PresignContext {
  const { share, signers, batch, sessionId } = p;
  const key = share.public;
  if (key.scheme !== "ecdsa") throw new ParameterError(`key scheme is ${key.scheme}, not ecdsa`);
  if (!Number.isInteger(batch) || batch < 1 || batch > PRESIGN_MAX_BATCH) {
    throw new ParameterError(`batch must be 1..${PRESIGN_MAX_BATCH}`);
  }
  if (!(sessionId instanceof Uint8Array) || sessionId.length !== 32) {
    throw new ParameterError("sessionId expected 32 bytes");
  }
  assertSigners(signers, key.degree, key.participants);
  if (!signers.includes(share.self))
    throw new ParameterError(`member ${share.self} is not in the signer set`);
  const xs = signers.map(BigInt);
  const ids = Object.freeze([...signers]);
  return {
    self: share.self,
    keyId: key.keyId,
    epoch: key.epoch,
    degree: key.degree,
    signers: ids,
    others: ids.filter((id) => id !== share.self),
    batch,
    sessionId: sessionId.slice(),
    publicKey: key.publicKey,
    secretShare: Fn.create(share.secretShare),
    lambdas: lagrangeCoefficients(signers),
    checkR: new DegreeCheck(xs, key.degree),
    checkW: new DegreeCheck([...xs, 0n], key.degree),
    openR: new ZeroInterpolator(xs, key.degree),
    presigIds: Array.from({ length: batch }, (_, b) => presigIdFor(sessionId, key.keyId, key.epoch, ids, b)),
  };
}
