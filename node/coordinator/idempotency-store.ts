/**
 * The API's idempotency records, kept in the node's share store (encrypted, durable writes), so a request
 * retried after a node restart still answers the first result instead of signing again.
 *
 * The ids on disk are listed once, at the first lookup, and kept in memory: a new request (the common
 * case) is answered "not seen" without a file read, which would cost a disk round trip on the
 * signing path. One node process owns its store, so no other writer can add ids behind our back.
 */
import type { IdempotencyRecord, IdempotencyStore } from "../adapters/api/idempotency.js";
import { sha256, bytesToHex, utf8ToBytes } from "../crypto/hash.js";
import type { ShareStore } from "../runner/ports.js";

const PREFIX = "idempotency/";

export class PersistentIdempotencyStore implements IdempotencyStore {
  private known: Promise<Set<string>> | undefined;

  constructor(private readonly store: ShareStore) {}

  // Request ids are client-chosen: hash them into a valid store path segment.
  private path(requestId: string): string {
    return `${PREFIX}${bytesToHex(sha256(utf8ToBytes(requestId)))}`;
  }

  private knownPaths(): Promise<Set<string>> {
    this.known ??= this.store.list(PREFIX).then((paths) => new Set(paths));
    // A failed listing is not remembered: the next lookup lists again.
    this.known.catch(() => (this.known = undefined));
    return this.known;
  }

  async get(requestId: string): Promise<IdempotencyRecord | undefined> {
    const path = this.path(requestId);
    if (!(await this.knownPaths()).has(path)) return undefined;
    const bytes = await this.store.get(path);
    return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as IdempotencyRecord) : undefined;
  }

  async put(requestId: string, record: IdempotencyRecord): Promise<void> {
    const path = this.path(requestId);
    await this.store.put(path, utf8ToBytes(JSON.stringify(record)));
    (await this.knownPaths()).add(path);
  }
}
