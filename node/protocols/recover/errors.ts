/** Typed aborts of share recovery (§5). */
import { ProtocolAbortError } from "../../protocol/errors.js";

export interface RecoveryDispute {
  /** The helper that reported a bad private piece. */
  readonly accuser: number;
  /** The helper it accuses. */
  readonly accused: number;
}

/**
 * A helper reported that another helper's private piece failed its check. The target cannot tell from
 * public data which of the two lies (the piece was private), so it names nobody provably and lists the
 * disputes: retry with a helper set that excludes both members of each dispute. (The accuser itself
 * aborted naming the accused, which is provable to it: it holds the authenticated piece.)
 */
export class RecoveryDisputeError extends ProtocolAbortError {
  constructor(readonly disputes: readonly RecoveryDispute[]) {
    super(`helpers report bad pieces: ${disputes.map((d) => `${d.accuser}→${d.accused}`).join(", ")}`);
  }
}
