/**
 * EpochSync (node/coordinator/lifecycle-sync.ts) over an in-memory share store and a registry stand-in:
 * what a restarted member's store looks like after it converged to the registry's epoch.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryShareStore } from "../../node/adapters/storage/index.js";
import type { NodeContext } from "../../node/coordinator/context.js";
import { KeyRing } from "../../node/coordinator/keyring.js";
import type { CrashStep } from "../../node/coordinator/lifecycle-faults.js";
import { EpochSync, certificatePath, pendingPath } from "../../node/coordinator/lifecycle-sync.js";
import { bytesToHex, seededRng } from "../../node/crypto/index.js";
import { commitmentDigest, type KeyShare } from "../../node/protocol/key-share.js";
import {
  buildCertificate,
  encodeCertificate,
  encodePendingEpoch,
  preparePending,
} from "../../node/protocols/lifecycle/index.js";
import { silentLogger } from "../../node/runner/ports.js";
import { dealKey } from "../helpers/dealer.js";
import { identities } from "../protocols/refresh/harness.js";

const GROUP = "1";
const KEY = "5";
const roster = [1, 2, 3];
const ids = identities(roster);
const secret = 77n;
const e0 = dealKey({ degree: 1, participants: roster, keyId: KEY, secret }, seededRng("e0")).shares;
const e1 = dealKey({ degree: 1, participants: roster, keyId: KEY, secret, epoch: 1 }, seededRng("e1")).shares;
const sid = seededRng("sid")(32);
const pendings = roster.map((id) =>
  preparePending(
    {
      protocol: "refresh",
      sessionId: sid,
      share: e1.get(id)!,
      transcriptDigest: new Uint8Array(32),
      roster,
      culprits: [],
    },
    ids.signer(id),
  ),
);
const certificate = buildCertificate(
  pendings.map((p) => p.ownAck),
  roster,
);

class SimulatedCrash extends Error {}

/** Member 1 after a crash: epoch 0 committed, epoch 1 pending (and optionally its certificate). */
async function member1(registryAt: KeyShare, opts: { certificate?: boolean; crashAt?: CrashStep } = {}) {
  const store = new MemoryShareStore();
  const keys = new KeyRing(store);
  await keys.put(GROUP, e0.get(1)!);
  await store.put(pendingPath(GROUP, KEY, 1), encodePendingEpoch(pendings[0]));
  if (opts.certificate) await store.put(certificatePath(GROUP, KEY, 1), encodeCertificate(certificate));
  const registry = {
    getKey: async () => ({
      status: "active",
      epoch: BigInt(registryAt.public.epoch),
      commitmentDigest: `0x${bytesToHex(commitmentDigest(registryAt.public))}`,
    }),
  };
  const ctx = {
    store,
    keys,
    registry,
    groups: {
      peerMap: (_g: string, members: readonly number[]) => new Map(members.map((m) => [m, `peer-${m}`])),
    },
    auth: {
      verify: (peer: string, bytes: Uint8Array, sig: Uint8Array) =>
        ids.verify(Number(peer.slice(5)), bytes, sig),
    },
    logger: silentLogger,
    clock: { now: () => 0 },
  } as unknown as NodeContext;
  const events: string[] = [];
  let crashOnce = opts.crashAt !== undefined;
  const sync = new EpochSync(
    ctx,
    (step) => {
      events.push(`step ${step}`);
      // Stands in for the process dying here: nothing after this point runs.
      if (crashOnce && step === opts.crashAt) {
        crashOnce = false;
        throw new SimulatedCrash();
      }
    },
    async (keyId, epoch) => void events.push(`switch ${keyId} ${epoch}`),
  );
  return { store, keys, sync, events };
}

describe("epoch sync: a restarted member converges to the registry", () => {
  it("registry still at epoch 0: the old share stays current, the pending record is kept", async () => {
    const m = await member1(e0.get(1)!);
    const plan = await m.sync.sync(KEY);
    assert.equal(plan?.state, "settled");
    assert.equal(m.keys.get(KEY)?.share.public.epoch, 0);
    assert.deepEqual(await m.store.list("pending/"), [pendingPath(GROUP, KEY, 1)]);
    assert.deepEqual(await m.store.list("shares/"), [`shares/${GROUP}/${KEY}/0`]);
    assert.deepEqual(m.events, []);
  });

  it("registry advanced to our package: promote and switch, then erase epoch 0", async () => {
    const m = await member1(e1.get(1)!);
    const plan = await m.sync.sync(KEY);
    assert.equal(plan?.state, "settled");
    assert.equal(m.keys.get(KEY)?.share.public.epoch, 1);
    assert.deepEqual(await m.store.list("pending/"), []);
    assert.deepEqual(await m.store.list("shares/"), [`shares/${GROUP}/${KEY}/1`]);
    assert.deepEqual(m.events, [`switch ${KEY} 1`, "step registry-advanced"]);
  });

  it("a crash just before the erase loses nothing; the next sync (restart) erases epoch 0", async () => {
    const m = await member1(e1.get(1)!, { crashAt: "registry-advanced" });
    await assert.rejects(m.sync.sync(KEY), SimulatedCrash);
    assert.deepEqual(await m.store.list("shares/"), [`shares/${GROUP}/${KEY}/0`, `shares/${GROUP}/${KEY}/1`]);
    assert.equal((await m.sync.sync(KEY))?.state, "settled");
    assert.deepEqual(await m.store.list("shares/"), [`shares/${GROUP}/${KEY}/1`]);
  });

  it("certificate held, registry at epoch 0: commit to epoch 1 and mark it unpublished", async () => {
    const m = await member1(e0.get(1)!, { certificate: true });
    const plan = await m.sync.sync(KEY);
    assert.equal(plan?.state, "unpublished");
    assert.equal(m.keys.get(KEY)?.share.public.epoch, 1);
    assert.ok(m.sync.unpublished.has(KEY));
    assert.deepEqual(await m.store.list("shares/"), [`shares/${GROUP}/${KEY}/0`, `shares/${GROUP}/${KEY}/1`]);
  });

  it("registry advanced to another package: ours is discarded and the member is behind", async () => {
    const other = dealKey(
      { degree: 1, participants: roster, keyId: KEY, epoch: 1 },
      seededRng("other"),
    ).shares;
    const m = await member1(other.get(1)!);
    const plan = await m.sync.sync(KEY);
    assert.equal(plan?.state, "behind");
    assert.equal(m.keys.get(KEY)?.share.public.epoch, 0, "the last working share is kept");
    assert.deepEqual(await m.store.list("pending/"), []);
  });
});
