/**
 * The API's idempotency records, kept in the node's share store (encrypted, durable writes), so a request
 * retried after a node restart still answers the first result instead of signing again.
 *
 * Layout: `idempotency/<hour>/<sha256(requestId)>`, where `<hour>` is the hour of the first result
 * (ms since epoch / 3,600,000). Records live `ttlMs` (24 h by default, like the in-memory store); whole
 * hours past that are deleted in the background, so a node that signs all day does not collect a file per
 * request forever. Records written before this layout (`idempotency/<hash>`) are still answered, and
 * never pruned.
 *
 * The ids on disk are listed once, at the first lookup, and kept in memory: a new request (the common
 * case) is answered "not seen" without a file read, which would cost a disk round trip on the signing
 * path. One node process owns its store, so no other writer can add ids behind our back.
 */
import type { IdempotencyRecord, IdempotencyStore } from "../adapters/api/idempotency.js";
import { sha256, bytesToHex, utf8ToBytes } from "../crypto/hash.js";
import { silentLogger, systemClock, type Clock, type Logger, type ShareStore } from "../runner/ports.js";

const PREFIX = "idempotency/";
const HOUR_MS = 3_600_000;

export interface PersistentIdempotencyStoreOptions {
  /** How long a result is answered again. @default 86_400_000 (24 h) */
  readonly ttlMs?: number;
  /** @default systemClock */
  readonly clock?: Pick<Clock, "now">;
  /** @default silentLogger */
  readonly logger?: Logger;
}

export class PersistentIdempotencyStore implements IdempotencyStore {
  /** sha256(requestId) hex → store key. */
  private index: Promise<Map<string, string>> | undefined;
  private prunedHour = -Infinity;
  private readonly ttlMs: number;
  private readonly clock: Pick<Clock, "now">;
  private readonly logger: Logger;

  constructor(
    private readonly store: ShareStore,
    opts: PersistentIdempotencyStoreOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 86_400_000;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
  }

  // Request ids are client-chosen: hash them into a valid store path segment.
  private static hash(requestId: string): string {
    return bytesToHex(sha256(utf8ToBytes(requestId)));
  }

  private known(): Promise<Map<string, string>> {
    this.index ??= this.store.list(PREFIX).then((keys) => {
      const index = new Map<string, string>();
      for (const key of keys) index.set(key.slice(key.lastIndexOf("/") + 1), key);
      return index;
    });
    // A failed listing is not remembered: the next lookup lists again.
    this.index.catch(() => (this.index = undefined));
    return this.index;
  }

  async get(requestId: string): Promise<IdempotencyRecord | undefined> {
    const key = (await this.known()).get(PersistentIdempotencyStore.hash(requestId));
    if (key === undefined) return undefined;
    const bytes = await this.store.get(key);
    if (!bytes) return undefined;
    const record = JSON.parse(new TextDecoder().decode(bytes)) as IdempotencyRecord;
    return this.clock.now() - record.storedAt > this.ttlMs ? undefined : record;
  }

  async put(requestId: string, record: IdempotencyRecord): Promise<void> {
    const hash = PersistentIdempotencyStore.hash(requestId);
    const index = await this.known();
    const key = `${PREFIX}${Math.floor(this.clock.now() / HOUR_MS)}/${hash}`;
    const previous = index.get(hash);
    await this.store.put(key, utf8ToBytes(JSON.stringify(record)));
    index.set(hash, key);
    // An expired id answered anew lands in this hour: its old record goes.
    if (previous !== undefined && previous !== key) await this.store.delete(previous);
    this.pruneInBackground(index);
  }

  /** At most once an hour: deletes the records of hours entirely past the TTL. */
  private pruneInBackground(index: Map<string, string>): void {
    const now = this.clock.now();
    const hour = Math.floor(now / HOUR_MS);
    if (hour === this.prunedHour) return;
    this.prunedHour = hour;
    const lastExpiredHour = Math.floor((now - this.ttlMs) / HOUR_MS) - 1;
    const expired: string[] = [];
    for (const [hash, key] of index) {
      const parts = key.slice(PREFIX.length).split("/");
      if (parts.length === 2 && Number(parts[0]) <= lastExpiredHour) {
        index.delete(hash);
        expired.push(key);
      }
    }
    if (expired.length === 0) return;
    // Issued together: the share store's log writes them in one group commit.
    void Promise.all(expired.map((key) => this.store.delete(key))).then(
      () => this.logger.info({ records: expired.length }, "expired idempotency records deleted"),
      (err: unknown) =>
        this.logger.warn(
          { error: err instanceof Error ? err.name : "unknown" },
          "deleting expired idempotency records failed; they are deleted at the next start",
        ),
    );
  }
}
