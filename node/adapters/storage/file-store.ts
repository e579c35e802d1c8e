/**
 * FileShareStore: the embedded ShareStore (DESIGN invariant 5). One file per key under a data directory,
 * sealed with AES-256-GCM; atomic, durable writes; damage is detected and reported, never repaired.
 *
 * Layout of `dir`:
 *   store.json                 header: format, version, storeId, the wrapped data key (key-provider.ts)
 *   LOCK                       pid of the process that has the store open
 *   data/<seg>/…/<seg>.sealed  one file per key `<seg>/…/<seg>`
 *
 * A sealed file is `"SLS1" ‖ nonce(12) ‖ ciphertext ‖ tag(16)` under the store's data key, with
 * AAD = "shardless/share-store/v1" ‖ 0 ‖ storeId ‖ key. Binding the key path means a file copied or
 * renamed onto another key fails authentication (StoreCorruptError), and so does a file from another
 * store. What it cannot detect: an older version of the *same* key's file put back by someone with write
 * access to the disk (rollback); the node's audit log and registry epochs are the defence there.
 *
 * Writes: temp file in the same directory (O_EXCL, 0600) → write → fsync → rename over the target →
 * fsync the directory. A crash leaves either the old or the new value; leftover `*.tmp` files are
 * ignored by reads and removed when the store is next opened.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, aeadOpen, aeadSeal } from "../../crypto/aead.js";
import { concatBytes, utf8ToBytes } from "../../crypto/hash.js";
import { defaultRng, type Rng } from "../../crypto/rng.js";
import { ParameterError } from "../../protocol/errors.js";
import { silentLogger, type Logger, type ShareStore } from "../../runner/ports.js";
import { StoreCorruptError, StoreKeyError, StoreLockedError } from "./errors.js";
import { DATA_KEY_BYTES, type KeyProvider, type WrappedDataKey } from "./key-provider.js";
import { assertStoreKey, assertStorePrefix } from "./keys.js";

const HEADER_FILE = "store.json";
const LOCK_FILE = "LOCK";
const DATA_DIR = "data";
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
   * Structured logger (never given values).
   * @default silentLogger
   */
  logger?: Logger;
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
   * temp files left by a crash. Throws StoreKeyError (wrong key), StoreCorruptError (damaged header, or
   * data without a header) or StoreLockedError (in use by a live process).
   */
  static async open(init: FileShareStoreInit): Promise<FileShareStore> {
    const dir = path.resolve(init.dir);
    const rng = init.rng ?? defaultRng;
    const log = (init.logger ?? silentLogger).child({ component: "share-store" });
    await mkdir(path.join(dir, DATA_DIR), { recursive: true, mode: 0o700 });
    await acquireLock(dir);
    try {
      const { storeId, dataKey } = await loadOrCreateHeader(dir, init.keyProvider, rng);
      const store = new FileShareStore(dir, storeId, dataKey, rng, log);
      const removed = await store.removeTempFiles();
      if (removed > 0) log.warn({ dir, removed }, "removed temp files left by an interrupted write");
      return store;
    } catch (err) {
      await unlink(path.join(dir, LOCK_FILE)).catch(() => {});
      throw err;
    }
  }

  async put(key: string, value: Uint8Array, opts: { readonly durable?: boolean } = {}): Promise<void> {
    assertStoreKey(key);
    if (!(value instanceof Uint8Array)) throw new ParameterError("`value` expected Uint8Array");
    await this.track(async () => {
      const file = this.fileOf(key);
      await ensureDir(path.dirname(file), path.join(this.dir, DATA_DIR));
      const sealed = concatBytes(MAGIC, aeadSeal(this.key(), value, this.aad(key), this.rng));
      await atomicWrite(file, sealed, opts.durable ?? true);
    });
  }

  async get(key: string): Promise<Uint8Array | null> {
    assertStoreKey(key);
    return this.track(async () => {
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
    });
  }

  async delete(key: string): Promise<void> {
    assertStoreKey(key);
    await this.track(async () => {
      const file = this.fileOf(key);
      try {
        await unlink(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      await fsyncDir(path.dirname(file));
    });
  }

  async list(prefix: string): Promise<string[]> {
    assertStorePrefix(prefix);
    return this.track(async () => {
      const base = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
      const keys: string[] = [];
      await walk(path.join(this.dir, DATA_DIR, ...base.split("/").filter(Boolean)), base, (rel, name) => {
        if (name.endsWith(SUFFIX)) keys.push(rel.slice(0, -SUFFIX.length));
      });
      return keys.filter((k) => k.startsWith(prefix)).sort();
    });
  }

  /** Waits for operations in flight, forgets the data key and releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.dataKey === null) return;
    await Promise.allSettled([...this.inflight]);
    this.dataKey.fill(0);
    this.dataKey = null;
    await unlink(path.join(this.dir, LOCK_FILE)).catch(() => {});
  }

  private key(): Uint8Array {
    if (this.dataKey === null) throw new ParameterError("share store is closed");
    return this.dataKey;
  }

  private track<T>(op: () => Promise<T>): Promise<T> {
    this.key(); // refuse new work once closed
    const p = op();
    this.inflight.add(p);
    void p.then(
      () => this.inflight.delete(p),
      () => this.inflight.delete(p),
    );
    return p;
  }

  private fileOf(key: string): string {
    return path.join(this.dir, DATA_DIR, ...key.split("/")) + SUFFIX;
  }

  private aad(key: string): Uint8Array {
    return concatBytes(utf8ToBytes("shardless/share-store/v1\0"), this.storeId, utf8ToBytes(key));
  }

  private async removeTempFiles(): Promise<number> {
    const temps: string[] = [];
    await walk(path.join(this.dir, DATA_DIR), "", (rel) => {
      if (rel.endsWith(".tmp")) temps.push(path.join(this.dir, DATA_DIR, ...rel.split("/")));
    });
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
    await walk(path.join(dir, DATA_DIR), "", () => (hasData = true));
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

// --- files -------------------------------------------------------------------------------------

/** Temp file in the same directory, fsync, rename over `file`, fsync the directory (fsyncs if `durable`). */
async function atomicWrite(file: string, bytes: Uint8Array, durable = true): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    try {
      await fh.writeFile(bytes);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  if (durable) await fsyncDir(path.dirname(file));
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** mkdir -p below `root`, fsyncing the parent of every directory it creates (so the entry is durable). */
async function ensureDir(dir: string, root: string): Promise<void> {
  const rel = path.relative(root, dir);
  let current = root;
  for (const seg of rel === "" ? [] : rel.split(path.sep)) {
    const next = path.join(current, seg);
    try {
      await mkdir(next, { mode: 0o700 });
      await fsyncDir(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    current = next;
  }
}

/** Depth-first walk calling `visit(relativeKeyPath, name)` for every regular file. */
async function walk(dir: string, rel: string, visit: (rel: string, name: string) => void): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")
      return;
    throw err;
  }
  for (const e of entries) {
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(path.join(dir, e.name), childRel, visit);
    else if (e.isFile()) visit(childRel, e.name);
  }
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
