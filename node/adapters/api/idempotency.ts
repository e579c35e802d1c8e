/**
 * Idempotency by `requestId` (docs/api.md "Conventions"): the first successful result of a request is
 * stored under its id; a retry with the same route and body gets that result back without running the
 * work again (a retried sign never starts a second signature); the same id with another route or body is
 * a CONFLICT. Duplicates that arrive while the first is still running wait for it and share its outcome.
 *
 * Failures are not stored: nothing was released, so a retry with the same body runs the work again
 * (e.g. after members came back online).
 *
 * The record is written while the answer goes out (a durable store write is about 1 ms, a fifth of the
 * online-signing budget); the request counts as in flight until the write ends, and a graceful stop
 * waits for it (`drain`). Only a crash in that millisecond, with the answer lost on its way, lets a
 * retry run the work again — the same exposure as a crash while the work itself runs.
 */
import { bytesToHex, sha256, utf8ToBytes } from "../../crypto/hash.js";
import { ApiError } from "./errors.js";
import { silentLogger, systemClock, type Clock, type Logger } from "../../runner/ports.js";

export interface IdempotencyRecord {
  /** Hash of the route, path parameters and normalised body (see `requestFingerprint`). */
  fingerprint: string;
  /** The JSON result that was answered. */
  result: unknown;
  /** ms since epoch; lets stores expire old entries. */
  storedAt: number;
}

/** Where finished results live. The node may persist them so retries survive a restart. */
export interface IdempotencyStore {
  get(requestId: string): Promise<IdempotencyRecord | undefined>;
  put(requestId: string, record: IdempotencyRecord): Promise<void>;
}

export interface MemoryIdempotencyStoreOptions {
  /** Oldest entries are dropped beyond this. @default 10_000 */
  maxEntries?: number;
  /** Entries older than this are forgotten. @default 86_400_000 (24 h) */
  ttlMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/** Bounded in-memory store (lost on restart). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, IdempotencyRecord>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(opts: MemoryIdempotencyStoreOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.ttlMs = opts.ttlMs ?? 86_400_000;
    this.clock = opts.clock ?? systemClock;
  }

  async get(requestId: string): Promise<IdempotencyRecord | undefined> {
    const rec = this.entries.get(requestId);
    if (rec && this.clock.now() - rec.storedAt > this.ttlMs) {
      this.entries.delete(requestId);
      return undefined;
    }
    return rec;
  }

  async put(requestId: string, record: IdempotencyRecord): Promise<void> {
    this.entries.delete(requestId);
    this.entries.set(requestId, record);
    // Map iteration order is insertion order: the first key is the oldest.
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** JSON with object keys sorted, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** What makes two requests "the same": route, path parameters and the validated body. */
export function requestFingerprint(route: string, params: Record<string, string>, body: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson({ route, params, body }))));
}

interface InFlight {
  fingerprint: string;
  promise: Promise<unknown>;
}

export class Idempotency {
  private readonly inFlight = new Map<string, InFlight>();
  /** Result records being written; `drain` waits for them. */
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly store: IdempotencyStore,
    private readonly logger: Logger = silentLogger,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Runs `work` once per (requestId, fingerprint); see the module comment for the rules. The result is
   * answered as soon as it exists; its record is written meanwhile, and until that write ends the request
   * stays in flight here, so a duplicate gets the same result from memory and never runs the work again.
   */
  async run<T>(requestId: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(requestId);
    if (running) {
      if (running.fingerprint !== fingerprint) throw conflict(requestId);
      this.logger.debug({ requestId }, "duplicate request waits for the one in flight");
      return running.promise as Promise<T>;
    }
    // Registered synchronously, before any await, so a concurrent duplicate always finds it.
    const outcome = this.runOnce(requestId, fingerprint, work);
    const promise = outcome.then((o) => o.result);
    const entry: InFlight = { fingerprint, promise };
    this.inFlight.set(requestId, entry);
    const release = () => {
      if (this.inFlight.get(requestId) === entry) this.inFlight.delete(requestId);
    };
    outcome.then(
      (o) => void o.recorded.finally(release),
      () => release(), // a failure is not stored: a retry runs again
    );
    return promise;
  }

  /** Resolves once every result record started so far is written (or failed); for a graceful stop. */
  async drain(): Promise<void> {
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
  }

  private async runOnce<T>(
    requestId: string,
    fingerprint: string,
    work: () => Promise<T>,
  ): Promise<{ result: T; recorded: Promise<void> }> {
    const done = await this.store.get(requestId);
    if (done) {
      if (done.fingerprint !== fingerprint) throw conflict(requestId);
      return { result: done.result as T, recorded: Promise.resolve() };
    }
    const result = await work();
    const recorded = this.store
      .put(requestId, { fingerprint, result, storedAt: this.clock.now() })
      .catch((err: unknown) => {
        // The result exists (e.g. a signature was produced) and is answered; a retry after this point
        // could run the work again, which the log makes visible.
        this.logger.error(
          { requestId, err: err instanceof Error ? err.name : "unknown" },
          "idempotency store write failed",
        );
      });
    this.writes.add(recorded);
    void recorded.finally(() => this.writes.delete(recorded));
    return { result, recorded };
  }
}

function conflict(requestId: string): ApiError {
  return new ApiError("CONFLICT", `requestId ${requestId} was already used with another request`, [], {
    requestId,
  });
}
