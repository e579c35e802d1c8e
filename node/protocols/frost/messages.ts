/**
 * FROST messages (specs/protocols.md §7.2). Who sends what to whom:
 *
 *   round 1  commitment       signer i → coordinator   (D_i, E_i); skipped with pre-published commitments
 *   round 2  sign-request     coordinator → each signer  variant, request id, message, commitment list B
 *   round 3  signature-share  signer i → coordinator   z_i
 *
 * Every session message carries the session id; rounds reject messages of another session. Outside
 * sessions, a member pre-publishes nonce commitments to coordinators in a `NonceCommitmentBatch`.
 */
import type { Point } from "../../crypto/index.js";
import type { NonceCommitment, SigningCommitment } from "./nonces.js";
import type { FrostVariant } from "./suite.js";

export interface CommitmentMessage {
  readonly type: "commitment";
  readonly sessionId: Uint8Array;
  readonly hiding: Point;
  readonly binding: Point;
}

export interface SignRequestMessage {
  readonly type: "sign-request";
  readonly sessionId: Uint8Array;
  readonly variant: FrostVariant;
  readonly requestId: string;
  readonly message: Uint8Array;
  /** B: one commitment per signer, ascending member ids. */
  readonly commitments: readonly SigningCommitment[];
}

export interface SignatureShareMessage {
  readonly type: "signature-share";
  readonly sessionId: Uint8Array;
  readonly share: bigint;
}

export type FrostMessage = CommitmentMessage | SignRequestMessage | SignatureShareMessage;

/**
 * Nonce commitments a member publishes ahead of time (nonce pool), for one key and epoch, to exactly one
 * coordinator: only that coordinator may use them.
 */
export interface NonceCommitmentBatch {
  readonly keyId: string;
  readonly epoch: number;
  readonly member: number;
  readonly coordinator: number;
  readonly commitments: readonly NonceCommitment[];
}
