import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ecdsaVerify, sha256, utf8ToBytes } from "../../../node/crypto/index.js";
import type { Clock } from "../../../node/runner/ports.js";
import { PoolStoppedError, PresignPool, type PooledPresignature } from "../../../node/runner/presign-pool.js";
import { presignaturePublic, type PresignaturePublic } from "../../../node/protocols/ecdsa/index.js";
import type { PresignatureStore } from "../../../node/runner/presignatures.js";
import { dealEcdsaKey, presignAll, signWithStores, signaturesOf, storesWith } from "./harness.js";
import { MemoryShareStore } from "./memory-share-store.js";

interface Item extends PooledPresignature {
  readonly n: number;
}

/** A fake presign function whose sessions the test completes by hand. */
function controlledPresign() {
  let counter = 0;
  const calls: {
    batch: number;
    epoch: number;
    resolve: (items: Item[]) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const presign = (batch: number, epoch: number) =>
    new Promise<Item[]>((resolve, reject) => calls.push({ batch, epoch, resolve, reject }));
  const complete = (k = calls.length - 1) => {
    const c = calls[k];
    const items = Array.from({ length: c.batch }, () => ({
      presigId: `p${counter}`,
      epoch: c.epoch,
      n: counter++,
    }));
    c.resolve(items);
    return items;
  };
  return { presign, calls, complete };
}

const tick = () => new Promise((r) => setImmediate(r));

function manualClock(): Clock & { fire(): void; pending: number } {
  const timers: (() => void)[] = [];
  return {
    now: () => 0,
    setTimeout(fn) {
      timers.push(fn);
      return { cancel: () => timers.splice(timers.indexOf(fn), 1) };
    },
    fire() {
      for (const fn of timers.splice(0)) fn();
    },
    get pending() {
      return timers.length;
    },
  };
}

// `quietMs: 0` where a test is about other rules: refills start as soon as they are allowed.
describe("PresignPool (fake presign functions)", () => {
  it("fills to depth in batches in the background and hands out FIFO", async () => {
    let n = 0;
    const batches: number[] = [];
    const pool = new PresignPool<Item>({
      quietMs: 0,
      depth: 5,
      batchSize: 2,
      epoch: 0,
      presign: async (batch, epoch) => {
        batches.push(batch);
        return Array.from({ length: batch }, () => ({ presigId: `p${n}`, epoch, n: n++ }));
      },
    });
    pool.start();
    await pool.idle();
    assert.equal(pool.size, 5);
    assert.deepEqual(batches, [2, 2, 1]);
    assert.deepEqual([pool.take()!.n, pool.take()!.n], [0, 1]);
    await pool.idle();
    assert.equal(pool.size, 5, "refilled after takes");
    assert.equal(pool.take()!.n, 2);
    pool.stop();
  });

  it("never makes signing wait while non-empty, even with a session in flight", async () => {
    const fake = controlledPresign();
    const pool = new PresignPool<Item>({
      depth: 3,
      batchSize: 3,
      epoch: 0,
      presign: fake.presign,
      quietMs: 0,
    });
    pool.start();
    await tick();
    fake.complete();
    await tick();
    assert.equal(pool.size, 3);
    assert.equal(pool.take()!.n, 0); // starts a refill session that stays pending
    await tick();
    assert.equal(fake.calls.length, 2);
    assert.equal(pool.take()!.n, 1, "served synchronously while presigning runs");
    assert.equal(pool.take()!.n, 2);
    assert.equal(pool.take(), undefined, "empty: take never blocks");
    const waiting = pool.acquire();
    fake.complete(1);
    assert.equal((await waiting).n, 3, "acquire waits only when empty");
    pool.stop();
  });

  it("an epoch change drops old presignatures and the results of sessions still running for the old epoch", async () => {
    const fake = controlledPresign();
    const dropped: Item[] = [];
    const pool = new PresignPool<Item>({
      quietMs: 0,
      depth: 2,
      batchSize: 2,
      epoch: 0,
      presign: fake.presign,
      onDrop: (items) => dropped.push(...items),
    });
    pool.start();
    await tick();
    fake.complete(0);
    await tick();
    pool.take();
    await tick(); // refill session for epoch 0 now in flight
    assert.equal(fake.calls[1].epoch, 0);
    assert.deepEqual(
      pool.setEpoch(1).map((p) => p.n),
      [1],
    );
    fake.complete(1); // arrives late, for epoch 0
    await tick();
    await tick();
    assert.equal(pool.size, 0);
    assert.deepEqual(
      dropped.map((p) => p.n).sort(),
      [1, 2],
      "the queued one and the late one (a 1-item refill)",
    );
    assert.equal(fake.calls[2].epoch, 1, "refills at the new epoch");
    fake.complete(2);
    await pool.idle();
    assert.ok([pool.take()!, pool.take()!].every((p) => p.epoch === 1));
    assert.throws(() => pool.setEpoch(0));
    pool.stop();
  });

  it("retries a failed session after a back-off", async () => {
    const fake = controlledPresign();
    const clock = manualClock();
    const pool = new PresignPool<Item>({
      quietMs: 0,
      depth: 1,
      batchSize: 1,
      epoch: 0,
      presign: fake.presign,
      clock,
      retryDelayMs: 10,
    });
    pool.start();
    await tick();
    fake.calls[0].reject(new Error("peer offline"));
    await tick();
    await tick();
    assert.equal(clock.pending, 1);
    assert.ok(pool.lastError instanceof Error);
    assert.equal(fake.calls.length, 1, "no retry before the timer fires");
    clock.fire();
    await tick();
    assert.equal(fake.calls.length, 2);
    fake.complete(1);
    await pool.idle();
    assert.equal(pool.size, 1);
    assert.equal(pool.lastError, null);
    pool.stop();
  });

  it("stop rejects waiting acquirers and drops what is left", async () => {
    const fake = controlledPresign();
    const dropped: Item[] = [];
    const pool = new PresignPool<Item>({
      quietMs: 0,
      depth: 1,
      batchSize: 1,
      epoch: 0,
      presign: fake.presign,
      onDrop: (d) => dropped.push(...d),
    });
    pool.start();
    const waiting = pool.acquire();
    await tick();
    pool.stop();
    await assert.rejects(waiting, PoolStoppedError);
    fake.complete(0); // a session still running when the pool stopped: its result is dropped on arrival
    await tick();
    assert.equal(dropped.length, 1);
    assert.equal(pool.size, 0);
    await assert.rejects(pool.acquire(), PoolStoppedError);
  });

  it("rejects bad options", () => {
    const presign = async () => [];
    assert.throws(() => new PresignPool({ depth: 0, batchSize: 1, epoch: 0, presign }));
    assert.throws(() => new PresignPool({ depth: 1, batchSize: 0, epoch: 0, presign }));
  });
});

describe("PresignPool with the real in-process protocol", () => {
  it("refills with real presigning sessions and every pooled presignature signs once", async () => {
    const key = dealEcdsaKey(3, 1);
    const signers = [1, 2, 3];
    const backing = new Map(signers.map((id) => [id, new MemoryShareStore()]));
    let stores = new Map<number, PresignatureStore>();
    let session = 0;
    const pool = new PresignPool<PresignaturePublic>({
      quietMs: 0,
      depth: 4,
      batchSize: 3,
      epoch: 0,
      presign: async (batch) => {
        const out = presignAll(key.shares, signers, batch, { requestId: `pool-${session++}` });
        stores = (await storesWith(out, backing)).stores;
        return out.get(1)!.map(presignaturePublic);
      },
    });
    pool.start();
    await pool.idle();
    assert.equal(pool.size, 4);
    const used = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const presig = await pool.acquire();
      assert.ok(!used.has(presig.presigId), "never handed out twice");
      used.add(presig.presigId);
      const digest = sha256(utf8ToBytes(`pooled ${i}`));
      const sigs = signaturesOf(await signWithStores(stores, presig, digest, 1));
      assert.equal(sigs.length, 1);
      assert.ok(ecdsaVerify(sigs[0].r, sigs[0].s, digest, key.shares.get(1)!.public.publicKey));
    }
    await pool.idle();
    assert.equal(pool.size, 4);
    pool.stop();
  });
});
