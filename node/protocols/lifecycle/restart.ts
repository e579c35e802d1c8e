/**
 * specs/protocols.md §4 "Crash-safe transition", step 5: what a member does with a pending epoch after a
 * restart (or whenever new evidence arrives):
 *   pending + valid certificate → commit (switch to e+1 atomically, then erase epoch e);
 *   pending + valid ABORT        → drop the pending record, stay in e;
 *   pending only                 → ask peers for the certificate (resending our own ACK);
 *   no pending                   → nothing to decide.
 * A pending record is never dropped without an ABORT: our ACK may already be in someone's certificate.
 * Evidence that fails verification is ignored (and counted), never trusted.
 * A member that signs both ACK and ABORT (provable: both are signed) can make some members commit and
 * others drop. Commit wins wherever a certificate is known (holders may have erased epoch e already);
 * a member that dropped gets its e+1 share back by recovery (§5) from the committed ones, so the runner
 * should keep a dropped pending record archived until the registry shows which epoch won.
 */
import {
  abortMatches,
  verifyAbort,
  type SignedAbort,
  type SignedAck,
  type StatementVerifier,
} from "./ack.js";
import { isValidCertificate, type CommitCertificate } from "./certificate.js";
import { pendingEpochNumber, type PendingEpoch } from "./pending.js";

export interface RestartEvidence {
  /** Certificates held locally or received from peers. */
  readonly certificates?: readonly CommitCertificate[];
  /** Signed ABORTs held locally or received from peers. */
  readonly aborts?: readonly SignedAbort[];
}

export type RestartDecision =
  | { readonly action: "none" }
  | {
      readonly action: "commit";
      readonly certificate: CommitCertificate;
      /**
       * Roster members that signed both an ACK (in the certificate) and an ABORT. Commit still wins:
       * peers holding the certificate may already have erased epoch e, so going back would split the group.
       */
      readonly culprits: readonly number[];
    }
  | { readonly action: "drop"; readonly abort: SignedAbort }
  | { readonly action: "ask-peers"; readonly ack: SignedAck };

export interface RestartAnalysis {
  readonly decision: RestartDecision;
  /** How many pieces of evidence failed verification or were for another session/package. */
  readonly ignored: number;
}

export function analyseRestart(
  pending: PendingEpoch | null,
  evidence: RestartEvidence,
  verify: StatementVerifier,
): RestartAnalysis {
  const certificates = evidence.certificates ?? [];
  const aborts = evidence.aborts ?? [];
  if (!pending) return { decision: { action: "none" }, ignored: certificates.length + aborts.length };

  const epoch = pendingEpochNumber(pending);
  const expectation = {
    sessionId: pending.sessionId,
    epoch,
    packageDigest: pending.packageDigest,
    roster: pending.roster,
  };
  const validCerts = certificates.filter((c) => isValidCertificate(c, expectation, verify));
  const validAborts = aborts.filter(
    (a) =>
      pending.roster.includes(a.signer) &&
      abortMatches(a, pending.sessionId, epoch) &&
      verifyAbort(a, verify),
  );
  const ignored = certificates.length - validCerts.length + (aborts.length - validAborts.length);

  if (validCerts.length > 0) {
    const culprits = [...new Set(validAborts.map((a) => a.signer))].sort((a, b) => a - b);
    return { decision: { action: "commit", certificate: validCerts[0], culprits }, ignored };
  }
  if (validAborts.length > 0) return { decision: { action: "drop", abort: validAborts[0] }, ignored };
  return { decision: { action: "ask-peers", ack: pending.ownAck }, ignored };
}

/** The decision alone (see analyseRestart for the count of ignored evidence). */
export function decideRestart(
  pending: PendingEpoch | null,
  evidence: RestartEvidence,
  verify: StatementVerifier,
): RestartDecision {
  return analyseRestart(pending, evidence, verify).decision;
}
