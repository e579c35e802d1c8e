/**
 * The signing request (specs/ecdsa.md §1.5 S0, §1.7): (keyId, epoch, presigId, S, combiner, digest) must
 * be identical at every signer before any share leaves a node. The combiner (the coordinator) is the one
 * member of S the others send their shares to (§1.5 S1 "or only to a coordinator"). Its canonical encoding and hash are what
 * signers echo to each other (agree.ts), and the session ids of a signing run are derived from it, so
 * a signer holding a different request is not even in the same session.
 */
import { ByteWriter } from "../../../protocol/codec.js";
import { ParameterError } from "../../../protocol/errors.js";
import { deriveSessionId } from "../../../protocol/session.js";
import { Transcript, bytesToNumber, hexToBytes, mod } from "../../../crypto/index.js";
import { assertSigners } from "../presign/params.js";
import { assertPresigId, type PresignaturePublic } from "../presign/presignature.js";

export const SIGN_PROTOCOL = "ecdsa-sign";
export const DIGEST_BYTES = 32;

export interface SignRequest {
  readonly keyId: string;
  readonly epoch: number;
  readonly presigId: string;
  /** S of the presignature: exactly 2·degree+1 ids, ascending. */
  readonly signers: readonly number[];
  /** The member of S that receives every share, combines, verifies and releases the signature. */
  readonly combiner: number;
  /** The 32-byte message digest (e.g. keccak256 of an Ethereum payload); h = int(digest) mod n ≠ 0. */
  readonly digest: Uint8Array;
}

/** h = int(digest) mod n. */
export function digestScalar(digest: Uint8Array): bigint {
  if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_BYTES) {
    throw new ParameterError(`digest expected ${DIGEST_BYTES} bytes`);
  }
  return mod(bytesToNumber(digest));
}

/** Checks the request's shape, h ≠ 0 (§1.7, NEAR's rule) and that it names `presignature` exactly. */
export function assertSignRequest(req: SignRequest, degree: number, presignature: PresignaturePublic): void {
  assertPresigId(req.presigId);
  if (digestScalar(req.digest) === 0n) throw new ParameterError("digest is zero mod n");
  assertSigners(req.signers, degree, req.signers);
  if (!req.signers.includes(req.combiner))
    throw new ParameterError("the combiner must be one of the signers");
  if (
    req.presigId !== presignature.presigId ||
    req.keyId !== presignature.keyId ||
    req.epoch !== presignature.epoch ||
    req.signers.length !== presignature.signers.length ||
    req.signers.some((id, k) => id !== presignature.signers[k])
  ) {
    throw new ParameterError("request does not match the presignature (key, epoch, id or signers)");
  }
}

export function encodeSignRequest(req: SignRequest): Uint8Array {
  assertPresigId(req.presigId);
  return new ByteWriter()
    .string(req.keyId)
    .u64(req.epoch)
    .fixed(hexToBytes(req.presigId), 32)
    .u16s(req.signers)
    .u16(req.combiner)
    .fixed(req.digest, DIGEST_BYTES)
    .finish();
}

/** H(request): what signers echo in the agreement round. */
export function signRequestHash(req: SignRequest): Uint8Array {
  return new Transcript("ecdsa-sign/request", new Uint8Array(0))
    .append("request", encodeSignRequest(req))
    .digest();
}

/**
 * Session ids of the two runs of one signing: "agree" (S0, round 1) and "share" (S1, round 2). They
 * differ because the runner ends a session before the store consumes and the share round starts; both
 * bind key, epoch, presignature, signers and digest.
 */
export function signSessionId(req: SignRequest, phase: "agree" | "share"): Uint8Array {
  return deriveSessionId({
    protocol: `${SIGN_PROTOCOL}/${phase}`,
    keyId: req.keyId,
    epoch: req.epoch,
    requestId: req.presigId,
    participants: req.signers,
    extra: req.digest,
  });
}
