/**
 * Share recovery and enrollment (specs/protocols.md §5), public API. Session members: the helpers and the
 * target; the runner's session id is `recoverySession(pub, params).sessionId`.
 */
export { startRecoveryHelper, startRecoveryTarget, type RecoveryStartOptions } from "./start.js";
export {
  recoverySession,
  enrollPublic,
  repairCoefficient,
  type RecoveryParams,
  type RecoverySession,
} from "./session.js";
export { recoverCodec, type RecoverMessage } from "./messages.js";
export { RecoveryDisputeError, type RecoveryDispute } from "./errors.js";
export type { RecoveryResult } from "./result.js";
