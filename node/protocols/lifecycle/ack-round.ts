/**
 * specs/protocols.md §4 "Crash-safe transition", steps 2–3, and §6 round 3: the ACK session (one round,
 * ACK_ROUND). It starts only after the runner has persisted the PendingEpoch (pending.ts): the member
 * sends its signed ACK(sid, e+1, H(P^{e+1})) and collects one from every other roster member.
 *   all ACKs for our package      → the commit certificate;
 *   a valid signed ABORT          → EpochAbortedError (drop the pending epoch);
 *   an ACK for another package    → AckConflictError (no certificate can form; KEEP the pending epoch).
 * Observers (reshare dealers leaving the committee) collect the same ACKs and send nothing; the
 * certificate tells them to erase their old share. A member that aborted the main run announces its
 * ABORT here (startAbortAnnouncement). Nothing here signs: the ACK was signed when the pending record
 * was prepared, so a member never signs both ACK and ABORT in one session.
 */
import { bytesEqual } from "../../crypto/hash.js";
import type { Rng } from "../../crypto/rng.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import {
  UnexpectedSenderError,
  type Recipient,
  type Round,
  type SignedFrame,
  type Start,
  type Transition,
} from "../../protocol/round.js";
import {
  abortMatches,
  ackMatches,
  verifyAbort,
  verifyAck,
  type SignedAbort,
  type SignedAck,
  type StatementVerifier,
} from "./ack.js";
import { buildCertificate, type CommitCertificate } from "./certificate.js";
import { CodecRound } from "./codec-round.js";
import { AckConflictError, EpochAbortedError } from "./errors.js";
import { ACK_ROUND, lifecycleCodec, type AckMessage, type LifecycleMessage } from "./messages.js";
import { pendingEpochNumber, type PendingEpoch } from "./pending.js";

export interface AckRoundParams {
  /** Parent protocol name ("refresh" or "reshare"). */
  readonly protocol: string;
  /** Parent protocol wire id (PROTOCOL_IDS). */
  readonly protocolId: number;
  readonly self: number;
  /** The parent session id (what ACKs sign). */
  readonly sessionId: Uint8Array;
  /** The new epoch e+1. */
  readonly epoch: number;
  /** The package this member computed (observers too: reshare dealers compute it from the broadcast). */
  readonly packageDigest: Uint8Array;
  /** Members that must ACK (and whose ABORT counts). */
  readonly roster: readonly number[];
  readonly verify: StatementVerifier;
}

export class AckRound extends CodecRound<LifecycleMessage, CommitCertificate> {
  readonly number = ACK_ROUND;
  readonly protocol: string;
  private abortEvidence: SignedAbort | null = null;

  constructor(
    private readonly params: AckRoundParams,
    private readonly ownAck: SignedAck | null,
  ) {
    super(
      params.self,
      params.roster.filter((id) => id !== params.self),
      lifecycleCodec(params.protocolId),
    );
    this.protocol = `${params.protocol}/ack`;
  }

  override receive(from: number, message: LifecycleMessage, frame?: SignedFrame): void {
    if (message.kind === "ack") return super.receive(from, message, frame);
    if (!this.expected.includes(from)) {
      throw new UnexpectedSenderError(from, `member ${from} may not abort this session`);
    }
    const { abort } = message;
    if (abort.signer !== from) throw new InvalidMessageError(from, "ABORT signed by another member");
    if (!abortMatches(abort, this.params.sessionId, this.params.epoch)) {
      throw new InvalidMessageError(from, "ABORT for another session or epoch");
    }
    if (!verifyAbort(abort, this.params.verify)) {
      throw new InvalidMessageError(from, "ABORT signature invalid");
    }
    this.abortEvidence ??= abort;
  }

  override ready(): boolean {
    return this.abortEvidence !== null || super.ready();
  }

  protected validate(from: number, message: LifecycleMessage): void {
    if (message.kind !== "ack") throw new InvalidMessageError(from, "expected an ACK");
    const { ack } = message;
    if (ack.signer !== from) throw new InvalidMessageError(from, "ACK signed by another member");
    if (ack.epoch !== this.params.epoch || !bytesEqual(ack.sessionId, this.params.sessionId)) {
      throw new InvalidMessageError(from, "ACK for another session or epoch");
    }
    if (!verifyAck(ack, this.params.verify)) throw new InvalidMessageError(from, "ACK signature invalid");
  }

  finalize(_rng: Rng): Transition<LifecycleMessage, CommitCertificate> {
    if (this.abortEvidence) return { kind: "abort", error: new EpochAbortedError(this.abortEvidence) };
    const acks = [...this.received.values()].map((m) => (m as AckMessage).ack);
    if (this.ownAck) acks.push(this.ownAck);
    const { sessionId, epoch, packageDigest } = this.params;
    const conflicting = acks.filter((a) => !ackMatches(a, sessionId, epoch, packageDigest));
    if (conflicting.length > 0) return { kind: "abort", error: new AckConflictError(conflicting) };
    return { kind: "done", result: buildCertificate(acks, this.params.roster), outgoing: [] };
  }
}

/**
 * Opens the ACK session for a member holding a (persisted) pending epoch: sends its ACK to `recipients`
 * (the other roster members and any observers).
 */
export function startAckRound(
  pending: PendingEpoch,
  opts: {
    readonly protocolId: number;
    readonly recipients: readonly Recipient[];
    readonly verify: StatementVerifier;
  },
): Start<LifecycleMessage, CommitCertificate> {
  const round = new AckRound(
    {
      protocol: pending.protocol,
      protocolId: opts.protocolId,
      self: pending.share.self,
      sessionId: pending.sessionId,
      epoch: pendingEpochNumber(pending),
      packageDigest: pending.packageDigest,
      roster: pending.roster,
      verify: opts.verify,
    },
    pending.ownAck,
  );
  const message: LifecycleMessage = { kind: "ack", ack: pending.ownAck };
  return { round, outgoing: opts.recipients.map((to) => ({ to, message })) };
}

/** Opens the ACK session for an observer (a reshare dealer leaving the committee): it only listens. */
export function observeAckRound(params: AckRoundParams): Start<LifecycleMessage, CommitCertificate> {
  return { round: new AckRound(params, null), outgoing: [] };
}

/**
 * Opens the ACK session for a member that aborted the main run with a signed ABORT (LocalAbortError):
 * sends the ABORT to everyone and ends with EpochAbortedError. Never sends an ACK.
 */
export function startAbortAnnouncement(
  abort: SignedAbort,
  opts: { readonly protocol: string; readonly recipients: readonly Recipient[] },
): Start<LifecycleMessage, CommitCertificate> {
  const round: Round<LifecycleMessage, CommitCertificate> = {
    protocol: `${opts.protocol}/ack`,
    number: ACK_ROUND,
    self: abort.signer,
    expected: [],
    receive: () => {},
    ready: () => true,
    missing: () => [],
    finalize: () => ({ kind: "abort", error: new EpochAbortedError(abort) }),
  };
  const message: LifecycleMessage = { kind: "abort", abort };
  return { round, outgoing: opts.recipients.map((to) => ({ to, message })) };
}
