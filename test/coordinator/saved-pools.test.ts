import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryShareStore } from "../../node/adapters/storage/memory.js";
import { bytesToHex, utf8ToBytes } from "../../node/crypto/hash.js";
import { savePool, takeSavedPools } from "../../node/coordinator/saved-pools.js";
import type { Logger } from "../../node/runner/ports.js";

const id = (n: number) => n.toString(16).padStart(64, "0");

function recordingLogger(): Logger & { warnings: object[] } {
  const warnings: object[] = [];
  const logger = {
    warnings,
    debug() {},
    info() {},
    warn(obj: object) {
      warnings.push(obj);
    },
    error() {},
    child: () => logger,
  };
  return logger;
}

describe("saved presignature pools", () => {
  it("round-trips each key's ids, and taking them deletes the records (restored at most once)", async () => {
    const store = new MemoryShareStore();
    await savePool(store, "key-a", [id(1), id(2)]);
    await savePool(store, "key-b", [id(3)]);
    await savePool(store, "key-a", [id(4)]); // a later save replaces the earlier one
    const log = recordingLogger();
    const taken = await takeSavedPools(store, log);
    assert.deepEqual([...taken].sort(), [
      ["key-a", [id(4)]],
      ["key-b", [id(3)]],
    ]);
    assert.deepEqual(await store.list("presign-pools/"), []);
    assert.equal((await takeSavedPools(store, log)).size, 0);
    assert.deepEqual(log.warnings, []);
  });

  it("a record that does not decode, or sits under another key's name, is reported, deleted, never trusted", async () => {
    const store = new MemoryShareStore();
    await savePool(store, "key-a", [id(1)]);
    const path = `presign-pools/${bytesToHex(utf8ToBytes("key-a"))}`;
    const good = (await store.get(path))!;
    await store.put(path, good.subarray(0, good.length - 1)); // truncated
    await store.put(`presign-pools/${bytesToHex(utf8ToBytes("key-b"))}`, good); // key-a's record, moved
    await store.put(`presign-pools/00`, Uint8Array.of(9, 9, 9)); // unknown version
    const log = recordingLogger();
    assert.equal((await takeSavedPools(store, log)).size, 0);
    assert.equal(log.warnings.length, 3);
    assert.ok(
      log.warnings.every((w) => !JSON.stringify(w).includes(id(1))),
      "no ids in the log",
    );
    assert.deepEqual(await store.list("presign-pools/"), []);
  });
});
