/**
 * What the runner refuses, as one typed error (DESIGN.md invariant 8: malformed input yields a typed
 * error and the node stays up). The runner reports each refused frame to `onRejected` and the logger;
 * only the session's protocol decides whether a refused message aborts the run (it usually does not:
 * the round keeps waiting and the round timeout names who never sent a valid message).
 */
import { ShardlessError } from "../protocol/errors.js";

export type FrameRejectReason =
  /** The frame bytes do not decode (frame.ts). */
  | "malformed"
  /** The sending peer is not a member of the frame's session. */
  | "unknown-peer"
  /** The frame's `from` is not the member id of the peer that sent it. */
  | "sender-mismatch"
  /** The frame is addressed to another member. */
  | "wrong-recipient"
  /** The frame's protocol id is not the session's protocol. */
  | "foreign-protocol"
  /** The signature does not verify under the sending peer's identity key. */
  | "bad-signature"
  /** An exact copy of a frame already accepted (dropped; not an error of the sender). */
  | "duplicate"
  /** The session already ended. */
  | "stale-session"
  /** The frame is for a round the session has already left. */
  | "stale-round"
  /** Too many frames for future rounds of one session. */
  | "early-overflow"
  /** Too many frames buffered for sessions that have not started here. */
  | "pending-overflow"
  /** Buffered for a session that did not start here in time. */
  | "pending-expired"
  /** The payload does not decode with the protocol's codec. */
  | "undecodable-payload"
  /** The current round's `receive` refused the message (see `cause`). */
  | "rejected-by-round";

export class FrameRejectedError extends ShardlessError {
  readonly code = "FRAME_REJECTED";
  constructor(
    readonly reason: FrameRejectReason,
    readonly detail: {
      readonly peer: string;
      /** Hex session id, when the frame decoded. */
      readonly sessionId?: string;
      /** Member id claimed by the frame. */
      readonly sender?: number;
      readonly round?: number;
    },
    options?: { cause?: unknown; culprits?: readonly number[] },
  ) {
    super(
      `frame from peer ${detail.peer} rejected: ${reason}` +
        (detail.round !== undefined ? ` (round ${detail.round})` : ""),
      options?.culprits ?? [],
      options?.cause !== undefined ? { cause: options.cause } : undefined,
    );
  }
}

/** The session was cancelled by its caller (AbortSignal) or the runner was closed. */
export class SessionCancelledError extends ShardlessError {
  readonly code = "SESSION_CANCELLED";
}

/** A bug (a non-Shardless exception inside a round or codec); aborts only the affected session. */
export class InternalError extends ShardlessError {
  readonly code = "INTERNAL";
}
