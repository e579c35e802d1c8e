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

const record = (n: number) => ({ fingerprint: `f${n}`, result: { n }, storedAt: 1_700_000_000_000 + n });

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
