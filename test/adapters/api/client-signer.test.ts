/**
 * ShardlessClient and GroupSigner against the real API server in front of the test double
 * (test/helpers/api-fake-services.ts): HTTP + client + signer layers, on Hardhat's in-process chain.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import {
  Contract,
  Transaction,
  getAddress,
  hexlify,
  parseEther,
  recoverAddress,
  toUtf8Bytes,
  verifyMessage,
  verifyTypedData,
  ZeroHash,
} from "ethers";
import { encrypt as eciesEncrypt } from "eciesjs";
import { ProtocolAbortError, RoundTimeoutError } from "../../../node/protocol/errors.js";
import { ShardlessApiError, ShardlessClient } from "../../../node/client/api-client.js";
import { GroupSigner } from "../../../node/client/signer.js";
import type { Hex, KeyStatus } from "../../../node/client/types.js";
import { startFakeApi, type FakeApi } from "../../helpers/api-fake-services.js";

const isCode = (code: string) => (e: unknown) => e instanceof ShardlessApiError && e.code === code;

describe("ShardlessClient against the API server", () => {
  let api: FakeApi;
  let ecdsa: KeyStatus;
  before(async () => {
    api = await startFakeApi();
    ecdsa = await api.client.keygen("1", "ecdsa", 1);
  });
  after(() => api.stop());

  it("health, status and key", async () => {
    assert.deepEqual(await api.client.health(), { ok: true, peerId: api.services.peerId });
    const status = await api.client.status();
    assert.equal(status.groups[0]!.members.length, 3);
    assert.equal(status.groups[0]!.keys[0]!.keyId, ecdsa.keyId);
    const key = await api.client.key(ecdsa.keyId);
    assert.equal(key.quorum, 3);
    assert.equal(key.colludersToSteal, 2);
    assert.equal(key.address, getAddress(key.address!));
  });

  it("signs a digest that recovers to the key's address", async () => {
    const digest = ("0x" + "11".repeat(32)) as Hex;
    const r = await api.client.sign(ecdsa.keyId, { kind: "digest", digest });
    assert.equal(r.digest, digest);
    assert.equal(recoverAddress(digest, r.signature), ecdsa.address);
  });

  it("decrypts an eciesjs ciphertext for an encryption key", async () => {
    const enc = await api.client.keygen("1", "encryption", 1);
    const ct = eciesEncrypt(enc.publicKey.slice(2), toUtf8Bytes("sealed bid 42"));
    const payload = { contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3", id: 7n };
    const pt = await api.client.decrypt(enc.keyId, hexlify(ct) as Hex, "ecies", payload);
    assert.equal(pt, hexlify(toUtf8Bytes("sealed bid 42")));
    // The payload pointer reaches the node (it reads that payload's reveal policy on-chain).
    assert.deepEqual(api.services.calls.at(-1)!.args[4], payload);
  });

  it("refresh advances the epoch; recover and reshare answer their shapes", async () => {
    const before = await api.client.key(ecdsa.keyId);
    const after = await api.client.refresh(ecdsa.keyId);
    assert.equal(after.epoch, before.epoch + 1);
    assert.equal(after.publicKey, before.publicKey);
    assert.deepEqual(await api.client.recover(ecdsa.keyId, 2), {
      keyId: ecdsa.keyId,
      member: 2,
      epoch: after.epoch,
    });
    const members = (await api.client.status()).groups[0]!.members.map((m) => m.operator);
    const group = await api.client.reshare("1", members, 1);
    assert.equal(group.keys.find((k) => k.keyId === ecdsa.keyId)!.epoch, after.epoch + 1);
  });

  it("surfaces typed API errors with code, status, culprits and details", async () => {
    api.services.failNext("sign", new ProtocolAbortError("bad share", [3]));
    await assert.rejects(
      api.client.sign(ecdsa.keyId, { kind: "digest", digest: ZeroHash as Hex }),
      (e) =>
        isCode("PROTOCOL_ABORT")(e) &&
        (e as ShardlessApiError).status === 502 &&
        (e as ShardlessApiError).culprits[0] === 3,
    );
    api.services.failNext("refresh", new RoundTimeoutError("refresh/2", [1]));
    await assert.rejects(
      api.client.refresh(ecdsa.keyId),
      (e) => isCode("TIMEOUT")(e) && (e as ShardlessApiError).details.missing !== undefined,
    );
    await assert.rejects(api.client.key("777"), isCode("NOT_FOUND"));
    await assert.rejects(api.client.keygen("1", "ecdsa", 2), isCode("BAD_REQUEST")); // 3 members < 2t+1
    const wrong = new ShardlessClient({ url: api.url, token: "wrong-token-wrong-token" });
    await assert.rejects(wrong.status(), isCode("UNAUTHORIZED"));
  });

  it("not enough members online → UNAVAILABLE", async () => {
    api.services.setOnline(3, false);
    try {
      await assert.rejects(
        api.client.sign(ecdsa.keyId, { kind: "digest", digest: ZeroHash as Hex }),
        (e) => isCode("UNAVAILABLE")(e) && (e as ShardlessApiError).details.needed === 3,
      );
    } finally {
      api.services.setOnline(3, true);
    }
  });
});

describe("GroupSigner on Hardhat's in-process network", () => {
  let api: FakeApi;
  let key: KeyStatus;
  let conn: Awaited<ReturnType<typeof network.create>>;
  let signer: GroupSigner;

  before(async () => {
    api = await startFakeApi();
    key = await api.client.keygen("1", "ecdsa", 1);
    conn = await network.create();
    const [funder] = await conn.ethers.getSigners();
    await (await funder!.sendTransaction({ to: key.address!, value: parseEther("10") })).wait();
    signer = new GroupSigner(api.client, key.keyId, conn.ethers.provider);
  });
  after(async () => {
    await conn.close();
    await api.stop();
  });

  it("getAddress is the key's address", async () => {
    assert.equal(await signer.getAddress(), key.address);
  });

  it("sendTransaction: a value transfer from the group address is mined", async () => {
    const to = "0x000000000000000000000000000000000000dEaD";
    const before = await conn.ethers.provider.getBalance(to);
    const tx = await signer.sendTransaction({ to, value: parseEther("1") });
    const receipt = await tx.wait();
    assert.equal(receipt!.status, 1);
    assert.equal(receipt!.from, key.address);
    assert.equal((await conn.ethers.provider.getBalance(to)) - before, parseEther("1"));
    const sent = api.services.calls.filter((c) => c.method === "sign").at(-1)!;
    assert.equal((sent.args[1] as { kind: string }).kind, "transaction");
  });

  it("contract.connect(groupSigner): a call that checks msg.sender succeeds only for the group", async () => {
    const [deployer, other] = await conn.ethers.getSigners();
    // The registry's admin is the group address: only a transaction from the group can grant roles.
    const registry = await conn.ethers.deployContract("ShardlessRegistry", [key.address!], deployer!);
    await registry.waitForDeployment();
    const asGroup = registry.connect(signer) as Contract;
    await (await asGroup.getFunction("grantRole")(ZeroHash, other!.address)).wait();
    assert.equal(await registry.getFunction("hasRole")(ZeroHash, other!.address), true);
    // The same call from a non-admin reverts: msg.sender really was the group address above.
    const asDeployer = registry.connect(deployer!) as Contract;
    await assert.rejects(asDeployer.getFunction("grantRole")(ZeroHash, deployer!.address));
  });

  it("signMessage verifies with ethers.verifyMessage", async () => {
    const sig = await signer.signMessage("hello group");
    assert.equal(verifyMessage("hello group", sig), key.address);
    const bytes = new Uint8Array([0, 1, 2, 255]);
    assert.equal(verifyMessage(bytes, await signer.signMessage(bytes)), key.address);
  });

  it("signTypedData (with bigint values) verifies with ethers.verifyTypedData", async () => {
    const domain = { name: "Shardless", version: "1", chainId: 31337n, verifyingContract: key.address! };
    const types = {
      Transfer: [
        { name: "to", type: "address" },
        { name: "amount", type: "uint256" },
        { name: "memo", type: "string" },
      ],
    };
    const value = { to: "0x000000000000000000000000000000000000dEaD", amount: 10n ** 18n, memo: "pay" };
    const sig = await signer.signTypedData(domain, types, value);
    assert.equal(verifyTypedData(domain, types, value, sig), key.address);
  });

  it("signTransaction refuses a transaction whose from is not the group", async () => {
    await assert.rejects(
      signer.signTransaction({
        from: "0x000000000000000000000000000000000000dEaD",
        to: key.address!,
        chainId: 31337n,
      }),
      isCode("BAD_REQUEST"),
    );
  });

  it("a node answering with another key's signature is caught by the signer (wrong-signer attack)", async () => {
    const other = await api.client.keygen("1", "ecdsa", 1);
    const original = api.services.sign.bind(api.services);
    api.services.sign = (_keyId, payload, requestId) => original(other.keyId, payload, requestId);
    try {
      await assert.rejects(signer.signMessage("x"), isCode("VERIFICATION"));
      await assert.rejects(
        signer.signTransaction({
          to: key.address!,
          chainId: 31337n,
          nonce: 0,
          gasLimit: 21000n,
          gasPrice: 1n,
        }),
        isCode("VERIFICATION"),
      );
    } finally {
      api.services.sign = original;
    }
  });

  it("a node answering with a signed transaction for another request is caught (substitution attack)", async () => {
    const original = api.services.sign.bind(api.services);
    api.services.sign = async (keyId, payload, requestId) => {
      const tx = Transaction.from((payload as { transaction: string }).transaction);
      tx.value = tx.value + 1n;
      return original(keyId, { kind: "transaction", transaction: tx.unsignedSerialized as Hex }, requestId);
    };
    try {
      await assert.rejects(
        signer.signTransaction({
          to: key.address!,
          chainId: 31337n,
          nonce: 0,
          gasLimit: 21000n,
          gasPrice: 1n,
        }),
        isCode("VERIFICATION"),
      );
    } finally {
      api.services.sign = original;
    }
  });
});
