/**
 * Transport errors. Same family as node/protocol/errors.ts (stable `code`, no secrets in messages); they
 * blame nobody: a network failure is not proof of misbehaviour.
 */
import { ShardlessError } from "../../protocol/errors.js";

/** A frame could not be delivered to `peer` (no address, dial failed, stream reset, transport stopped). */
export class PeerUnreachableError extends ShardlessError {
  readonly code = "PEER_UNREACHABLE";
  constructor(
    readonly peer: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`peer ${peer}: ${message}`, [], options);
  }
}

/** The peer is not on the allowlist (not a registry-listed member of our groups). */
export class PeerNotAllowedError extends ShardlessError {
  readonly code = "PEER_NOT_ALLOWED";
  constructor(readonly peer: string) {
    super(`peer ${peer} is not on the allowlist`);
  }
}
