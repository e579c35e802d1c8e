/**
 * node/adapters/chain against the in-process Hardhat network: the checked-in ABI matches the compiled
 * registry, the off-chain record digest equals the contract's, every client method works and reverts
 * surface as typed ChainErrors, and the follower delivers events only once confirmed, in order, once.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { network } from "hardhat";
import {
  Interface,
  JsonRpcProvider,
  Wallet,
  ZeroHash,
  keccak256,
  toUtf8Bytes,
  type Log,
  type Provider,
} from "ethers";
import {
  ChainError,
  REGISTRY_ABI,
  REGISTRY_INTERFACE,
  ROLES,
  RegistryClient,
  RegistryFollower,
  decodeRegistryLog,
  memberSetHash,
  recordDigest,
  type RegistryEvent,
} from "../../node/adapters/chain/index.js";
import { ParameterError } from "../../node/protocol/errors.js";
import type { Clock } from "../../node/runner/ports.js";
import { deployRegistry, parseArgs } from "../../scripts/deploy.js";
import { ecdsaTestKey, encryptionTestKey, schnorrTestKey, type TestKey } from "./group-keys.js";
import { fixture } from "./helpers.js";

const { ethers } = await network.create();
const commitment = (label: string) => keccak256(toUtf8Bytes(label));
const refClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(timer) };
  },
};

const load = fixture(ethers, async () => {
  const [admin, m1, m2, m3, m4, outsider] = await ethers.getSigners();
  const deployed = await deployRegistry(ethers);
  const client = new RegistryClient(deployed.address, admin);
  return { deployed, client, admin, members: [m1, m2, m3, m4], outsider };
});

/** Admits the members and creates a group of the first three; returns the group id. */
async function setUpGroup(world: Awaited<ReturnType<typeof load>>): Promise<bigint> {
  for (const [i, m] of world.members.entries()) await world.client.addMember(m.address, `peer-${i}`, [`/ip4/10.0.0.${i}/tcp/1`]);
  const { groupId } = await world.client.createGroup(world.members.slice(0, 3).map((m) => m.address));
  return groupId;
}

/** Requests and publishes `key` through the client, signing the locally computed digest. */
async function publish(
  world: Awaited<ReturnType<typeof load>>,
  groupId: bigint,
  key: TestKey,
  signer: TestKey = key,
  signerKeyId?: bigint,
) {
  const scheme = key.scheme;
  const { keyId } = await world.client.requestKey(groupId, scheme, 1);
  const members = await world.client.groupMembers(groupId);
  const commitmentDigest = commitment(`c-${keyId}`);
  const digest = await world.client.computeRecordDigest({
    groupId,
    keyId,
    epoch: 0n,
    publicKey: key.publicKey,
    commitmentDigest,
    memberSetHash: memberSetHash(members),
    degree: 1,
  });
  const asMember = world.client.connect(world.members[0]);
  const result = await asMember.publishKey({
    keyId,
    publicKey: key.publicKey,
    commitmentDigest,
    signerKeyId: signerKeyId ?? keyId,
    signature: signer.sign(digest),
  });
  return { keyId, result, commitmentDigest };
}

describe("chain adapter: ABI and digests", () => {
  it("the checked-in ABI matches the compiled ShardlessRegistry artifact exactly", async () => {
    const artifactPath = path.resolve(import.meta.dirname, "../../artifacts/contracts/ShardlessRegistry.sol/ShardlessRegistry.json");
    const artifact = JSON.parse(await readFile(artifactPath, "utf8")) as { abi: unknown[] };
    const compiled = new Interface(artifact.abi as never).format().sort();
    const checkedIn = new Interface(REGISTRY_ABI).format().sort();
    assert.deepEqual(checkedIn, compiled);
  });

  it("recordDigest computed off-chain equals the contract's view for varied records", async () => {
    const { client } = await load();
    const chainId = await client.chainId();
    for (let i = 0; i < 5; i++) {
      const record = {
        groupId: BigInt(i + 1),
        keyId: BigInt(3 * i + 2),
        epoch: (1n << 63n) + BigInt(i),
        publicKey: ecdsaTestKey(`digest-${i}`).publicKey,
        commitmentDigest: commitment(`d${i}`),
        memberSetHash: memberSetHash([Wallet.createRandom().address, Wallet.createRandom().address]),
        degree: 65535 - i,
      };
      const local = recordDigest({ chainId, registry: client.address }, record);
      assert.equal(await client.recordDigest(record), local);
      assert.equal(await client.computeRecordDigest(record), local);
    }
  });

  it("recordDigest validates its inputs with ParameterError", async () => {
    const base = {
      groupId: 1n,
      keyId: 1n,
      epoch: 0n,
      publicKey: ecdsaTestKey("v").publicKey,
      commitmentDigest: ZeroHash,
      memberSetHash: ZeroHash,
      degree: 1,
    };
    const domain = { chainId: 1n, registry: Wallet.createRandom().address };
    assert.throws(() => recordDigest(domain, { ...base, publicKey: "0x02" }), ParameterError);
    assert.throws(() => recordDigest(domain, { ...base, degree: 70000 }), ParameterError);
    assert.throws(() => recordDigest(domain, { ...base, epoch: 1n << 64n }), ParameterError);
  });

  it("memberSetHash equals the contract's", async () => {
    const { client } = await load();
    const members = [Wallet.createRandom().address, Wallet.createRandom().address, Wallet.createRandom().address];
    assert.equal(await client.contract.memberSetHash(members), memberSetHash(members));
  });
});

describe("chain adapter: RegistryClient", () => {
  it("deployRegistry deploys with the requested admin; the CLI parser accepts its flags only", async () => {
    const { deployed, admin } = await load();
    assert.equal(deployed.admin, admin.address);
    assert.equal(deployed.chainId, 31337n);
    const other = Wallet.createRandom().address;
    const second = await deployRegistry(ethers, other);
    const client = new RegistryClient(second.address, admin);
    assert.equal(await client.hasRole(ROLES.ADMIN, other), true);
    assert.equal(await client.hasRole(ROLES.ADMIN, admin.address), false);
    assert.deepEqual(parseArgs(["--json", "--network", "localhost", "--admin", other]), {
      json: true,
      network: "localhost",
      admin: other,
    });
    assert.throws(() => parseArgs(["--network"]));
    assert.throws(() => parseArgs(["--nope"]));
  });

  it("manages members and groups and reads them back typed", async () => {
    const world = await load();
    const { client, members } = world;
    const { events } = await client.addMember(members[0].address, "peer-a", ["/ip4/1.2.3.4/tcp/1"]);
    assert.equal(events[0].name, "MemberAdded");
    await client.addMember(members[1].address, "peer-b", []);
    assert.deepEqual(await client.getMember(members[0].address), {
      operator: members[0].address,
      peerId: "peer-a",
      multiaddrs: ["/ip4/1.2.3.4/tcp/1"],
      status: "active",
    });
    await client.connect(members[1]).updateMultiaddrs(["/dns4/b.example/tcp/4001"]);
    assert.deepEqual((await client.getMember(members[1].address)).multiaddrs, ["/dns4/b.example/tcp/4001"]);
    assert.deepEqual(await client.activeMembers(), [members[0].address, members[1].address]);
    const { groupId } = await client.createGroup([members[1].address, members[0].address]);
    assert.equal(groupId, 1n);
    assert.equal(await client.groupCount(), 1n);
    assert.deepEqual(await client.groupMembers(groupId), [members[1].address, members[0].address]);
    assert.equal(await client.memberIndex(groupId, members[0].address), 2);
    assert.equal(await client.groupMemberSetHash(groupId), memberSetHash([members[1].address, members[0].address]));
    await client.removeMember(members[1].address);
    assert.equal((await client.getMember(members[1].address)).status, "removed");
    assert.equal((await client.getMember(world.outsider.address)).status, "none");
  });

  it("requests, publishes, advances and retires keys; the published key reads back typed", async () => {
    const world = await load();
    const { client } = world;
    const groupId = await setUpGroup(world);
    const ecdsaKey = ecdsaTestKey("client-ecdsa");
    const { keyId, result, commitmentDigest } = await publish(world, groupId, ecdsaKey);
    const published = result.events.find((e) => e.name === "KeyPublished");
    assert.ok(published && published.name === "KeyPublished");
    assert.equal(published.ethAddress, ecdsaKey.address);
    assert.deepEqual(await client.getKey(keyId), {
      keyId,
      groupId,
      scheme: "ecdsa",
      status: "active",
      degree: 1,
      epoch: 0n,
      ethAddress: ecdsaKey.address,
      commitmentDigest,
      publicKey: ecdsaKey.publicKey,
    });
    assert.equal(await client.keyIdByPublicKey(ecdsaKey.publicKey), keyId);
    assert.equal(await client.keyIdByPublicKey(ecdsaTestKey("nobody").publicKey), null);

    const schnorrKey = schnorrTestKey("client-schnorr");
    const schnorr = await publish(world, groupId, schnorrKey);
    const enc = await publish(world, groupId, encryptionTestKey("client-enc"), schnorrKey, schnorr.keyId);
    assert.equal((await client.getKey(enc.keyId)).ethAddress, null);
    assert.deepEqual(await client.groupKeys(groupId), [keyId, schnorr.keyId, enc.keyId]);

    const members = await client.groupMembers(groupId);
    const epochDigest = await client.computeRecordDigest({
      groupId,
      keyId,
      epoch: 1n,
      publicKey: ecdsaKey.publicKey,
      commitmentDigest: commitment("e1"),
      memberSetHash: memberSetHash(members),
      degree: 1,
    });
    const advanced = await client.connect(world.outsider).advanceEpoch({
      keyId,
      epoch: 1n,
      commitmentDigest: commitment("e1"),
      signerKeyId: keyId,
      signature: ecdsaKey.sign(epochDigest),
    });
    assert.equal(advanced.events[0].name, "EpochAdvanced");
    assert.equal(await client.currentEpoch(keyId), 1n);

    const { keyId: requested } = await client.requestKey(groupId, "schnorr", 2);
    assert.equal((await client.getKey(requested)).publicKey, null);
    await client.retireKey(requested);
    assert.equal((await client.getKey(requested)).status, "retired");
    assert.equal(await client.keyCount(), 4n);
  });

  it("changes membership with reshares signed over the new member set", async () => {
    const world = await load();
    const { client, members } = world;
    const groupId = await setUpGroup(world);
    const key = schnorrTestKey("client-reshare");
    const { keyId } = await publish(world, groupId, key);
    const next = [members[0].address, members[2].address, members[3].address];
    await client.requestMembershipChange(groupId, next);
    assert.deepEqual(await client.pendingMembers(groupId), next);
    const digest = await client.computeRecordDigest({
      groupId,
      keyId,
      epoch: 1n,
      publicKey: key.publicKey,
      commitmentDigest: commitment("r1"),
      memberSetHash: memberSetHash(next),
      degree: 2,
    });
    const { events } = await client.changeMembership(groupId, [
      { keyId, epoch: 1n, degree: 2, commitmentDigest: commitment("r1"), signerKeyId: keyId, signature: key.sign(digest) },
    ]);
    assert.deepEqual(
      events.map((e) => e.name),
      ["EpochAdvanced", "MembershipChanged"],
    );
    assert.deepEqual(await client.groupMembers(groupId), next);
    assert.equal((await client.getKey(keyId)).degree, 2);
  });

  it("surfaces reverts as ChainError CHAIN_REVERTED with the decoded custom error", async () => {
    const world = await load();
    const { client } = world;
    await assert.rejects(client.getKey(42n), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.code, "CHAIN_REVERTED");
      assert.equal(e.revert?.name, "ShardlessRegistryUnknownKey");
      assert.deepEqual(e.revert?.args, [42n]);
      assert.deepEqual(e.culprits, []);
      return true;
    });
    await assert.rejects(client.connect(world.outsider).addMember(world.outsider.address, "x", []), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.revert?.name, "AccessControlUnauthorizedAccount");
      assert.deepEqual(e.revert?.args, [world.outsider.address, ROLES.ADMIN]);
      return true;
    });
    const groupId = await setUpGroup(world);
    const key = ecdsaTestKey("client-replay");
    const { keyId } = await publish(world, groupId, key);
    await assert.rejects(
      client.advanceEpoch({ keyId, epoch: 0n, commitmentDigest: commitment("x"), signerKeyId: keyId, signature: "0x" }),
      (e: unknown) => e instanceof ChainError && e.revert?.name === "ShardlessRegistryStaleEpoch",
    );
  });

  it("rejects malformed arguments before sending (ParameterError)", async () => {
    const { client } = await load();
    await assert.rejects(
      client.publishKey({ keyId: 1n, publicKey: "0x02", commitmentDigest: ZeroHash, signerKeyId: 1n, signature: "0x" }),
      ParameterError,
    );
    await assert.rejects(
      client.advanceEpoch({ keyId: 1n, epoch: 1n, commitmentDigest: "0x01", signerKeyId: 1n, signature: "0x" }),
      ParameterError,
    );
    assert.throws(() => new RegistryClient(client.address, ethers.provider, { confirmations: 0 }), ParameterError);
  });

  it("reports an unreachable RPC endpoint as ChainError CHAIN_UNAVAILABLE", async () => {
    const provider = new JsonRpcProvider("http://127.0.0.1:9", 31337n, { staticNetwork: true });
    try {
      const client = new RegistryClient(Wallet.createRandom().address, provider);
      await assert.rejects(client.keyCount(), (e: unknown) => e instanceof ChainError && e.code === "CHAIN_UNAVAILABLE");
    } finally {
      provider.destroy();
    }
  });
});

describe("chain adapter: RegistryFollower", () => {
  const mine = (blocks: number) => ethers.provider.send("hardhat_mine", ["0x" + blocks.toString(16)]);

  it("delivers events only once `confirmations` deep, in order, each exactly once", async () => {
    const world = await load();
    const { client, members } = world;
    const start = await ethers.provider.getBlockNumber();
    const seen: RegistryEvent[] = [];
    const follower = client.follow((e) => void seen.push(e), { fromBlock: start + 1, confirmations: 3 });
    await client.addMember(members[0].address, "p0", []); // block start+1
    await client.addMember(members[1].address, "p1", []); // block start+2
    assert.equal(await follower.poll(), 0, "head start+2: no block has 3 confirmations");
    await mine(1); // head start+3: block start+1 has 3 confirmations
    assert.equal(await follower.poll(), 1);
    assert.deepEqual(
      seen.map((e) => e.name === "MemberAdded" && e.peerId),
      ["p0"],
    );
    await mine(5);
    assert.equal(await follower.poll(), 1);
    assert.equal(await follower.poll(), 0, "nothing is delivered twice");
    assert.deepEqual(
      seen.map((e) => (e.name === "MemberAdded" ? e.peerId : e.name)),
      ["p0", "p1"],
    );
    assert.equal(follower.nextBlock, (await ethers.provider.getBlockNumber()) - 1);
    assert.ok(seen[0].meta.blockNumber < seen[1].meta.blockNumber);
  });

  it("filters by event name, resumes from a saved block, and splits large ranges", async () => {
    const world = await load();
    const { client } = world;
    const start = await ethers.provider.getBlockNumber();
    const groupId = await setUpGroup(world);
    const { keyId } = await client.requestKey(groupId, "schnorr", 1);
    const names: string[] = [];
    const follower = client.follow((e) => void names.push(e.name), {
      fromBlock: start + 1,
      confirmations: 1,
      events: ["GroupCreated", "KeyRequested"],
      maxBlockRange: 2,
    });
    assert.equal(await follower.poll(), 2);
    assert.deepEqual(names, ["GroupCreated", "KeyRequested"]);
    // A restarted node resumes from the persisted block.
    await client.retireKey(keyId);
    const all: string[] = [];
    const resumed = client.follow((e) => void all.push(e.name), { fromBlock: follower.nextBlock, confirmations: 1 });
    await resumed.poll();
    assert.deepEqual(all, ["KeyRetired"]);
  });

  it("a failing handler gets the same event again on the next poll, without repeats of earlier ones", async () => {
    const world = await load();
    const { client, members } = world;
    const start = await ethers.provider.getBlockNumber();
    for (const [i, m] of members.entries()) await client.addMember(m.address, `p${i}`, []);
    const seen: string[] = [];
    let failOnce = true;
    const follower = client.follow(
      (e) => {
        if (e.name !== "MemberAdded") return;
        if (e.peerId === "p2" && failOnce) {
          failOnce = false;
          throw new Error("handler crashed");
        }
        seen.push(e.peerId);
      },
      { fromBlock: start + 1, confirmations: 1 },
    );
    await assert.rejects(follower.poll(), /handler crashed/);
    assert.deepEqual(seen, ["p0", "p1"]);
    assert.equal(await follower.poll(), 2);
    assert.deepEqual(seen, ["p0", "p1", "p2", "p3"]);
  });

  it("malformed chain event: an undecodable log is reported as CHAIN_BAD_EVENT and skipped", async () => {
    const world = await load();
    const { client, members } = world;
    const start = await ethers.provider.getBlockNumber();
    await client.addMember(members[0].address, "good", []);
    const [good] = await ethers.provider.getLogs({ address: client.address, fromBlock: start + 1 });
    // A log with MemberAdded's topic but truncated data, as a faulty or hostile RPC could return.
    const bad = { ...good, index: good.index - 1, data: good.data.slice(0, 20), removed: false } as unknown as Log;
    assert.throws(
      () => decodeRegistryLog(REGISTRY_INTERFACE, bad),
      (e: unknown) => e instanceof ChainError && e.code === "CHAIN_BAD_EVENT",
    );
    const rpc = {
      getBlockNumber: async () => good.blockNumber,
      getLogs: async () => [good, bad],
    } as unknown as Provider;
    const errors: unknown[] = [];
    const seen: RegistryEvent[] = [];
    const follower = new RegistryFollower(rpc, client.address, REGISTRY_INTERFACE, (e) => void seen.push(e), {
      fromBlock: 0,
      confirmations: 1,
      onError: (e) => errors.push(e),
    });
    assert.equal(await follower.poll(), 1);
    assert.equal(seen.length, 1);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof ChainError && errors[0].code === "CHAIN_BAD_EVENT");
  });

  it("start() polls repeatedly until stop()", async () => {
    const world = await load();
    const { client, members } = world;
    const start = await ethers.provider.getBlockNumber();
    let resolve!: () => void;
    const twoEvents = new Promise<void>((r) => (resolve = r));
    const seen: string[] = [];
    const follower = client.follow(
      (e) => {
        seen.push(e.name);
        if (seen.length === 2) resolve();
      },
      // A clock whose timers keep the process alive (systemClock's are unref'd).
      { fromBlock: start + 1, confirmations: 1, pollIntervalMs: 10, clock: refClock },
    );
    follower.start();
    await client.addMember(members[0].address, "a", []);
    await client.addMember(members[1].address, "b", []);
    await twoEvents;
    await follower.stop();
    assert.deepEqual(seen, ["MemberAdded", "MemberAdded"]);
  });

  it("rejects invalid options with ParameterError", async () => {
    const { client } = await load();
    assert.throws(() => client.follow(() => {}, { fromBlock: 0, confirmations: 0 }), ParameterError);
    assert.throws(() => client.follow(() => {}, { fromBlock: -1, confirmations: 1 }), ParameterError);
    assert.throws(() => client.follow(() => {}, { fromBlock: 0, confirmations: 1, maxBlockRange: 0 }), ParameterError);
  });
});
