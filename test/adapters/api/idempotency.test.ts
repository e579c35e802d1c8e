import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProtocolAbortError } from "../../../node/protocol/errors.js";
import {
  Idempotency,
  MemoryIdempotencyStore,
  canonicalJson,
  type IdempotencyRecord,
  type IdempotencyStore,
} from "../../../node/adapters/api/idempotency.js";
import { FakeNodeServices, startFakeApi, type FakeApi } from "../../helpers/api-fake-services.js";
import type { Hex } from "../../../node/client/types.js";
import { raw, recordingLogger } from "../../helpers/api-http.js";

const DIGEST_A = ("0x" + "aa".repeat(32)) as Hex;
const DIGEST_B = ("0x" + "bb".repeat(32)) as Hex;

describe("API idempotency", () => {
  let api: FakeApi;
  let keyId: string;
  const logger = recordingLogger();
  before(async () => {
    api = await startFakeApi({ logger });
    keyId = (await api.client.keygen("1", "ecdsa", 1, "setup-keygen")).keyId;
  });
  after(() => api.stop());

  const sign = (requestId: string, body: Record<string, unknown>) =>
    raw(api.url, "POST", `/v1/keys/${keyId}/sign`, { token: api.token, body: { requestId, ...body } });

  it("a retried sign returns the first result and never starts a second signature", async () => {
    const first = await sign("retry-1", { kind: "digest", digest: DIGEST_A });
    const second = await sign("retry-1", { kind: "digest", digest: DIGEST_A });
    assert.equal(first.status, 200);
    assert.deepEqual(second.json, first.json);
    assert.equal(api.services.calls.filter((c) => c.args[2] === "retry-1").length, 1);
  });

  it("treats the same body with other key order or hex case as the same request", async () => {
    await sign("retry-2", { kind: "digest", digest: DIGEST_A });
    const reordered = await raw(api.url, "POST", `/v1/keys/${keyId}/sign`, {
      token: api.token,
      rawBody: `{"digest":"${DIGEST_A.toUpperCase().replace("0X", "0x")}","kind":"digest","requestId":"retry-2"}`,
    });
    assert.equal(reordered.status, 200, reordered.text);
    assert.equal(api.services.calls.filter((c) => c.args[2] === "retry-2").length, 1);
  });

  it("answers 409 CONFLICT for the same requestId with another body (replay of an id for a new digest)", async () => {
    await sign("retry-3", { kind: "digest", digest: DIGEST_A });
    const other = await sign("retry-3", { kind: "digest", digest: DIGEST_B });
    assert.equal(other.status, 409);
    assert.equal(other.json.error.code, "CONFLICT");
    assert.equal(other.json.error.details.requestId, "retry-3");
    assert.equal(api.services.calls.filter((c) => c.args[2] === "retry-3").length, 1);
  });

  it("answers 409 CONFLICT for the same requestId on another route or key", async () => {
    await sign("retry-4", { kind: "digest", digest: DIGEST_A });
    const refresh = await raw(api.url, "POST", `/v1/keys/${keyId}/refresh`, {
      token: api.token,
      body: { requestId: "retry-4" },
    });
    assert.equal(refresh.status, 409);
    const otherKey = await raw(api.url, "POST", `/v1/keys/999/sign`, {
      token: api.token,
      body: { requestId: "retry-4", kind: "digest", digest: DIGEST_A },
    });
    assert.equal(otherKey.status, 409);
  });

  /** Resolves once `cond` holds (polls; the server works on its own event-loop turns). */
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(cond(), "condition not reached");
  };
  const signCalls = (id: string) =>
    api.services.calls.filter((c) => c.method === "sign" && c.args[2] === id).length;
  const waiting = (id: string) =>
    logger.entries.some((e) => (e.obj as { requestId?: string }).requestId === id && e.level === "debug");

  it("in-flight duplicates wait for the first and share its result; a different body conflicts at once", async () => {
    const release = api.services.hold("sign");
    const p1 = sign("inflight-1", { kind: "digest", digest: DIGEST_A });
    await until(() => signCalls("inflight-1") === 1);
    const p2 = sign("inflight-1", { kind: "digest", digest: DIGEST_A });
    await until(() => waiting("inflight-1"));
    // The conflicting request must not wait for the held one.
    const conflicting = await sign("inflight-1", { kind: "digest", digest: DIGEST_B });
    assert.equal(conflicting.status, 409);
    release();
    const [r1, r2] = await Promise.all([p1, p2]);
    assert.equal(r1.status, 200);
    assert.deepEqual(r2.json, r1.json);
    assert.equal(signCalls("inflight-1"), 1);
  });

  it("in-flight duplicates of a failing request all get the failure; a later retry runs again", async () => {
    const release = api.services.hold("sign");
    api.services.failNext("sign", new ProtocolAbortError("bad share", [2]));
    const p1 = sign("inflight-2", { kind: "digest", digest: DIGEST_A });
    await until(() => signCalls("inflight-2") === 1);
    const p2 = sign("inflight-2", { kind: "digest", digest: DIGEST_A });
    await until(() => waiting("inflight-2"));
    release();
    const [r1, r2] = await Promise.all([p1, p2]);
    assert.equal(r1.status, 502);
    assert.deepEqual(r2.json, r1.json);
    assert.equal(signCalls("inflight-2"), 1);
    const retry = await sign("inflight-2", { kind: "digest", digest: DIGEST_A });
    assert.equal(retry.status, 200);
    assert.equal(signCalls("inflight-2"), 2);
  });

  it("does not spend a requestId on a body that fails validation", async () => {
    const bad = await sign("fresh-1", { kind: "digest", digest: "0x00" });
    assert.equal(bad.status, 400);
    const good = await sign("fresh-1", { kind: "digest", digest: DIGEST_A });
    assert.equal(good.status, 200);
  });
});

describe("API idempotency store (injected)", () => {
  class RecordingStore implements IdempotencyStore {
    readonly map = new Map<string, IdempotencyRecord>();
    puts = 0;
    async get(id: string) {
      // Round-trips through JSON, as a persistent store would.
      const r = this.map.get(id);
      return r && (JSON.parse(JSON.stringify(r)) as IdempotencyRecord);
    }
    async put(id: string, r: IdempotencyRecord) {
      this.puts++;
      this.map.set(id, JSON.parse(JSON.stringify(r)) as IdempotencyRecord);
    }
  }

  it("results survive a server restart through the store: the retry is answered without running again", async () => {
    const store = new RecordingStore();
    const services = new FakeNodeServices();
    const a = await startFakeApi({ services, idempotencyStore: store });
    const key = await a.client.keygen("1", "ecdsa", 1, "persist-keygen");
    const first = await a.client.sign(key.keyId, {
      kind: "digest",
      digest: DIGEST_A,
      requestId: "persist-1",
    });
    await a.stop();
    const b = await startFakeApi({ services, idempotencyStore: store });
    try {
      const again = await b.client.sign(key.keyId, {
        kind: "digest",
        digest: DIGEST_A,
        requestId: "persist-1",
      });
      assert.deepEqual(again, first);
      assert.equal(services.count("sign"), 1);
      await assert.rejects(
        b.client.sign(key.keyId, { kind: "digest", digest: DIGEST_B, requestId: "persist-1" }),
        (e: { code?: string }) => e.code === "CONFLICT",
      );
      assert.equal(store.puts, 2, "keygen and sign stored once each");
    } finally {
      await b.stop();
    }
  });

  it("a store that fails to write still answers the produced result", async () => {
    const store: IdempotencyStore = {
      get: async () => undefined,
      put: async () => {
        throw new Error("disk full");
      },
    };
    const api = await startFakeApi({ idempotencyStore: store });
    try {
      const key = await api.client.keygen("1", "ecdsa", 1);
      assert.equal(key.scheme, "ecdsa");
    } finally {
      await api.stop();
    }
  });
});

describe("MemoryIdempotencyStore", () => {
  const rec = (n: number, storedAt = Date.now()): IdempotencyRecord => ({
    fingerprint: `f${n}`,
    result: n,
    storedAt,
  });

  it("drops the oldest entries beyond maxEntries", async () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 2 });
    await store.put("a", rec(1));
    await store.put("b", rec(2));
    await store.put("c", rec(3));
    assert.equal(store.size, 2);
    assert.equal(await store.get("a"), undefined);
    assert.equal((await store.get("c"))?.result, 3);
  });

  it("forgets entries older than ttlMs", async () => {
    let now = 1_000;
    const clock = { now: () => now, setTimeout: () => ({ cancel() {} }) };
    const store = new MemoryIdempotencyStore({ ttlMs: 100, clock });
    await store.put("a", rec(1, now));
    now += 100;
    assert.equal((await store.get("a"))?.result, 1);
    now += 1;
    assert.equal(await store.get("a"), undefined);
  });

  it("canonicalJson ignores key order and undefined fields", () => {
    assert.equal(
      canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }),
      canonicalJson({ a: [{ d: 2 }], b: 1 }),
    );
    assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: "1" }));
  });
});

describe("Idempotency (unit)", () => {
  it("two concurrent runs with a slow store run the work once (no check-then-act race)", async () => {
    const inner = new MemoryIdempotencyStore();
    const slow: IdempotencyStore = {
      get: async (id) => {
        await new Promise((r) => setTimeout(r, 10));
        return inner.get(id);
      },
      put: (id, r) => inner.put(id, r),
    };
    const idem = new Idempotency(slow);
    let runs = 0;
    const work = async () => ++runs;
    const [a, b] = await Promise.all([idem.run("x", "f", work), idem.run("x", "f", work)]);
    assert.equal(runs, 1);
    assert.equal(a, 1);
    assert.equal(b, 1);
    assert.equal(await idem.run("x", "f", work), 1);
    await assert.rejects(idem.run("x", "other", work), (e: { code?: string }) => e.code === "CONFLICT");
  });
  it("answers before its record is written; a duplicate meanwhile gets the result without a second run", async () => {
    const inner = new MemoryIdempotencyStore();
    let releasePut!: () => void;
    const putGate = new Promise<void>((r) => (releasePut = r));
    let puts = 0;
    const slowPut: IdempotencyStore = {
      get: (id) => inner.get(id),
      put: async (id, r) => {
        puts++;
        await putGate;
        await inner.put(id, r);
      },
    };
    const idem = new Idempotency(slowPut);
    let runs = 0;
    const work = async () => ++runs;
    assert.equal(await idem.run("w", "f", work), 1, "answered while the write is pending");
    assert.equal(puts, 1);
    assert.equal(await inner.get("w"), undefined, "not written yet");
    assert.equal(await idem.run("w", "f", work), 1, "a duplicate during the write shares the result");
    await assert.rejects(idem.run("w", "other", work), (e: { code?: string }) => e.code === "CONFLICT");
    let drained = false;
    const drain = idem.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(drained, false, "drain waits for the pending write");
    releasePut();
    await drain;
    assert.equal((await inner.get("w"))?.result, 1, "written once the store finished");
    assert.equal(await idem.run("w", "f", work), 1, "later retries are answered from the store");
    assert.equal(runs, 1);
    assert.equal(puts, 1);
  });
});
