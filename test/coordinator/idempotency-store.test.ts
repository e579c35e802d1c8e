import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryShareStore } from "../../node/adapters/storage/memory.js";
import { PersistentIdempotencyStore } from "../../node/coordinator/idempotency-store.js";
import type { ShareStore } from "../../node/runner/ports.js";

/** Counts the store calls the idempotency store makes. */
function counting(store: ShareStore) {
  const calls = { get: 0, list: 0 };
  const wrapped: ShareStore = {
    put: (k, v) => store.put(k, v),
    delete: (k) => store.delete(k),
    get: (k) => (calls.get++, store.get(k)),
    list: (p) => (calls.list++, store.list(p)),
  };
  return { wrapped, calls };
}

const T0 = Date.now();
const record = (n: number) => ({ fingerprint: `f${n}`, result: { n }, storedAt: T0 + n });

describe("PersistentIdempotencyStore", () => {
  it("answers a first result after a restart (a new instance over the same store)", async () => {
    const backing = new MemoryShareStore();
    await new PersistentIdempotencyStore(backing).put("req-1", record(1));
    const restarted = new PersistentIdempotencyStore(backing);
    assert.deepEqual(await restarted.get("req-1"), record(1));
    assert.equal(await restarted.get("req-2"), undefined);
  });

  it("lists the ids once; unseen ids cost no read, and its own puts are found", async () => {
    const backing = new MemoryShareStore();
    await new PersistentIdempotencyStore(backing).put("old", record(0));
    const { wrapped, calls } = counting(backing);
    const store = new PersistentIdempotencyStore(wrapped);
    for (let i = 0; i < 5; i++) assert.equal(await store.get(`new-${i}`), undefined);
    assert.deepEqual(calls, { get: 0, list: 1 });
    await store.put("new-0", record(7));
    assert.deepEqual(await store.get("new-0"), record(7));
    assert.deepEqual(await store.get("old"), record(0));
    assert.deepEqual(calls, { get: 2, list: 1 });
  });

  it("answers a record for ttlMs only; a retry after that runs anew and replaces the old record", async () => {
    const backing = new MemoryShareStore();
    let now = 10 * 3_600_000;
    const store = new PersistentIdempotencyStore(backing, { ttlMs: 60_000, clock: { now: () => now } });
    await store.put("req", { ...record(1), storedAt: now });
    now += 60_000;
    assert.deepEqual(await store.get("req"), { ...record(1), storedAt: now - 60_000 });
    now += 1;
    assert.equal(await store.get("req"), undefined, "expired");
    now += 3_600_000;
    await store.put("req", { ...record(2), storedAt: now });
    assert.deepEqual(await store.get("req"), { ...record(2), storedAt: now });
    assert.equal((await backing.list("idempotency/")).length, 1, "the expired record was replaced");
  });

  it("deletes whole hours past the TTL, once an hour, and keeps records of the old layout", async () => {
    const backing = new MemoryShareStore();
    const hour = 3_600_000;
    let now = 100 * hour;
    await backing.put("idempotency/" + "ab".repeat(32), new TextEncoder().encode(JSON.stringify(record(0))));
    const store = new PersistentIdempotencyStore(backing, { ttlMs: 2 * hour, clock: { now: () => now } });
    await store.put("h100", { ...record(100), storedAt: now });
    now = 101.5 * hour;
    await store.put("h101", { ...record(101), storedAt: now });
    now = 103 * hour + 1; // hour 100 is now entirely older than the TTL; hour 101 is not
    await store.put("h103", { ...record(103), storedAt: now });
    await new Promise((r) => setImmediate(r)); // the deletion runs in the background
    const keys = await backing.list("idempotency/");
    assert.deepEqual(
      keys.map((k) => (k.split("/").length === 3 ? Number(k.split("/")[1]) : "old layout")).sort(),
      [101, 103, "old layout"],
    );
    assert.deepEqual(await store.get("h101"), { ...record(101), storedAt: 101.5 * hour });
    // The old layout is still answered (its id is whatever hashes to "abab…": looked up by key here).
    assert.ok(await backing.get("idempotency/" + "ab".repeat(32)));
  });

  it("a failed listing is retried at the next lookup, not remembered", async () => {
    const backing = new MemoryShareStore();
    await backing.put("idempotency/x", new Uint8Array(1));
    let fail = true;
    const flaky: ShareStore = {
      put: (k, v) => backing.put(k, v),
      delete: (k) => backing.delete(k),
      get: (k) => backing.get(k),
      list: (p) => (fail ? Promise.reject(new Error("disk")) : backing.list(p)),
    };
    const store = new PersistentIdempotencyStore(flaky);
    await assert.rejects(store.get("a"), /disk/);
    fail = false;
    assert.equal(await store.get("a"), undefined);
  });
});
