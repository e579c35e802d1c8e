/**
 * Sign policies of the business approval layer (DESIGN.md §3 "Approve"). One JSON document (the "policy
 * book") gives each key, or each group, an ordered list of rules; every member loads its own copy and
 * enforces it on its own before contributing a signature share.
 *
 * ```json
 * {
 *   "version": 1,
 *   "approverSets": { "treasury": ["0xA1…", "0xB2…", "0xC3…"] },
 *   "keys": {
 *     "12": { "rules": [
 *       { "name": "blocklist", "match": { "toIn": ["0xBAD…"] }, "action": "deny" },
 *       { "name": "small", "match": { "kinds": ["transaction"], "valueAtMost": "1000000000000000000" },
 *         "action": "allow" },
 *       { "name": "large", "match": { "kinds": ["transaction"] }, "action": "allow",
 *         "requiredApprovals": 2, "approvers": "treasury" },
 *       { "name": "raw digests", "match": { "kinds": ["digest"] }, "action": "deny" }
 *     ] }
 *   },
 *   "groups": { "3": { "rules": [ { "name": "anything", "action": "allow", "requiredApprovals": 1,
 *                                   "approvers": "treasury" } ] } }
 * }
 * ```
 *
 * Semantics:
 * - The policy of a key is `keys[keyId]`, else `groups[groupId]`, else none. **No policy: allow with
 *   0 approvals** (a node without a policy book signs what its quorum asks, as before this layer).
 * - Rules are tried in order; the first whose `match` holds decides. If a policy exists and no rule
 *   matches, the request is refused (fail closed): end with a catch-all rule to choose otherwise.
 * - Every condition present in `match` must hold (AND); an absent `match` matches everything.
 *   `kinds` lists request kinds. The transaction conditions — `chainIds`, `toIn`, `toNotIn`,
 *   `valueAtMost`, `valueAbove` (wei, decimal strings), `selectorIn`, `selectorNotIn` (4-byte selectors, or
 *   "0x" for no calldata) — only ever match transactions: message, typed data and raw digests cannot be
 *   inspected. A contract creation (no `to`) is in no `toIn` list and outside every `toNotIn` list.
 * - `"action": "allow"` needs `requiredApprovals` (default 0) distinct EIP-712 approvals from the named
 *   `approvers` set (see approval.ts); `"action": "deny"` refuses.
 *   Destination allow list = `{ "match": { "toNotIn": [allowed…] }, "action": "deny" }` first;
 *   deny list = `{ "match": { "toIn": [denied…] }, "action": "deny" }`.
 */
import { readFileSync } from "node:fs";
import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import type { Hex } from "../../client/types.js";
import { ParameterError } from "../../protocol/errors.js";
import { SIGN_KINDS, type SignIntent, type SignKind } from "./intent.js";

export const POLICY_VERSION = 1;
/** Caps that keep a policy (and the approvals it asks for) cheap to evaluate. */
export const MAX_APPROVERS_PER_SET = 64;
export const MAX_RULES = 256;
export const MAX_LIST = 1024;

const UINT256_MAX = (1n << 256n) - 1n;

const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, "id must be 1-128 chars of [A-Za-z0-9._-]");

const nameSchema = z.string().min(1).max(128);

const addressSchema = z
  .string()
  .refine((s) => s.startsWith("0x") && isAddress(s), "must be a 0x-prefixed Ethereum address")
  .transform((s) => getAddress(s) as Hex);

const weiSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, "wei amounts are decimal strings")
  .transform((s) => BigInt(s))
  .refine((v) => v <= UINT256_MAX, "wei amount exceeds uint256");

const chainIdSchema = z
  .union([
    z.number().int().positive().safe(),
    z.string().regex(/^[1-9][0-9]{0,77}$/, "chain ids are positive decimal integers"),
  ])
  .transform((v) => BigInt(v));

const selectorSchema = z
  .string()
  .regex(/^0x(?:[0-9a-fA-F]{8})?$/, 'selectors are 4 bytes of 0x-hex, or "0x" for no calldata')
  .transform((s) => s.toLowerCase() as Hex);

const list = <T extends z.ZodTypeAny>(item: T) => z.array(item).min(1).max(MAX_LIST);

const matchSchema = z
  .object({
    kinds: z.array(z.enum(SIGN_KINDS)).min(1).optional(),
    chainIds: list(chainIdSchema).optional(),
    toIn: list(addressSchema).optional(),
    toNotIn: list(addressSchema).optional(),
    valueAtMost: weiSchema.optional(),
    valueAbove: weiSchema.optional(),
    selectorIn: list(selectorSchema).optional(),
    selectorNotIn: list(selectorSchema).optional(),
  })
  .strict();

const ruleSchema = z.discriminatedUnion("action", [
  z
    .object({
      name: nameSchema,
      match: matchSchema.optional(),
      action: z.literal("allow"),
      requiredApprovals: z.number().int().min(0).max(MAX_APPROVERS_PER_SET).default(0),
      approvers: nameSchema.optional(),
    })
    .strict(),
  z.object({ name: nameSchema, match: matchSchema.optional(), action: z.literal("deny") }).strict(),
]);

const rulesSchema = z.object({ rules: z.array(ruleSchema).min(1).max(MAX_RULES) }).strict();

export const policyBookSchema = z
  .object({
    version: z.literal(POLICY_VERSION),
    approverSets: z
      .record(
        nameSchema,
        z
          .array(addressSchema)
          .min(1)
          .max(MAX_APPROVERS_PER_SET)
          .refine((a) => new Set(a).size === a.length, "approver addresses must be distinct"),
      )
      .default({}),
    keys: z.record(idSchema, rulesSchema).default({}),
    groups: z.record(idSchema, rulesSchema).default({}),
  })
  .strict();

export type PolicyBookJson = z.input<typeof policyBookSchema>;

/** Conditions of one rule, parsed (addresses checksummed, selectors lowercase, amounts bigint). */
export interface RuleMatch {
  readonly kinds?: readonly SignKind[];
  readonly chainIds?: readonly bigint[];
  readonly toIn?: readonly Hex[];
  readonly toNotIn?: readonly Hex[];
  readonly valueAtMost?: bigint;
  readonly valueAbove?: bigint;
  readonly selectorIn?: readonly Hex[];
  readonly selectorNotIn?: readonly Hex[];
}

export interface AllowRule {
  readonly name: string;
  readonly match: RuleMatch;
  readonly action: "allow";
  readonly requiredApprovals: number;
  /** Name of the approver set (null when no approvals are required). */
  readonly approverSet: string | null;
  /** Its members, checksummed. */
  readonly approvers: readonly Hex[];
}

export interface DenyRule {
  readonly name: string;
  readonly match: RuleMatch;
  readonly action: "deny";
}

export type PolicyRule = AllowRule | DenyRule;

/** The policy that applies to one key. */
export interface SignPolicy {
  /** "key <id>" or "group <id>": where the rules came from, for messages and audit records. */
  readonly scope: string;
  readonly rules: readonly PolicyRule[];
}

export interface PolicyBook {
  readonly keys: ReadonlyMap<string, SignPolicy>;
  readonly groups: ReadonlyMap<string, SignPolicy>;
}

const TRANSACTION_CONDITIONS = [
  "chainIds",
  "toIn",
  "toNotIn",
  "valueAtMost",
  "valueAbove",
  "selectorIn",
  "selectorNotIn",
] as const;

/** Validates a policy book (already JSON-parsed). Throws ParameterError naming the offending field. */
export function parsePolicyBook(json: unknown): PolicyBook {
  const parsed = policyBookSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ParameterError(`invalid policy book: ${issues.join("; ")}`);
  }
  const { approverSets, keys, groups } = parsed.data;
  const resolve = (kind: "keys" | "groups", scope: string, rules: z.output<typeof ruleSchema>[]) =>
    buildPolicy(`${kind === "keys" ? "key" : "group"} ${scope}`, `${kind}.${scope}`, rules, approverSets);
  return {
    keys: new Map(Object.entries(keys).map(([id, p]) => [id, resolve("keys", id, p.rules)])),
    groups: new Map(Object.entries(groups).map(([id, p]) => [id, resolve("groups", id, p.rules)])),
  };
}

/** Reads and validates a policy book file (JSON). */
export function readPolicyBook(file: string): PolicyBook {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new ParameterError(`policy book ${file} is not readable JSON`, [], { cause });
  }
  return parsePolicyBook(json);
}

/** The policy of a key: its own, else its group's, else undefined (= allow with 0 approvals). */
export function policyFor(book: PolicyBook, keyId: string, groupId?: string): SignPolicy | undefined {
  return book.keys.get(keyId) ?? (groupId === undefined ? undefined : book.groups.get(groupId));
}

/** The first rule of `policy` that matches `intent`, or null. */
export function firstMatchingRule(policy: SignPolicy, intent: SignIntent): PolicyRule | null {
  return policy.rules.find((rule) => ruleMatches(rule.match, intent)) ?? null;
}

/** Whether every condition of `match` holds for `intent`. */
export function ruleMatches(match: RuleMatch, intent: SignIntent): boolean {
  if (match.kinds !== undefined && !match.kinds.includes(intent.kind)) return false;
  const inspectsTransaction = TRANSACTION_CONDITIONS.some((c) => match[c] !== undefined);
  if (!inspectsTransaction) return true;
  if (intent.kind !== "transaction") return false;
  const { chainId, to, value, selector } = intent;
  if (match.chainIds !== undefined && !match.chainIds.includes(chainId)) return false;
  if (match.toIn !== undefined && (to === null || !match.toIn.includes(to))) return false;
  if (match.toNotIn !== undefined && to !== null && match.toNotIn.includes(to)) return false;
  if (match.valueAtMost !== undefined && value > match.valueAtMost) return false;
  if (match.valueAbove !== undefined && value <= match.valueAbove) return false;
  if (match.selectorIn !== undefined && !match.selectorIn.includes(selector)) return false;
  if (match.selectorNotIn !== undefined && match.selectorNotIn.includes(selector)) return false;
  return true;
}

function buildPolicy(
  scope: string,
  path: string,
  rules: z.output<typeof ruleSchema>[],
  approverSets: Record<string, Hex[]>,
): SignPolicy {
  const names = new Set<string>();
  const built = rules.map((rule, index): PolicyRule => {
    const at = `${path}.rules.${index}`;
    if (names.has(rule.name))
      throw new ParameterError(`invalid policy book: ${at}: duplicate rule name "${rule.name}"`);
    names.add(rule.name);
    const match = rule.match ?? {};
    checkSatisfiable(match, at);
    if (rule.action === "deny") return { name: rule.name, match, action: "deny" };
    if (rule.requiredApprovals === 0) {
      return {
        name: rule.name,
        match,
        action: "allow",
        requiredApprovals: 0,
        approverSet: null,
        approvers: [],
      };
    }
    if (rule.approvers === undefined) {
      throw new ParameterError(`invalid policy book: ${at}: requiredApprovals > 0 needs an "approvers" set`);
    }
    const approvers = Object.hasOwn(approverSets, rule.approvers) ? approverSets[rule.approvers] : undefined;
    if (approvers === undefined)
      throw new ParameterError(`invalid policy book: ${at}: unknown approver set "${rule.approvers}"`);
    if (rule.requiredApprovals > approvers.length) {
      throw new ParameterError(
        `invalid policy book: ${at}: requires ${rule.requiredApprovals} approvals but set "${rule.approvers}" has ${approvers.length}`,
      );
    }
    return {
      name: rule.name,
      match,
      action: "allow",
      requiredApprovals: rule.requiredApprovals,
      approverSet: rule.approvers,
      approvers,
    };
  });
  return { scope, rules: built };
}

/** Rejects conditions that can never hold together: almost certainly a typo in the policy. */
function checkSatisfiable(match: RuleMatch, at: string): void {
  const inspectsTransaction = TRANSACTION_CONDITIONS.some((c) => match[c] !== undefined);
  if (inspectsTransaction && match.kinds !== undefined && !match.kinds.includes("transaction")) {
    throw new ParameterError(
      `invalid policy book: ${at}: transaction conditions on a rule that excludes kind "transaction"`,
    );
  }
  if (
    match.valueAbove !== undefined &&
    match.valueAtMost !== undefined &&
    match.valueAbove >= match.valueAtMost
  ) {
    throw new ParameterError(`invalid policy book: ${at}: valueAbove must be below valueAtMost`);
  }
}
