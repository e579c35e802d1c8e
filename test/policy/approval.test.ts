import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Signature, TypedDataEncoder } from "ethers";
import { ParameterError, PolicyError } from "../../node/protocol/errors.js";
import {
  ApprovalPolicyError,
  MAX_APPROVALS,
  approvalTypedData,
  approvalsSchema,
  enforceSignPolicy,
  evaluateSignPolicy,
  parseSignIntent,
  signAuditDetails,
  verifyApprovals,
  type ApprovalSubject,
  type EvaluateSignPolicyParams,
  type SignedApproval,
  type SignIntent,
  type SignPolicy,
} from "../../node/policy/approvals/index.js";
import {
  NOW,
  ONE_ETH,
  REGISTRY,
  approve,
  domain,
  onlyPolicy,
  outsider,
  subjectFor,
  treasury,
  txIntent,
  valueLimitRules,
} from "./fixtures.js";

const [alice, bob, carol] = treasury;
const policy = onlyPolicy(valueLimitRules);
const large = txIntent({ value: ONE_ETH + 1n });
const subject = subjectFor(large.digest);

function evaluate(
  approvals: readonly SignedApproval[],
  over: Partial<EvaluateSignPolicyParams> & { intent?: SignIntent; policy?: SignPolicy | undefined } = {},
) {
  const intent = over.intent ?? large;
  return evaluateSignPolicy({
    policy,
    intent,
    approvals,
    keyId: "12",
    epoch: 3,
    digest: intent.digest,
    requestId: "req-1",
    now: NOW,
    domain,
    ...over,
  });
}

describe("approvals: value limit with 2 of 3 approvers", () => {
  it("at the limit: allowed without approvals", () => {
    const d = evaluate([], { intent: txIntent({ value: ONE_ETH }) });
    assert.equal(d.allowed, true);
    assert.equal(d.reason, "no-approvals-needed");
    assert.equal(d.rule, "small");
  });

  it("above the limit: refused without approvals, with one, allowed with two or three", async () => {
    const [a, b, c] = await Promise.all([
      approve(alice, subject),
      approve(bob, subject),
      approve(carol, subject),
    ]);
    assert.equal(evaluate([]).allowed, false);
    const one = evaluate([a]);
    assert.equal(one.allowed, false);
    assert.equal(one.reason, "insufficient-approvals");
    assert.equal(one.missing, 1);
    const two = evaluate([c, a]);
    assert.equal(two.allowed, true);
    assert.equal(two.reason, "approved");
    assert.deepEqual(two.approvers, [carol.address, alice.address]);
    assert.equal(evaluate([a, b, c]).approvers.length, 3);
  });

  it("insufficient approvals: PolicyError naming the rule, approvals present and needed", async () => {
    const a = await approve(alice, subject);
    assert.throws(
      () =>
        enforceSignPolicy({
          policy,
          intent: large,
          approvals: [a],
          keyId: "12",
          epoch: 3,
          digest: large.digest,
          requestId: "req-1",
          now: NOW,
          domain,
        }),
      (e: unknown) =>
        e instanceof ApprovalPolicyError &&
        e instanceof PolicyError &&
        e.code === "POLICY" &&
        e.reason === "insufficient-approvals" &&
        e.rule === "large" &&
        e.present === 1 &&
        e.required === 2,
    );
  });
});

describe("approvals: attacks", () => {
  it("replaying one approver's approval twice counts once", async () => {
    const a = await approve(alice, subject);
    const d = evaluate([a, a, { ...a }]);
    assert.equal(d.allowed, false);
    assert.deepEqual(d.approvers, [alice.address]);
    assert.deepEqual(
      d.rejected.map((r) => [r.index, r.reason]),
      [
        [1, "duplicate"],
        [2, "duplicate"],
      ],
    );
  });

  it("approver address in another case is still one approver", async () => {
    const a = await approve(alice, subject);
    const d = evaluate([a, { ...a, approver: a.approver.toLowerCase() }]);
    assert.deepEqual(d.approvers, [alice.address]);
  });

  it("an approval from outside the approver set is ignored", async () => {
    const [a, x] = await Promise.all([approve(alice, subject), approve(outsider, subject)]);
    const d = evaluate([a, x]);
    assert.equal(d.allowed, false);
    assert.deepEqual(d.rejected, [{ index: 1, approver: outsider.address, reason: "not-an-approver" }]);
  });

  it("an outsider signing in an approver's name is rejected (signature-mismatch)", async () => {
    const [a, x] = await Promise.all([approve(alice, subject), approve(outsider, subject)]);
    const d = evaluate([a, { ...x, approver: bob.address }]);
    assert.equal(d.allowed, false);
    assert.equal(d.rejected[0].reason, "signature-mismatch");
  });

  it("an expired approval is rejected; one expiring a second later is fine", async () => {
    const [a, b] = await Promise.all([approve(alice, subject, NOW), approve(bob, subject, NOW + 1)]);
    const d = evaluate([a, b]);
    assert.equal(d.allowed, false);
    assert.deepEqual(
      d.rejected.map((r) => r.reason),
      ["expired"],
    );
    assert.equal(evaluate([a, b], { now: NOW - 1 }).allowed, true);
  });

  it("changing expiresAt after signing breaks the signature (an approver's deadline cannot be extended)", async () => {
    const [a, b] = await Promise.all([approve(alice, subject, NOW + 10), approve(bob, subject)]);
    const d = evaluate([{ ...a, expiresAt: NOW + 10_000 }, b]);
    assert.equal(d.allowed, false);
    assert.equal(d.rejected[0].reason, "signature-mismatch");
  });

  const reuse: [string, Partial<ApprovalSubject>][] = [
    ["another digest", { digest: txIntent({ value: ONE_ETH + 2n }).digest }],
    ["another key", { keyId: "13" }],
    ["another epoch", { epoch: 4 }],
    ["another request", { requestId: "req-2" }],
  ];
  for (const [what, over] of reuse) {
    it(`an approval made for ${what} is rejected`, async () => {
      const other = subjectFor(over.digest ?? large.digest, over);
      const approvals = await Promise.all([approve(alice, other), approve(bob, other)]);
      const d = evaluate(approvals);
      assert.equal(d.allowed, false);
      assert.deepEqual(
        d.rejected.map((r) => r.reason),
        ["signature-mismatch", "signature-mismatch"],
      );
    });
  }

  it("an approval made for another chain or registry is rejected", async () => {
    const otherChain = { chainId: 1n, verifyingContract: REGISTRY };
    const otherRegistry = { chainId: domain.chainId, verifyingContract: outsider.address };
    const approvals = await Promise.all([
      approve(alice, subject, NOW + 600, otherChain),
      approve(bob, subject, NOW + 600, otherRegistry),
    ]);
    assert.equal(evaluate(approvals).approvers.length, 0);
  });

  it("the high-s twin of a valid signature is refused, and could not count twice anyway", async () => {
    const a = await approve(alice, subject);
    const s = Signature.from(a.signature);
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = `0x${s.r.slice(2)}${(N - BigInt(s.s)).toString(16).padStart(64, "0")}${s.v === 27 ? "1c" : "1b"}`;
    const d = evaluate([{ ...a, signature: highS }, a]);
    assert.deepEqual(d.approvers, [alice.address]);
    assert.equal(d.rejected[0].reason, "signature-mismatch");
    assert.deepEqual(evaluate([a, { ...a, signature: highS }]).approvers, [alice.address]);
  });

  it("malformed approvals are listed, not thrown", async () => {
    const b = await approve(bob, subject);
    const junk = [
      { approver: "0x1234", signature: b.signature, expiresAt: NOW + 1 },
      { approver: bob.address, signature: "0x1234", expiresAt: NOW + 1 },
      { approver: bob.address, signature: b.signature, expiresAt: -1 },
      null,
    ] as unknown as SignedApproval[];
    const d = evaluate([...junk, b]);
    assert.deepEqual(
      d.rejected.map((r) => r.reason),
      ["malformed", "malformed", "malformed", "malformed"],
    );
    assert.deepEqual(d.approvers, [bob.address]);
  });

  it("too many approvals in one request: ParameterError (bounds the work a request can cause)", async () => {
    const a = await approve(alice, subject);
    assert.throws(() => evaluate(Array.from({ length: MAX_APPROVALS + 1 }, () => a)), ParameterError);
  });

  it("a digest to sign that is not the payload's digest is refused, even without a policy", () => {
    const d = evaluate([], { policy: undefined, digest: txIntent({ value: 5n }).digest });
    assert.equal(d.allowed, false);
    assert.equal(d.reason, "digest-mismatch");
  });
});

describe("evaluateSignPolicy: outcomes", () => {
  it("no policy configured: allow with 0 approvals", () => {
    const d = evaluate([], { policy: undefined });
    assert.equal(d.allowed, true);
    assert.equal(d.reason, "no-policy");
    assert.equal(d.required, 0);
  });

  it("deny rule and no matching rule refuse with typed errors", () => {
    const digest = parseSignIntent({ kind: "digest", digest: `0x${"77".repeat(32)}` });
    const base = {
      approvals: [],
      keyId: "12",
      epoch: 3,
      digest: digest.digest,
      requestId: "r",
      now: NOW,
      domain,
    };
    const deny = onlyPolicy([{ name: "no raw digests", match: { kinds: ["digest"] }, action: "deny" }]);
    assert.throws(
      () => enforceSignPolicy({ ...base, policy: deny, intent: digest }),
      (e: unknown) =>
        e instanceof ApprovalPolicyError && e.reason === "denied-by-rule" && e.rule === "no raw digests",
    );
    const txOnly = onlyPolicy([{ name: "tx", match: { kinds: ["transaction"] }, action: "allow" }]);
    assert.throws(
      () => enforceSignPolicy({ ...base, policy: txOnly, intent: digest }),
      (e: unknown) => e instanceof ApprovalPolicyError && e.reason === "no-matching-rule" && e.rule === null,
    );
  });

  it("a raw digest can be allowed with approvals bound to that digest", async () => {
    const intent = parseSignIntent({ kind: "digest", digest: `0x${"42".repeat(32)}` });
    const p = onlyPolicy([
      {
        name: "raw",
        match: { kinds: ["digest"] },
        action: "allow",
        requiredApprovals: 1,
        approvers: "treasury",
      },
    ]);
    const a = await approve(carol, subjectFor(intent.digest));
    assert.equal(evaluate([a], { policy: p, intent }).allowed, true);
    assert.equal(evaluate([], { policy: p, intent }).allowed, false);
  });

  it("keys named by non-numeric ids cannot take approvals (the EIP-712 keyId is a uint256)", () => {
    assert.throws(() => evaluate([], { keyId: "my-key" }), ParameterError);
    assert.throws(() => evaluate([], { now: NOW + 0.5 }), ParameterError, "`now` is whole seconds");
  });

  it("an approval signed from the wallet JSON form (eth_signTypedData_v4) verifies", async () => {
    const json = approvalTypedData(domain, subject, NOW + 60);
    const { EIP712Domain: _omit, ...types } = json.types;
    assert.equal(
      TypedDataEncoder.hash(json.domain, types, json.message),
      TypedDataEncoder.hash(
        { name: "Shardless", version: "1", chainId: domain.chainId, verifyingContract: REGISTRY },
        types,
        { keyId: 12n, epoch: 3n, digest: large.digest, requestId: "req-1", expiresAt: BigInt(NOW + 60) },
      ),
    );
    const signature = await alice.signTypedData(json.domain, types, json.message);
    const check = verifyApprovals({
      approvals: [{ approver: alice.address, signature, expiresAt: NOW + 60 }],
      approverSet: treasury.map((w) => w.address),
      required: 1,
      subject,
      domain,
      now: NOW,
    });
    assert.deepEqual(check.approvers, [alice.address]);
  });

  it("the wire schema accepts approvals as signApproval makes them and refuses extra fields", async () => {
    const a = await approve(alice, subject);
    assert.deepEqual(approvalsSchema.parse([a]), [a]);
    assert.equal(approvalsSchema.safeParse([{ ...a, digest: large.digest }]).success, false);
  });

  it("audit details carry identifiers and outcome, never approval signatures", async () => {
    const [a, b] = await Promise.all([approve(alice, subject), approve(bob, subject)]);
    const d = evaluate([a, b]);
    const details = signAuditDetails(d, { requestId: "req-1", keyId: "12", epoch: 3, intent: large });
    assert.equal(details.allowed, true);
    assert.equal(details.rule, "large");
    assert.equal(details.digest, large.digest);
    assert.equal(details.value, (ONE_ETH + 1n).toString());
    assert.deepEqual(details.approvers, [alice.address, bob.address]);
    const text = JSON.stringify(details);
    assert.ok(!text.includes(a.signature.slice(2, 40)) && !text.includes(b.signature.slice(2, 40)));
  });
});
