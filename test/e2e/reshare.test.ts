/**
 * Resharing across real member processes (issue 8, specs/protocols.md §6): five registered members, the
 * first three form the group. The old committee deals its keys to a new one the registry admin chose
 * (requestMembershipChange) — 3 → 5, then 5 → 4 with member 2 removed, which renumbers members 3..5 —
 * with the group's public keys unchanged, the registry showing the new member set and epoch, the new
 * committee signing (a new member coordinating), and the removed member unable to take part.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { JsonRpcProvider, NonceManager, recoverAddress } from "ethers";
import { memberSetHash } from "../../node/adapters/chain/record.js";
import { FileShareStore, KeyFileKeyProvider } from "../../node/adapters/storage/index.js";
import { RegistryClient } from "../../node/adapters/chain/registry-client.js";
import { ShardlessClient, type ShardlessApiError } from "../../node/client/api-client.js";
import type { Hex, KeyStatus } from "../../node/client/types.js";
import { hexToBytes, schnorrVerify } from "../../node/crypto/index.js";
import { startDevnet, type Devnet } from "../../scripts/devnet/devnet.js";
import { E2E_API_TIMEOUT_MS, waitUntil } from "../helpers/e2e-devnet.js";

const digest = (byte: number) => `0x${byte.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const bytes = (hex: string) => hexToBytes(hex.slice(2));

describe("reshare e2e: 5 member processes, group 3 → 5 → 4", () => {
  let dir: string;
  let devnet: Devnet;
  let clients: ShardlessClient[];
  let provider: JsonRpcProvider;
  let admin: RegistryClient;
  let ecdsa: KeyStatus;
  let schnorr: KeyStatus;
  /** Its registry records are signed by the group's authority key (the ecdsa key). */
  let encryption: KeyStatus;
  let operators: string[];

  /** Waits until member `i` (1-based) has an open connection to each of `others`. */
  const waitConnected = (i: number, others: number[]) =>
    waitUntil(
      async () => {
        const peers = (await clients[i - 1].status()).peers;
        return others.every((j) =>
          peers.some((p) => p.peerId === devnet.members[j - 1].peerId && p.connected),
        );
      },
      `member ${i} connected to ${others.join(", ")}`,
    );

  /** Signs with both keys through `coordinator` (0-based client) and checks both signatures. */
  const signBoth = async (coordinator: number, byte: number, epoch: number) => {
    const sig = await clients[coordinator].sign(ecdsa.keyId, { kind: "digest", digest: digest(byte) });
    assert.equal(sig.epoch, epoch);
    assert.equal(recoverAddress(sig.digest, sig.signature), ecdsa.address);
    const s = await clients[coordinator].sign(schnorr.keyId, { kind: "digest", digest: digest(byte + 1) });
    assert.equal(s.epoch, epoch);
    assert.ok(schnorrVerify(bytes(s.signature), bytes(s.digest), bytes(schnorr.xOnlyPublicKey!)));
  };

  /** Registry and every listed member agree: new member set, both keys at `epoch` with `degree`. */
  const assertCommittee = async (members: string[], epoch: number, degree: number, holders: number[]) => {
    const groupId = BigInt(devnet.groupId);
    assert.deepEqual(await admin.groupMembers(groupId), members);
    assert.equal(await admin.groupMemberSetHash(groupId), memberSetHash(members));
    assert.deepEqual(await admin.pendingMembers(groupId), []);
    for (const key of [ecdsa, schnorr, encryption]) {
      const info = await admin.getKey(BigInt(key.keyId));
      assert.equal(info.epoch, BigInt(epoch));
      assert.equal(info.degree, degree);
      // A schnorr key is registered as its BIP-340 (even-y) point.
      const registered = key.scheme === "schnorr" ? `0x02${key.xOnlyPublicKey!.slice(2)}` : key.publicKey;
      assert.equal(info.publicKey, registered);
      assert.equal(info.ethAddress, key.scheme === "ecdsa" ? key.address : null);
      for (const i of holders) {
        await waitUntil(
          async () => (await clients[i - 1].key(key.keyId)).epoch === epoch,
          `member ${i} at ${epoch}`,
        );
        const held = await clients[i - 1].key(key.keyId);
        assert.equal(held.publicKey, key.publicKey);
        assert.equal(held.degree, degree);
      }
    }
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "shardless-reshare-"));
    devnet = await startDevnet({ members: 5, groupMembers: 3, dir });
    clients = devnet.members.map(
      (m) => new ShardlessClient({ url: m.apiUrl, token: m.token, timeoutMs: E2E_API_TIMEOUT_MS }),
    );
    provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true });
    admin = new RegistryClient(devnet.registry, new NonceManager(devnet.funder().connect(provider)));
    operators = devnet.members.map((m) => m.operator);
    await Promise.all([waitConnected(1, [2, 3]), waitConnected(2, [1, 3]), waitConnected(3, [1, 2])]);
    ecdsa = await clients[0].keygen(devnet.groupId, "ecdsa", 1);
    schnorr = await clients[1].keygen(devnet.groupId, "schnorr", 1);
    encryption = await clients[2].keygen(devnet.groupId, "encryption", 1);
  });
  after(async () => {
    provider?.destroy();
    await devnet?.stop();
    // SHARDLESS_E2E_KEEP=1 keeps configs, stores and node logs for a post-mortem.
    if (dir && process.env.SHARDLESS_E2E_KEEP) console.error(`devnet kept in ${dir}`);
    else if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  });

  it("3 → 5: same keys, registry at epoch 1 with five members, a new member coordinates signing", async () => {
    // Members 4 and 5 are registered but outside the group: nobody admits them yet.
    await assert.rejects(clients[3].key(ecdsa.keyId), (e: ShardlessApiError) => e.code === "NOT_FOUND");
    assert.deepEqual((await clients[3].status()).groups, []);

    await admin.requestMembershipChange(BigInt(devnet.groupId), operators);
    // The pending committee is admitted by every node that follows the registry.
    await Promise.all([waitConnected(4, [1, 2, 3, 5]), waitConnected(5, [1, 2, 3, 4])]);
    const group = await clients[0].reshare(devnet.groupId, operators, 1);

    assert.deepEqual(
      group.members.map((m) => m.operator),
      operators,
    );
    assert.deepEqual(
      group.keys.map((k) => [k.keyId, k.epoch, k.publicKey]),
      [ecdsa, schnorr, encryption].map((k) => [k.keyId, 1, k.publicKey]),
    );
    await assertCommittee(operators, 1, 1, [1, 2, 3, 4, 5]);
    await signBoth(4, 0x51, 1); // member 5 coordinates
  });

  it("5 → 4: member 2 removed, members 3..5 renumbered; same keys at epoch 2; member 2 cannot take part", async () => {
    const next = [operators[0], operators[2], operators[3], operators[4]];
    await admin.requestMembershipChange(BigInt(devnet.groupId), next);
    // Member 3 (id 2 from now on) coordinates; the renumbered members deal at their old ids, and the
    // removed member deals too (it still holds a share of epoch 1) but receives nothing.
    const group = await clients[2].reshare(devnet.groupId, next, 1);
    assert.deepEqual(
      group.members.map((m) => [m.id, m.operator]),
      next.map((op, k) => [k + 1, op]),
    );
    await assertCommittee(next, 2, 1, [1, 3, 4, 5]);

    // The removed member erased its shares, is in no group, and the others no longer admit it.
    await waitUntil(async () => (await clients[1].status()).groups.length === 0, "member 2 out of the group");
    // Out of the group is out of its keys at once (its shares are erased one key at a time after; the
    // store is checked below): refused before any session starts.
    for (const key of [ecdsa, schnorr, encryption]) {
      await assert.rejects(clients[1].key(key.keyId), (e: ShardlessApiError) => e.code === "NOT_FOUND");
    }
    for (const key of [ecdsa, schnorr]) {
      await assert.rejects(
        clients[1].sign(key.keyId, { kind: "digest", digest: digest(0x60) }),
        (e: ShardlessApiError) => e.code === "NOT_FOUND",
      );
    }
    const removed = devnet.members[1].peerId;
    for (const i of [1, 3, 4, 5]) {
      await waitUntil(
        async () => !(await clients[i - 1].status()).peers.some((p) => p.peerId === removed),
        `member ${i} forgot member 2`,
      );
    }

    // The new committee signs, coordinated by renumbered members.
    await signBoth(4, 0x61, 2);
    await signBoth(2, 0x63, 2);

    // The removed member's store holds no share of any key any more.
    await devnet.stopMember(2);
    const member2 = path.join(dir, "member-2");
    const store = await FileShareStore.open({
      dir: path.join(member2, "data"),
      keyProvider: new KeyFileKeyProvider({ path: path.join(member2, "store.key") }),
    });
    try {
      assert.deepEqual(await store.list("shares/"), []);
    } finally {
      await store.close();
    }
  });
});
