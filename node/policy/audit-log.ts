/**
 * Append-only, hash-chained audit log of a member's policy decisions (DESIGN.md §3 "Approve"). One file,
 * JSON lines; entry `seq` (1, 2, …) is line `seq`:
 *
 *   { seq, time, prevHash, event, details, hash }
 *   hash = SHA-256(prevHash ‖ canonicalJson({ seq, time, prevHash, event, details }))
 *
 * `prevHash` is the previous entry's `hash` (64 zero hex digits for entry 1), hashes are lowercase hex,
 * `prevHash ‖` means its 32 bytes, and each line is exactly `canonicalJson(entry)` (keys sorted, no
 * spaces), so any byte changed, any line deleted, inserted or moved breaks the chain at a definite `seq`.
 * Cutting whole entries off the end leaves a valid shorter chain: compare `head()` with an anchor kept
 * elsewhere (`expectedHead` in verifyAuditLog) to catch that.
 *
 * Every append is fsynced before it resolves (appends made during one fsync share the next). A crash mid-append leaves a torn last line that was never
 * acknowledged; opening the log completes or cuts it, records that repair as an entry, and continues the
 * chain. Any other damage refuses to open.
 * One writer per file. `details` are identifiers and outcomes only — never secrets (keys whose name looks
 * like a secret are refused as a last line of defence).
 */
import { mkdir, open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { bytesToHex, concatBytes, hexToBytes, sha256, utf8ToBytes } from "../crypto/hash.js";
import { ParameterError, VerificationError } from "../protocol/errors.js";
import type { Clock } from "../runner/ports.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface AuditEntry {
  readonly seq: number;
  /** ISO 8601, UTC, from the log's clock. */
  readonly time: string;
  readonly prevHash: string;
  readonly event: string;
  readonly details: JsonObject;
  readonly hash: string;
}

export interface AuditHead {
  /** Last entry's seq (0 for an empty log). */
  readonly seq: number;
  /** Last entry's hash (GENESIS_HASH for an empty log). */
  readonly hash: string;
}

export const GENESIS_HASH = "0".repeat(64);

/** Where a log stops verifying. */
export type AuditProblem =
  /** A line is not JSON or lacks/mistypes a field. */
  | "malformed"
  /** A line is not the canonical encoding of its entry (bytes edited without changing the content). */
  | "not-canonical"
  /** `seq` is not the line's position: a line was deleted, inserted or moved. */
  | "seq"
  /** `prevHash` is not the previous entry's hash: entries deleted/moved, or the previous one re-hashed. */
  | "prev-hash"
  /** `hash` does not match the entry: the entry was edited. */
  | "hash"
  /** The file ends inside a line (a crash mid-append, or a cut). */
  | "torn-tail"
  /** The log is shorter than, or disagrees with, the expected head. */
  | "head-mismatch";

export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly head: AuditHead }
  | {
      readonly ok: false;
      readonly problem: AuditProblem;
      /** The first seq that does not verify (entries before it are intact). */
      readonly firstBadSeq: number;
      /** The intact prefix. */
      readonly head: AuditHead;
      readonly message: string;
    };

/** The log on disk does not verify; `firstBadSeq` says where. Code "VERIFICATION". */
export class AuditLogTamperedError extends VerificationError {
  constructor(
    readonly file: string,
    readonly problem: AuditProblem,
    readonly firstBadSeq: number,
    message: string,
  ) {
    super(`audit log ${file}: ${message}`);
  }
}

const EVENT = /^[A-Za-z0-9._:-]{1,128}$/;
const HASH = /^[0-9a-f]{64}$/;
const SECRET_LIKE = /secret|private|passphrase|password|mnemonic/i;
const ENTRY_KEYS = ["details", "event", "hash", "prevHash", "seq", "time"];
const READ_CHUNK = 1 << 16;
/** An entry line longer than this is refused (details are a handful of identifiers). */
const MAX_LINE_BYTES = 1 << 20;

/** JSON with object keys sorted (UTF-16 order) and no whitespace. Rejects values JSON cannot carry. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ParameterError("audit details: numbers must be finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  throw new ParameterError(`audit details: ${typeof value} is not JSON (convert bigints to strings)`);
}

/** SHA-256(prevHash ‖ canonical JSON of the entry without `hash`), lowercase hex. */
export function entryHash(entry: Omit<AuditEntry, "hash">): string {
  const body = canonicalJson({
    seq: entry.seq,
    time: entry.time,
    prevHash: entry.prevHash,
    event: entry.event,
    details: entry.details,
  });
  return bytesToHex(sha256(concatBytes(hexToBytes(entry.prevHash), utf8ToBytes(body))));
}

/**
 * Checks the whole chain of `file`, streaming (memory stays bounded however long the log is). With
 * `expectedHead` (an anchor recorded earlier), also checks that the entry at `expectedHead.seq` still
 * exists with that hash, which catches cutting entries off the end.
 */
export async function verifyAuditLog(
  file: string,
  options: { expectedHead?: AuditHead } = {},
): Promise<AuditVerification> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch (cause) {
    throw new ParameterError(`cannot read audit log ${file}`, [], { cause });
  }
  try {
    return (await scanLog(fh, options.expectedHead)).result;
  } finally {
    await fh.close();
  }
}

/** Checks one line after another against the chain so far. */
class ChainChecker {
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });
  constructor(public head: AuditHead = { seq: 0, hash: GENESIS_HASH }) {}

  /** Why `bytes` is not the next entry, or null (and the head advances). */
  next(bytes: Uint8Array): { problem: AuditProblem; message: string } | null {
    const seq = this.head.seq + 1;
    let line: string;
    try {
      line = this.utf8.decode(bytes);
    } catch {
      return { problem: "malformed", message: `entry ${seq} is not UTF-8` };
    }
    const entry = parseEntry(line);
    if (entry === null) return { problem: "malformed", message: `entry ${seq} is malformed` };
    if (canonicalJson(entry as unknown as JsonObject) !== line) {
      return { problem: "not-canonical", message: `entry ${seq} is not in canonical form` };
    }
    if (entry.seq !== seq) return { problem: "seq", message: `line ${seq} holds entry ${entry.seq}` };
    if (entry.prevHash !== this.head.hash) {
      return { problem: "prev-hash", message: `entry ${seq} does not chain to entry ${seq - 1}` };
    }
    if (entryHash(entry) !== entry.hash)
      return { problem: "hash", message: `entry ${seq} does not match its hash` };
    this.head = { seq, hash: entry.hash };
    return null;
  }
}

interface Scan {
  readonly result: AuditVerification;
  /** Length of the intact prefix: every complete line that verified. */
  readonly intactBytes: number;
  /** Bytes after the last newline (non-empty only for a torn tail). */
  readonly tail: Uint8Array;
}

async function scanLog(fh: FileHandle, expectedHead: AuditHead | undefined): Promise<Scan> {
  const checker = new ChainChecker();
  const chunk = Buffer.alloc(READ_CHUNK);
  let pending = Buffer.alloc(0);
  let intactBytes = 0;
  let position = 0;
  const fail = (problem: AuditProblem, message: string, firstBadSeq = checker.head.seq + 1): Scan => ({
    result: { ok: false, problem, firstBadSeq, head: checker.head, message },
    intactBytes,
    tail: new Uint8Array(0),
  });
  for (;;) {
    const { bytesRead } = await fh.read(chunk, 0, READ_CHUNK, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    pending = Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
    for (let nl = pending.indexOf(0x0a); nl !== -1; nl = pending.indexOf(0x0a)) {
      const bad = checker.next(pending.subarray(0, nl));
      if (bad !== null) return fail(bad.problem, bad.message);
      const { seq, hash } = checker.head;
      if (expectedHead !== undefined && seq === expectedHead.seq && hash !== expectedHead.hash) {
        return fail("head-mismatch", `entry ${seq} differs from the anchor`, seq);
      }
      intactBytes += nl + 1;
      pending = pending.subarray(nl + 1);
    }
    if (pending.length > MAX_LINE_BYTES)
      return fail("malformed", `entry ${checker.head.seq + 1} is too long`);
  }
  const { seq } = checker.head;
  if (pending.length > 0) {
    const torn = fail("torn-tail", `the log ends inside entry ${seq + 1}`);
    return { ...torn, tail: new Uint8Array(pending) };
  }
  if (expectedHead !== undefined && seq < expectedHead.seq) {
    return fail("head-mismatch", `entries ${seq + 1}..${expectedHead.seq} are missing`);
  }
  return { result: { ok: true, entries: seq, head: checker.head }, intactBytes, tail: new Uint8Array(0) };
}

function parseEntry(line: string): AuditEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const e = v as Record<string, unknown>;
  const keys = Object.keys(e).sort();
  const ok =
    keys.length === ENTRY_KEYS.length &&
    keys.every((k, i) => k === ENTRY_KEYS[i]) &&
    Number.isSafeInteger(e.seq) &&
    typeof e.time === "string" &&
    typeof e.prevHash === "string" &&
    HASH.test(e.prevHash) &&
    typeof e.event === "string" &&
    typeof e.details === "object" &&
    e.details !== null &&
    !Array.isArray(e.details) &&
    typeof e.hash === "string" &&
    HASH.test(e.hash);
  return ok ? (e as unknown as AuditEntry) : null;
}

export interface AuditLogOptions {
  /** Source of entry times (ms since the epoch); default the system clock. */
  readonly clock?: Pick<Clock, "now">;
}

/** Files open for appending in this process: two writers on one file would fork the chain. */
const OPEN_LOGS = new Set<string>();

interface QueuedLine {
  readonly line: string;
  readonly entry: AuditEntry;
  resolve(entry: AuditEntry): void;
  reject(err: unknown): void;
}

export class AuditLog {
  /** The chain as built: entries get their seq and hash at append time, in call order. */
  private built: AuditHead;
  /** Built, not yet written. One flush at a time writes all of them with one write and one fsync. */
  private queue: QueuedLine[] = [];
  private flushing: Promise<void> | null = null;
  private broken = false;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    private current: AuditHead,
    private readonly clock: Pick<Clock, "now">,
  ) {
    this.built = current;
  }

  /**
   * Opens `file` for appending, creating it (and its directory) if needed. An existing log must verify;
   * its chain continues. A torn last line (a crash mid-append: never acknowledged) is completed if only
   * its newline is missing, otherwise cut off; either repair is then recorded as an `audit.repaired`
   * entry. Any other damage throws AuditLogTamperedError: the operator must investigate first.
   */
  static async open(file: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const key = path.resolve(file);
    if (OPEN_LOGS.has(key)) throw new ParameterError(`audit log ${file} is already open in this process`);
    OPEN_LOGS.add(key);
    let fh: FileHandle;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      fh = await open(file, "a+", 0o600);
    } catch (err) {
      OPEN_LOGS.delete(key);
      throw err;
    }
    try {
      const { result, intactBytes, tail } = await scanLog(fh, undefined);
      if (!result.ok && result.problem !== "torn-tail") {
        throw new AuditLogTamperedError(file, result.problem, result.firstBadSeq, result.message);
      }
      let head = result.head;
      let repair: JsonObject | null = null;
      if (!result.ok) {
        const checker = new ChainChecker(head);
        if (checker.next(tail) === null) {
          await fh.write("\n", null, "utf8");
          head = checker.head;
          repair = { action: "completed-last-line", seq: head.seq };
        } else {
          await fh.truncate(intactBytes);
          repair = { action: "cut-torn-tail", bytes: tail.length };
        }
        await fh.sync();
      } else if (intactBytes === 0) {
        await fsyncDir(path.dirname(file)); // a new file: make its directory entry durable too
      }
      const log = new AuditLog(file, fh, head, options.clock ?? { now: () => Date.now() });
      if (repair !== null) await log.append("audit.repaired", repair);
      return log;
    } catch (err) {
      OPEN_LOGS.delete(key);
      await fh.close();
      throw err;
    }
  }

  /** Last durable entry (seq 0 and GENESIS_HASH when empty); record it elsewhere to anchor the log. */
  head(): AuditHead {
    return this.current;
  }

  /**
   * Appends one entry; resolves with it once it is durable. The entry is chained at call time (appends
   * are ordered as called); appends made while an fsync runs are written together by the next one
   * (group commit), so concurrent signers do not queue behind each other's fsyncs.
   */
  append(event: string, details: JsonObject): Promise<AuditEntry> {
    if (this.closed) return Promise.reject(new ParameterError("audit log is closed"));
    if (this.broken) return Promise.reject(brokenError());
    if (typeof event !== "string" || !EVENT.test(event)) {
      return Promise.reject(new ParameterError("audit `event` must be 1-128 chars of [A-Za-z0-9._:-]"));
    }
    let entry: AuditEntry;
    let line: string;
    try {
      checkDetails(details);
      // A private copy: the caller may reuse its object once this returns.
      const body = {
        seq: this.built.seq + 1,
        time: new Date(this.clock.now()).toISOString(),
        prevHash: this.built.hash,
        event,
        details: JSON.parse(canonicalJson(details)) as JsonObject,
      };
      entry = { ...body, hash: entryHash(body) };
      line = `${canonicalJson(entry as unknown as JsonObject)}\n`;
      if (Buffer.byteLength(line, "utf8") > MAX_LINE_BYTES)
        throw new ParameterError("audit details too large");
    } catch (err) {
      return Promise.reject(err);
    }
    this.built = { seq: entry.seq, hash: entry.hash };
    const written = new Promise<AuditEntry>((resolve, reject) =>
      this.queue.push({ line, entry, resolve, reject }),
    );
    // Started from a microtask: appends made in the same tick join the first write.
    this.flushing ??= Promise.resolve().then(() => this.flush());
    return written;
  }

  /** Waits for the appends already made, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    OPEN_LOGS.delete(path.resolve(this.file));
    await this.fh.close();
  }

  /** Writes the queued lines, batch after batch, until the queue is empty. */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      if (this.broken) {
        for (const q of batch) q.reject(brokenError());
        continue;
      }
      try {
        await this.fh.write(batch.map((q) => q.line).join(""), null, "utf8");
        await this.fh.sync();
      } catch (err) {
        // The file may now end in a torn line: refuse further writes until reopened (which repairs it).
        this.broken = true;
        for (const q of batch) q.reject(err);
        continue;
      }
      const last = batch[batch.length - 1].entry;
      this.current = { seq: last.seq, hash: last.hash };
      for (const q of batch) q.resolve(q.entry);
    }
    this.flushing = null;
  }
}

const brokenError = () => new VerificationError("audit log write failed earlier; reopen the log");

function checkDetails(details: JsonObject): void {
  if (typeof details !== "object" || details === null || Array.isArray(details)) {
    throw new ParameterError("audit `details` must be a JSON object");
  }
  const visit = (v: JsonValue): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === "object" && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        if (SECRET_LIKE.test(k))
          throw new ParameterError(`audit details must not carry secrets (field "${k}")`);
        visit(child);
      }
    }
  };
  visit(details);
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
