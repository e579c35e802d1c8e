/**
 * specs/protocols.md §4 "Crash-safe transition", steps 2–3, for refresh: the ACK session among the whole
 * roster, opened once the runner has persisted the pending epoch.
 */
import { PROTOCOL_IDS, type Start } from "../../protocol/round.js";
import type { StatementVerifier } from "../lifecycle/ack.js";
import { startAckRound } from "../lifecycle/ack-round.js";
import type { CommitCertificate } from "../lifecycle/certificate.js";
import type { LifecycleMessage } from "../lifecycle/messages.js";
import type { PendingEpoch } from "../lifecycle/pending.js";

export function startRefreshAck(
  pending: PendingEpoch,
  verify: StatementVerifier,
): Start<LifecycleMessage, CommitCertificate> {
  return startAckRound(pending, { protocolId: PROTOCOL_IDS.refresh, recipients: ["all"], verify });
}
