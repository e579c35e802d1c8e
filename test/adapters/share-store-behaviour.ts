/**
 * TEST HELPER (not a test file): the ShareStore port's contract, run against every implementation
 * (in the style of OZ's shared behaviour suites).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ParameterError } from "../../node/protocol/errors.js";
import type { ShareStore } from "../../node/runner/ports.js";

export function shareStoreBehaviour(
  name: string,
  make: () => Promise<{ store: ShareStore; done(): Promise<void> }>,
) {
  describe(`${name}: ShareStore contract`, () => {
    it("round-trips values of any size, overwrites, deletes", async () => {
      const { store, done } = await make();
      try {
        const big = new Uint8Array(100_000).map((_, i) => i % 251);
        await store.put("shares/g1/k1/0", Uint8Array.of(1, 2, 3));
        await store.put("shares/g1/k1/1", new Uint8Array(0));
        await store.put("shares/g1/k2/0", big);
        assert.deepEqual(await store.get("shares/g1/k1/0"), Uint8Array.of(1, 2, 3));
        assert.deepEqual(await store.get("shares/g1/k1/1"), new Uint8Array(0));
        assert.deepEqual(await store.get("shares/g1/k2/0"), big);
        await store.put("shares/g1/k1/0", Uint8Array.of(9));
        assert.deepEqual(await store.get("shares/g1/k1/0"), Uint8Array.of(9));
        await store.delete("shares/g1/k1/0");
        assert.equal(await store.get("shares/g1/k1/0"), null);
        await store.delete("shares/g1/k1/0"); // deleting a missing key is a no-op
        assert.equal(await store.get("never/written"), null);
      } finally {
        await done();
      }
    });

    it("lists keys under a prefix, sorted", async () => {
      const { store, done } = await make();
      try {
        for (const k of [
          "presig/g1/k/7",
          "shares/g2/k/0",
          "shares/g1/k/1",
          "shares/g1/k/0",
          "shares/g10/k/0",
        ]) {
          await store.put(k, Uint8Array.of(0));
        }
        assert.deepEqual(await store.list("shares/g1/"), ["shares/g1/k/0", "shares/g1/k/1"]);
        assert.deepEqual(await store.list("shares/g1"), ["shares/g1/k/0", "shares/g1/k/1", "shares/g10/k/0"]);
        assert.deepEqual(await store.list("presig/"), ["presig/g1/k/7"]);
        assert.deepEqual(await store.list("nothing/"), []);
        assert.equal((await store.list("")).length, 5);
      } finally {
        await done();
      }
    });

    it("copies values in and out (callers cannot alias stored secrets)", async () => {
      const { store, done } = await make();
      try {
        const v = Uint8Array.of(1, 2, 3);
        await store.put("a/b", v);
        v[0] = 42;
        const out = (await store.get("a/b"))!;
        assert.deepEqual(out, Uint8Array.of(1, 2, 3));
        out[1] = 42;
        assert.deepEqual(await store.get("a/b"), Uint8Array.of(1, 2, 3));
      } finally {
        await done();
      }
    });

    it("rejects path-traversal and malformed keys with ParameterError", async () => {
      const { store, done } = await make();
      try {
        for (const bad of [
          "",
          "../x",
          "a/../b",
          "a//b",
          "/a",
          "a/",
          ".hidden",
          "a/.b",
          "a/b.tmp",
          "a/b.sealed",
          "a b",
          "x".repeat(600),
        ]) {
          await assert.rejects(store.put(bad, Uint8Array.of(1)), ParameterError, JSON.stringify(bad));
          await assert.rejects(store.get(bad), ParameterError, JSON.stringify(bad));
        }
        await assert.rejects(store.list("../"), ParameterError);
      } finally {
        await done();
      }
    });
  });
}
