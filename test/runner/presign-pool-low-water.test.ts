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
});
