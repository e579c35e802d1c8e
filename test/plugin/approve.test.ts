/**
 * `shardless approve` and `shardless sign --approvals` through a fresh HRE's task runner, against the real
 * API server in front of the test double. Every approval the task hands out is checked here with the
 * members' own verification (verifyApprovals) for the request it names — and fails it for any other.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Transaction, Wallet, getAddress, parseEther } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { KeyStatus } from "../../node/client/types.js";
import { ApprovalPolicyError } from "../../node/policy/approvals/errors.js";
import { verifyApprovals, type SignedApproval } from "../../node/policy/approvals/approval.js";
import { FakeNodeServices, startFakeApi, type FakeApi } from "../helpers/api-fake-services.js";
import { captured, pluginHre } from "../helpers/api-plugin.js";

const isCode = (code: string) => (e: unknown) => (e as { code?: string }).code === code;
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const approverA = Wallet.createRandom();
const approverB = Wallet.createRandom();
const digest = `0x${"ab".repeat(32)}`;

describe("plugin task: approve (and sign --approvals)", () => {
  let api: FakeApi;
  let hre: HardhatRuntimeEnvironment;
  let key: KeyStatus;
  let dir: string;
  const run = (verb: string, args: Record<string, unknown>) =>
    captured(() => hre.tasks.getTask(["shardless", verb]).run(args));
  const runJson = async (verb: string, args: Record<string, unknown>) =>
    (await run(verb, { ...args, json: true })).out.json();

  /** The members' check of `approvals` for (key, epoch, digest, requestId) in the node's domain. */
  const counted = (
    approvals: SignedApproval[],
    subject: { digest: string; requestId: string; epoch?: number },
  ) =>
    verifyApprovals({
      approvals,
      approverSet: [approverA.address, approverB.address],
      required: 2,
      subject: { keyId: key.keyId, epoch: subject.epoch ?? key.epoch, ...subject },
      domain: { chainId: 31337, verifyingContract: REGISTRY },
      now: Math.floor(Date.now() / 1000),
    }).approvers;

  before(async () => {
    api = await startFakeApi({ services: new FakeNodeServices({ registry: REGISTRY }) });
    dir = await mkdtemp(path.join(tmpdir(), "shardless-approve-"));
    key = await api.client.keygen("1", "ecdsa", 1);
    hre = await pluginHre(
      { nodes: [{ url: api.url, token: api.token }], defaultKey: key.keyId },
      {
        networks: {
          default: {
            type: "edr-simulated",
            accounts: [approverA, approverB].map((w) => ({
              privateKey: w.privateKey,
              balance: parseEther("1").toString(),
            })),
          },
        },
      },
    );
  });
  after(async () => {
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("--json: an approval the members count for this request, and for no other request or digest", async () => {
    const r = await runJson("approve", { requestId: "pay-1", digest });
    assert.deepEqual(
      { keyId: r.keyId, epoch: r.epoch, requestId: r.requestId, kind: r.kind, digest: r.digest },
      { keyId: key.keyId, epoch: key.epoch, requestId: "pay-1", kind: "digest", digest },
    );
    assert.deepEqual({ chainId: r.chainId, registry: r.registry }, { chainId: 31337, registry: REGISTRY });
    assert.equal(r.approval.approver, approverA.address, "the network's first account by default");
    assert.deepEqual(counted([r.approval], { digest, requestId: "pay-1" }), [approverA.address]);
    // Replaying it for another request, digest or epoch (e.g. after a refresh) counts for nothing.
    assert.deepEqual(counted([r.approval], { digest, requestId: "pay-2" }), []);
    assert.deepEqual(counted([r.approval], { digest: `0x${"cd".repeat(32)}`, requestId: "pay-1" }), []);
    assert.deepEqual(counted([r.approval], { digest, requestId: "pay-1", epoch: key.epoch + 1 }), []);
    const lifetime = r.approval.expiresAt - Math.floor(Date.now() / 1000);
    assert.ok(lifetime > 3500 && lifetime <= 3600, "an hour by default");
  });

  it("a transaction is shown decoded; sign --transaction --approvals returns it signed by the group", async () => {
    const to = "0x000000000000000000000000000000000000bEEF";
    const tx = Transaction.from({
      type: 2,
      chainId: 31337,
      nonce: 7,
      to,
      value: parseEther("2"),
      data: "0xa9059cbb" + "00".repeat(64),
      gasLimit: 100_000n,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });
    const human = await run("approve", {
      requestId: "tx-1",
      transaction: tx.unsignedSerialized,
      approver: approverB.address,
      expiresIn: 60,
    });
    const text = human.out.stdout.join("\n");
    assert.match(
      text,
      new RegExp(`Approved request tx-1 for key ${key.keyId} \\(epoch 0\\) as ${approverB.address}`),
    );
    assert.match(text, new RegExp(`transaction digest ${tx.unsignedHash}`));
    assert.match(text, new RegExp(`to ${to}, 2\\.0 ETH, method 0xa9059cbb, chain 31337, nonce 7`));
    assert.match(text, /valid until \d{4}-\d\d-\d\dT/);
    assert.ok(
      human.out.stderr.some((l) => l.includes(`as ${approverB.address}`)),
      "progress on stderr",
    );
    const file = path.join(dir, "tx-1.json");
    const json = await runJson("approve", {
      requestId: "tx-1",
      transaction: tx.unsignedSerialized,
      out: file,
    });
    assert.equal(json.digest, tx.unsignedHash);
    const signed = await run("sign", { transaction: tx.unsignedSerialized, approvals: file });
    const serialized = /signed transaction (0x[0-9a-f]+)/.exec(signed.out.stdout.join("\n"))![1]!;
    assert.equal(Transaction.from(serialized).from, key.address);
    assert.equal(Transaction.from(serialized).unsignedHash, tx.unsignedHash);
    // A node answering with another transaction under the group's signature is refused.
    const original = api.services.sign.bind(api.services);
    api.services.sign = async (k, payload, requestId) => {
      const other = Transaction.from({ ...tx.toJSON(), nonce: 8, signature: null }).unsignedSerialized;
      const real = await original(k, payload, requestId);
      const forged = await original(
        k,
        { kind: "transaction", transaction: other as `0x${string}` },
        requestId,
      );
      return { ...real, serialized: forged.serialized };
    };
    try {
      // (Its own request id: the API answers a repeated request id from its idempotency cache.)
      await assert.rejects(
        run("sign", { transaction: tx.unsignedSerialized, requestId: "tx-2" }),
        isCode("VERIFICATION"),
      );
    } finally {
      api.services.sign = original;
    }
    assert.deepEqual(json.transaction, {
      to,
      value: parseEther("2").toString(),
      selector: "0xa9059cbb",
      chainId: "31337",
      nonce: 7,
    });
  });

  it("--out collects one approval per approver; sign --approvals sends them with the file's request id", async () => {
    const file = path.join(dir, "pay-3.json");
    assert.equal((await runJson("approve", { requestId: "pay-3", digest, out: file })).approvals, 1);
    assert.equal(
      (await runJson("approve", { requestId: "pay-3", digest, out: file })).approvals,
      1,
      "replaced",
    );
    const last = await runJson("approve", {
      requestId: "pay-3",
      digest,
      out: file,
      approver: approverB.address,
    });
    assert.equal(last.approvals, 2);
    const content = JSON.parse(await readFile(file, "utf8"));
    assert.deepEqual(counted(content.approvals, { digest, requestId: "pay-3" }), [
      approverA.address,
      approverB.address,
    ]);

    const signed = await runJson("sign", { digest, approvals: file });
    assert.equal(signed.verifiedLocally, true);
    const call = api.services.calls.at(-1)!;
    assert.equal(call.method, "sign");
    assert.equal(call.args[2], "pay-3");
    assert.deepEqual((call.args[1] as { approvals: SignedApproval[] }).approvals, content.approvals);

    await assert.rejects(
      runJson("approve", { requestId: "pay-4", digest, out: file }),
      isCode("BAD_ARGUMENT"),
      "a file collected for another request is never mixed",
    );
  });

  it("sign --approvals refuses approvals made for another payload or key epoch (substitution), before any request", async () => {
    const file = path.join(dir, "pay-5.json");
    await runJson("approve", { requestId: "pay-5", digest, out: file });
    const before = api.services.count("sign");
    await assert.rejects(
      run("sign", { digest: `0x${"cd".repeat(32)}`, approvals: file }),
      isCode("BAD_ARGUMENT"),
    );
    await assert.rejects(
      run("sign", { digest, approvals: file, requestId: "other" }),
      isCode("BAD_ARGUMENT"),
    );
    await api.client.refresh(key.keyId);
    await assert.rejects(run("sign", { digest, approvals: file }), isCode("BAD_ARGUMENT"));
    assert.equal(api.services.count("sign"), before, "nothing was sent");
    await assert.rejects(
      run("sign", { digest, approvals: path.join(dir, "missing.json") }),
      isCode("BAD_ARGUMENT"),
    );
    await writeFile(path.join(dir, "junk.json"), "[]");
    await assert.rejects(
      run("sign", { digest, approvals: path.join(dir, "junk.json") }),
      isCode("BAD_ARGUMENT"),
    );
    key = await api.client.key(key.keyId);
  });

  it("a policy refusal of sign says which approve command gets the approvals, with the request id", async () => {
    api.services.failNext(
      "sign",
      new ApprovalPolicyError(
        "insufficient-approvals",
        "large",
        0,
        1,
        "sign request refused: large: 0 present",
      ),
    );
    await assert.rejects(run("sign", { digest }), (e: Error & { details?: { requestId?: string } }) => {
      const requestId = e.details?.requestId ?? "";
      return (
        isCode("POLICY")(e) &&
        requestId.startsWith("sign-") &&
        e.message.includes(
          `shardless approve --key ${key.keyId} --request-id ${requestId} --digest ${digest}`,
        )
      );
    });
  });

  it("bad arguments: no request id, no or two payloads, an unknown approver, an encryption key", async () => {
    await assert.rejects(run("approve", { digest }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("approve", { requestId: "r" }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("approve", { requestId: "r", digest, message: "x" }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("approve", { requestId: "r", transaction: "0x1234" }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("approve", { requestId: "r", digest, expiresIn: 0 }), isCode("BAD_ARGUMENT"));
    await assert.rejects(
      run("approve", { requestId: "r", digest, approver: getAddress(Wallet.createRandom().address) }),
      isCode("NO_ACCOUNT"),
    );
    const enc = await api.client.keygen("1", "encryption", 1);
    await assert.rejects(run("approve", { key: enc.keyId, requestId: "r", digest }), isCode("WRONG_SCHEME"));
  });
});

describe("plugin task: approve needs an account", () => {
  it("a network without accounts: NO_ACCOUNT with what to configure", async () => {
    const api = await startFakeApi();
    try {
      const key = await api.client.keygen("1", "ecdsa", 1);
      const hre = await pluginHre(
        { nodes: [{ url: api.url, token: api.token }] },
        { networks: { default: { type: "edr-simulated", accounts: [] } } },
      );
      await assert.rejects(
        captured(() =>
          hre.tasks.getTask(["shardless", "approve"]).run({ key: key.keyId, requestId: "r", digest }),
        ),
        (e: Error) => isCode("NO_ACCOUNT")(e) && e.message.includes("networks.default.accounts"),
      );
    } finally {
      await api.stop();
    }
  });
});
