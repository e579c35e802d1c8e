/**
 * The business approval layer across real member processes: every member enforces the group's policy
 * book on its own before it contributes to a signature, and records each decision in its hash-chained
 * audit log. A large transfer needs an approver's EIP-712 approval; a small one does not; raw digests are
 * denied (registry records of the group's own keys still sign: members recognise them from their state).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Transaction, Wallet, parseEther } from "ethers";
import type { ShardlessApiError } from "../../node/client/api-client.js";
import type { Hex, KeyStatus } from "../../node/client/types.js";
import { signApproval } from "../../node/policy/approvals/approval.js";
import { verifyAuditLog } from "../../node/policy/audit-log.js";
import { startE2eDevnet, type E2eDevnet } from "../helpers/e2e-devnet.js";

const approver = Wallet.createRandom();
const policy = {
  version: 1,
  approverSets: { ops: [approver.address] },
  keys: {},
  groups: {
    "1": {
      rules: [
        {
          name: "small",
          match: { kinds: ["transaction"], valueAtMost: parseEther("0.1").toString() },
          action: "allow",
        },
        {
          name: "large",
          match: { kinds: ["transaction"] },
          action: "allow",
          requiredApprovals: 1,
          approvers: "ops",
        },
        { name: "no raw digests", match: { kinds: ["digest"] }, action: "deny" },
      ],
    },
  },
};

describe("approvals e2e: 3 member processes enforce a policy book", () => {
  let net: E2eDevnet;
  let key: KeyStatus;

  before(async () => {
    net = await startE2eDevnet(3, { prefix: "shardless-approvals-", policy });
    key = await net.clients[0].keygen(net.devnet.groupId, "ecdsa", 1); // registry record: no approval needed
  });
  after(async () => {
    await net?.stop();
  });

  const unsignedTx = (value: bigint, nonce: number) =>
    Transaction.from({
      type: 2,
      chainId: net.devnet.chainId,
      nonce,
      to: approver.address,
      value,
      gasLimit: 21_000n,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });

  it("a small transfer signs without approvals", async () => {
    const tx = unsignedTx(parseEther("0.05"), 0);
    const r = await net.clients[1].sign(key.keyId, {
      kind: "transaction",
      transaction: tx.unsignedSerialized as Hex,
    });
    assert.equal(Transaction.from(r.serialized!).from, key.address);
  });

  it("a large transfer is refused without an approval and signed with one", async () => {
    const tx = unsignedTx(parseEther("1"), 1);
    await assert.rejects(
      net.clients[1].sign(key.keyId, { kind: "transaction", transaction: tx.unsignedSerialized as Hex }),
      (e: ShardlessApiError) => e.code === "POLICY",
    );
    const requestId = "large-transfer-1";
    const approval = await signApproval(
      approver,
      { chainId: net.devnet.chainId, verifyingContract: net.devnet.registry },
      { keyId: key.keyId, epoch: key.epoch, digest: tx.unsignedHash, requestId },
      Math.floor(Date.now() / 1000) + 600,
    );
    const r = await net.clients[1].sign(key.keyId, {
      kind: "transaction",
      transaction: tx.unsignedSerialized as Hex,
      approvals: [approval],
      requestId,
    });
    assert.equal(Transaction.from(r.serialized!).from, key.address);
    // The same approval does not authorise another request.
    await assert.rejects(
      net.clients[1].sign(key.keyId, {
        kind: "transaction",
        transaction: unsignedTx(parseEther("2"), 2).unsignedSerialized as Hex,
        approvals: [approval],
        requestId: "large-transfer-2",
      }),
      (e: ShardlessApiError) => e.code === "POLICY",
    );
  });

  it("raw digests are denied by policy", async () => {
    await assert.rejects(
      net.clients[0].sign(key.keyId, { kind: "digest", digest: `0x${"ab".repeat(32)}` }),
      (e: ShardlessApiError) => e.code === "POLICY",
    );
  });

  it("every member's audit log is an intact hash chain with the decisions", async () => {
    for (const m of net.devnet.members) {
      const v = await verifyAuditLog(path.join(m.dir, "audit.log"));
      assert.equal(v.ok, true, `member ${m.index}`);
      assert.ok(v.entries >= 2, `member ${m.index} recorded its decisions`);
    }
  });
});
