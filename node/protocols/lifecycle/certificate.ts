/**
 * specs/protocols.md §4 "Crash-safe transition", step 3: the commit certificate is a valid ACK from
 * **every** roster member for the same (sid, e+1, H(P^{e+1})). Certificates are forwardable: any
 * member (or an old-committee member after a reshare) that receives one checks it against the roster
 * it already knows — never against a roster carried by the certificate itself — and commits.
 */
import { bytesEqual } from "../../crypto/hash.js";
import { ByteWriter, decodeWith } from "../../protocol/codec.js";
import { DecodeError, ParameterError, VerificationError } from "../../protocol/errors.js";
import {
  DIGEST_BYTES,
  ackMatches,
  readAck,
  verifyAck,
  writeAck,
  type SignedAck,
  type StatementVerifier,
} from "./ack.js";

/** Rosters are at most 64 members (assertGroupParameters); leave room, but never trust a count. */
const MAX_ROSTER = 1024;
/** signer u16 + sid + epoch u64 + digest + signature length u32. */
const MIN_ACK_BYTES = 2 + DIGEST_BYTES + 8 + DIGEST_BYTES + 4;

export interface CommitCertificate {
  readonly sessionId: Uint8Array;
  readonly epoch: number;
  readonly packageDigest: Uint8Array;
  /** One ACK per roster member, ascending by signer. */
  readonly acks: readonly SignedAck[];
}

/** What the checker knows independently of the certificate. */
export interface CertificateExpectation {
  readonly sessionId: Uint8Array;
  readonly epoch: number;
  /**
   * The package this member computed; null for an old member outside the session (it erases its share
   * once the whole new roster ACKed one package, whichever it is).
   */
  readonly packageDigest: Uint8Array | null;
  /** Members that must all have ACKed. */
  readonly roster: readonly number[];
}

/** Assembles a certificate from ACKs (one per roster member, all for one package). Throws if incomplete. */
export function buildCertificate(acks: Iterable<SignedAck>, roster: readonly number[]): CommitCertificate {
  const bySigner = new Map<number, SignedAck>();
  for (const a of acks) bySigner.set(a.signer, a);
  const sorted = [...roster]
    .sort((a, b) => a - b)
    .map((id) => {
      const a = bySigner.get(id);
      if (!a) throw new ParameterError(`no ACK from member ${id}`);
      return a;
    });
  if (sorted.length === 0) throw new ParameterError("empty roster");
  const { sessionId, epoch, packageDigest } = sorted[0];
  if (!sorted.every((a) => ackMatches(a, sessionId, epoch, packageDigest))) {
    throw new ParameterError("ACKs are for different sessions or packages");
  }
  return { sessionId, epoch, packageDigest, acks: sorted };
}

/**
 * Checks a certificate: same session, epoch and package as expected, exactly one validly signed ACK per
 * roster member and nothing else. Throws VerificationError naming the members whose ACK is bad.
 */
export function assertCertificate(
  cert: CommitCertificate,
  expected: CertificateExpectation,
  verify: StatementVerifier,
): void {
  const packageDigest = expected.packageDigest ?? cert.packageDigest;
  if (
    !bytesEqual(cert.sessionId, expected.sessionId) ||
    cert.epoch !== expected.epoch ||
    !bytesEqual(cert.packageDigest, packageDigest)
  ) {
    throw new VerificationError("certificate is for another session, epoch or package");
  }
  const roster = [...expected.roster].sort((a, b) => a - b);
  const signers = cert.acks.map((a) => a.signer);
  if (signers.length !== roster.length || signers.some((s, k) => s !== roster[k])) {
    throw new VerificationError("certificate signers differ from the roster");
  }
  const bad = cert.acks
    .filter((a) => !ackMatches(a, expected.sessionId, expected.epoch, packageDigest) || !verifyAck(a, verify))
    .map((a) => a.signer);
  if (bad.length > 0) throw new VerificationError("certificate holds invalid ACKs", bad);
}

export function isValidCertificate(
  cert: CommitCertificate,
  expected: CertificateExpectation,
  verify: StatementVerifier,
): boolean {
  try {
    assertCertificate(cert, expected, verify);
    return true;
  } catch (e) {
    if (e instanceof VerificationError) return false;
    throw e;
  }
}

export function encodeCertificate(cert: CommitCertificate): Uint8Array {
  const w = new ByteWriter()
    .fixed(cert.sessionId, DIGEST_BYTES)
    .u64(cert.epoch)
    .fixed(cert.packageDigest, DIGEST_BYTES);
  w.u32(cert.acks.length);
  for (const a of cert.acks) writeAck(w, a);
  return w.finish();
}

/** Strict decoding; does not verify signatures (use assertCertificate). */
export function decodeCertificate(bytes: Uint8Array): CommitCertificate {
  return decodeWith(bytes, (r) => {
    const sessionId = r.fixed(DIGEST_BYTES, "session id");
    const epoch = r.u64();
    const packageDigest = r.fixed(DIGEST_BYTES, "package digest");
    const count = r.u32();
    if (count > MAX_ROSTER || count * MIN_ACK_BYTES > r.remaining) throw new DecodeError("bad ACK count");
    const acks = Array.from({ length: count }, () => readAck(r));
    return { sessionId, epoch, packageDigest, acks };
  });
}
