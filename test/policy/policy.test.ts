import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ParameterError } from "../../node/protocol/errors.js";
import {
  firstMatchingRule,
  parsePolicyBook,
  parseSignIntent,
  policyFor,
  readPolicyBook,
  type SignIntent,
  type SignPolicy,
} from "../../node/policy/approvals/index.js";
import {
  APPROVE,
  BLOCKED,
  ONE_ETH,
  PAYEE,
  TOKEN,
  TRANSFER,
  call,
  onlyPolicy,
  treasury,
  txIntent,
  valueLimitRules,
} from "./fixtures.js";

const DIGEST = `0x${"5a".repeat(32)}` as const;
const digestIntent: SignIntent = parseSignIntent({ kind: "digest", digest: DIGEST });
const messageIntent: SignIntent = parseSignIntent({ kind: "message", message: "0x01" });

const ruleName = (policy: SignPolicy, intent: SignIntent) => firstMatchingRule(policy, intent)?.name ?? null;

describe("policy book: schema", () => {
  const book = (rules: unknown[], extra: Record<string, unknown> = {}) => ({
    version: 1,
    approverSets: { treasury: treasury.map((w) => w.address) },
    keys: { "12": { rules } },
    ...extra,
  });

  it("parses, checksums addresses, lower-cases selectors and turns amounts into bigints", () => {
    const policy = policyFor(
      parsePolicyBook(
        book([
          {
            name: "r",
            match: {
              toIn: [TOKEN.toLowerCase()],
              selectorIn: ["0xA9059CBB"],
              valueAtMost: "10",
              chainIds: [1, "5"],
            },
            action: "deny",
          },
        ]),
      ),
      "12",
    );
    assert.deepEqual(policy?.rules[0].match, {
      toIn: [TOKEN],
      selectorIn: [TRANSFER],
      valueAtMost: 10n,
      chainIds: [1n, 5n],
    });
    assert.equal(policy?.scope, "key 12");
  });

  const invalid: [string, unknown][] = [
    [
      "unknown field (a typo must not silently widen a rule)",
      book([{ name: "r", match: { toInn: [] }, action: "deny" }]),
    ],
    [
      "unknown approver set",
      book([{ name: "r", action: "allow", requiredApprovals: 1, approvers: "board" }]),
    ],
    [
      "more approvals than approvers",
      book([{ name: "r", action: "allow", requiredApprovals: 4, approvers: "treasury" }]),
    ],
    ["approvals without an approver set", book([{ name: "r", action: "allow", requiredApprovals: 1 }])],
    [
      "duplicate rule names",
      book([
        { name: "r", action: "deny" },
        { name: "r", action: "deny" },
      ]),
    ],
    [
      "transaction conditions on non-transaction kinds",
      book([{ name: "r", match: { kinds: ["digest"], toIn: [PAYEE] }, action: "deny" }]),
    ],
    [
      "empty value range",
      book([{ name: "r", match: { valueAbove: "10", valueAtMost: "10" }, action: "deny" }]),
    ],
    ["bad selector", book([{ name: "r", match: { selectorIn: ["0xa9059c"] }, action: "deny" }])],
    ["wei as a JSON number", book([{ name: "r", match: { valueAtMost: 10 }, action: "deny" }])],
    ["bad address", book([{ name: "r", match: { toIn: ["0x1234"] }, action: "deny" }])],
    ["duplicate approvers", { version: 1, approverSets: { s: [PAYEE, PAYEE] }, keys: {} }],
    ["unknown version", { version: 2, keys: {} }],
    ["no rules", book([])],
  ];
  for (const [what, json] of invalid) {
    it(`rejects ${what}`, () => assert.throws(() => parsePolicyBook(json), ParameterError));
  }

  it("resolves a key's own policy first, then its group's, else none", () => {
    const b = parsePolicyBook({
      version: 1,
      keys: { "12": { rules: [{ name: "key rule", action: "deny" }] } },
      groups: { "3": { rules: [{ name: "group rule", action: "allow" }] } },
    });
    assert.equal(policyFor(b, "12", "3")?.scope, "key 12");
    assert.equal(policyFor(b, "13", "3")?.scope, "group 3");
    assert.equal(policyFor(b, "13", "4"), undefined);
    assert.equal(policyFor(b, "13"), undefined);
  });

  it("reads a policy book file and refuses one that is not JSON", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "shardless-policy-"));
    const good = path.join(dir, "policy.json");
    writeFileSync(
      good,
      JSON.stringify({ version: 1, keys: { "1": { rules: [{ name: "a", action: "allow" }] } } }),
    );
    assert.equal(policyFor(readPolicyBook(good), "1")?.rules.length, 1);
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, "{ version: 1");
    assert.throws(() => readPolicyBook(bad), ParameterError);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("policy rules: matching per field", () => {
  it("kinds: a rule only matches the listed kinds; no match condition matches everything", () => {
    const policy = onlyPolicy([
      { name: "digests", match: { kinds: ["digest"] }, action: "deny" },
      { name: "messages or typed data", match: { kinds: ["message", "typedData"] }, action: "allow" },
      { name: "rest", action: "allow" },
    ]);
    assert.equal(ruleName(policy, digestIntent), "digests");
    assert.equal(ruleName(policy, messageIntent), "messages or typed data");
    assert.equal(ruleName(policy, txIntent()), "rest");
  });

  it("first match wins: rule order decides", () => {
    const a = { name: "a", match: { kinds: ["transaction"] }, action: "allow" };
    const b = { name: "b", match: { toIn: [PAYEE] }, action: "deny" };
    assert.equal(ruleName(onlyPolicy([a, b]), txIntent()), "a");
    assert.equal(ruleName(onlyPolicy([b, a]), txIntent()), "b");
  });

  it("no matching rule: null (the evaluator then refuses)", () => {
    const policy = onlyPolicy([{ name: "tx", match: { kinds: ["transaction"] }, action: "allow" }]);
    assert.equal(ruleName(policy, digestIntent), null);
  });

  it("chainIds", () => {
    const policy = onlyPolicy([{ name: "mainnet", match: { chainIds: [1] }, action: "deny" }]);
    assert.equal(ruleName(policy, txIntent({ chainId: 1n })), "mainnet");
    assert.equal(ruleName(policy, txIntent({ chainId: 31337n })), null);
  });

  it("value: valueAtMost is inclusive, valueAbove is exclusive (the limit itself is 'at most')", () => {
    const policy = onlyPolicy(valueLimitRules);
    assert.equal(ruleName(policy, txIntent({ value: 0n })), "small");
    assert.equal(ruleName(policy, txIntent({ value: ONE_ETH })), "small");
    assert.equal(ruleName(policy, txIntent({ value: ONE_ETH + 1n })), "large");
  });

  it("destination deny list: toIn", () => {
    const policy = onlyPolicy([
      { name: "blocklist", match: { toIn: [BLOCKED] }, action: "deny" },
      { name: "rest", action: "allow" },
    ]);
    assert.equal(ruleName(policy, txIntent({ to: BLOCKED })), "blocklist");
    assert.equal(ruleName(policy, txIntent({ to: PAYEE })), "rest");
    assert.equal(
      ruleName(policy, txIntent({ to: null, data: "0x60" })),
      "rest",
      "a creation is in no toIn list",
    );
  });

  it("destination allow list: toNotIn denies everything else, including contract creation", () => {
    const policy = onlyPolicy([
      { name: "not allow-listed", match: { toNotIn: [PAYEE, TOKEN] }, action: "deny" },
      { name: "allow-listed", action: "allow" },
    ]);
    assert.equal(ruleName(policy, txIntent({ to: PAYEE })), "allow-listed");
    assert.equal(ruleName(policy, txIntent({ to: TOKEN })), "allow-listed");
    assert.equal(ruleName(policy, txIntent({ to: BLOCKED })), "not allow-listed");
    assert.equal(ruleName(policy, txIntent({ to: null, data: "0x60" })), "not allow-listed");
  });

  it("method selectors: selectorIn / selectorNotIn, with 0x for no calldata", () => {
    const policy = onlyPolicy([
      { name: "token transfers", match: { toIn: [TOKEN], selectorIn: [TRANSFER] }, action: "allow" },
      { name: "other token calls", match: { toIn: [TOKEN], selectorNotIn: [TRANSFER] }, action: "deny" },
      { name: "plain payments", match: { selectorIn: ["0x"] }, action: "allow" },
      { name: "other calls", action: "deny" },
    ]);
    assert.equal(ruleName(policy, txIntent({ to: TOKEN, data: call(TRANSFER) })), "token transfers");
    assert.equal(ruleName(policy, txIntent({ to: TOKEN, data: call(APPROVE) })), "other token calls");
    assert.equal(ruleName(policy, txIntent({ to: TOKEN, data: "0x" })), "other token calls");
    assert.equal(ruleName(policy, txIntent({ to: PAYEE, value: 5n })), "plain payments");
    assert.equal(ruleName(policy, txIntent({ to: PAYEE, data: call(APPROVE) })), "other calls");
  });

  it("raw digests and messages never match transaction conditions (they cannot be inspected)", () => {
    const policy = onlyPolicy([
      { name: "small", match: { valueAtMost: "0" }, action: "allow" },
      { name: "not blocked", match: { toNotIn: [BLOCKED] }, action: "allow" },
      { name: "opaque", action: "allow", requiredApprovals: 2, approvers: "treasury" },
    ]);
    assert.equal(ruleName(policy, digestIntent), "opaque");
    assert.equal(ruleName(policy, messageIntent), "opaque");
    assert.equal(ruleName(policy, txIntent()), "small");
  });

  it("all conditions of a rule must hold together", () => {
    const policy = onlyPolicy([
      { name: "both", match: { toIn: [TOKEN], valueAbove: "0" }, action: "deny" },
      { name: "rest", action: "allow" },
    ]);
    assert.equal(ruleName(policy, txIntent({ to: TOKEN, value: 1n })), "both");
    assert.equal(ruleName(policy, txIntent({ to: TOKEN, value: 0n })), "rest");
    assert.equal(ruleName(policy, txIntent({ to: PAYEE, value: 1n })), "rest");
  });
});
