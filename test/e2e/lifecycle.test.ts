/**
 * Key lifecycle across real member processes (issue 8): proactive refresh keeps the group address and
 * advances the registry epoch; a member whose data directory was wiped gets its share back from the others
 * (nobody assembles the key) and signs again, also through a coordinator whose presignatures predate it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import path from "node:path";
import { JsonRpcProvider, recoverAddress } from "ethers";
import { RegistryClient } from "../../node/adapters/chain/registry-client.js";
import type { ShardlessApiError } from "../../node/client/api-client.js";
import type { Hex, KeyStatus } from "../../node/client/types.js";
import { startE2eDevnet, waitUntil, type E2eDevnet } from "../helpers/e2e-devnet.js";

const digest = (byte: number) => `0x${byte.toString(16).padStart(2, "0").repeat(32)}` as Hex;

describe("lifecycle e2e: 3 member processes, t = 1", () => {
  let net: E2eDevnet;
  let key: KeyStatus;
  let provider: JsonRpcProvider;
  let registry: RegistryClient;

  before(async () => {
    net = await startE2eDevnet(3, { prefix: "shardless-lifecycle-" });
    provider = new JsonRpcProvider(net.devnet.rpcUrl, undefined, { staticNetwork: true });
    registry = new RegistryClient(net.devnet.registry, provider);
    key = await net.clients[0].keygen(net.devnet.groupId, "ecdsa", 1);
  });
  after(async () => {
    provider?.destroy();
    await net?.stop();
  });

  it("refresh: new epoch in the registry, same address, signing still recovers to it", async () => {
    const refreshed = await net.clients[1].refresh(key.keyId);
    assert.equal(refreshed.epoch, 1);
    assert.equal(refreshed.address, key.address);
    assert.equal(await registry.currentEpoch(BigInt(key.keyId)), 1n);
    for (const client of net.clients) {
      await waitUntil(async () => (await client.key(key.keyId)).epoch === 1, "every member at epoch 1");
    }
    const sig = await net.clients[2].sign(key.keyId, { kind: "digest", digest: digest(0x42) });
    assert.equal(sig.epoch, 1);
    assert.equal(recoverAddress(sig.digest, sig.signature), key.address);
  });

  it("recovery: a member whose data directory was wiped gets its share back and signs again", async () => {
    const target = net.devnet.members[2];
    // Member 2's presignature pool holds presignatures whose shares member 3 is about to lose.
    await waitUntil(
      async () => ((await net.clients[1].key(key.keyId)).presignatures ?? 0) > 0,
      "member 2's pool filled",
    );
    await net.devnet.stopMember(3);
    await rm(path.join(target.dir, "data"), { recursive: true, force: true });
    await net.devnet.startMember(3);
    await waitUntil(async () => (await net.clients[2].status()).peers.every((p) => p.connected), "mesh back");
    await assert.rejects(net.clients[2].key(key.keyId), (e: ShardlessApiError) => e.code === "NOT_FOUND");

    const result = await net.clients[0].recover(key.keyId, 3);
    assert.deepEqual(result, { keyId: key.keyId, member: 3, epoch: 1 });
    const recovered = await net.clients[2].key(key.keyId);
    assert.equal(recovered.publicKey, key.publicKey);
    assert.equal(recovered.epoch, 1);

    // The recovered member coordinates a signature: its share works with the others'.
    const sig = await net.clients[2].sign(key.keyId, { kind: "digest", digest: digest(0x43) });
    assert.equal(recoverAddress(sig.digest, sig.signature), key.address);
  });

  it("after a recovery, a coordinator whose pool predates it still signs (the recovered member declines)", async () => {
    // Regression: the recovered member lost its shares of member 2's pooled presignatures. It must decline
    // the sign invite (not fail silently, which left the coordinator waiting out a round timeout and
    // failing); member 2 then retries with a fresh presignature.
    const sig = await net.clients[1].sign(key.keyId, { kind: "digest", digest: digest(0x44) });
    assert.equal(recoverAddress(sig.digest, sig.signature), key.address);
  });
});
