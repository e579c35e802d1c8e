/** Inputs and outputs of the decrypt protocol (see index.ts for the flow). */
import type { KeyShare } from "../../protocol/key-share.js";
import type { RefusalCode } from "./messages.js";
import type { DecryptScheme, MemberShare } from "./schemes.js";

/**
 * What a member's policy is asked before it releases a share. The node answers from chain state it read
 * itself at a confirmed block (node/policy/decrypt-policy.ts); nothing in the query is a permission.
 */
export interface DecryptPolicyQuery {
  readonly scheme: DecryptScheme;
  /** The TDH2 label (after the validity check, so it is the ciphertext's real label); none for ECIES. */
  readonly label: Uint8Array | undefined;
  /** The payload id the requester points at, if any: only tells the node which payload to read. */
  readonly payloadId: bigint | undefined;
  /** keccak256 of the ciphertext bytes (compare with the stored payload's hash). */
  readonly ciphertextHash: Uint8Array;
  /** Member id of the combiner asking. */
  readonly requester: number;
  readonly sessionId: Uint8Array;
}

export interface DecryptPolicyDecision {
  readonly allowed: boolean;
  /** A short, stable reason (never secret). */
  readonly reason: string;
}

/** A pure decision function, injected by the node (e.g. contractPayloadPolicy over chain reads). */
export type DecryptPolicy = (query: DecryptPolicyQuery) => DecryptPolicyDecision;

/** A member's key share and its policy: what a member needs to serve requests. */
export interface MemberContext {
  readonly share: KeyShare;
  readonly policy: DecryptPolicy;
}

export interface Refusal {
  readonly member: number;
  readonly code: RefusalCode;
  readonly reason: string;
}

/** A share the combiner verified, with the session it was proven in. */
export interface VerifiedShare extends MemberShare {
  readonly sessionId: Uint8Array;
}

/** What a combiner learnt so far: carried into a retry (retry.ts). */
export interface DecryptProgress {
  readonly valid: readonly VerifiedShare[];
  /** Members whose share failed its proof (provable: the share message is theirs). */
  readonly culprits: readonly number[];
  readonly refusals: readonly Refusal[];
  /** Members asked that have not answered. */
  readonly missing: readonly number[];
}

/** The combiner's output: the verified plaintext and an account of every member's behaviour. */
export interface DecryptionResult {
  readonly plaintext: Uint8Array;
  readonly scheme: DecryptScheme;
  readonly sessionId: Uint8Array;
  readonly label: Uint8Array | undefined;
  readonly payloadId: bigint | undefined;
  /** The quorum of members whose shares were combined. */
  readonly contributors: readonly number[];
  readonly culprits: readonly number[];
  readonly refusals: readonly Refusal[];
  /** Members asked that had not answered when the quorum was reached. */
  readonly unanswered: readonly number[];
}

/** A member's record of a released share (for its audit log). */
export interface ShareRelease {
  readonly sessionId: Uint8Array;
  readonly scheme: DecryptScheme;
  readonly requester: number;
  readonly payloadId: bigint | undefined;
  readonly label: Uint8Array | undefined;
  readonly ciphertextHash: Uint8Array;
  readonly policyReason: string;
}
