import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PresignPool, type PooledPresignature } from "../../node/runner/presign-pool.js";
import { ManualClock } from "./harness.js";

// `quietMs: 0` where a test is about other rules: refills start as soon as they are allowed.
describe("PresignPool low-water refill", () => {
  it("refills only once down to the low-water mark, then up to depth in batches", async () => {
    let n = 0;
    const batches: number[] = [];
    const pool = new PresignPool<PooledPresignature & { n: number }>({
      quietMs: 0,
      depth: 6,
      batchSize: 4,
      lowWater: 3,
      epoch: 0,
      presign: async (batch, epoch) => {
        batches.push(batch);
        return Array.from({ length: batch }, () => ({ presigId: `p${n}`, epoch, n: n++ }));
      },
    });
    pool.start();
    await pool.idle();
    assert.equal(pool.size, 6);
    assert.deepEqual(batches, [4, 2], "initial fill goes on to depth");
    pool.take();
    pool.take();
    await pool.idle();
    assert.equal(pool.size, 4, "above the low-water mark: no session beside these signatures");
    assert.deepEqual(batches, [4, 2]);
    pool.take();
    await pool.idle();
    assert.equal(pool.size, 6, "at the low-water mark: refilled to depth");
    assert.deepEqual(batches, [4, 2, 3]);
    pool.stop();
  });

  it("yields to signing: a refill waits for quietMs without takes, unless the pool is down to half the mark", async () => {
    const clock = new ManualClock();
    let sessions = 0;
    const pool = new PresignPool<PooledPresignature>({
      depth: 8,
      batchSize: 8,
      lowWater: 4,
      quietMs: 25,
      epoch: 0,
      presign: async (batch, epoch) => {
        sessions++;
        return Array.from({ length: batch }, (_, i) => ({ presigId: `s${sessions}-${i}`, epoch }));
      },
      clock,
    });
    const settle = () => new Promise((r) => setImmediate(r));
    pool.start();
    await pool.idle();
    assert.equal(sessions, 1);
    for (let i = 0; i < 4; i++) pool.take(); // down to the mark (4), signing still busy
    await settle();
    assert.equal(sessions, 1, "no presigning right beside a signature");
    clock.advance(10);
    pool.take(); // another signature: 3 left, still above half the mark (2)
    clock.advance(20); // the first deadline (25 ms) passes, but the last take was only 20 ms ago
    await settle();
    assert.equal(sessions, 1, "still waiting for a quiet period");
    clock.advance(5);
    await pool.idle();
    assert.equal(sessions, 2, "quiet: refilled");
    assert.equal(pool.size, 8);
    for (let i = 0; i < 6; i++) pool.take(); // down to 2 = half the mark, at once
    await pool.idle();
    assert.equal(sessions, 3, "low: refilled at once, signing or not");
    clock.advance(1_000);
    await settle();
    assert.equal(sessions, 3, "no deferred refill left behind");
    pool.stop();
  });

  it("a session that produces nothing backs off like a failure instead of spinning", async () => {
    const timers: number[] = [];
    let calls = 0;
    const pool = new PresignPool<PooledPresignature>({
      quietMs: 0,
      depth: 4,
      batchSize: 4,
      epoch: 0,
      retryDelayMs: 100,
      presign: async () => {
        calls++;
        return [];
      },
      clock: {
        now: () => 0,
        setTimeout: (_fn: () => void, ms: number) => {
          timers.push(ms); // never fired: the pool must wait for it
          return { cancel() {} };
        },
      },
    });
    pool.start();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls, 1, "one session, then it waits for the back-off timer");
    assert.deepEqual(timers, [100]);
    assert.ok(pool.lastError !== null);
    pool.stop();
  });
});

describe("PresignPool across a restart", () => {
  const made = (epoch: number, ...ids: string[]) => ids.map((presigId) => ({ presigId, epoch }));

  it("stop({ keep: true }) hands the ready presignatures back instead of dropping them", async () => {
    const dropped: string[] = [];
    const pool = new PresignPool<PooledPresignature>({
      quietMs: 0,
      depth: 3,
      batchSize: 3,
      epoch: 0,
      presign: async (batch, epoch) => made(epoch, ...Array.from({ length: batch }, (_, i) => `p${i}`)),
      onDrop: (ps) => dropped.push(...ps.map((p) => p.presigId)),
    });
    pool.start();
    await pool.idle();
    pool.take();
    assert.deepEqual(
      pool.stop({ keep: true }).map((p) => p.presigId),
      ["p1", "p2"],
    );
    assert.deepEqual(dropped, [], "nothing dropped: the members keep their shares");
    assert.equal(pool.size, 0);
    assert.deepEqual(pool.stop(), [], "a plain stop returns nothing");
  });

  it("a pool made with `ready` serves them first, FIFO, without presigning; other epochs and the excess are dropped", async () => {
    const dropped: string[] = [];
    let sessions = 0;
    const pool = new PresignPool<PooledPresignature>({
      quietMs: 0,
      depth: 2,
      batchSize: 2,
      lowWater: 0,
      epoch: 1,
      ready: [...made(1, "a"), ...made(0, "old"), ...made(1, "b", "c")],
      presign: async (batch, epoch) => {
        sessions++;
        return made(epoch, ...Array.from({ length: batch }, (_, i) => `new${sessions}-${i}`));
      },
      onDrop: (ps) => dropped.push(...ps.map((p) => p.presigId)),
    });
    assert.deepEqual(dropped.sort(), ["c", "old"]);
    assert.equal(pool.size, 2);
    pool.start();
    await pool.idle();
    assert.equal(sessions, 0, "full from the start: no presigning session");
    assert.equal(pool.take()?.presigId, "a");
    assert.equal(pool.take()?.presigId, "b");
    await pool.idle();
    assert.equal(sessions, 1, "refilled once empty (low-water 0)");
    pool.stop();
  });
});
