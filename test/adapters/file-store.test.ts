/**
 * FileShareStore: encryption at rest, restart, wrong keys, damage detection (corrupt, truncated, swapped
 * files), crash safety, locking, and a scan of the data directory (files and write-ahead log) for
 * plaintext share bytes and key names. The log itself: file-store-wal*.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFile, readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  FileShareStore,
  KeyFileKeyProvider,
  PassphraseKeyProvider,
  StoreCorruptError,
  StoreKeyError,
  StoreLockedError,
  type KeyProvider,
  type WalOptions,
} from "../../node/adapters/storage/index.js";
import { seededRng } from "../../node/crypto/index.js";
import { ParameterError } from "../../node/protocol/errors.js";
import { tempDir } from "../helpers/net-mesh.js";
import { shareStoreBehaviour } from "./share-store-behaviour.js";

let root: string;
let cleanup: () => Promise<void>;
let counter = 0;
before(async () => {
  ({ dir: root, remove: cleanup } = await tempDir("shardless-store-"));
});
after(() => cleanup());

const passphrase = (p = "correct horse battery staple") => new PassphraseKeyProvider({ passphrase: p });
const freshDir = () => path.join(root, `store${++counter}`);
const open = (dir: string, keyProvider: KeyProvider = passphrase(), wal?: boolean | WalOptions) =>
  FileShareStore.open({ dir, keyProvider, wal });
/** Reopens `dir`: the write-ahead log is checkpointed into the files before open resolves. */
async function reopen(store: FileShareStore): Promise<FileShareStore> {
  await store.close();
  return open(store.dir);
}
const fileOf = (dir: string, key: string) => path.join(dir, "data", ...key.split("/")) + ".sealed";

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

shareStoreBehaviour("FileShareStore", async () => {
  const store = await open(freshDir());
  return { store, done: () => store.close() };
});

// Checkpoints every two records: reads and lists merge the log's overlay with checkpointed files.
shareStoreBehaviour("FileShareStore (checkpointing as it goes)", async () => {
  const store = await open(freshDir(), passphrase(), { segmentRecords: 2, maxPendingSegments: 1 });
  return { store, done: () => store.close() };
});

shareStoreBehaviour("FileShareStore (wal: false)", async () => {
  const store = await open(freshDir(), passphrase(), false);
  return { store, done: () => store.close() };
});

describe("FileShareStore: persistence and keys", () => {
  it("a new instance reads what an old one wrote (restart)", async () => {
    const dir = freshDir();
    const a = await open(dir);
    await a.put("shares/g/k/0", Uint8Array.of(1, 2, 3));
    await a.close();
    const b = await open(dir);
    assert.deepEqual(await b.get("shares/g/k/0"), Uint8Array.of(1, 2, 3));
    assert.deepEqual(await b.list(""), ["shares/g/k/0"]);
    await b.close();
  });

  it("wal: false: a write without fsyncs (durable: false) is still sealed, atomic and read back after a restart", async () => {
    const dir = freshDir();
    const a = await open(dir, passphrase(), false);
    await a.put("presig/x", Uint8Array.of(9, 9, 9));
    await a.put("presig/x", Uint8Array.of(7, 7), { durable: false });
    assert.deepEqual(await a.get("presig/x"), Uint8Array.of(7, 7));
    await a.close();
    const b = await open(dir, passphrase(), false);
    assert.deepEqual(await b.get("presig/x"), Uint8Array.of(7, 7));
    assert.deepEqual(await b.list(""), ["presig/x"], "no temp file left behind");
    await b.put("presig/y", Uint8Array.of(7, 7));
    const relaxed = await readFile(fileOf(dir, "presig/x"));
    const durable = await readFile(fileOf(dir, "presig/y"));
    assert.equal(relaxed.length, durable.length, "same sealed format (magic, nonce, ciphertext, tag)");
    assert.deepEqual(relaxed.subarray(0, 4), durable.subarray(0, 4), "same magic");
    await b.delete("presig/x", { durable: false });
    assert.equal(await b.get("presig/x"), null);
    await b.close();
    const c = await open(dir, passphrase(), false);
    assert.deepEqual(await c.list(""), ["presig/y"], "the relaxed deletion removed the file");
    await c.close();
  });

  it("a wrong passphrase is a StoreKeyError, not corruption; the store is left intact", async () => {
    const dir = freshDir();
    const a = await open(dir);
    await a.put("k", Uint8Array.of(7));
    await a.close();
    await assert.rejects(open(dir, passphrase("wrong")), StoreKeyError);
    // A key file where a passphrase was used: refused by kind.
    const keyFile = path.join(root, `kf${counter}`);
    await writeFile(keyFile, "11".repeat(32), { mode: 0o600 });
    await assert.rejects(open(dir, new KeyFileKeyProvider({ path: keyFile })), StoreKeyError);
    const b = await open(dir);
    assert.deepEqual(await b.get("k"), Uint8Array.of(7));
    await b.close();
  });

  it("works with a 32-byte key file (raw or hex); a different key file is refused", async () => {
    const dir = freshDir();
    const hexFile = path.join(root, `hex${counter}.key`);
    const rawFile = path.join(root, `raw${counter}.key`);
    const rng = seededRng("key-file");
    const key = rng(32);
    await writeFile(hexFile, Buffer.from(key).toString("hex") + "\n", { mode: 0o600 });
    await writeFile(rawFile, key, { mode: 0o600 });
    const a = await open(dir, new KeyFileKeyProvider({ path: hexFile }));
    await a.put("x/y", Uint8Array.of(5));
    await a.close();
    const b = await open(dir, new KeyFileKeyProvider({ path: rawFile }));
    assert.deepEqual(await b.get("x/y"), Uint8Array.of(5));
    await b.close();
    const otherFile = path.join(root, `other${counter}.key`);
    await writeFile(otherFile, Buffer.from(rng(32)).toString("hex"), { mode: 0o600 });
    await assert.rejects(open(dir, new KeyFileKeyProvider({ path: otherFile })), StoreKeyError);
    const badFile = path.join(root, `bad${counter}.key`);
    await writeFile(badFile, "too short");
    await assert.rejects(open(freshDir(), new KeyFileKeyProvider({ path: badFile })), ParameterError);
  });

  it("records the documented scrypt cost (N = 2^15, r = 8, p = 1) and a random salt in the header", async () => {
    const dir = freshDir();
    await (await open(dir)).close();
    const header = JSON.parse(await readFile(path.join(dir, "store.json"), "utf8"));
    assert.equal(header.dataKey.kind, "scrypt");
    assert.deepEqual(
      [header.dataKey.params.N, header.dataKey.params.r, header.dataKey.params.p],
      [32768, 8, 1],
    );
    assert.match(header.dataKey.params.salt, /^[0-9a-f]{32}$/);
    const dir2 = freshDir();
    await (await open(dir2)).close();
    const header2 = JSON.parse(await readFile(path.join(dir2, "store.json"), "utf8"));
    assert.notEqual(header2.dataKey.params.salt, header.dataKey.params.salt);
  });

  it("lowering the scrypt cost in the header (downgrade) makes the key unwrap fail", async () => {
    const dir = freshDir();
    await (await open(dir)).close();
    const file = path.join(dir, "store.json");
    const header = JSON.parse(await readFile(file, "utf8"));
    header.dataKey.params.N = 1024;
    await writeFile(file, JSON.stringify(header));
    await assert.rejects(open(dir), StoreKeyError);
  });

  it("seals files and log segments with mode 0600 in 0700 directories", async () => {
    const dir = freshDir();
    const s = await open(dir);
    await s.put("shares/g/k/0", Uint8Array.of(1));
    await s.whenIdle();
    const segments = (await allFiles(path.join(dir, "wal"))).filter((f) => f.endsWith(".wal"));
    assert.ok(segments.length > 0);
    for (const f of segments) assert.equal((await stat(f)).mode & 0o777, 0o600, f);
    assert.equal((await stat(path.join(dir, "wal"))).mode & 0o777, 0o700);
    await (await reopen(s)).close(); // checkpointed into its file
    assert.equal((await stat(fileOf(dir, "shares/g/k/0"))).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(dir, "data", "shares", "g"))).mode & 0o777, 0o700);
  });
});

describe("FileShareStore: damage is detected, reported with the path, never repaired", () => {
  /** A store whose keys are checkpointed into their files (reopened: the log is empty). */
  async function storeWith(keys: string[]) {
    const dir = freshDir();
    const s = await open(dir);
    for (const [i, k] of keys.entries()) await s.put(k, new Uint8Array(40).fill(i + 1));
    return { dir, s: await reopen(s) };
  }
  const corruptFor = (key: string, file: string) => (err: unknown) =>
    err instanceof StoreCorruptError && err.code === "STORE_CORRUPT" && err.key === key && err.file === file;

  it("a flipped bit anywhere in the file", async () => {
    const { dir, s } = await storeWith(["shares/g/k/0"]);
    const file = fileOf(dir, "shares/g/k/0");
    const original = await readFile(file);
    for (const pos of [0, 4, 10, 20, original.length - 1]) {
      const bad = Buffer.from(original);
      bad[pos] ^= 0x01;
      await writeFile(file, bad);
      await assert.rejects(s.get("shares/g/k/0"), corruptFor("shares/g/k/0", file), `byte ${pos}`);
      assert.deepEqual(await readFile(file), bad, "the damaged file is left as found");
    }
    await s.close();
  });

  it("a truncated file (short, or missing its tag's last byte)", async () => {
    const { dir, s } = await storeWith(["a/b"]);
    const file = fileOf(dir, "a/b");
    const size = (await stat(file)).size;
    await truncate(file, size - 1);
    await assert.rejects(s.get("a/b"), corruptFor("a/b", file));
    await truncate(file, 10);
    await assert.rejects(s.get("a/b"), corruptFor("a/b", file));
    await truncate(file, 0);
    await assert.rejects(s.get("a/b"), corruptFor("a/b", file));
    await s.close();
  });

  it("swapped files: another key's file, or the same key's file from another store", async () => {
    const { dir, s } = await storeWith(["shares/g/k/0", "shares/g/k/1"]);
    await copyFile(fileOf(dir, "shares/g/k/0"), fileOf(dir, "shares/g/k/1"));
    await assert.rejects(s.get("shares/g/k/1"), corruptFor("shares/g/k/1", fileOf(dir, "shares/g/k/1")));
    // Moved to a key that did not exist yet: still refused.
    const { dir: dir2, s: s2 } = await storeWith(["other/key"]);
    await copyFile(fileOf(dir, "shares/g/k/0"), fileOf(dir2, "other/key"));
    await assert.rejects(s2.get("other/key"), StoreCorruptError);
    // Same key, same passphrase, different store.
    const { dir: dir3, s: s3 } = await storeWith(["shares/g/k/0"]);
    await copyFile(fileOf(dir3, "shares/g/k/0"), fileOf(dir, "shares/g/k/0"));
    await assert.rejects(s.get("shares/g/k/0"), StoreCorruptError);
    await Promise.all([s.close(), s2.close(), s3.close()]);
  });

  it("a damaged header, or a missing header over existing data, refuses to open", async () => {
    const { dir, s } = await storeWith(["k"]);
    await s.close();
    const header = path.join(dir, "store.json");
    const text = await readFile(header, "utf8");
    await writeFile(header, text.slice(0, 40));
    await assert.rejects(open(dir), (e: unknown) => e instanceof StoreCorruptError && e.file === header);
    await writeFile(header, JSON.stringify({ ...JSON.parse(text), version: 99 }));
    await assert.rejects(open(dir), StoreCorruptError);
    await writeFile(header, text);
    const { unlink } = await import("node:fs/promises");
    await unlink(header);
    await assert.rejects(open(dir), StoreCorruptError, "a new header would orphan the existing shares");
  });
});

describe("FileShareStore: crash safety and locking", () => {
  it("a crash mid-write (temp file left behind): the old value survives, the temp is ignored then removed", async () => {
    const dir = freshDir();
    const s = await open(dir, passphrase(), false); // the file write path (also the checkpoint's)
    await s.put("shares/g/k/0", Uint8Array.of(1, 1, 1));
    const file = fileOf(dir, "shares/g/k/0");
    // A crash during the next put: half-written temp beside the target, never renamed.
    const tmpPartial = `${file}.0badc0ffee00.tmp`;
    const tmpComplete = `${file}.0badc0ffee01.tmp`;
    await writeFile(tmpPartial, (await readFile(file)).subarray(0, 12));
    await copyFile(file, tmpComplete);
    assert.deepEqual(await s.get("shares/g/k/0"), Uint8Array.of(1, 1, 1));
    assert.deepEqual(await s.list(""), ["shares/g/k/0"]);
    await s.close();
    // Restart: the leftovers are cleaned up, the value is the old one.
    const t = await open(dir, passphrase(), false);
    assert.deepEqual(await t.get("shares/g/k/0"), Uint8Array.of(1, 1, 1));
    const leftovers = (await allFiles(dir)).filter((f) => f.endsWith(".tmp"));
    assert.deepEqual(leftovers, []);
    await t.put("shares/g/k/0", Uint8Array.of(2));
    assert.deepEqual(await t.get("shares/g/k/0"), Uint8Array.of(2));
    await t.close();
  });

  it("concurrent puts to one key leave one complete value (the last call's, with the log) and no temp files", async () => {
    for (const wal of [true, false]) {
      const dir = freshDir();
      const s = await open(dir, passphrase(), wal);
      const values = Array.from({ length: 20 }, (_, i) => new Uint8Array(1000).fill(i));
      await Promise.all(values.map((v) => s.put("race/k", v)));
      const got = (await s.get("race/k"))!;
      if (wal) assert.deepEqual(got, values[19], "logged in call order");
      else assert.ok(values.some((v) => Buffer.compare(v, got) === 0));
      await s.whenIdle(); // the log's next segment is prepared as a temp file, then renamed
      assert.deepEqual(
        (await allFiles(dir)).filter((f) => f.endsWith(".tmp")),
        [],
      );
      const t = await reopen(s);
      assert.deepEqual(await t.get("race/k"), got);
      await t.close();
    }
  });

  it("a second opener is refused while the store is open (StoreLockedError); a stale lock is taken over", async () => {
    const dir = freshDir();
    const s = await open(dir);
    await assert.rejects(open(dir), StoreLockedError);
    await s.close();
    await assert.rejects(s.get("k"), ParameterError, "a closed store refuses work");
    // A lock left by a process that no longer exists.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    await writeFile(path.join(dir, "LOCK"), `${dead}\n`);
    const t = await open(dir);
    await t.close();
  });
});

describe("FileShareStore: no plaintext at rest", () => {
  it("a scan of every file (log segments, then checkpointed files) finds no share bytes (raw, hex, base64, any 12-byte run) nor key names", async () => {
    const dir = freshDir();
    const s = await open(dir);
    const share = seededRng("plaintext-scan")(64);
    const marker = new TextEncoder().encode("SHARE-PLAINTEXT-MARKER-0123456789");
    const keyName = "topsecretgroupname";
    await s.put(`shares/${keyName}/k1/0`, share);
    await s.put(`shares/${keyName}/k1/1`, marker);
    await s.put(`presig/${keyName}/k1/42`, Buffer.concat([share, marker]), { durable: false });
    await s.delete(`shares/${keyName}/k1/1`);
    const needles = [share, marker, new TextEncoder().encode(keyName)].flatMap((b) => [
      Buffer.from(b),
      Buffer.from(Buffer.from(b).toString("hex")),
      Buffer.from(Buffer.from(b).toString("base64")),
    ]);
    async function scan(expect: (files: string[]) => void) {
      const files = await allFiles(dir);
      expect(files);
      for (const f of files) {
        const raw = await readFile(f);
        for (const n of needles) assert.equal(raw.indexOf(n), -1, `${f} contains plaintext`);
        for (let i = 0; i + 12 <= share.length; i++) {
          assert.equal(raw.indexOf(share.subarray(i, i + 12)), -1, `${f} contains a run of the share`);
        }
      }
    }
    await s.close(); // the values are in the log only
    await scan((files) => {
      assert.ok(
        files.some((f) => f.endsWith(".wal")),
        "log segments",
      );
      assert.ok(!files.some((f) => f.endsWith(".sealed")), "nothing checkpointed yet");
    });
    await (await open(dir)).close(); // replayed and checkpointed into sealed files
    await scan((files) => assert.equal(files.filter((f) => f.endsWith(".sealed")).length, 2));
  });
});
