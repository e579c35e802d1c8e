/** Typed aborts of the epoch-changing protocols (refresh §4, reshare §6) and their ACK session. */
import { ProtocolAbortError, type ShardlessError } from "../../protocol/errors.js";
import type { SignedAbort, SignedAck } from "./ack.js";

/**
 * A roster member signed ABORT for this session. Not misbehaviour (it names nobody): the signed ABORT is
 * the evidence that lets every member drop its pending epoch (restart.ts).
 */
export class EpochAbortedError extends ProtocolAbortError {
  constructor(readonly evidence: SignedAbort) {
    super(`member ${evidence.signer} aborted the epoch change`);
  }
}

/**
 * This member aborted the run at a point where others may already hold a pending epoch (a check only it
 * could make failed, e.g. its private share). It signed an ABORT (`evidence`, never an ACK in this
 * session): the runner sends it in the ACK session (startAbortAnnouncement) so peers drop their pending
 * epoch instead of waiting forever. `culprits` and `cause` come from the failed check.
 */
export class LocalAbortError extends ProtocolAbortError {
  constructor(
    readonly evidence: SignedAbort,
    cause: ShardlessError,
  ) {
    super(cause.message, cause.culprits, { cause });
  }
}

/**
 * Some members ACKed a different package than ours. No certificate can form for ours, but our ACK is out,
 * so the pending epoch must be KEPT (restart rule: never drop after ACK without an ABORT). `culprits`
 * are the members whose signed ACK conflicts with the package every echo check agreed on.
 */
export class AckConflictError extends ProtocolAbortError {
  constructor(readonly conflicting: readonly SignedAck[]) {
    super(
      "members acknowledged a different public package",
      conflicting.map((a) => a.signer),
    );
  }
}
