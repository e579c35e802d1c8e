/**
 * Every `hardhat shardless <verb>` task against the real API server in front of the test double
 * (test/helpers/api-fake-services.ts), through a fresh HRE's task runner: human and --json output.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  Contract,
  TypedDataEncoder,
  Wallet,
  computeAddress,
  getAddress,
  hashMessage,
  parseEther,
  recoverAddress,
  toUtf8Bytes,
  type InterfaceAbi,
} from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";
import { ProtocolAbortError, RoundTimeoutError } from "../../node/protocol/errors.js";
import { schnorrVerify } from "../../node/crypto/secp256k1.js";
import { deployRegistry } from "../../scripts/deploy.js";
import { groupCreate } from "../../plugin/internal/tasks/group-create.js";
import type { TaskOutput } from "../../plugin/internal/output.js";
import { fakePrivateKey, startFakeApi, type FakeApi } from "../helpers/api-fake-services.js";
import { HARDHAT_ACCOUNT_0, captured, pluginHre } from "../helpers/api-plugin.js";

const isCode = (code: string) => (e: unknown) => (e as { code?: string }).code === code;

describe("plugin tasks against the API server", () => {
  let api: FakeApi;
  let hre: HardhatRuntimeEnvironment;
  let ecdsaId: string;
  let dir: string;
  const run = (verb: string | string[], args: Record<string, unknown> = {}) =>
    captured(() => hre.tasks.getTask(["shardless", ...(Array.isArray(verb) ? verb : [verb])]).run(args));

  before(async () => {
    api = await startFakeApi();
    dir = await mkdtemp(path.join(tmpdir(), "shardless-tasks-"));
    ecdsaId = (await api.client.keygen("1", "ecdsa", 1, "setup")).keyId; // key "1": funded in genesis below
    hre = await pluginHre(
      { nodes: [{ name: "alice", url: api.url, token: api.token }], defaultGroup: "1" },
      {
        networks: {
          default: {
            type: "edr-simulated",
            accounts: [
              { privateKey: HARDHAT_ACCOUNT_0, balance: parseEther("1000").toString() },
              { privateKey: fakePrivateKey(ecdsaId), balance: parseEther("10").toString() },
            ],
          },
        },
      },
    );
  });
  after(async () => {
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("status: members, keys with quorum and colluders to steal, peers; --json is the API object", async () => {
    const human = await run("status");
    const text = human.out.stdout.join("\n");
    assert.match(text, /node alice/i);
    assert.match(text, /peers online: 3\/3/);
    assert.match(text, /quorum 3 +colluders to steal 2/);
    assert.match(text, /presignatures 8/);
    const json = await run("status", { json: true });
    assert.deepEqual(json.out.json(), await api.client.status());
    assert.deepEqual(json.result, json.out.json());
  });

  it("keygen: progress on stderr, key on stdout; --json parses", async () => {
    const human = await run("keygen", { scheme: "schnorr", degree: 1 });
    assert.ok(
      human.out.stderr.some((l) => /key generation/.test(l)),
      "progress line",
    );
    assert.match(
      human.out.stdout.join("\n"),
      /\(schnorr\).*\n.*2 members needed to use it, 2 colluding members needed to steal it/,
    );
    const json = await run("keygen", { scheme: "encryption", json: true });
    const key = json.out.json();
    assert.equal(key.scheme, "encryption");
    assert.equal(key.groupId, "1");
    assert.deepEqual(await api.client.key(key.keyId), key);
  });

  it("keygen: bad scheme and bad degree are BAD_ARGUMENT; the node's refusal is BAD_REQUEST", async () => {
    await assert.rejects(run("keygen", { scheme: "rsa" }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("keygen", { degree: 0 }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("keygen", { degree: 2 }), isCode("BAD_REQUEST")); // ecdsa: 3 members < 2t+1
  });

  it("keygen with members offline: UNAVAILABLE, with the API details", async () => {
    api.services.setOnline(2, false);
    try {
      await assert.rejects(
        run("keygen", {}),
        (e: unknown) =>
          isCode("UNAVAILABLE")(e) && (e as { details: { needed: number } }).details.needed === 3,
      );
    } finally {
      api.services.setOnline(2, true);
    }
  });

  it("keygen without --group or defaultGroup uses the node's only group; several groups need --group", async () => {
    const noDefault = await pluginHre({ nodes: [{ url: api.url, token: api.token }] });
    const runNoDefault = (args: Record<string, unknown>) =>
      captured(() => noDefault.tasks.getTask(["shardless", "keygen"]).run(args));
    const key = (await runNoDefault({ scheme: "encryption", json: true })).out.json();
    assert.equal(key.groupId, "1");
    api.services.groups.set("2", { groupId: "2", members: api.services.groups.get("1")!.members });
    try {
      await assert.rejects(runNoDefault({ scheme: "encryption" }), isCode("NO_GROUP"));
      assert.equal(
        (await runNoDefault({ scheme: "encryption", group: "2", json: true })).out.json().groupId,
        "2",
      );
    } finally {
      api.services.groups.delete("2");
    }
  });

  it("sign --digest / --message / --message-hex: verified locally, human and --json", async () => {
    const digest = "0x" + "42".repeat(32);
    const human = await run("sign", { key: ecdsaId, digest });
    assert.match(human.out.stdout.join("\n"), /verified against the group key/);
    const json = (await run("sign", { key: ecdsaId, message: "hello", json: true })).out.json();
    assert.equal(json.verifiedLocally, true);
    assert.equal(json.digest, hashMessage("hello"));
    const key = await api.client.key(ecdsaId);
    assert.equal(recoverAddress(json.digest, json.signature), key.address);
    const hex = (await run("sign", { key: ecdsaId, messageHex: "0x00ff", json: true })).out.json();
    assert.equal(hex.digest, hashMessage(new Uint8Array([0, 255])));
  });

  it("sign --typed-data <file>", async () => {
    const typed = {
      domain: { name: "Shardless", version: "1", chainId: 31337 },
      types: {
        Mail: [
          { name: "to", type: "address" },
          { name: "amount", type: "uint256" },
        ],
      },
      message: { to: "0x000000000000000000000000000000000000dEaD", amount: "1000000000000000000" },
    };
    const file = path.join(dir, "typed.json");
    await writeFile(file, JSON.stringify(typed));
    const r = (await run("sign", { key: ecdsaId, typedData: file, json: true })).out.json();
    assert.equal(r.digest, TypedDataEncoder.hash(typed.domain, typed.types, typed.message));
    assert.equal(r.verifiedLocally, true);
  });

  it("sign with a schnorr key verifies BIP-340", async () => {
    const key = await api.client.keygen("1", "schnorr", 1);
    const r = (await run("sign", { key: key.keyId, message: "taproot", json: true })).out.json();
    assert.equal(r.verifiedLocally, true);
    assert.ok(
      schnorrVerify(
        Buffer.from(r.signature.slice(2), "hex"),
        toUtf8Bytes("taproot"),
        Buffer.from(key.xOnlyPublicKey!.slice(2), "hex"),
      ),
    );
  });

  it("sign: exactly one payload, a key, and a 32-byte digest are required", async () => {
    await assert.rejects(run("sign", { key: ecdsaId }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("sign", { key: ecdsaId, digest: "0x00", message: "x" }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("sign", { key: ecdsaId, digest: "0x00" }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("sign", { digest: "0x" + "00".repeat(32) }), isCode("NO_KEY"));
  });

  it("sign: a node answering with another key's signature is refused (wrong-signer attack)", async () => {
    const other = await api.client.keygen("1", "ecdsa", 1);
    const original = api.services.sign.bind(api.services);
    api.services.sign = (_k, payload, requestId) => original(other.keyId, payload, requestId);
    try {
      await assert.rejects(run("sign", { key: ecdsaId, message: "x" }), isCode("VERIFICATION"));
    } finally {
      api.services.sign = original;
    }
  });

  it("sign: a node signing a different digest is refused (digest substitution attack)", async () => {
    const original = api.services.sign.bind(api.services);
    api.services.sign = (k, _payload, requestId) =>
      original(k, { kind: "digest", digest: ("0x" + "66".repeat(32)) as `0x${string}` }, requestId);
    try {
      await assert.rejects(run("sign", { key: ecdsaId, message: "pay 1 ETH" }), isCode("VERIFICATION"));
    } finally {
      api.services.sign = original;
    }
  });

  it("sign: PROTOCOL_ABORT names the culprits", async () => {
    api.services.failNext("sign", new ProtocolAbortError("bad share", [3]));
    await assert.rejects(
      run("sign", { key: ecdsaId, message: "x" }),
      (e: unknown) => isCode("PROTOCOL_ABORT")(e) && (e as { culprits: number[] }).culprits[0] === 3,
    );
  });

  it("send: a transaction from the group address on the selected network", async () => {
    const to = "0x000000000000000000000000000000000000bEEF";
    const human = await run("send", { key: ecdsaId, to, value: "0.25" });
    assert.match(human.out.stdout.join("\n"), /succeeded in block \d+ on default/);
    const json = await run("send", { key: ecdsaId, to, value: "0.5", json: true });
    const r = json.out.json();
    assert.equal(r.from, computeAddress(fakePrivateKey(ecdsaId)));
    assert.equal(r.to, to);
    assert.equal(r.value, parseEther("0.5").toString());
    assert.equal(r.status, 1);
  });

  it("send: bad arguments and an unfunded group key fail with what to do", async () => {
    await assert.rejects(run("send", { key: ecdsaId }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("send", { key: ecdsaId, to: "0x1234" }), isCode("BAD_ARGUMENT"));
    await assert.rejects(
      run("send", { key: ecdsaId, to: getAddress("0x" + "11".repeat(20)), value: "a lot" }),
      isCode("BAD_ARGUMENT"),
    );
    const unfunded = await api.client.keygen("1", "ecdsa", 1);
    await assert.rejects(
      run("send", { key: unfunded.keyId, to: getAddress("0x" + "11".repeat(20)), value: "1" }),
      isCode("CHAIN"),
    );
  });

  it("encrypt then decrypt (TDH2): the group opens what was encrypted for the contract", async () => {
    const enc = await api.client.keygen("1", "encryption", 1);
    const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const human = await run("encrypt", { key: enc.keyId, contract, topic: "bid", plaintext: "sealed 42" });
    assert.match(
      human.out.stdout.join("\n"),
      /for contract 0x5FbDB2315678afecb367f032d93F642f64180aa3 on chain 31337/,
    );
    const ct = (
      await run("encrypt", { key: enc.keyId, contract, topic: "bid", plaintext: "sealed 42", json: true })
    ).out.json();
    assert.equal(ct.chainId, "31337");
    const dHuman = await run("decrypt", { key: enc.keyId, ciphertext: ct.ciphertext, payloadId: "1" });
    assert.match(dHuman.out.stdout.join("\n"), /text sealed 42/);
    const d = (
      await run("decrypt", {
        key: enc.keyId,
        ciphertext: ct.ciphertext,
        payloadId: "4",
        contract,
        json: true,
      })
    ).out.json();
    assert.equal(d.text, "sealed 42");
    assert.deepEqual(api.services.calls.at(-1)!.args[4], { id: 4n, contract });
    await assert.rejects(
      run("decrypt", { key: enc.keyId, ciphertext: ct.ciphertext }),
      isCode("BAD_ARGUMENT"),
    );
    await assert.rejects(
      run("decrypt", { key: enc.keyId, ciphertext: ct.ciphertext, payloadId: "1", format: "ecies" }),
      isCode("BAD_ARGUMENT"),
    );
    assert.equal(d.plaintext, "0x" + Buffer.from("sealed 42").toString("hex"));
    // --chain-id overrides the network's; --hex takes bytes
    const other = (
      await run("encrypt", {
        key: enc.keyId,
        contract,
        topic: "bid",
        hex: "0x0102",
        chainId: "5",
        json: true,
      })
    ).out.json();
    assert.equal(other.chainId, "5");
  });

  it("encrypt/decrypt: bad arguments, a tampered ciphertext (refused) and a policy refusal are typed", async () => {
    const enc = await api.client.keygen("1", "encryption", 1);
    const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    await assert.rejects(run("encrypt", { key: enc.keyId, contract, topic: "t" }), isCode("BAD_ARGUMENT"));
    await assert.rejects(
      run("encrypt", { key: enc.keyId, topic: "t", plaintext: "x" }),
      isCode("BAD_ARGUMENT"),
    );
    await assert.rejects(
      run("encrypt", { key: ecdsaId, contract, topic: "t", plaintext: "x" }),
      isCode("WRONG_SCHEME"),
    );
    const ct = (
      await run("encrypt", { key: enc.keyId, contract, topic: "t", plaintext: "x", json: true })
    ).out.json();
    const tampered = ct.ciphertext.slice(0, -2) + (ct.ciphertext.endsWith("00") ? "01" : "00");
    // Tampering breaks the ciphertext's validity proof: no member releases a share for it.
    await assert.rejects(
      run("decrypt", { key: enc.keyId, ciphertext: tampered, payloadId: "1" }),
      isCode("BAD_REQUEST"),
    );
    await assert.rejects(
      run("decrypt", { key: enc.keyId, ciphertext: ct.ciphertext, payloadId: "1", format: "rsa" }),
      isCode("BAD_ARGUMENT"),
    );
    api.services.failNext(
      "decrypt",
      new (await import("../../node/protocol/errors.js")).PolicyError("reveal not allowed yet"),
    );
    await assert.rejects(
      run("decrypt", { key: enc.keyId, ciphertext: ct.ciphertext, payloadId: "1" }),
      isCode("POLICY"),
    );
  });

  it("refresh: new epoch, same public key; TIMEOUT lists missing members", async () => {
    const before = await api.client.key(ecdsaId);
    const human = await run("refresh", { key: ecdsaId });
    assert.match(human.out.stdout.join("\n"), new RegExp(`epoch ${before.epoch + 1}, same public key`));
    const json = (await run("refresh", { key: ecdsaId, json: true })).out.json();
    assert.equal(json.epoch, before.epoch + 2);
    assert.equal(json.publicKey, before.publicKey);
    api.services.failNext("refresh", new RoundTimeoutError("refresh/1", [3]));
    await assert.rejects(
      run("refresh", { key: ecdsaId }),
      (e: unknown) =>
        isCode("TIMEOUT")(e) && String((e as { details: { missing: number[] } }).details.missing) === "3",
    );
  });

  it("recover: --member is required; human and --json", async () => {
    await assert.rejects(run("recover", { key: ecdsaId }), isCode("BAD_ARGUMENT"));
    const human = await run("recover", { key: ecdsaId, member: 2 });
    assert.match(human.out.stdout.join("\n"), /Member 2 holds its share/);
    const json = (await run("recover", { key: ecdsaId, member: 3, json: true })).out.json();
    assert.deepEqual({ keyId: json.keyId, member: json.member }, { keyId: ecdsaId, member: 3 });
  });

  it("reshare: new committee, same keys, epoch advanced", async () => {
    const members = (await api.client.status()).groups[0]!.members.map((m) => m.operator);
    await assert.rejects(run("reshare", { degree: 1 }), isCode("BAD_ARGUMENT"));
    await assert.rejects(run("reshare", { members: "0x12,0x34" }), isCode("BAD_ARGUMENT"));
    const before = await api.client.key(ecdsaId);
    const human = await run("reshare", { members: members.join(","), degree: 1 });
    assert.match(human.out.stdout.join("\n"), /Group 1: 3 members, 3 online/);
    const json = (await run("reshare", { members: members.join(","), degree: 1, json: true })).out.json();
    const key = json.keys.find((k: { keyId: string }) => k.keyId === ecdsaId);
    assert.equal(key.epoch, before.epoch + 2);
    assert.equal(key.publicKey, before.publicKey);
  });

  it("deploy: the registry lands on the selected network; human and --json", async () => {
    const human = await run("deploy", {});
    assert.match(human.out.stdout.join("\n"), /ShardlessRegistry deployed at 0x[0-9a-fA-F]{40} on default/);
    const admin = "0x000000000000000000000000000000000000aDd1";
    const json = (await run("deploy", { admin, json: true })).out.json();
    assert.equal(json.admin, admin);
    assert.equal(json.chainId, "31337");
    await assert.rejects(run("deploy", { admin: "nope" }), isCode("BAD_ARGUMENT"));
  });

  it("group create without a registry for the network: NO_REGISTRY", async () => {
    await assert.rejects(run(["group", "create"], {}), isCode("NO_REGISTRY"));
  });
});

describe("plugin task: group create (on one in-process chain)", () => {
  let hre: HardhatRuntimeEnvironment;
  let connection: NetworkConnection;
  let registry: string;
  const operators = [1, 2, 3].map(() => Wallet.createRandom().address);

  const recording = (json: boolean) => {
    const lines: string[] = [];
    let value: unknown;
    const out: TaskOutput = {
      json,
      result(v, human) {
        value = v;
        if (!json) lines.push(...human());
      },
      progress: () => {},
    };
    return { out, lines, value: () => value };
  };

  before(async () => {
    hre = await pluginHre(undefined);
    connection = await hre.network.create();
    const deployed = await deployRegistry(connection.ethers);
    registry = deployed.address;
    for (const [i, op] of operators.entries()) {
      await (await deployed.contract.getFunction("addMember")(op, `12D3KooWTestPeer${i}`, [])).wait();
    }
  });
  after(() => connection.close());

  const ctx = (json: boolean) => {
    const rec = recording(json);
    return {
      rec,
      ctx: {
        config: { ...hre.config.shardless, registry: { [connection.networkName]: registry } },
        out: rec.out,
        connect: async () =>
          Object.assign(Object.create(connection) as NetworkConnection, { close: async () => {} }),
        readRegistryAbi: async () => (await hre.artifacts.readArtifact("ShardlessRegistry")).abi,
      },
    };
  };

  it("creates a group of all active members by default, and of --members in order", async () => {
    const a = ctx(false);
    const first = await groupCreate({ json: false }, a.ctx);
    assert.equal(first.groupId, "1");
    assert.deepEqual(new Set(first.members), new Set(operators));
    assert.match(a.rec.lines.join("\n"), /Group 1 created/);
    const b = ctx(true);
    const second = await groupCreate({ members: [operators[2], operators[0]].join(","), json: true }, b.ctx);
    assert.equal(second.groupId, "2");
    assert.deepEqual(second.members, [operators[2], operators[0]]);
    assert.deepEqual(b.rec.value(), second);
    const abi = (await hre.artifacts.readArtifact("ShardlessRegistry")).abi as InterfaceAbi;
    const onChain = await new Contract(registry, abi, connection.ethers.provider).getFunction("groupMembers")(
      2n,
    );
    assert.deepEqual([...onChain], [operators[2], operators[0]]);
  });

  it("an unregistered member is refused by the registry with the revert reason", async () => {
    const c = ctx(false);
    await assert.rejects(
      groupCreate({ members: [operators[0], Wallet.createRandom().address].join(","), json: false }, c.ctx),
      isCode("CHAIN"),
    );
  });
});
