/**
 * specs/protocols.md §4 "Crash-safe transition", steps 2–3 (and §6 round 3): the signed
 * ACK(sid, e+1, H(P^{e+1})) and ABORT(sid, e+1) statements. Each member signs at most one of them per
 * session (the protocols guarantee it structurally: ABORT only before the pending state exists, ACK
 * only inside it). Signing is injected (the member's long-term identity key lives in the runner), so
 * everything here stays pure.
 */
import { bytesEqual } from "../../crypto/hash.js";
import { Transcript } from "../../crypto/transcript.js";
import { ByteReader, ByteWriter } from "../../protocol/codec.js";
import { DecodeError, ParameterError } from "../../protocol/errors.js";

/** Signs statement bytes with this member's identity key. */
export type StatementSigner = (statement: Uint8Array) => Uint8Array;
/** Checks a signature by `member`'s identity key. Must not throw for bad input: return false. */
export type StatementVerifier = (member: number, statement: Uint8Array, signature: Uint8Array) => boolean;

export const DIGEST_BYTES = 32;
export const MAX_SIGNATURE_BYTES = 255;

export interface SignedAck {
  readonly kind: "ack";
  readonly signer: number;
  readonly sessionId: Uint8Array;
  /** The new epoch e+1. */
  readonly epoch: number;
  /** H(P^{e+1}): keyPublicDigest of the new public package. */
  readonly packageDigest: Uint8Array;
  readonly signature: Uint8Array;
}

export interface SignedAbort {
  readonly kind: "abort";
  readonly signer: number;
  readonly sessionId: Uint8Array;
  readonly epoch: number;
  readonly signature: Uint8Array;
}

function assertDigest(d: Uint8Array, what: string): void {
  if (d.length !== DIGEST_BYTES) throw new ParameterError(`${what} expected ${DIGEST_BYTES} bytes`);
}

/** The exact bytes an ACK signs: domain, session id, signer, new epoch, package digest. */
export function ackStatement(
  sessionId: Uint8Array,
  signer: number,
  epoch: number,
  packageDigest: Uint8Array,
) {
  assertDigest(sessionId, "sessionId");
  assertDigest(packageDigest, "packageDigest");
  return new Transcript("lifecycle/ack", sessionId)
    .append("signer", signer)
    .append("epoch", epoch)
    .append("package", packageDigest)
    .bytes();
}

/** The exact bytes an ABORT signs. A different domain, so an ACK signature never passes as an ABORT. */
export function abortStatement(sessionId: Uint8Array, signer: number, epoch: number): Uint8Array {
  assertDigest(sessionId, "sessionId");
  return new Transcript("lifecycle/abort", sessionId).append("signer", signer).append("epoch", epoch).bytes();
}

export function signAck(
  signer: number,
  sessionId: Uint8Array,
  epoch: number,
  packageDigest: Uint8Array,
  sign: StatementSigner,
): SignedAck {
  const signature = sign(ackStatement(sessionId, signer, epoch, packageDigest));
  return { kind: "ack", signer, sessionId, epoch, packageDigest, signature };
}

export function signAbort(
  signer: number,
  sessionId: Uint8Array,
  epoch: number,
  sign: StatementSigner,
): SignedAbort {
  const signature = sign(abortStatement(sessionId, signer, epoch));
  return { kind: "abort", signer, sessionId, epoch, signature };
}

/** True iff the ACK is well-formed and validly signed by its signer. */
export function verifyAck(ack: SignedAck, verify: StatementVerifier): boolean {
  if (ack.sessionId.length !== DIGEST_BYTES || ack.packageDigest.length !== DIGEST_BYTES) return false;
  return verify(
    ack.signer,
    ackStatement(ack.sessionId, ack.signer, ack.epoch, ack.packageDigest),
    ack.signature,
  );
}

export function verifyAbort(abort: SignedAbort, verify: StatementVerifier): boolean {
  if (abort.sessionId.length !== DIGEST_BYTES) return false;
  return verify(abort.signer, abortStatement(abort.sessionId, abort.signer, abort.epoch), abort.signature);
}

/** Same session and epoch (and, for ACKs, the same package). */
export function ackMatches(
  ack: SignedAck,
  sessionId: Uint8Array,
  epoch: number,
  digest: Uint8Array,
): boolean {
  return bytesEqual(ack.sessionId, sessionId) && ack.epoch === epoch && bytesEqual(ack.packageDigest, digest);
}

export function abortMatches(abort: SignedAbort, sessionId: Uint8Array, epoch: number): boolean {
  return bytesEqual(abort.sessionId, sessionId) && abort.epoch === epoch;
}

// ---- wire encoding (used inside the refresh/reshare codecs, the certificate and the pending record) ----

export function writeAck(w: ByteWriter, a: SignedAck): ByteWriter {
  if (a.signature.length > MAX_SIGNATURE_BYTES) throw new ParameterError("signature too long");
  return w
    .u16(a.signer)
    .fixed(a.sessionId, DIGEST_BYTES)
    .u64(a.epoch)
    .fixed(a.packageDigest, DIGEST_BYTES)
    .bytes(a.signature);
}

export function readAck(r: ByteReader): SignedAck {
  const signer = r.u16();
  const sessionId = r.fixed(DIGEST_BYTES, "session id");
  const epoch = r.u64();
  const packageDigest = r.fixed(DIGEST_BYTES, "package digest");
  const signature = r.bytes(MAX_SIGNATURE_BYTES);
  if (signer === 0) throw new DecodeError("signer id 0");
  return { kind: "ack", signer, sessionId, epoch, packageDigest, signature };
}

export function writeAbort(w: ByteWriter, a: SignedAbort): ByteWriter {
  if (a.signature.length > MAX_SIGNATURE_BYTES) throw new ParameterError("signature too long");
  return w.u16(a.signer).fixed(a.sessionId, DIGEST_BYTES).u64(a.epoch).bytes(a.signature);
}

export function readAbort(r: ByteReader): SignedAbort {
  const signer = r.u16();
  const sessionId = r.fixed(DIGEST_BYTES, "session id");
  const epoch = r.u64();
  const signature = r.bytes(MAX_SIGNATURE_BYTES);
  if (signer === 0) throw new DecodeError("signer id 0");
  return { kind: "abort", signer, sessionId, epoch, signature };
}
