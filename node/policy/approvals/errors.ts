/**
 * Typed refusal of the business approval layer. It is a PolicyError (code "POLICY", HTTP 403), so the
 * API maps it like every other policy refusal; the fields say which rule refused and how far the
 * approvals were from enough, so callers never parse the message.
 */
import { PolicyError } from "../../protocol/errors.js";

/** Why a sign request was refused (stable strings, safe to log and to match on). */
export type RefusalReason =
  /** The matching rule says `deny`. */
  | "denied-by-rule"
  /** A policy exists for the key but none of its rules matched: fail closed. */
  | "no-matching-rule"
  /** Fewer distinct valid approvers than the rule requires. */
  | "insufficient-approvals"
  /** The digest about to be signed is not the one computed from the request payload. */
  | "digest-mismatch";

export class ApprovalPolicyError extends PolicyError {
  constructor(
    readonly reason: RefusalReason,
    /** Name of the rule that decided, null when no rule matched. */
    readonly rule: string | null,
    /** Distinct valid approvals present. */
    readonly present: number,
    /** Approvals the rule requires (0 for deny rules). */
    readonly required: number,
    message: string,
  ) {
    super(message);
  }
}
