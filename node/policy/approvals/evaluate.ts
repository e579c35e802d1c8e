/**
 * The one call a member makes before contributing a signature share (DESIGN.md §3 "Sign" and
 * "Approve"): every member of the signing set evaluates the request on its own — its own policy book, the
 * intent it parsed from the payload itself, the approvals carried in the request — and contributes only if
 * the decision allows it. Pure: the caller passes `now` and writes the decision to its audit log.
 *
 * Coordinator use (every member, including the coordinator):
 * ```ts
 * const intent = parseSignIntent(payload, { scheme });
 * const decision = evaluateSignPolicy({ policy: policyFor(book, keyId, groupId), intent,
 *   approvals: body.approvals ?? [], keyId, epoch, digest, requestId, now: unixSeconds, domain });
 * await audit.append("sign.policy", signAuditDetails(decision, { requestId, keyId, epoch, intent }));
 * if (!decision.allowed) throw refusalError(decision);
 * ```
 */
import type { Hex } from "../../client/types.js";
import { ParameterError } from "../../protocol/errors.js";
import type { JsonObject } from "../audit-log.js";
import { ApprovalPolicyError, type RefusalReason } from "./errors.js";
import type { SignIntent } from "./intent.js";
import { firstMatchingRule, type SignPolicy } from "./policy.js";
import {
  verifyApprovals,
  type ApprovalCheck,
  type ApprovalDomainInput,
  type SignedApproval,
} from "./approval.js";

export interface EvaluateSignPolicyParams {
  /** The key's policy (policyFor); undefined = no policy configured = allow with 0 approvals. */
  readonly policy: SignPolicy | undefined;
  /** Parsed by this member from the request payload (parseSignIntent). */
  readonly intent: SignIntent;
  /** As carried in the sign request body; absent = none. */
  readonly approvals?: readonly SignedApproval[];
  /** Registry key id (decimal string or bigint); must be numeric when approvals are required. */
  readonly keyId: bigint | string;
  /** The key epoch whose shares will sign. */
  readonly epoch: bigint | number;
  /** The digest this member is about to sign a share of; must equal `intent.digest`. */
  readonly digest: string;
  /** The API request id the approvals were made for. */
  readonly requestId: string;
  /** Unix seconds. */
  readonly now: bigint | number;
  /** Chain id and registry address of the approval domain. */
  readonly domain: ApprovalDomainInput;
}

export type DecisionReason =
  /** No policy configured for the key or its group. */
  | "no-policy"
  /** The matching rule allows without approvals. */
  | "no-approvals-needed"
  /** The matching rule's approvals are present. */
  | "approved"
  | RefusalReason;

export interface SignPolicyDecision {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  /** Where the deciding rules came from ("key 12", "group 3"); null without a policy. */
  readonly scope: string | null;
  /** The rule that decided; null without a policy or when none matched. */
  readonly rule: string | null;
  readonly required: number;
  /** Distinct valid approvers counted (checksummed). */
  readonly approvers: Hex[];
  readonly missing: number;
  /** Approvals not counted, with why. */
  readonly rejected: ApprovalCheck["rejected"];
  /** One human-readable line (no secrets) for errors and logs. */
  readonly message: string;
}

/** Decides whether this member may contribute a share for the request. Never throws for a refusal. */
export function evaluateSignPolicy(params: EvaluateSignPolicyParams): SignPolicyDecision {
  const { policy, intent } = params;
  const scope = policy?.scope ?? null;
  const without = (allowed: boolean, reason: DecisionReason, rule: string | null, message: string) => ({
    allowed,
    reason,
    scope,
    rule,
    required: 0,
    approvers: [],
    missing: 0,
    rejected: [],
    message,
  });
  if (typeof params.digest !== "string" || params.digest.toLowerCase() !== intent.digest) {
    return without(
      false,
      "digest-mismatch",
      null,
      "the digest to sign is not the digest of the request payload",
    );
  }
  if (policy === undefined) return without(true, "no-policy", null, "no sign policy configured");
  const rule = firstMatchingRule(policy, intent);
  if (rule === null) {
    return without(false, "no-matching-rule", null, `${scope}: no rule matches this ${intent.kind} request`);
  }
  const at = `${scope} rule "${rule.name}"`;
  if (rule.action === "deny") return without(false, "denied-by-rule", rule.name, `${at} denies`);
  if (rule.requiredApprovals === 0) {
    return without(true, "no-approvals-needed", rule.name, `${at} allows without approvals`);
  }
  const check = verifyApprovals({
    approvals: params.approvals ?? [],
    approverSet: rule.approvers,
    required: rule.requiredApprovals,
    subject: { keyId: params.keyId, epoch: params.epoch, digest: intent.digest, requestId: params.requestId },
    domain: params.domain,
    now: params.now,
  });
  const allowed = check.missing === 0;
  const count = `${check.approvers.length} of ${check.required} required approvals from "${rule.approverSet}"`;
  return {
    ...check,
    allowed,
    reason: allowed ? "approved" : "insufficient-approvals",
    scope,
    rule: rule.name,
    message: `${at}: ${count} present${check.rejected.length > 0 ? `, ${check.rejected.length} not counted` : ""}`,
  };
}

/** The typed error for a refused decision (code "POLICY", HTTP 403). */
export function refusalError(decision: SignPolicyDecision): ApprovalPolicyError {
  if (decision.allowed) throw new ParameterError("refusalError needs a refused decision");
  return new ApprovalPolicyError(
    decision.reason as RefusalReason,
    decision.rule,
    decision.approvers.length,
    decision.required,
    `sign request refused: ${decision.message}`,
  );
}

/** evaluateSignPolicy, throwing ApprovalPolicyError on refusal; returns the (allowing) decision. */
export function enforceSignPolicy(params: EvaluateSignPolicyParams): SignPolicyDecision {
  const decision = evaluateSignPolicy(params);
  if (!decision.allowed) throw refusalError(decision);
  return decision;
}

/**
 * The audit-log record of a decision: identifiers, what was asked (transaction fields are public
 * request data) and the outcome. No approval signatures, no key material.
 */
export function signAuditDetails(
  decision: SignPolicyDecision,
  ctx: { requestId: string; keyId: bigint | string; epoch: bigint | number; intent: SignIntent },
): JsonObject {
  const { intent } = ctx;
  const request: Record<string, string | number | null> =
    intent.kind === "transaction"
      ? {
          chainId: intent.chainId.toString(),
          nonce: intent.nonce,
          to: intent.to,
          value: intent.value.toString(),
          selector: intent.selector,
        }
      : intent.primaryType !== undefined
        ? { primaryType: intent.primaryType }
        : {};
  return {
    requestId: ctx.requestId,
    keyId: ctx.keyId.toString(),
    epoch: ctx.epoch.toString(),
    kind: intent.kind,
    digest: intent.digest,
    ...request,
    allowed: decision.allowed,
    reason: decision.reason,
    scope: decision.scope,
    rule: decision.rule,
    required: decision.required,
    approvers: decision.approvers,
    missing: decision.missing,
    rejected: decision.rejected.map((r) => ({ index: r.index, approver: r.approver, reason: r.reason })),
  };
}
