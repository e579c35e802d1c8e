import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PresignPool, type PooledPresignature } from "../../node/runner/presign-pool.js";

describe("PresignPool low-water refill", () => {
  it("refills only once down to the low-water mark, then up to depth in batches", async () => {
    let n = 0;
    const batches: number[] = [];
    const pool = new PresignPool<PooledPresignature & { n: number }>({
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

  it("a session that produces nothing backs off like a failure instead of spinning", async () => {
    const timers: number[] = [];
    let calls = 0;
    const pool = new PresignPool<PooledPresignature>({
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
