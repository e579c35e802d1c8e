/**
 * Shared pieces of the epoch-changing protocols (refresh §4, reshare §6): the crash-safe transition as
 * pure data and functions, and the epoch guard. See each module's header.
 */
export { assertSameEpoch, EpochMismatchError } from "./epoch-guard.js";
export {
  ackStatement,
  abortStatement,
  signAck,
  signAbort,
  verifyAck,
  verifyAbort,
  type SignedAck,
  type SignedAbort,
  type StatementSigner,
  type StatementVerifier,
} from "./ack.js";
export {
  buildCertificate,
  assertCertificate,
  isValidCertificate,
  encodeCertificate,
  decodeCertificate,
  type CommitCertificate,
  type CertificateExpectation,
} from "./certificate.js";
export {
  preparePending,
  pendingEpochNumber,
  encodePendingEpoch,
  decodePendingEpoch,
  type EpochOutput,
  type PendingEpoch,
  type LifecycleProtocol,
} from "./pending.js";
export { decideRestart, analyseRestart, type RestartDecision, type RestartEvidence } from "./restart.js";
export {
  startAckRound,
  observeAckRound,
  startAbortAnnouncement,
  AckRound,
  type AckRoundParams,
} from "./ack-round.js";
export { ACK_ROUND, ackSessionId, lifecycleCodec, type LifecycleMessage } from "./messages.js";
export { EpochAbortedError, LocalAbortError, AckConflictError } from "./errors.js";
export {
  planRegistrySync,
  type SyncPlan,
  type EpochState,
  type PendingAction,
  type RegistryEpoch,
  type HeldEpochs,
} from "./registry-sync.js";
