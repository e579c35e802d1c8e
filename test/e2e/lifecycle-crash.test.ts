/**
 * Crash-safe refresh across real member processes (issue 8, specs/protocols.md §4 "Crash-safe
 * transition"): member 3 is killed (SIGKILL, by the TEST-ONLY hook SHARDLESS_TEST_CRASH_AFTER, so the
 * crash lands exactly on the step) at each step of the transition and restarted without the hook. It
 * converges to the epoch the registry shows and signs; the group address never changes.
 *   (a) pending share stored, own ACK not sent  → the refresh fails, everyone stays at epoch 0;
 *   (b) certificate stored, registry not moved  → the lowest online member publishes the epoch later;
 *   (c) registry advanced, old share not erased → the restart erases it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import type { KeyStatus } from "../../node/client/types.js";
import { FileShareStore } from "../../node/adapters/storage/index.js";
import { keyProviderFromConfig } from "../../node/config.js";
import {
  everyMemberAt,
  restartAfterCrash,
  signsAt,
  startLifecycleNet,
  startWithCrashHook,
  waitDead,
  type LifecycleNet,
} from "../helpers/lifecycle-e2e.js";
import { waitUntil } from "../helpers/e2e-devnet.js";

const VICTIM = 3;

describe("lifecycle e2e: a member crashing at each refresh step converges to the registry", () => {
  let lc: LifecycleNet;
  let key: KeyStatus;

  before(async () => {
    lc = await startLifecycleNet("shardless-refresh-crash-");
    key = await lc.net.clients[0].keygen(lc.net.devnet.groupId, "ecdsa", 1);
  });
  after(async () => {
    await lc?.stop();
  });

  const victim = () => lc.net.clients[VICTIM - 1];
  /** The victim coordinates a signature: it works with the others' shares and recovers to the address. */
  const victimSigns = (byte: number, epoch: number) => signsAt(victim(), key, byte, epoch);

  /**
   * The epochs of the victim's stored shares of the key, from the file names in its running store. The
   * store's write-ahead log reaches those files within about a second, so callers poll.
   */
  const storedEpochs = async () => {
    const member = lc.net.devnet.members[VICTIM - 1];
    const dir = path.join(member.dir, "data", "data", "shares", lc.net.devnet.groupId, key.keyId);
    return (await readdir(dir)).map((f) => Number(f.replace(".sealed", ""))).sort((a, b) => a - b);
  };

  /** The same, read through the store itself (replaying its log) while the victim is down. */
  const storedEpochsWhileDown = async () => {
    const member = lc.net.devnet.members[VICTIM - 1];
    const store = await FileShareStore.open({
      dir: path.join(member.dir, "data"),
      keyProvider: await keyProviderFromConfig({
        kind: "keyFile",
        keyFile: path.join(member.dir, "store.key"),
      }),
    });
    try {
      const prefix = `shares/${lc.net.devnet.groupId}/${key.keyId}/`;
      return (await store.list(prefix)).map((k) => Number(k.slice(prefix.length))).sort((a, b) => a - b);
    } finally {
      await store.close();
    }
  };

  it("(a) killed after storing the pending share: the refresh fails, all stay at epoch 0", async () => {
    await startWithCrashHook(lc.net, VICTIM, "pending-stored");
    await assert.rejects(lc.net.clients[0].refresh(key.keyId));
    await restartAfterCrash(lc.net, VICTIM);
    assert.equal(await lc.epoch(key.keyId), 0);
    for (const client of lc.net.clients) assert.equal((await client.key(key.keyId)).epoch, 0);
    await waitUntil(async () => (await storedEpochs()).join() === "0", "the last working share kept alone");
    await victimSigns(0xa1, 0);
  });

  it("(b) killed after the certificate, before the registry moved: the epoch is published after the restart", async () => {
    await startWithCrashHook(lc.net, VICTIM, "certificate-stored");
    // The coordinator cannot sign the epoch record without the victim (ECDSA needs 2t+1 = 3 signers).
    await assert.rejects(lc.net.clients[0].refresh(key.keyId));
    assert.equal(await lc.epoch(key.keyId), 0);
    await restartAfterCrash(lc.net, VICTIM);
    await waitUntil(async () => (await lc.epoch(key.keyId)) === 1, "the registry at epoch 1", 60_000);
    await everyMemberAt(lc.net, key.keyId, 1);
    await waitUntil(async () => (await storedEpochs()).join() === "1", "the epoch-0 share erased");
    await victimSigns(0xb1, 1);
  });

  it("(c) killed after the registry advanced, before erasing the old share: the restart erases it", async () => {
    await startWithCrashHook(lc.net, VICTIM, "registry-advanced");
    const refreshed = await lc.net.clients[0].refresh(key.keyId);
    assert.equal(refreshed.epoch, 2);
    assert.equal(refreshed.address, key.address);
    await waitDead(lc.net, VICTIM);
    assert.deepEqual(await storedEpochsWhileDown(), [1, 2], "killed before the epoch-1 share was erased");
    await restartAfterCrash(lc.net, VICTIM);
    assert.equal((await victim().key(key.keyId)).epoch, 2);
    await waitUntil(async () => (await storedEpochs()).join() === "2", "the epoch-1 share erased");
    assert.equal(await lc.epoch(key.keyId), 2);
    await victimSigns(0xc1, 2);
  });
});
