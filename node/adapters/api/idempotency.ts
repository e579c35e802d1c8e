/**
 * Idempotency by `requestId` (docs/api.md "Conventions"): the first successful result of a request is
 * stored under its id; a retry with the same route and body gets that result back without running the
 * work again (a retried sign never starts a second signature); the same id with another route or body is
 * a CONFLICT. Duplicates that arrive while the first is still running wait for it and share its outcome.
 *
 * Failures are not stored: nothing was released, so a retry with the same body runs the work again
 * (e.g. after members came back online).
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

  constructor(
    private readonly store: IdempotencyStore,
    private readonly logger: Logger = silentLogger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Runs `work` once per (requestId, fingerprint); see the module comment for the rules. */
  async run<T>(requestId: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(requestId);
    if (running) {
      if (running.fingerprint !== fingerprint) throw conflict(requestId);
      this.logger.debug({ requestId }, "duplicate request waits for the one in flight");
      return running.promise as Promise<T>;
    }
    // Registered synchronously, before any await, so a concurrent duplicate always finds it.
    const promise = this.runOnce(requestId, fingerprint, work);
    this.inFlight.set(requestId, { fingerprint, promise });
    try {
      return await promise;
    } finally {
      this.inFlight.delete(requestId);
    }
  }

  private async runOnce<T>(requestId: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    const done = await this.store.get(requestId);
    if (done) {
      if (done.fingerprint !== fingerprint) throw conflict(requestId);
      return done.result as T;
    }
    const result = await work();
    try {
      await this.store.put(requestId, { fingerprint, result, storedAt: this.clock.now() });
    } catch (err) {
      // The result exists (e.g. a signature was produced): answer it rather than hide it; a retry after
      // this point could run the work again, which the log makes visible.
      this.logger.error(
        { requestId, err: err instanceof Error ? err.name : "unknown" },
        "idempotency store write failed",
      );
    }
    return result;
  }
}

function conflict(requestId: string): ApiError {
  return new ApiError("CONFLICT", `requestId ${requestId} was already used with another request`, [], {
    requestId,
  });
}
