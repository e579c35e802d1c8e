/**
 * The API's idempotency records, kept in the node's share store (encrypted, atomic writes), so a request
 * retried after a node restart still answers the first result instead of signing again.
 */
import type { IdempotencyRecord, IdempotencyStore } from "../adapters/api/idempotency.js";
import { sha256, bytesToHex, utf8ToBytes } from "../crypto/hash.js";
import type { ShareStore } from "../runner/ports.js";

export class PersistentIdempotencyStore implements IdempotencyStore {
  constructor(private readonly store: ShareStore) {}

  // Request ids are client-chosen: hash them into a valid store path segment.
  private path(requestId: string): string {
    return `idempotency/${bytesToHex(sha256(utf8ToBytes(requestId)))}`;
  }

  async get(requestId: string): Promise<IdempotencyRecord | undefined> {
    const bytes = await this.store.get(this.path(requestId));
    return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as IdempotencyRecord) : undefined;
  }

  async put(requestId: string, record: IdempotencyRecord): Promise<void> {
    await this.store.put(this.path(requestId), utf8ToBytes(JSON.stringify(record)));
  }
}
