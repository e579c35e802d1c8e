/**
 * specs/protocols.md §6 round 3 ("ACK to both committees") with §4's crash safety: the ACK session runs
 * among S ∪ N. New members ACK (after persisting their pending epoch); dealers leaving the committee
 * observe, and erase their old share once they hold the certificate. Old members outside the session
 * receive the (forwardable) certificate from the runner.
 */
import { PROTOCOL_IDS, type Start } from "../../protocol/round.js";
import type { StatementVerifier } from "../lifecycle/ack.js";
import { observeAckRound, startAckRound } from "../lifecycle/ack-round.js";
import type { CommitCertificate } from "../lifecycle/certificate.js";
import type { LifecycleMessage } from "../lifecycle/messages.js";
import type { PendingEpoch } from "../lifecycle/pending.js";
import type { ReshareResult } from "./result.js";

export function startReshareAck(
  pending: PendingEpoch,
  verify: StatementVerifier,
): Start<LifecycleMessage, CommitCertificate> {
  return startAckRound(pending, { protocolId: PROTOCOL_IDS.reshare, recipients: ["all"], verify });
}

export function observeReshareAck(
  self: number,
  dealt: Extract<ReshareResult, { role: "dealer" }>,
  verify: StatementVerifier,
): Start<LifecycleMessage, CommitCertificate> {
  return observeAckRound({
    protocol: "reshare",
    protocolId: PROTOCOL_IDS.reshare,
    self,
    sessionId: dealt.sessionId,
    epoch: dealt.epoch,
    packageDigest: dealt.packageDigest,
    roster: dealt.roster,
    verify,
  });
}
