/** Errors of the decrypt protocol (members of the node/protocol/errors.ts family). */
import { ProtocolAbortError } from "../../protocol/errors.js";
import type { Refusal } from "./types.js";

/**
 * The combiner could not gather a quorum of valid shares. `culprits` sent shares that failed their
 * proofs; `missing` never answered (not proof of malice); `refusals` declined (policy or validity).
 */
export class DecryptionFailedError extends ProtocolAbortError {
  readonly missing: readonly number[];
  readonly refusals: readonly Refusal[];
  constructor(
    reason: string,
    detail: { culprits: readonly number[]; missing: readonly number[]; refusals: readonly Refusal[] },
  ) {
    super(reason, detail.culprits);
    this.missing = [...detail.missing].sort((a, b) => a - b);
    this.refusals = detail.refusals;
  }
}
