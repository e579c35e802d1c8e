/**
 * The share store's write-ahead log (guarantees: file-store.ts header; bytes: wal-format.ts):
 *   - `append` seals one record into the active segment and updates the overlay (latest value or
 *     tombstone per key) synchronously, in call order, then one flusher writes everything appended so
 *     far in a single write + sync (group commit);
 *   - segments are rotated when full or idle, and a background loop checkpoints sealed segments, oldest
 *     first, into the store's files, then deletes them and forgets their overlay entries;
 *   - `recoverWal` replays the segments left on disk when the store is opened.
 */
import { constants } from "node:fs";
import { open, readdir, readFile, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { concatBytes } from "../../crypto/hash.js";
import type { Rng } from "../../crypto/rng.js";
import { ParameterError } from "../../protocol/errors.js";
import type { Logger } from "../../runner/ports.js";
import { StoreCorruptError, StoreWriteError } from "./errors.js";
import { atomicWrite, fsyncDir } from "./fs-util.js";
import {
  SEGMENT_HEADER_RECORD_BYTES,
  WAL_KEY,
  parseSegmentName,
  recordSize,
  scanSegment,
  sealRecord,
  segmentName,
  type SegmentScan,
  type WalOp,
} from "./wal-format.js";

export interface WalOptions {
  /**
   * Bytes per segment. Each segment file is preallocated with this many zeros, so an append does not
   * grow the file and its sync has no metadata to write; a new segment starts when a record would not fit.
   * @default 256 KiB (smaller: less zero-filling for a node that writes a little, then idles)
   */
  readonly segmentBytes?: number;
  /**
   * A new segment starts after this many records.
   * @default 1024
   */
  readonly segmentRecords?: number;
  /**
   * A segment holding records is sealed and checkpointed after this many ms without appends
   * (Infinity: only when full).
   * @default 2000
   */
  readonly idleCheckpointMs?: number;
  /**
   * Sealed segments that may wait for their checkpoint before appends wait too (bounds memory).
   * @default 16 (with 256 KiB segments: up to 4 MiB of records waiting)
   */
  readonly maxPendingSegments?: number;
  /**
   * How an append is made durable: "dsync" writes to a segment opened with O_DSYNC (one system call,
   * measured faster here); "fdatasync" writes, then calls fdatasync.
   * @default "dsync" (or "fdatasync" where the platform has no O_DSYNC)
   */
  readonly sync?: "dsync" | "fdatasync";
  /**
   * false: sealed segments are kept (on disk and in memory) and only checkpointed at the next open.
   * For tests of replay and crash images; memory then grows with the log.
   * @default true
   */
  readonly checkpoints?: boolean;
}

/** Counters for tests, benchmarks and metrics (no keys, no values). */
export interface WalStats {
  /** Records appended since open. */
  readonly appends: number;
  /** Writes to a segment, each followed by (or including) a data sync. */
  readonly syncs: number;
  /** Segments closed for appends (full or idle) since open. */
  readonly sealedSegments: number;
  /** Segments checkpointed into files and deleted since open. */
  readonly checkpoints: number;
  /** Keys whose latest value (or deletion) lives only in the log and the overlay. */
  readonly overlayKeys: number;
  /** Sealed segments waiting for their checkpoint. */
  readonly pendingSegments: number;
}

/** What the log needs from its store. */
export interface WalHost {
  readonly walDir: string;
  readonly storeId: Uint8Array;
  readonly rng: Rng;
  readonly log: Logger;
  /** The data key; throws once the store is closed. */
  dataKey(): Uint8Array;
  /** Durably writes each key's latest value into the store's files (null: removes the file). */
  materialize(entries: ReadonlyMap<string, Uint8Array | null>): Promise<void>;
}

/** Longest a `durable: false` record waits for a durable one to share its write. */
const RELAXED_FLUSH_MS = 20;

const DEFAULTS = {
  segmentBytes: 256 * 1024,
  segmentRecords: 1024,
  idleCheckpointMs: 2000,
  maxPendingSegments: 16,
  sync: constants.O_DSYNC === undefined ? "fdatasync" : "dsync",
  checkpoints: true,
} as const satisfies Required<WalOptions>;

/** Options with defaults applied; ParameterError if out of range. */
export function resolveWalOptions(o: WalOptions): Required<WalOptions> {
  const r = { ...DEFAULTS, ...o };
  const int = (v: number, min: number) => Number.isSafeInteger(v) && v >= min;
  if (!int(r.segmentBytes, 4096)) throw new ParameterError("`wal.segmentBytes` expected an integer ≥ 4096");
  if (!int(r.segmentRecords, 1)) throw new ParameterError("`wal.segmentRecords` expected an integer ≥ 1");
  if (!(r.idleCheckpointMs === Infinity || (Number.isFinite(r.idleCheckpointMs) && r.idleCheckpointMs >= 0)))
    throw new ParameterError("`wal.idleCheckpointMs` expected a number ≥ 0 or Infinity");
  if (!int(r.maxPendingSegments, 1))
    throw new ParameterError("`wal.maxPendingSegments` expected an integer ≥ 1");
  if (r.sync !== "dsync" && r.sync !== "fdatasync")
    throw new ParameterError('`wal.sync` expected "dsync" or "fdatasync"');
  if (typeof r.checkpoints !== "boolean") throw new ParameterError("`wal.checkpoints` expected a boolean");
  if (r.sync === "dsync" && constants.O_DSYNC === undefined) r.sync = "fdatasync";
  return r;
}

/** One segment's state: where its records land, and the latest value per key it logged (for its checkpoint). */
class Segment {
  /** Next record number (0 is the header record, written when the file was prepared). */
  nextSeq = 1;
  /** Offset where the next appended record will land. */
  assignedBytes = SEGMENT_HEADER_RECORD_BYTES;
  /** Bytes on disk (the flusher's write position). */
  writtenBytes = SEGMENT_HEADER_RECORD_BYTES;
  writtenRecords = 1;
  /** Still taking appends. */
  open = true;
  queued = false;
  handleClosed = false;
  readonly latest = new Map<string, Uint8Array | null>();
  constructor(
    readonly number: number,
    readonly file: string,
    readonly ready: Promise<FileHandle>,
  ) {}
}

interface Pending {
  readonly segment: Segment;
  readonly bytes: Uint8Array;
  readonly waiter?: { resolve(): void; reject(err: unknown): void };
}

export class WriteAheadLog {
  private readonly options: Required<WalOptions>;
  private readonly overlay = new Map<
    string,
    { readonly value: Uint8Array | null; readonly segment: Segment }
  >();
  private active: Segment;
  /** The next segment, prepared (zero-filled, header synced) in the background before it is needed. */
  private spare: Segment;
  private pending: Pending[] = [];
  private writing: Pending[] = [];
  private flushing: Promise<void> | null = null;
  /** Closed for appends, fully written, waiting for their checkpoint (oldest first). */
  private readonly sealed: Segment[] = [];
  /** Every segment not checkpointed yet (open file handle, values in memory). */
  private readonly live = new Set<Segment>();
  private checkpointing: Promise<void> | null = null;
  private progressWaiters: (() => void)[] = [];
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private relaxedTimer: ReturnType<typeof setTimeout> | null = null;
  private pendingDurable = 0;
  private lastAppend = 0;
  private closing: Promise<void> | null = null;
  private failed: StoreWriteError | null = null;
  private readonly counters = { appends: 0, syncs: 0, sealedSegments: 0, checkpoints: 0 };

  private constructor(
    private readonly host: WalHost,
    options: WalOptions,
    firstSegment: number,
  ) {
    this.options = resolveWalOptions(options);
    this.active = this.makeSegment(firstSegment, null);
    this.spare = this.makeSegment(firstSegment + 1, this.active);
  }

  /** Starts a log whose first segment is `firstSegment` (recoverWal's answer). */
  static async open(host: WalHost, options: WalOptions, firstSegment: number): Promise<WriteAheadLog> {
    const wal = new WriteAheadLog(host, options, firstSegment);
    try {
      await wal.active.ready;
    } catch (err) {
      await wal.close();
      throw err;
    }
    return wal;
  }

  /** The failure that fenced the log, if any. */
  get failure(): StoreWriteError | null {
    return this.failed;
  }

  /** The overlay's answer: a value, null for a logged deletion, undefined if the files are authoritative. */
  lookup(key: string): Uint8Array | null | undefined {
    return this.overlay.get(key)?.value;
  }

  /** Overlay keys under `prefix`: true if present, false if deleted (taken synchronously, a snapshot). */
  snapshot(prefix: string): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const [key, { value }] of this.overlay) if (key.startsWith(prefix)) out.set(key, value !== null);
    return out;
  }

  stats(): WalStats {
    return { ...this.counters, overlayKeys: this.overlay.size, pendingSegments: this.sealed.length };
  }

  /**
   * Logs a put (`value`, which the log now owns and wipes when done) or a deletion (null). The record
   * and the overlay are updated before this returns, so operations are logged in call order. Resolves
   * once the record is on disk if `durable`, at once otherwise (the record is still written, in order,
   * by the next flush); waits while too many sealed segments wait for their checkpoint.
   */
  append(key: string, value: Uint8Array | null, durable: boolean): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closing) return Promise.reject(new ParameterError("share store is closed"));
    const { segmentBytes, segmentRecords } = this.options;
    const full = (s: Segment) =>
      s.nextSeq > 1 &&
      (s.assignedBytes + recordSize(key, value) > segmentBytes || s.nextSeq > segmentRecords);
    if (full(this.active)) this.rotate();
    const seg = this.active;
    const op: WalOp = value === null ? { op: "delete", key } : { op: "put", key, value };
    const bytes = sealRecord(
      { dataKey: this.host.dataKey(), storeId: this.host.storeId, segment: seg.number },
      seg.nextSeq,
      op,
      this.host.rng,
    );
    seg.nextSeq++;
    seg.assignedBytes += bytes.length;
    seg.latest.get(key)?.fill(0); // superseded within this segment: nothing else refers to it
    seg.latest.set(key, value);
    this.overlay.set(key, { value, segment: seg });
    this.counters.appends++;
    this.touchIdle();
    let synced: Promise<void> | undefined;
    if (durable) {
      synced = new Promise<void>((resolve, reject) =>
        this.pending.push({ segment: seg, bytes, waiter: { resolve, reject } }),
      );
      this.pendingDurable++;
      this.kickFlush();
    } else {
      this.pending.push({ segment: seg, bytes });
      this.armRelaxedFlush();
    }
    return this.settle(synced);
  }

  private async settle(synced: Promise<void> | undefined): Promise<void> {
    if (synced) await synced;
    const { maxPendingSegments, checkpoints } = this.options;
    while (checkpoints && this.sealed.length > maxPendingSegments && !this.failed && !this.closing) {
      await new Promise<void>((resolve) => this.progressWaiters.push(resolve));
    }
  }

  /**
   * Resolves once no background work runs: pending writes, queued checkpoints and the spare segment's
   * preparation (until the next append or idle rotation). For crash images in tests, and benchmarks.
   */
  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.flushing) await this.flushing;
      else if (this.pending.length > 0 && !this.failed) this.kickFlush(true);
      else if (this.checkpointing) await this.checkpointing;
      else {
        const spare = this.spare;
        await spare.ready.catch(() => {});
        const busy = this.flushing || this.checkpointing || (this.pending.length > 0 && !this.failed);
        if (spare === this.spare && !busy) return;
      }
    }
  }

  /** Writes what is pending, lets a running checkpoint finish, closes the segment files. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    for (const t of [this.idleTimer, this.relaxedTimer]) if (t) clearTimeout(t);
    this.idleTimer = this.relaxedTimer = null;
    this.releaseWaiters();
    while (this.flushing || (this.pending.length > 0 && !this.failed)) {
      this.kickFlush(true);
      await this.flushing;
    }
    while (this.checkpointing) await this.checkpointing;
    // Values live on in the segments on disk (replayed at the next open); wipe the memory copies.
    for (const seg of this.live) {
      await this.closeHandle(seg);
      for (const v of seg.latest.values()) v?.fill(0);
      seg.latest.clear();
    }
    this.live.clear();
    this.overlay.clear();
  }

  // --- segments ----------------------------------------------------------------------------------

  /**
   * Prepares segment `number` once `after` is in place: segment files appear in order, so a crash never
   * leaves a later one without an earlier one (a gap, which replay refuses as lost records).
   */
  private makeSegment(number: number, after: Segment | null): Segment {
    const file = path.join(this.host.walDir, segmentName(number));
    const ready = (after?.ready ?? Promise.resolve()).then(() => this.prepare(number, file));
    ready.catch(() => {}); // surfaced by whoever awaits it (the flusher or close)
    const seg = new Segment(number, file, ready);
    this.live.add(seg);
    return seg;
  }

  /** Zero-filled file with its header record, synced, renamed into place, directory synced; opened for appends. */
  private async prepare(number: number, file: string): Promise<FileHandle> {
    const header = sealRecord(
      { dataKey: this.host.dataKey(), storeId: this.host.storeId, segment: number },
      0,
      null,
      this.host.rng,
    );
    const image = new Uint8Array(Math.max(this.options.segmentBytes, header.length));
    image.set(header);
    await atomicWrite(file, image); // temp file, fsync, rename, directory fsync
    const dsync = this.options.sync === "dsync" ? (constants.O_DSYNC ?? 0) : 0;
    return open(file, constants.O_WRONLY | dsync);
  }

  private rotate(): void {
    const old = this.active;
    old.open = false;
    this.active = this.spare;
    this.spare = this.makeSegment(this.active.number + 1, this.active);
    this.maybeSeal(old);
  }

  private maybeSeal(seg: Segment): void {
    if (seg.open || seg.queued || seg.writtenRecords !== seg.nextSeq) return;
    seg.queued = true;
    this.counters.sealedSegments++;
    this.sealed.push(seg);
    this.kickCheckpoint();
  }

  private async closeHandle(seg: Segment): Promise<void> {
    if (seg.handleClosed) return;
    seg.handleClosed = true;
    const fh = await seg.ready.catch(() => null);
    await fh?.close();
  }

  private touchIdle(): void {
    if (this.options.idleCheckpointMs === Infinity) return;
    this.lastAppend = performance.now();
    if (this.idleTimer === null) this.armIdle(this.options.idleCheckpointMs);
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(() => this.onIdle(), ms);
    this.idleTimer.unref?.();
  }

  private onIdle(): void {
    this.idleTimer = null;
    if (this.closing || this.failed) return;
    const quiet = performance.now() - this.lastAppend;
    if (quiet < this.options.idleCheckpointMs) return this.armIdle(this.options.idleCheckpointMs - quiet);
    if (this.active.nextSeq > 1) this.rotate();
  }

  // --- group commit ------------------------------------------------------------------------------

  /** Starts the flusher unless it runs; `all`: also when only records nobody waits for are pending. */
  private kickFlush(all = false): void {
    if (this.flushing !== null || this.failed) return;
    // Started from a microtask: appends made in the same tick join the first write.
    this.flushing = Promise.resolve().then(() => this.flushLoop(all));
  }

  /**
   * Records of `durable: false` puts and deletions do not start a write of their own: they go with the
   * next durable record's write (in order), or after RELAXED_FLUSH_MS — half the syncs on the signing
   * path, where each used presignature's deletion is followed by the next signature's durable "consumed".
   */
  private armRelaxedFlush(): void {
    if (this.relaxedTimer !== null || this.flushing !== null || this.closing) return;
    this.relaxedTimer = setTimeout(() => {
      this.relaxedTimer = null;
      this.kickFlush(true);
    }, RELAXED_FLUSH_MS);
    this.relaxedTimer.unref?.();
  }

  private async flushLoop(all: boolean): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.failed && (all || this.pendingDurable > 0 || this.closing)) {
        this.writing = this.pending;
        this.pending = [];
        this.pendingDurable = 0;
        await this.writeBatch(this.writing);
        this.writing = [];
      }
    } catch (err) {
      this.fail(err, "append");
    } finally {
      this.flushing = null;
      if (this.pending.length > 0 && !this.failed) this.armRelaxedFlush();
    }
  }

  /** One write (+ fdatasync) per segment the batch touches, in order; resolves each run's waiters. */
  private async writeBatch(batch: readonly Pending[]): Promise<void> {
    for (let i = 0; i < batch.length;) {
      const seg = batch[i].segment;
      let j = i + 1;
      while (j < batch.length && batch[j].segment === seg) j++;
      if (this.failed) throw this.failed;
      const run = batch.slice(i, j);
      const bytes = run.length === 1 ? run[0].bytes : concatBytes(...run.map((p) => p.bytes));
      const fh = await seg.ready;
      await writeAll(fh, bytes, seg.writtenBytes);
      if (this.options.sync === "fdatasync") await fh.datasync();
      seg.writtenBytes += bytes.length;
      seg.writtenRecords += run.length;
      this.counters.syncs++;
      for (const p of run) p.waiter?.resolve();
      this.maybeSeal(seg);
      i = j;
    }
  }

  /** Fences the log: the on-disk outcome of a failed write or sync is unknown, so nothing more is accepted. */
  private fail(err: unknown, step: "append" | "checkpoint"): void {
    if (!this.failed) {
      this.failed = new StoreWriteError(
        `share store write-ahead log: ${step} failed; the store refuses further work until the node restarts`,
        [],
        { cause: err },
      );
      this.host.log.error(
        { event: "share-store-wal-failed", step, code: (err as NodeJS.ErrnoException)?.code },
        "share store write-ahead log failed; restart to replay it",
      );
    }
    for (const p of [...this.writing, ...this.pending]) p.waiter?.reject(this.failed);
    this.writing = [];
    this.pending = [];
    this.pendingDurable = 0;
    this.releaseWaiters();
  }

  // --- checkpoints -------------------------------------------------------------------------------

  private kickCheckpoint(): void {
    if (this.checkpointing !== null || this.closing || this.failed || !this.options.checkpoints) return;
    this.checkpointing = Promise.resolve().then(() => this.checkpointLoop());
  }

  /** Oldest sealed segment first: files written and synced, then the segment deleted, then its overlay entries dropped. */
  private async checkpointLoop(): Promise<void> {
    try {
      while (this.sealed.length > 0 && !this.closing && !this.failed) {
        const seg = this.sealed[0];
        await this.closeHandle(seg);
        if (seg.latest.size > 0) await this.host.materialize(seg.latest);
        await unlink(seg.file);
        await fsyncDir(this.host.walDir);
        this.sealed.shift();
        this.forget(seg);
        this.counters.checkpoints++;
        this.releaseWaiters();
      }
    } catch (err) {
      this.fail(err, "checkpoint");
    } finally {
      this.checkpointing = null;
    }
  }

  /** Drops the overlay entries a checkpointed segment holds the latest of, and wipes its values. */
  private forget(seg: Segment): void {
    for (const [key, value] of seg.latest) {
      if (this.overlay.get(key)?.segment === seg) this.overlay.delete(key);
      value?.fill(0);
    }
    seg.latest.clear();
    this.live.delete(seg);
  }

  private releaseWaiters(): void {
    const waiters = this.progressWaiters;
    this.progressWaiters = [];
    for (const w of waiters) w();
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error("write made no progress");
    done += bytesWritten;
  }
}

// --- recovery --------------------------------------------------------------------------------------

/**
 * Replays the segments left in `host.walDir` (oldest first) over the store's files: scans them all
 * before changing anything, cuts a torn tail of the last segment holding records (with a warning),
 * writes each key's latest value into its file, then deletes the segments oldest first (so a crash
 * part-way leaves a suffix of the log, which replays to the same state). Throws StoreCorruptError on
 * any other damage. Returns the number the next segment takes.
 */
export async function recoverWal(host: WalHost): Promise<number> {
  const segments = await listSegments(host.walDir);
  const scans: SegmentScan[] = [];
  for (const seg of segments) {
    const bytes = new Uint8Array(await readFile(seg.file));
    const ctx = { dataKey: host.dataKey(), storeId: host.storeId, segment: seg.number };
    scans.push(scanSegment(bytes, ctx, seg.file));
  }
  const tornAt = scans.findIndex((s) => s.torn !== null);
  if (tornAt >= 0) {
    // Later segments get records only once this one's were all synced: a torn one must be the last.
    const later = scans.findIndex((s, i) => i > tornAt && (s.ops.length > 0 || s.torn !== null));
    if (later >= 0) {
      throw new StoreCorruptError(
        WAL_KEY,
        segments[tornAt].file,
        `damaged record at offset ${scans[tornAt].torn!.offset} followed by records in ${segmentName(segments[later].number)}`,
      );
    }
  }
  const state = new Map<string, Uint8Array | null>();
  for (const scan of scans) {
    for (const op of scan.ops) {
      state.get(op.key)?.fill(0);
      state.set(op.key, op.op === "put" ? op.value : null);
    }
  }
  try {
    if (tornAt >= 0) {
      const { file } = segments[tornAt];
      const { torn, end } = scans[tornAt];
      const fh = await open(file, "r+");
      try {
        await fh.truncate(end);
        await fh.sync();
      } finally {
        await fh.close();
      }
      host.log.warn(
        {
          event: "share-store-wal-torn-tail",
          segment: path.basename(file),
          offset: torn!.offset,
          reason: torn!.reason,
        },
        "cut a torn record at the end of the share store's write-ahead log (a write interrupted by a crash, never acknowledged)",
      );
    }
    if (state.size > 0) await host.materialize(state);
  } finally {
    for (const v of state.values()) v?.fill(0);
  }
  for (const seg of segments) {
    await unlink(seg.file);
    await fsyncDir(host.walDir);
  }
  return segments.length > 0 ? segments[segments.length - 1].number + 1 : 1;
}

/** Segment files in order; any other file (but leftover temps) or a gap in the numbering is damage. */
async function listSegments(dir: string): Promise<{ number: number; file: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const segments: { number: number; file: string }[] = [];
  for (const name of names) {
    if (name.endsWith(".tmp")) continue;
    const number = parseSegmentName(name);
    const file = path.join(dir, name);
    if (number === null)
      throw new StoreCorruptError(WAL_KEY, file, "unexpected file in the write-ahead-log directory");
    segments.push({ number, file });
  }
  segments.sort((a, b) => a.number - b.number);
  for (let i = 1; i < segments.length; i++) {
    if (segments[i].number !== segments[i - 1].number + 1) {
      throw new StoreCorruptError(
        WAL_KEY,
        segments[i].file,
        `segment ${segmentName(segments[i - 1].number + 1)} is missing (records lost)`,
      );
    }
  }
  return segments;
}
