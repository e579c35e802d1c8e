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
