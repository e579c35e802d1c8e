/**
 * Refresh across real member processes (issue 8): a refresh while two members sign in a loop (no
 * signature fails except requests explicitly aborted and retried; every signature recovers to the same
 * address), and a refresh whose coordinator dies mid-way (the others keep the old epoch and keep signing;
 * a later refresh succeeds).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { hexlify, randomBytes, recoverAddress } from "ethers";
import type { ShardlessApiError, ShardlessClient } from "../../node/client/api-client.js";
import type { Hex, KeyStatus, SignResult } from "../../node/client/types.js";
import { hexToBytes } from "../../node/crypto/hash.js";
import { schnorrVerify } from "../../node/crypto/secp256k1.js";
import { waitUntil } from "../helpers/e2e-devnet.js";
import {
  everyMemberAt,
  restartAfterCrash,
  startLifecycleNet,
  startWithCrashHook,
  waitDead,
  type LifecycleNet,
} from "../helpers/lifecycle-e2e.js";

/** API codes of requests a member aborted on purpose (declined invite, epoch switch): retried. */
const RETRIED = new Set(["PROTOCOL_ABORT", "CONFLICT", "UNAVAILABLE"]);
const MAX_ATTEMPTS = 6;

interface LoadResult {
  readonly signatures: SignResult[];
  /** Codes of aborted attempts that were retried. */
  readonly retried: string[];
  /** Requests that failed for good (after retries, or with a code that is not an explicit abort). */
  readonly failed: unknown[];
}

/** Signs fresh digests through `client` until `stop()`; retries explicitly aborted requests. */
async function signLoop(client: ShardlessClient, keyId: string, stop: () => boolean): Promise<LoadResult> {
  const out: LoadResult = { signatures: [], retried: [], failed: [] };
  while (!stop()) {
    const digest = hexlify(randomBytes(32)) as Hex;
    for (let attempt = 1; ; attempt++) {
      try {
        out.signatures.push(await client.sign(keyId, { kind: "digest", digest }));
        break;
      } catch (e) {
        const code = (e as ShardlessApiError).code;
        if (!RETRIED.has(code) || attempt === MAX_ATTEMPTS) {
          out.failed.push(e);
          break;
        }
        out.retried.push(code);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  return out;
}

describe("lifecycle e2e: refresh under signing load, and a coordinator dying mid-refresh", () => {
  let lc: LifecycleNet;

  before(async () => {
    lc = await startLifecycleNet("shardless-refresh-load-");
  });
  after(async () => {
    await lc?.stop();
  });

  it("refresh while members 1 and 2 sign in a loop: no failed signature, one address, epoch advances", async (t) => {
    const key = await lc.net.clients[0].keygen(lc.net.devnet.groupId, "ecdsa", 1);
    let stopped = false;
    const loops = [0, 1].map((i) => signLoop(lc.net.clients[i], key.keyId, () => stopped));
    try {
      await new Promise((r) => setTimeout(r, 1_500)); // the load is running before the refresh starts
      const refreshed = await lc.net.clients[2].refresh(key.keyId);
      assert.equal(refreshed.epoch, 1);
      assert.equal(refreshed.address, key.address);
      await everyMemberAt(lc.net, key.keyId, 1);
      await new Promise((r) => setTimeout(r, 1_500)); // and keeps running after it
    } finally {
      stopped = true;
    }
    const results = await Promise.all(loops);
    const signatures = results.flatMap((r) => r.signatures);
    const failed = results.flatMap((r) => r.failed);
    const retried = results.flatMap((r) => r.retried);
    t.diagnostic(
      `${signatures.length} signatures; ${retried.length} aborted attempts retried (${retried.join(", ")})`,
    );
    assert.deepEqual(
      failed.map((e) => (e as ShardlessApiError).code ?? String(e)),
      [],
      "no signature failed after retries",
    );
    for (const sig of signatures) assert.equal(recoverAddress(sig.digest, sig.signature), key.address);
    const epochs = new Set(signatures.map((s) => s.epoch));
    assert.ok(epochs.has(0) && epochs.has(1), `signatures at both epochs (got ${[...epochs].join(", ")})`);
    assert.equal(await lc.epoch(key.keyId), 1);
  });

  it("the refresh coordinator dies mid-refresh: the others keep epoch 0 and sign; a later refresh succeeds", async () => {
    // A schnorr key: FROST needs degree + 1 = 2 signers, so members 2 and 3 sign while member 1 is down.
    const key: KeyStatus = await lc.net.clients[1].keygen(lc.net.devnet.groupId, "schnorr", 1);
    const xOnly = hexToBytes(key.xOnlyPublicKey!.slice(2));
    const signs = async (client: ShardlessClient, epoch: number) => {
      const digest = hexlify(randomBytes(32)) as Hex;
      const sig = await client.sign(key.keyId, { kind: "digest", digest });
      assert.equal(sig.epoch, epoch);
      assert.ok(schnorrVerify(hexToBytes(sig.signature.slice(2)), hexToBytes(digest.slice(2)), xOnly));
    };

    // Member 1 coordinates and is killed once its pending share is stored (its ACK never goes out).
    await startWithCrashHook(lc.net, 1, "pending-stored");
    await assert.rejects(lc.net.clients[0].refresh(key.keyId));
    await waitDead(lc.net, 1);

    await signs(lc.net.clients[1], 0);
    await signs(lc.net.clients[2], 0);
    assert.equal(await lc.epoch(key.keyId), 0);

    await restartAfterCrash(lc.net, 1);
    for (const client of lc.net.clients) assert.equal((await client.key(key.keyId)).epoch, 0);
    await signs(lc.net.clients[0], 0);

    // The survivors' ACK sessions wait out a round timeout; until then they decline a new refresh.
    let refreshed: KeyStatus | undefined;
    await waitUntil(
      async () => {
        refreshed = await lc.net.clients[0].refresh(key.keyId);
        return true;
      },
      "a later refresh to succeed",
      60_000,
      1_000,
    );
    assert.equal(refreshed?.epoch, 1);
    assert.equal(await lc.epoch(key.keyId), 1);
    await signs(lc.net.clients[2], 1);
  });
});
