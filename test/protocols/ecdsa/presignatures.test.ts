import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, sha256, utf8ToBytes } from "../../../node/crypto/index.js";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { FileShareStore, KeyFileKeyProvider } from "../../../node/adapters/storage/index.js";
import { ByteWriter } from "../../../node/protocol/codec.js";
import { ConsumedError, DecodeError, ParameterError } from "../../../node/protocol/errors.js";
import { encodePresignature, type Presignature } from "../../../node/protocols/ecdsa/index.js";
import {
  PresignatureNotFoundError,
  PresignatureStore,
  startSignShareFromConsumed,
} from "../../../node/runner/presignatures.js";
import { dealEcdsaKey, presignAll } from "./harness.js";
import { MemoryShareStore } from "./memory-share-store.js";
import { tempDir } from "../../helpers/net-mesh.js";

const h = (s: string) => sha256(utf8ToBytes(s));
const key = dealEcdsaKey(3, 1);
const batch = presignAll(key.shares, [1, 2, 3], 4).get(1)!;
const keyId = batch[0].keyId;
const sameBytes = (a: Presignature, b: Presignature) =>
  bytesToHex(encodePresignature(a)) === bytesToHex(encodePresignature(b));

async function fresh(): Promise<{ store: PresignatureStore; backing: MemoryShareStore }> {
  const backing = new MemoryShareStore();
  const store = new PresignatureStore(backing);
  await store.add(batch);
  return { store, backing };
}

describe("PresignatureStore", () => {
  it("stores presignatures as unused and refuses to store one id twice", async () => {
    const { store } = await fresh();
    assert.equal((await store.state(batch[0].presigId))!.status, "unused");
    assert.deepEqual(await store.unused(keyId, 0), batch.map((p) => p.presigId).sort());
    await assert.rejects(store.add([batch[0]]), ParameterError);
  });

  it("consume records the digest durably before returning; same digest returns the same presignature", async () => {
    const { store, backing } = await fresh();
    const id = batch[0].presigId;
    const c = await store.consume(id, h("a"));
    assert.ok(sameBytes(c.presignature, batch[0]));
    const afterRestart = await new PresignatureStore(backing).state(id);
    assert.equal(afterRestart!.status, "consumed");
    assert.equal(bytesToHex(afterRestart!.digest!), bytesToHex(h("a")));
    const again = await store.consume(id, h("a"));
    assert.ok(sameBytes(again.presignature, c.presignature));
    await assert.rejects(
      store.consume(id, h("b")),
      (e) => e instanceof ConsumedError && !(e instanceof PresignatureNotFoundError),
    );
  });

  it("finish deletes the record, secret shares and all; afterwards any digest is refused", async () => {
    const { store, backing } = await fresh();
    const id = batch[1].presigId;
    await store.consume(id, h("a"));
    await store.finish(id);
    assert.equal(await store.state(id), null);
    assert.equal(await backing.get(`ecdsa-presig/${id}`), null, "nothing of it is left in the store");
    assert.equal((await backing.list("ecdsa-presig/")).length, batch.length - 1, "no tombstone either");
    await assert.rejects(store.consume(id, h("a")), PresignatureNotFoundError);
    await assert.rejects(store.consume(id, h("b")), PresignatureNotFoundError);
    await assert.rejects(new PresignatureStore(backing).consume(id, h("a")), PresignatureNotFoundError);
    await store.finish(id); // finishing twice is harmless
  });

  it("on a real file store, used presignatures leave nothing behind: its files are the unused ones", async () => {
    const { dir, remove } = await tempDir("shardless-presig-");
    try {
      const keyFile = path.join(dir, "store.key");
      await writeFile(keyFile, new Uint8Array(32).fill(7));
      const store0 = path.join(dir, "store");
      const open = () =>
        FileShareStore.open({ dir: store0, keyProvider: new KeyFileKeyProvider({ path: keyFile }) });
      const many = presignAll(key.shares, [1, 2, 3], 12).get(1)!;
      const files = await open();
      const store = new PresignatureStore(files, "presignatures");
      await store.add(many);
      for (const p of many.slice(0, 10)) {
        await store.consume(p.presigId, h(p.presigId));
        await store.finish(p.presigId);
      }
      await files.close();
      const reopened = await open(); // the write-ahead log is checkpointed into the files first
      const unused = many.slice(10).map((p) => `presignatures/${p.presigId}`);
      assert.deepEqual(await reopened.list("presignatures/"), unused.sort());
      const onDisk = await readdir(path.join(store0, "data", "presignatures"));
      assert.equal(onDisk.length, 2, "one file per unused presignature, none for the used ones");
      await reopened.close();
    } finally {
      await remove();
    }
  });

  it("a spent record written by an earlier version is refused, and finish deletes it", async () => {
    const { backing } = await fresh();
    const id = batch[2].presigId;
    const legacy = new ByteWriter().u8(1).u8(2).string(keyId).u64(0).fixed(h("a"), 32).finish();
    await backing.put(`ecdsa-presig/${id}`, legacy);
    const reopened = new PresignatureStore(backing); // the old record, read from the store
    assert.equal((await reopened.state(id))!.status, "spent");
    await assert.rejects(reopened.consume(id, h("a")), PresignatureNotFoundError);
    await assert.rejects(
      reopened.consume(id, h("b")),
      (e) => e instanceof ConsumedError && !(e instanceof PresignatureNotFoundError),
    );
    await reopened.finish(id);
    assert.equal(await backing.get(`ecdsa-presig/${id}`), null);
  });

  it("refuses unknown ids, other keys and other epochs", async () => {
    const { store } = await fresh();
    await assert.rejects(store.consume("00".repeat(32), h("a")), PresignatureNotFoundError);
    await assert.rejects(
      store.consume(batch[2].presigId, h("a"), { keyId: "other", epoch: 0 }),
      PresignatureNotFoundError,
    );
    await assert.rejects(
      store.consume(batch[2].presigId, h("a"), { keyId, epoch: 1 }),
      PresignatureNotFoundError,
    );
    await assert.rejects(store.consume("not-an-id", h("a")), ParameterError);
    await assert.rejects(store.consume(batch[2].presigId, new Uint8Array(31)), ParameterError);
    assert.equal((await store.state(batch[2].presigId))!.status, "unused");
  });

  it("discard deletes only unused presignatures", async () => {
    const { store } = await fresh();
    await store.discard(batch[0].presigId);
    assert.equal(await store.state(batch[0].presigId), null);
    await store.consume(batch[1].presigId, h("x"));
    await assert.rejects(store.discard(batch[1].presigId), ConsumedError);
  });

  it("dropEpochsBefore deletes every record of older epochs (unused or consumed) of that key only", async () => {
    const { store } = await fresh();
    const other = presignAll(dealEcdsaKey(3, 1, "other-key").shares, [1, 2, 3], 1).get(1)!;
    const renamed = other.map((p) => ({ ...p, keyId: "other" }));
    await store.add(renamed);
    await store.consume(batch[0].presigId, h("a"));
    await store.consume(batch[1].presigId, h("b"));
    await store.finish(batch[1].presigId); // already deleted: 3 records of the key are left to drop
    assert.equal(await store.dropEpochsBefore(keyId, 1), 3);
    for (const p of batch) assert.equal(await store.state(p.presigId), null);
    assert.equal((await store.state(renamed[0].presigId))!.status, "unused");
    await assert.rejects(store.add([batch[3]]), ParameterError);
    assert.equal(await store.dropEpochsBefore(keyId, 1), 0);
  });

  it("a corrupt record is a DecodeError, never garbage (read by a fresh instance, as after a restart)", async () => {
    const { backing } = await fresh();
    const k = `ecdsa-presig/${batch[0].presigId}`;
    const raw = (await backing.get(k))!;
    raw[raw.length - 1] ^= 0xff;
    await backing.put(k, raw.subarray(0, raw.length - 1));
    await assert.rejects(new PresignatureStore(backing).consume(batch[0].presigId, h("a")), DecodeError);
  });

  it("consumed before agreement: a share is computed only for the digest it was consumed for", async () => {
    const { store } = await fresh();
    const p = batch[0];
    const consumed = await store.consume(p.presigId, h("a"));
    const signing = { keyId, degree: 1, epoch: p.epoch };
    const combiner = p.signers.find((id) => id !== p.self)!;
    const request = {
      keyId,
      epoch: p.epoch,
      presigId: p.presigId,
      signers: p.signers,
      combiner,
      digest: h("b"),
    };
    assert.throws(() => startSignShareFromConsumed(consumed, request, signing), ConsumedError);
    const other = batch[1].presigId;
    assert.throws(
      () => startSignShareFromConsumed(consumed, { ...request, presigId: other, digest: h("a") }, signing),
      ConsumedError,
    );
    const start = startSignShareFromConsumed(consumed, { ...request, digest: h("a") }, signing);
    assert.deepEqual(
      start.outgoing.map((o) => o.to),
      [combiner],
    );
  });
});
