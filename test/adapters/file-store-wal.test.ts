/**
 * FileShareStore's write-ahead log: crash images (every acknowledged operation survives, in call order,
 * never an older value or a deleted key), torn tails, refused damage (flipped, swapped, dropped or moved
 * records, foreign or renamed segments), group commit, background checkpoints, bounded memory, close,
 * I/O failures. A "crash" is a copy of the store's directory taken while it is open (wal-segments.ts).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  copyFile,
  cp,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  truncate,
  unlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  FileShareStore,
  PassphraseKeyProvider,
  StoreCorruptError,
  StoreWriteError,
  type WalOptions,
} from "../../node/adapters/storage/index.js";
import { seededRng } from "../../node/crypto/index.js";
import { ParameterError } from "../../node/protocol/errors.js";
import type { Logger } from "../../node/runner/ports.js";
import { crashImage, readSpans, segmentFiles } from "./wal-segments.js";

let root: string;
let counter = 0;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "shardless-wal-"));
});
after(() => rm(root, { recursive: true, force: true }));

const freshDir = () => path.join(root, `s${++counter}`);
// A low scrypt cost: these tests are about the log, not the key wrapping.
const keyProvider = () =>
  new PassphraseKeyProvider({ passphrase: "wal tests", cost: { N: 1024, r: 8, p: 1 } });
/** Small segments; checkpoints only when a segment is full (no idle timer racing a crash image). */
const LIVE: WalOptions = { segmentBytes: 64 * 1024, idleCheckpointMs: Infinity };
/** Everything stays in the log until the store is reopened. */
const HOLD: WalOptions = { ...LIVE, checkpoints: false };

function recordingLogger() {
  const warnings: Record<string, unknown>[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (obj) => void warnings.push(obj as Record<string, unknown>),
    error() {},
    child: () => logger,
  };
  return { logger, warnings };
}

const open = (dir: string, wal: boolean | WalOptions = HOLD, logger?: Logger) =>
  FileShareStore.open({ dir, keyProvider: keyProvider(), wal, logger });
const fill = (tag: number, length = 48) => new Uint8Array(length).fill(tag);

/** The store's directory as a crash would leave it now (after its background work settled). */
async function crash(store: FileShareStore): Promise<string> {
  await store.whenIdle();
  return crashImage(store.dir, freshDir());
}

async function dataFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, "data"), { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(path.join(dir, "data"), path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Asserts the store holds exactly `model` (get of every key ever used, and list). */
async function assertState(store: FileShareStore, model: Map<string, Uint8Array | null>): Promise<void> {
  for (const [key, want] of model) assert.deepEqual(await store.get(key), want, key);
  const present = [...model].filter(([, v]) => v !== null).map(([k]) => k);
  assert.deepEqual(await store.list(""), present.sort());
}

/** A seeded random workload of puts (some not durable) and deletes over a few keys, mirrored in `model`. */
async function workload(
  store: FileShareStore,
  model: Map<string, Uint8Array | null>,
  ops: number,
  seed: string,
  check = false,
): Promise<void> {
  const rng = seededRng(seed);
  for (let i = 0; i < ops; i++) {
    const [a, b, c] = rng(3);
    const key = `w/k${a % 6}`;
    if (b % 4 === 0) {
      await store.delete(key, { durable: c % 2 === 0 });
      model.set(key, null);
    } else {
      const v = fill(i % 251, 16 + (c % 64));
      await store.put(key, v, { durable: b % 3 !== 0 });
      model.set(key, v);
    }
    if (check) assert.deepEqual(await store.get(key), model.get(key));
  }
}

describe("FileShareStore WAL: crash images", () => {
  it("every acknowledged put and delete survives a crash before any checkpoint, last value wins", async () => {
    const s = await open(freshDir(), { ...HOLD, segmentRecords: 4 });
    const model = new Map<string, Uint8Array | null>();
    await workload(s, model, 60, "crash-before-checkpoint");
    assert.deepEqual(await dataFiles(s.dir), [], "nothing was checkpointed: the log holds everything");
    assert.ok((await segmentFiles(s.dir)).length > 3, "the log spans several segments");
    const img = await crash(s);
    await s.close();
    const t = await open(img);
    await assertState(t, model);
    assert.equal(t.walStats()!.overlayKeys, 0, "replayed and checkpointed before open resolved");
    const present = [...model].filter(([, v]) => v !== null).map(([k]) => `${k}.sealed`);
    assert.deepEqual(await dataFiles(img), present.sort(), "a file per present key, none for deleted keys");
    await t.close();
  });

  it("operations fired without awaiting are logged in call order (put/delete/put of one key)", async () => {
    const s = await open(freshDir(), LIVE);
    await Promise.all([
      s.put("o/k", fill(1)),
      s.delete("o/k"),
      s.put("o/k", fill(2), { durable: false }),
      s.put("o/j", fill(3), { durable: false }),
      s.delete("o/j"),
      s.put("o/i", fill(4)),
      s.put("o/i", fill(5), { durable: false }),
      s.delete("o/i"),
      s.put("o/i", fill(6)),
    ]);
    assert.deepEqual(await s.get("o/k"), fill(2));
    assert.equal(await s.get("o/j"), null);
    const img = await crash(s);
    await s.close();
    const t = await open(img);
    assert.deepEqual(await t.get("o/k"), fill(2));
    assert.equal(await t.get("o/j"), null, "a deleted key stays deleted");
    assert.deepEqual(await t.get("o/i"), fill(6));
    assert.deepEqual(await t.list("o/"), ["o/i", "o/k"]);
    await t.close();
  });

  for (const erase of ["overwritten", "deleted"] as const) {
    it(`an erased secret (written durably, then ${erase} without a sync) never comes back`, async () => {
      // The presignature pattern: consumed (secret, durable), then erased (durable: false).
      // Two records a segment: the secret ends segment 1, the erase starts segment 2.
      const s = await open(freshDir(), { ...HOLD, segmentRecords: 2 });
      await s.put("presig/p0", fill(0x11));
      await s.put("presig/p1", fill(0xaa));
      if (erase === "overwritten") await s.put("presig/p1", fill(0x00, 4), { durable: false });
      else await s.delete("presig/p1", { durable: false });
      await s.put("presig/p2", fill(0xbb)); // a later durable write: the erase is on disk too
      const img = await crash(s);
      await s.close();
      const expected = erase === "overwritten" ? fill(0x00, 4) : null;
      const t = await open(img);
      assert.deepEqual(await t.get("presig/p1"), expected);
      await t.close();
      const u = await open(img); // and again, from the checkpointed files
      assert.deepEqual(await u.get("presig/p1"), expected);
      assert.deepEqual(
        await u.list("presig/"),
        ["presig/p0", "presig/p2"].concat(expected ? ["presig/p1"] : []).sort(),
      );
      await u.close();
    });
  }

  it("a crash part-way through the open-time checkpoint replays to the same state", async () => {
    const s = await open(freshDir(), { ...HOLD, segmentRecords: 3 });
    const model = new Map<string, Uint8Array | null>();
    await workload(s, model, 20, "crash-in-recovery");
    const img = await crash(s);
    await s.close();
    const segments = (await segmentFiles(img)).map((f) => path.basename(f));
    assert.ok(segments.length >= 4);
    // Recover one copy fully: its data/ is the materialised state.
    const recovered = freshDir();
    await cp(img, recovered, { recursive: true });
    await (await open(recovered)).close();
    // Crash after the files were written, before any segment was deleted, or after the oldest ones were.
    for (const deleted of [0, 1, 2]) {
      const mixed = freshDir();
      await cp(img, mixed, { recursive: true });
      await rm(path.join(mixed, "data"), { recursive: true });
      await cp(path.join(recovered, "data"), path.join(mixed, "data"), { recursive: true });
      for (const name of segments.slice(0, deleted)) await unlink(path.join(mixed, "wal", name));
      const t = await open(mixed);
      await assertState(t, model);
      await t.close();
    }
  });
});

describe("FileShareStore WAL: torn tails are cut with a warning", () => {
  async function threeRecords() {
    const s = await open(freshDir(), LIVE);
    await s.put("t/a", fill(1));
    await s.put("t/b", fill(2));
    await s.put("t/a", fill(3)); // the record the crash tears
    const img = await crash(s);
    await s.close();
    const [segment] = await segmentFiles(img);
    const { bytes, spans } = await readSpans(segment);
    assert.equal(spans.length, 4, "header and three records");
    return { img, segment, bytes, last: spans[3] };
  }

  async function reopenTorn(img: string, damage: (segment: string, bytes: Buffer) => Promise<void>) {
    const copy = freshDir();
    await cp(img, copy, { recursive: true });
    const [segment] = await segmentFiles(copy);
    await damage(segment, await readFile(segment));
    const { logger, warnings } = recordingLogger();
    const t = await open(copy, HOLD, logger);
    const got = { a: await t.get("t/a"), b: await t.get("t/b"), warnings, segment: path.basename(segment) };
    await t.close();
    return got;
  }

  it("the last record cut short by k bytes (file shorter), for several k", async () => {
    const { img, last } = await threeRecords();
    const size = last.end - last.offset;
    for (const k of [1, 15, size - 12, size - 5, size - 4]) {
      const got = await reopenTorn(img, (f) => truncate(f, last.end - k));
      assert.deepEqual(got.a, fill(1), `k=${k}: the torn put's key has its previous value`);
      assert.deepEqual(got.b, fill(2), `k=${k}: earlier records intact`);
      assert.equal(got.warnings.length, 1, `k=${k}: reported`);
      assert.equal(got.warnings[0].segment, got.segment, "the warning names the segment");
    }
    // Only the length's high (zero) bytes left: indistinguishable from nothing written, a clean end.
    const remnant = await reopenTorn(img, (f) => truncate(f, last.offset + 2));
    assert.deepEqual([remnant.a, remnant.b, remnant.warnings.length], [fill(1), fill(2), 0]);
  });

  it("the last record's tail never reached the disk (zeros in the preallocated space), or fails authentication", async () => {
    const { img, last, bytes } = await threeRecords();
    const cases: [string, (b: Buffer) => void][] = [
      // Four bytes: a single random tag byte may already be zero (no damage at all).
      ["last 4 bytes zero", (b) => b.fill(0, last.end - 4, last.end)],
      ["body zero", (b) => b.fill(0, last.offset + 12, last.end)],
      ["header half zero", (b) => b.fill(0, last.offset + 6, last.end)],
      ["a flipped ciphertext byte", (b) => void (b[last.offset + 30] ^= 1)],
    ];
    for (const [name, damage] of cases) {
      const got = await reopenTorn(img, async (f) => {
        const b = Buffer.from(bytes);
        damage(b);
        await writeFile(f, b);
      });
      assert.deepEqual([got.a, got.b], [fill(1), fill(2)], name);
      assert.equal(got.warnings.length, 1, `${name}: reported`);
      assert.equal(got.warnings[0].segment, got.segment);
    }
    // The whole record missing is a clean end, not damage: no warning.
    const clean = await reopenTorn(img, async (f) => {
      const b = Buffer.from(bytes);
      b.fill(0, last.offset, last.end);
      await writeFile(f, b);
    });
    assert.deepEqual([clean.a, clean.b, clean.warnings.length], [fill(1), fill(2), 0]);
  });
});

describe("FileShareStore WAL: damage is refused (StoreCorruptError), the files left as found", () => {
  /** Store image with two segments of three equal-sized records each (keys and values of one length). */
  async function twoSegments(dir = freshDir()) {
    const s = await open(dir, { ...HOLD, segmentRecords: 3 });
    for (let i = 0; i < 6; i++) await s.put(`d/k${i}`, fill(i + 1));
    const img = await crash(s);
    await s.close();
    const segments = await segmentFiles(img);
    assert.ok(segments.length >= 2);
    return { img, segments };
  }

  async function refused(img: string, damage: (segments: string[]) => Promise<void>, what: string) {
    const copy = freshDir();
    await cp(img, copy, { recursive: true });
    const segments = await segmentFiles(copy);
    await damage(segments);
    const before = await Promise.all(segments.map((f) => readFile(f).catch(() => null)));
    await assert.rejects(
      open(copy),
      (e: unknown) => e instanceof StoreCorruptError && e.code === "STORE_CORRUPT" && e.key === "(wal)",
      what,
    );
    const afterwards = await Promise.all(segments.map((f) => readFile(f).catch(() => null)));
    assert.deepEqual(afterwards, before, `${what}: segments untouched`);
    assert.deepEqual(await dataFiles(copy), [], `${what}: nothing materialised`);
  }

  const edit = async (
    file: string,
    fn: (b: Buffer, spans: Awaited<ReturnType<typeof readSpans>>["spans"]) => void,
  ) => {
    const { bytes, spans } = await readSpans(file);
    fn(bytes, spans);
    await writeFile(file, bytes);
  };

  it("a flipped byte in a middle record, in its body or its length", async () => {
    const { img } = await twoSegments();
    await refused(img, ([s1]) => edit(s1, (b, sp) => void (b[sp[2].offset + 40] ^= 0x10)), "body");
    await refused(img, ([s1]) => edit(s1, (b, sp) => void (b[sp[2].offset + 3] ^= 0x01)), "length");
    await refused(img, ([s1]) => edit(s1, (b, sp) => void (b[sp[0].offset + 20] ^= 0x01)), "segment header");
  });

  it("two records swapped, or one dropped (sequence gap)", async () => {
    const { img } = await twoSegments();
    await refused(
      img,
      ([s1]) =>
        edit(s1, (b, sp) => {
          const r1 = Buffer.from(b.subarray(sp[1].offset, sp[1].end));
          b.copy(b, sp[1].offset, sp[2].offset, sp[2].end);
          r1.copy(b, sp[2].offset);
        }),
      "swapped",
    );
    await refused(
      img,
      ([s1]) =>
        edit(s1, (b, sp) => {
          b.copy(b, sp[1].offset, sp[2].offset, sp[3].end); // records 2, 3 move up over record 1
          b.fill(0, sp[1].offset + (sp[3].end - sp[2].offset));
        }),
      "dropped",
    );
  });

  it("a record moved to another segment (same position and seq), or a segment renamed", async () => {
    const { img } = await twoSegments();
    await refused(
      img,
      async ([s1, s2]) => {
        const a = await readSpans(s1);
        await edit(s2, (b, sp) => void a.bytes.copy(b, sp[1].offset, a.spans[1].offset, a.spans[1].end));
      },
      "moved record",
    );
    await refused(
      img,
      async ([s1, s2, s3]) => {
        await unlink(s1);
        await rename(s2, s1);
        await rename(s3, s2);
      },
      "renamed segment",
    );
  });

  it("a segment or a record from another store (same passphrase, same keys and positions)", async () => {
    const { img } = await twoSegments();
    const { segments: foreign } = await twoSegments();
    await refused(img, ([s1]) => copyFile(foreign[0], s1), "foreign segment");
    await refused(
      img,
      async ([s1]) => {
        const f = await readSpans(foreign[0]);
        await edit(s1, (b, sp) => void f.bytes.copy(b, sp[1].offset, f.spans[1].offset, f.spans[1].end));
      },
      "foreign record",
    );
  });

  it("a missing segment, a stray file, or a torn record followed by later records", async () => {
    const s = await open(freshDir(), { ...HOLD, segmentRecords: 2 });
    for (let i = 0; i < 6; i++) await s.put(`m/k${i}`, fill(i + 1));
    const img = await crash(s);
    await s.close();
    await refused(img, ([, s2]) => unlink(s2), "missing segment");
    await refused(img, ([s1]) => writeFile(path.join(path.dirname(s1), "notes.txt"), "hello"), "stray file");
    await refused(img, ([s1]) => edit(s1, (b, sp) => b.fill(0, sp[2].end - 4, sp[2].end)), "torn, then more");
  });
});

describe("FileShareStore WAL: group commit", () => {
  it("100 concurrent durable puts share a few syncs, and all are readable after a crash", async () => {
    const s = await open(freshDir(), LIVE);
    const before = s.walStats()!;
    await Promise.all(Array.from({ length: 100 }, (_, i) => s.put(`g/k${i}`, fill(i))));
    const stats = s.walStats()!;
    assert.equal(stats.appends - before.appends, 100);
    assert.ok(stats.syncs - before.syncs <= 5, `${stats.syncs - before.syncs} syncs for 100 puts`);
    const img = await crash(s);
    await s.close();
    const t = await open(img);
    for (let i = 0; i < 100; i++) assert.deepEqual(await t.get(`g/k${i}`), fill(i));
    await t.close();
  });

  it("records appended while a write is in flight go together in the next one", async () => {
    const s = await open(freshDir(), LIVE);
    const syncs0 = s.walStats()!.syncs;
    const first = s.put("g/first", fill(1));
    for (let i = 0; i < 10; i++) await Promise.resolve(); // the flusher has issued its write by now
    const rest = Array.from({ length: 50 }, (_, i) => s.put(`g/k${i}`, fill(i)));
    await Promise.all([first, ...rest]);
    assert.ok(s.walStats()!.syncs - syncs0 <= 2);
    await s.close();
  });

  it("a durable: false record rides with the next durable write, or is written shortly after on its own", async () => {
    const s = await open(freshDir(), LIVE);
    await s.whenIdle(); // the spare segment is ready: no background work but ours below
    const syncs = () => s.walStats()!.syncs;
    const syncs0 = syncs();
    // Issued in one tick (not awaited in between), so no scheduling stall can let the relaxed record's
    // own timer fire first.
    await Promise.all([s.put("r/erased", fill(0, 4), { durable: false }), s.put("r/next", fill(1))]);
    assert.equal(syncs() - syncs0, 1, "one write carried both records");
    await s.put("r/alone", fill(2), { durable: false });
    await waitFor(() => syncs() - syncs0 === 2, "the relaxed record's own write");
    const img = await crashImage(s.dir, freshDir()); // no whenIdle(): only what is on disk
    await s.close();
    const t = await open(img);
    assert.deepEqual(await t.get("r/erased"), fill(0, 4));
    assert.deepEqual(await t.get("r/alone"), fill(2));
    await t.close();
  });

  it("each awaited durable put gets its own sync (acknowledged only once on disk)", async () => {
    const s = await open(freshDir(), LIVE);
    const syncs0 = s.walStats()!.syncs;
    for (let i = 0; i < 5; i++) await s.put(`g/k${i}`, fill(i));
    assert.equal(s.walStats()!.syncs - syncs0, 5);
    await s.close();
  });
});

describe("FileShareStore WAL: checkpoints, memory, close, failures", () => {
  it("background checkpoints (while reads and writes go on) never serve or leave an older value", async () => {
    const s = await open(freshDir(), { ...LIVE, segmentRecords: 3, maxPendingSegments: 1 });
    const model = new Map<string, Uint8Array | null>();
    await workload(s, model, 120, "checkpoints", true);
    await s.whenIdle();
    const stats = s.walStats()!;
    assert.ok(stats.checkpoints >= 10, `${stats.checkpoints} checkpoints`);
    assert.ok(stats.overlayKeys <= 3, "only the active segment's keys are left in memory");
    await assertState(s, model);
    await s.close();
    const t = await open(s.dir);
    await assertState(t, model);
    await t.close();
  });

  it("memory stays bounded: puts wait for checkpoints once too many segments are sealed", async () => {
    const s = await open(freshDir(), { ...LIVE, segmentRecords: 4, maxPendingSegments: 1 });
    for (let i = 0; i < 60; i++) {
      await s.put(`b/k${i}`, fill(i));
      const { overlayKeys, pendingSegments } = s.walStats()!;
      // The active segment's keys, and one sealed segment's.
      assert.ok(pendingSegments <= 1 && overlayKeys <= 8, `${pendingSegments} sealed, ${overlayKeys} keys`);
    }
    await s.close();
    const t = await open(s.dir);
    assert.equal((await t.list("b/")).length, 60);
    await t.close();
  });

  it("an idle segment is checkpointed into files after the idle period", async () => {
    const s = await open(freshDir(), { ...LIVE, idleCheckpointMs: 20 });
    await s.put("i/k", fill(7));
    await s.delete("i/gone");
    await waitFor(() => s.walStats()!.checkpoints >= 1, "an idle checkpoint");
    await s.whenIdle();
    assert.equal(s.walStats()!.overlayKeys, 0);
    assert.deepEqual(await dataFiles(s.dir), ["i/k.sealed"]);
    assert.deepEqual(await s.get("i/k"), fill(7), "now read from its file");
    await s.close();
  });

  it("close() writes the puts still pending (durable: false, not awaited)", async () => {
    const s = await open(freshDir(), LIVE);
    const puts = Array.from({ length: 20 }, (_, i) => s.put(`c/k${i}`, fill(i), { durable: false }));
    await s.close();
    await Promise.all(puts);
    const t = await open(s.dir);
    for (let i = 0; i < 20; i++) assert.deepEqual(await t.get(`c/k${i}`), fill(i));
    await t.close();
  });

  it("an I/O failure fences the store (StoreWriteError for every later call); close still releases it", async () => {
    const dir = freshDir();
    const s = await open(dir, { ...HOLD, segmentRecords: 2 });
    await s.put("f/k1", fill(1));
    await s.whenIdle(); // the spare segment is ready
    await rm(path.join(dir, "wal"), { recursive: true }); // the next segment cannot be prepared
    await s.put("f/k2", fill(2));
    await s.put("f/k3", fill(3)); // rotates into the prepared spare; preparing the one after fails
    await s.put("f/k4", fill(4));
    await assert.rejects(s.put("f/k5", fill(5)), StoreWriteError, "needs the segment that could not be made");
    await assert.rejects(s.get("f/k1"), StoreWriteError);
    await assert.rejects(s.list(""), StoreWriteError);
    await assert.rejects(s.delete("f/k1"), StoreWriteError);
    await s.close();
    // The log's files were removed with the directory: a restart finds no log, an empty store.
    const t = await open(dir);
    assert.deepEqual(await t.list(""), []);
    await t.close();
  });
});

describe("FileShareStore WAL: sizes and options", () => {
  it("a value larger than a segment gets a segment of its own (the file grows past its preallocation)", async () => {
    const s = await open(freshDir(), HOLD);
    const big = new Uint8Array(200_000).map((_, i) => i % 253);
    await s.put("z/small", fill(1));
    await s.put("z/big", big);
    await s.put("z/after", fill(2));
    assert.deepEqual(await s.get("z/big"), big);
    const img = await crash(s);
    await s.close();
    const t = await open(img);
    assert.deepEqual(
      [await t.get("z/small"), await t.get("z/big"), await t.get("z/after")],
      [fill(1), big, fill(2)],
    );
    await t.close();
  });

  it("bad tuning is a ParameterError before anything is written", async () => {
    const dir = freshDir();
    for (const wal of [
      { segmentBytes: 100 },
      { segmentRecords: 0 },
      { idleCheckpointMs: -1 },
      { sync: "o_sync" },
    ]) {
      await assert.rejects(open(dir, wal as WalOptions), ParameterError, JSON.stringify(wal));
    }
    await assert.rejects(readdir(dir), { code: "ENOENT" }, "no directory created");
  });
});

describe("FileShareStore WAL: wal: false", () => {
  it("writes files directly (no segments), and replays a log left by an earlier run", async () => {
    const dir = freshDir();
    const s = await open(dir, LIVE);
    await s.put("x/logged", fill(1));
    await s.delete("x/never");
    const img = await crash(s);
    await s.close();
    const t = await open(img, false);
    assert.equal(t.walStats(), null);
    assert.deepEqual(await t.get("x/logged"), fill(1), "replayed at open");
    await t.put("x/direct", fill(2));
    assert.deepEqual(await dataFiles(img), ["x/direct.sealed", "x/logged.sealed"]);
    assert.deepEqual(await segmentFiles(img), []);
    await t.delete("x/logged");
    assert.deepEqual(await dataFiles(img), ["x/direct.sealed"]);
    await t.close();
  });
});
