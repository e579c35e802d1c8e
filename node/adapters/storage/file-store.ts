/**
 * FileShareStore: the embedded ShareStore (DESIGN invariant 5). Values are sealed with AES-256-GCM under
 * the store's data key; a durable write is on disk when it resolves; damage is detected and reported,
 * never repaired.
 *
 * Layout of `dir` (directories 0700, files 0600):
 *   store.json                 header: format, version, storeId, the wrapped data key (key-provider.ts)
 *   LOCK                       pid of the process that has the store open
 *   data/<seg>/…/<seg>.sealed  one file per key `<seg>/…/<seg>`: the checkpointed state
 *   wal/<n>.wal                write-ahead-log segments not checkpointed yet (format: wal-format.ts)
 *
 * A sealed file is `"SLS1" ‖ nonce(12) ‖ ciphertext ‖ tag(16)` under the store's data key, with
 * AAD = "shardless/share-store/v1" ‖ 0 ‖ storeId ‖ key. Binding the key path means a file copied or
 * renamed onto another key fails authentication (StoreCorruptError), and so does a file from another
 * store. A log record is sealed the same way with AAD = "shardless/share-store/wal/v1" ‖ 0 ‖ storeId ‖
 * segment ‖ seq, and its plaintext holds the op, key and value: no key name or value is on disk in clear.
 * What neither can detect: an older file or a whole older segment put back by someone with write access
 * to the disk (rollback); the node's audit log and registry epochs are the defence there.
 *
 * Write path, write-ahead log on (the default; wal.ts):
 *   - put/delete seal one record into the active segment and update an in-memory overlay (latest value
 *     or tombstone per key) before returning to the event loop, so records are in call order. A single
 *     flusher writes everything appended so far with one write to the segment, opened O_DSYNC (group
 *     commit: records appended while a write is in flight go together in the next one); a durable
 *     put/delete resolves when that write returns. One thread-pool hop per flush instead of ~9 per file
 *     write. `durable: false` resolves at once; its record starts no write of its own but goes, in
 *     order, with the next durable record's write, or on its own after 20 ms (a crash may lose it).
 *   - get reads the overlay first (tombstone → null), else the file; list merges overlay and files.
 *     Reads may see a logged value before its sync finished (as a rename was visible before its
 *     directory fsync).
 *   - Segments are preallocated with zeros (an append does not change the file size, so the sync has no
 *     metadata to write) and prepared one ahead, in order. When the active one is full (256 KiB or 1024 records) or idle for 2 s, it is sealed; in the
 *     background, off the put path, each sealed segment (oldest first) is checkpointed: the latest value
 *     of every key it logged is written to its file with the atomic write below (or the file removed),
 *     directories synced, then the segment is deleted and the overlay entries it was the latest for are
 *     dropped. Puts wait when more than 16 sealed segments (4 MiB) wait for their checkpoint (bounded memory).
 *   - close() writes what is pending and lets a running checkpoint finish; the rest is replayed at open.
 *   - A failed log write, sync or checkpoint fences the store (StoreWriteError for every later call):
 *     the outcome of a failed fsync is unknown, so the node must restart and replay.
 *
 * Write path, `wal: false`: every put is a temp file in the same directory (O_EXCL, 0600) → write →
 * fsync → rename over the target → fsync the directory; delete is unlink → fsync the directory.
 *
 * Crash semantics: every put/delete that resolved durably survives, and the state after a crash is the
 * result of a prefix of the operations in call order: replay applies whole segments in order, so an
 * older value or a deleted key (an erased presignature secret) never comes back. Opening the store takes
 * the lock, reads the header, removes leftover `*.tmp` files, then replays every segment over the files
 * and checkpoints them all before `open` resolves (a reopened store starts with an empty log). A torn
 * tail — the last record of the last segment holding records incomplete or failing authentication, with
 * only zeros after it: a crash mid-append, never acknowledged — is cut and logged with a warning naming
 * the segment. Any other damage (a bad record with records after it, a sequence gap, a record moved
 * between positions, segments or stores, an unknown op, a missing segment) is a StoreCorruptError and
 * the store does not open (StoreCorruptError.key is "(wal)"). A crash that persisted a later page of
 * the final group write but not an earlier one looks like such damage and is refused too: the operator
 * decides. A crash during a checkpoint is harmless: the segment is deleted only after its files are
 * synced, segments are deleted oldest first, and replaying a suffix of the log over files that already
 * hold its effects gives the same state.
 */
import { constants } from "node:fs";
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, aeadOpen, aeadSeal } from "../../crypto/aead.js";
import { concatBytes, utf8ToBytes } from "../../crypto/hash.js";
import { defaultRng, type Rng } from "../../crypto/rng.js";
import { ParameterError } from "../../protocol/errors.js";
import { silentLogger, type Logger, type ShareStore } from "../../runner/ports.js";
import { StoreCorruptError, StoreKeyError, StoreLockedError } from "./errors.js";
import { atomicWrite, ensureDir, fsyncDir, unlinkIfExists, walk } from "./fs-util.js";
import { DATA_KEY_BYTES, type KeyProvider, type WrappedDataKey } from "./key-provider.js";
import { assertStoreKey, assertStorePrefix } from "./keys.js";
import { MAX_VALUE_BYTES } from "./wal-format.js";
import {
  WriteAheadLog,
  recoverWal,
  resolveWalOptions,
  type WalHost,
  type WalOptions,
  type WalStats,
} from "./wal.js";

export type { WalOptions, WalStats } from "./wal.js";

const HEADER_FILE = "store.json";
const LOCK_FILE = "LOCK";
const DATA_DIR = "data";
const WAL_DIR = "wal";
const SUFFIX = ".sealed";
const FORMAT = "shardless-share-store";
const VERSION = 1;
const MAGIC = utf8ToBytes("SLS1");
const STORE_ID_BYTES = 16;
const HEADER_KEY = "(header)";

export interface FileShareStoreInit {
  /** The data directory (created with mode 0700 if missing). */
  dir: string;
  /** Supplies the wrapping key (passphrase, key file, HSM...). */
  keyProvider: KeyProvider;
  /**
   * Randomness for the data key, store id and nonces.
   * @default defaultRng
   */
  rng?: Rng;
  /**
   * Structured logger (never given keys' values).
   * @default silentLogger
   */
  logger?: Logger;
  /**
   * The write-ahead log (see the header), with optional tuning; false writes every put as an atomic
   * file (the slower baseline). Segments left by an earlier run are replayed at open either way.
   * @default true
   */
  wal?: boolean | WalOptions;
}

interface Header {
  format: string;
  version: number;
  storeId: string;
  dataKey: { kind: string; params: Record<string, string | number>; wrapped: string };
}

export class FileShareStore implements ShareStore {
  private dataKey: Uint8Array | null;
  private readonly inflight = new Set<Promise<unknown>>();
  private wal: WriteAheadLog | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly storeId: Uint8Array,
    dataKey: Uint8Array,
    private readonly rng: Rng,
    private readonly log: Logger,
  ) {
    this.dataKey = dataKey;
  }

  /**
   * Opens (or initialises) the store in `init.dir`: takes the lock, unwraps the data key, removes
   * temp files left by a crash, replays and checkpoints the write-ahead log. Throws StoreKeyError (wrong
   * key), StoreCorruptError (damaged header, file or log, or data without a header) or StoreLockedError
   * (in use by a live process).
   */
  static async open(init: FileShareStoreInit): Promise<FileShareStore> {
    const dir = path.resolve(init.dir);
    const rng = init.rng ?? defaultRng;
    const log = (init.logger ?? silentLogger).child({ component: "share-store" });
    const walOptions =
      init.wal === false ? null : init.wal === true || init.wal === undefined ? {} : init.wal;
    if (walOptions) resolveWalOptions(walOptions); // refuse bad tuning before touching the disk
    await mkdir(path.join(dir, DATA_DIR), { recursive: true, mode: 0o700 });
    await mkdir(path.join(dir, WAL_DIR), { recursive: true, mode: 0o700 });
    await acquireLock(dir);
    let store: FileShareStore | null = null;
    try {
      const { storeId, dataKey } = await loadOrCreateHeader(dir, init.keyProvider, rng);
      store = new FileShareStore(dir, storeId, dataKey, rng, log);
      const removed = await store.removeTempFiles();
      if (removed > 0) log.warn({ dir, removed }, "removed temp files left by an interrupted write");
      const nextSegment = await recoverWal(store.walHost());
      if (walOptions) store.wal = await WriteAheadLog.open(store.walHost(), walOptions, nextSegment);
      return store;
    } catch (err) {
      store?.dataKey?.fill(0);
      await unlink(path.join(dir, LOCK_FILE)).catch(() => {});
      throw err;
    }
  }

  async put(key: string, value: Uint8Array, opts: { readonly durable?: boolean } = {}): Promise<void> {
    assertStoreKey(key);
    if (!(value instanceof Uint8Array)) throw new ParameterError("`value` expected Uint8Array");
    if (value.length > MAX_VALUE_BYTES) throw new ParameterError("`value` larger than 16 MiB");
    const durable = opts.durable ?? true;
    await this.track(async () => {
      if (this.wal) return this.wal.append(key, value.slice(), durable);
      const file = this.fileOf(key);
      await ensureDir(path.dirname(file), path.join(this.dir, DATA_DIR));
      await atomicWrite(file, this.sealFile(key, value), { durable });
    });
  }

  async get(key: string): Promise<Uint8Array | null> {
    assertStoreKey(key);
    return this.track(async () => {
      const logged = this.wal?.lookup(key);
      if (logged !== undefined) return logged === null ? null : logged.slice();
      return this.readFile(key);
    });
  }

  async delete(key: string, opts: { readonly durable?: boolean } = {}): Promise<void> {
    assertStoreKey(key);
    const durable = opts.durable ?? true;
    await this.track(async () => {
      if (this.wal) return this.wal.append(key, null, durable);
      const file = this.fileOf(key);
      if ((await unlinkIfExists(file)) && durable) await fsyncDir(path.dirname(file));
    });
  }

  async list(prefix: string): Promise<string[]> {
    assertStorePrefix(prefix);
    return this.track(async () => {
      const logged = this.wal?.snapshot(prefix); // before the walk: a checkpoint may run meanwhile
      const base = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
      const keys = new Set<string>();
      await walk(path.join(this.dir, DATA_DIR, ...base.split("/").filter(Boolean)), base, (rel, name) => {
        if (name.endsWith(SUFFIX)) {
          const key = rel.slice(0, -SUFFIX.length);
          if (key.startsWith(prefix)) keys.add(key);
        }
      });
      for (const [key, present] of logged ?? []) {
        if (present) keys.add(key);
        else keys.delete(key);
      }
      return [...keys].sort();
    });
  }

  /** Write-ahead-log counters (null with `wal: false`). */
  walStats(): WalStats | null {
    return this.wal?.stats() ?? null;
  }

  /**
   * Resolves once the log has no background work running (pending writes, checkpoints, segment
   * preparation). Not needed for durability (a durable put resolves on disk): for tests taking crash
   * images, and benchmarks.
   */
  async whenIdle(): Promise<void> {
    await this.wal?.whenIdle();
  }

  /**
   * Waits for operations in flight, writes the log records still pending and lets a running checkpoint
   * finish, then forgets the data key and releases the lock. Idempotent.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    try {
      await this.wal?.close();
    } finally {
      this.dataKey?.fill(0);
      this.dataKey = null;
      await unlink(path.join(this.dir, LOCK_FILE)).catch(() => {});
    }
  }

  private key(): Uint8Array {
    if (this.dataKey === null) throw new ParameterError("share store is closed");
    return this.dataKey;
  }

  private track<T>(op: () => Promise<T>): Promise<T> {
    this.key(); // refuse new work once closed
    if (this.wal?.failure) throw this.wal.failure;
    const p = op();
    this.inflight.add(p);
    void p.then(
      () => this.inflight.delete(p),
      () => this.inflight.delete(p),
    );
    return p;
  }

  private walHost(): WalHost {
    return {
      walDir: path.join(this.dir, WAL_DIR),
      storeId: this.storeId,
      rng: this.rng,
      log: this.log,
      dataKey: () => this.key(),
      materialize: (entries) => this.materialize(entries),
    };
  }

  /**
   * Checkpoint: writes each key's latest value into its file (atomic, fsynced; null removes the file),
   * then fsyncs every directory touched once. One operation at a time, so a checkpoint holds at most one
   * thread-pool thread and the log's writes do not queue behind it.
   */
  private async materialize(entries: ReadonlyMap<string, Uint8Array | null>): Promise<void> {
    const root = path.join(this.dir, DATA_DIR);
    const dirs = new Set<string>();
    for (const [key, value] of entries) {
      const file = this.fileOf(key);
      const parent = path.dirname(file);
      if (value === null) {
        if (await unlinkIfExists(file)) dirs.add(parent);
        continue;
      }
      if (!dirs.has(parent)) await ensureDir(parent, root); // once per directory per checkpoint
      await atomicWrite(file, this.sealFile(key, value), { durable: true, syncDir: false });
      dirs.add(parent);
    }
    for (const d of dirs) await fsyncDir(d);
  }

  private sealFile(key: string, value: Uint8Array): Uint8Array {
    return concatBytes(MAGIC, aeadSeal(this.key(), value, this.aad(key), this.rng));
  }

  private async readFile(key: string): Promise<Uint8Array | null> {
    const file = this.fileOf(key);
    let raw: Uint8Array;
    try {
      raw = new Uint8Array(await readFile(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    if (raw.length < MAGIC.length + AEAD_NONCE_BYTES + AEAD_TAG_BYTES) {
      throw new StoreCorruptError(key, file, "truncated");
    }
    if (!MAGIC.every((b, i) => raw[i] === b))
      throw new StoreCorruptError(key, file, "not a sealed share file");
    try {
      return aeadOpen(this.key(), raw.subarray(MAGIC.length), this.aad(key));
    } catch (cause) {
      throw new StoreCorruptError(key, file, "authentication failed (damaged, truncated or swapped)", {
        cause,
      });
    }
  }

  private fileOf(key: string): string {
    return path.join(this.dir, DATA_DIR, ...key.split("/")) + SUFFIX;
  }

  private aad(key: string): Uint8Array {
    return concatBytes(utf8ToBytes("shardless/share-store/v1\0"), this.storeId, utf8ToBytes(key));
  }

  /** Removes `*.tmp` left by an interrupted file write or segment preparation (never acknowledged). */
  private async removeTempFiles(): Promise<number> {
    const temps: string[] = [];
    for (const sub of [DATA_DIR, WAL_DIR]) {
      await walk(path.join(this.dir, sub), "", (rel) => {
        if (rel.endsWith(".tmp")) temps.push(path.join(this.dir, sub, ...rel.split("/")));
      });
    }
    for (const t of temps) await unlink(t).catch(() => {});
    return temps.length;
  }
}

// --- header ------------------------------------------------------------------------------------

function headerAad(storeId: Uint8Array): Uint8Array {
  return concatBytes(utf8ToBytes(`${FORMAT}/v${VERSION}/data-key\0`), storeId);
}

async function loadOrCreateHeader(
  dir: string,
  provider: KeyProvider,
  rng: Rng,
): Promise<{ storeId: Uint8Array; dataKey: Uint8Array }> {
  const file = path.join(dir, HEADER_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    // Never start afresh over existing data: that would silently orphan every share.
    let hasData = false;
    for (const sub of [DATA_DIR, WAL_DIR]) await walk(path.join(dir, sub), "", () => (hasData = true));
    if (hasData)
      throw new StoreCorruptError(HEADER_KEY, file, "missing while the data directory holds files");
    const storeId = rng(STORE_ID_BYTES);
    const dataKey = rng(DATA_KEY_BYTES);
    const wrapped = await provider.wrap(dataKey, headerAad(storeId));
    const header: Header = {
      format: FORMAT,
      version: VERSION,
      storeId: Buffer.from(storeId).toString("hex"),
      dataKey: {
        kind: wrapped.kind,
        params: wrapped.params,
        wrapped: Buffer.from(wrapped.wrapped).toString("hex"),
      },
    };
    await atomicWrite(file, utf8ToBytes(JSON.stringify(header, null, 2) + "\n"));
    return { storeId, dataKey };
  }
  const header = parseHeader(text, file);
  if (header.dataKey.kind !== provider.kind) {
    throw new StoreKeyError(`store was created with a "${header.dataKey.kind}" key, not "${provider.kind}"`);
  }
  const storeId = new Uint8Array(Buffer.from(header.storeId, "hex"));
  const wrapped: WrappedDataKey = {
    kind: header.dataKey.kind,
    params: header.dataKey.params,
    wrapped: new Uint8Array(Buffer.from(header.dataKey.wrapped, "hex")),
  };
  const dataKey = await provider.unwrap(wrapped, headerAad(storeId));
  return { storeId, dataKey };
}

function parseHeader(text: string, file: string): Header {
  let h: Header;
  try {
    h = JSON.parse(text) as Header;
  } catch (cause) {
    throw new StoreCorruptError(HEADER_KEY, file, "not JSON", { cause });
  }
  const hex = (s: unknown, bytes?: number) =>
    typeof s === "string" && /^([0-9a-f]{2})+$/.test(s) && (bytes === undefined || s.length === 2 * bytes);
  const paramsOk =
    typeof h?.dataKey?.params === "object" &&
    h.dataKey.params !== null &&
    Object.values(h.dataKey.params).every((v) => typeof v === "string" || typeof v === "number");
  if (
    h?.format !== FORMAT ||
    h.version !== VERSION ||
    !hex(h.storeId, STORE_ID_BYTES) ||
    typeof h.dataKey?.kind !== "string" ||
    !paramsOk ||
    !hex(h.dataKey.wrapped)
  ) {
    throw new StoreCorruptError(HEADER_KEY, file, "unexpected header format");
  }
  return h;
}

// --- lock --------------------------------------------------------------------------------------

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates `LOCK` with our pid; takes over a lock whose process is gone. */
async function acquireLock(dir: string): Promise<void> {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        await fh.writeFile(`${process.pid}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new StoreLockedError(`share store ${dir} is in use by process ${pid}`);
    }
    await unlink(file).catch(() => {});
  }
  throw new StoreLockedError(`could not lock share store ${dir}`);
}
