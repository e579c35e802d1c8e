/**
 * The presignature store: durable, single-use ECDSA presignatures over the ShareStore port
 * (specs/ecdsa.md §1.5 S0 and §1.7; DESIGN.md invariant 4, "a presignature is used at most once, across
 * crashes and restarts").
 *
 * One record per presignature, `<prefix>/<presigId>`, rewritten atomically (ShareStore.put) on each
 * state change, and deleted when the presignature is used up:
 *
 *   unused ──consume(h)──▶ consumed(h) ──finish──▶ (record deleted: secret shares erased)
 *
 * `consume(presigId, h)` durably records "consumed for h" BEFORE it returns the secret shares, so a
 * share can only ever be computed for h. Asked again:
 *   - with the same h, while consumed: returns the same presignature again. The share s_j is a
 *     deterministic function of (presignature, h), so this re-sends the identical value (what a signer
 *     does after a crash between "consumed" and "share sent"); it can never yield a second, different
 *     share, hence never a second signature;
 *   - with another digest, while consumed: ConsumedError;
 *   - once finished, or unknown, or dropped: PresignatureNotFoundError.
 * A presignature is never reused after an abort either: only `finish` or an epoch drop end its record.
 *
 * Why `finish` deletes instead of keeping a "spent" tombstone: once the secret shares are gone, a
 * tombstone could only refuse the id again, which an absent record does too (PresignatureNotFoundError),
 * while tombstones would grow every signer's store by one file per signature until the key's next epoch
 * (and make each epoch drop read them all). Nothing depends on an id never recurring: a presigning
 * session replayed under an old id (its coordinator picks the request id) draws fresh randomness at
 * every honest member, so it makes a new presignature with a new R, single-use like any other.
 * Records of the "spent" status written by earlier versions still decode, are refused, and are deleted
 * by `finish` or by the epoch drop.
 *
 * Atomicity: calls for one presigId are serialised inside this instance, and each state change is one
 * atomic `put`. One node process owns a store (two processes must not share one ShareStore), so records
 * of live presignatures (unused, consumed) are also kept decoded in memory, written through: the online
 * path reads no file and decrypts nothing; only the state changes touch the disk.
 *
 * Epochs: presignatures are bound to the key's epoch (σ_j = ρ_j·x_j uses that epoch's share).
 * `dropEpochsBefore(keyId, epoch)` deletes every record of older epochs and refuses to add them again.
 */
import { ByteWriter, decodeWith } from "../protocol/codec.js";
import { ConsumedError, DecodeError, ParameterError } from "../protocol/errors.js";
import { bytesEqual, bytesToHex, utf8ToBytes } from "../crypto/index.js";
import {
  assertPresigId,
  decodePresignature,
  encodePresignature,
  presignaturePublic,
  type Presignature,
  type PresignaturePublic,
} from "../protocols/ecdsa/presign/presignature.js";
import { startSignShare, type ConsumedPresignature } from "../protocols/ecdsa/sign/share.js";
import { startSignAgreement } from "../protocols/ecdsa/sign/agree.js";
import type { SignRequest } from "../protocols/ecdsa/sign/request.js";
import type { SignMessage } from "../protocols/ecdsa/sign/messages.js";
import type { EcdsaSignature } from "../protocols/ecdsa/sign/combine.js";
import type { Start } from "../protocol/round.js";
import type { ShareStore } from "./ports.js";

/** The presignature is not (or no longer) held here: unknown, dropped with its epoch, or erased. */
export class PresignatureNotFoundError extends ConsumedError {}

export type PresignatureStatus = "unused" | "consumed" | "spent";

export interface PresignatureState {
  readonly status: PresignatureStatus;
  readonly keyId: string;
  readonly epoch: number;
  /** The digest it was consumed for (consumed, spent). */
  readonly digest?: Uint8Array;
  /** The public part (unused, consumed). */
  readonly public?: PresignaturePublic;
}

const RECORD_VERSION = 1;
const STATUS_CODES: Record<PresignatureStatus, number> = { unused: 0, consumed: 1, spent: 2 };
const STATUS_NAMES: PresignatureStatus[] = ["unused", "consumed", "spent"];

interface StoredRecord {
  readonly status: PresignatureStatus;
  readonly keyId: string;
  readonly epoch: number;
  readonly digest?: Uint8Array;
  readonly presignature?: Presignature;
}

/**
 * Encoded bodies of the presignatures this process read or wrote. Presignatures are immutable, and a
 * status change rewrites the record: keeping the body's bytes spares re-encoding its points (two field
 * inversions) on every consume.
 */
const encodedBodies = new WeakMap<Presignature, Uint8Array>();

function presignatureBytes(p: Presignature): Uint8Array {
  let bytes = encodedBodies.get(p);
  if (!bytes) {
    bytes = encodePresignature(p);
    encodedBodies.set(p, bytes);
  }
  return bytes;
}

function encodeRecord(rec: StoredRecord): Uint8Array {
  const w = new ByteWriter().u8(RECORD_VERSION).u8(STATUS_CODES[rec.status]).string(rec.keyId).u64(rec.epoch);
  if (rec.status !== "unused") w.fixed(rec.digest!, 32);
  if (rec.status !== "spent") w.bytes(presignatureBytes(rec.presignature!));
  return w.finish();
}

function decodeRecord(bytes: Uint8Array): StoredRecord {
  return decodeWith(bytes, (r) => {
    const version = r.u8();
    if (version !== RECORD_VERSION) throw new DecodeError(`presignature record version ${version}`);
    const status = STATUS_NAMES[r.u8()];
    if (!status) throw new DecodeError("presignature record: unknown status");
    const keyId = r.string(256);
    const epoch = r.u64();
    const digest = status !== "unused" ? r.fixed(32, "digest") : undefined;
    const body = status !== "spent" ? r.bytes(4096).slice() : undefined;
    const presignature = body ? decodePresignature(body) : undefined;
    if (presignature) encodedBodies.set(presignature, body!);
    if (presignature && (presignature.keyId !== keyId || presignature.epoch !== epoch)) {
      throw new DecodeError("presignature record: header does not match body");
    }
    return { status, keyId, epoch, digest, presignature };
  });
}

export class PresignatureStore {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Write-through copies of the live (unused or consumed) records. */
  private readonly live = new Map<string, StoredRecord>();

  /** `prefix` namespaces the records inside the ShareStore (one store may hold other secrets too). */
  constructor(
    private readonly store: ShareStore,
    private readonly prefix = "ecdsa-presig",
  ) {}

  private key(presigId: string): string {
    assertPresigId(presigId);
    return `${this.prefix}/${presigId}`;
  }

  private floorKey(keyId: string): string {
    return `${this.prefix}-epoch-floor/${bytesToHex(utf8ToBytes(keyId))}`;
  }

  /** Runs `fn` after every earlier call for the same presigId has settled (per-id serialisation). */
  private async locked<T>(presigId: string, fn: () => Promise<T>): Promise<T> {
    const prior = this.locks.get(presigId) ?? Promise.resolve();
    const run = prior.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(presigId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(presigId) === tail) this.locks.delete(presigId);
    }
  }

  private async read(presigId: string): Promise<StoredRecord | null> {
    const cached = this.live.get(presigId);
    if (cached) return cached;
    const bytes = await this.store.get(this.key(presigId));
    const rec = bytes === null ? null : decodeRecord(bytes);
    if (rec && rec.status !== "spent") this.live.set(presigId, rec);
    return rec;
  }

  /** Writes a live (unused or consumed) record durably, then updates the in-memory copy. */
  private async write(presigId: string, rec: StoredRecord): Promise<void> {
    await this.store.put(this.key(presigId), encodeRecord(rec));
    this.live.set(presigId, rec);
  }

  private async remove(presigId: string, durable = true): Promise<void> {
    this.live.delete(presigId);
    await this.store.delete(this.key(presigId), { durable });
  }

  private async epochFloor(keyId: string): Promise<number> {
    const bytes = await this.store.get(this.floorKey(keyId));
    return bytes === null ? 0 : decodeWith(bytes, (r) => r.u64());
  }

  /** Stores fresh presignatures as unused. Refuses ids held here and presignatures of dropped epochs. */
  async add(presignatures: readonly Presignature[]): Promise<void> {
    for (const p of presignatures) {
      await this.locked(p.presigId, async () => {
        if ((await this.read(p.presigId)) !== null) {
          throw new ParameterError(`presignature ${p.presigId} is already stored`);
        }
        if (p.epoch < (await this.epochFloor(p.keyId))) {
          throw new ParameterError(`presignature of dropped epoch ${p.epoch}`);
        }
        await this.write(p.presigId, { status: "unused", keyId: p.keyId, epoch: p.epoch, presignature: p });
      });
    }
  }

  /** Status and public data of one presignature (no secrets), or null if not held. */
  async state(presigId: string): Promise<PresignatureState | null> {
    const rec = await this.locked(presigId, () => this.read(presigId));
    if (!rec) return null;
    return {
      status: rec.status,
      keyId: rec.keyId,
      epoch: rec.epoch,
      digest: rec.digest?.slice(),
      public: rec.presignature ? presignaturePublic(rec.presignature) : undefined,
    };
  }

  /**
   * Durably marks the presignature consumed for `digest`, then returns it (see the header for repeated
   * calls). `expect` also refuses a presignature of another key or epoch.
   */
  async consume(
    presigId: string,
    digest: Uint8Array,
    expect?: { readonly keyId: string; readonly epoch: number },
  ): Promise<ConsumedPresignature> {
    if (!(digest instanceof Uint8Array) || digest.length !== 32)
      throw new ParameterError("digest expected 32 bytes");
    const consumedFor = digest.slice();
    return this.locked(presigId, async () => {
      const rec = await this.read(presigId);
      if (!rec) throw new PresignatureNotFoundError(`presignature ${presigId} is not held here`);
      if (expect && (rec.keyId !== expect.keyId || rec.epoch !== expect.epoch)) {
        throw new PresignatureNotFoundError(`presignature ${presigId} belongs to another key or epoch`);
      }
      if (rec.status !== "unused" && !bytesEqual(rec.digest!, consumedFor)) {
        throw new ConsumedError(`presignature ${presigId} was already consumed for another digest`);
      }
      if (rec.status === "spent") {
        throw new PresignatureNotFoundError(`presignature ${presigId} was used and erased`);
      }
      if (rec.status === "unused") {
        await this.write(presigId, { ...rec, status: "consumed", digest: consumedFor });
      }
      return { presignature: rec.presignature!, consumedFor };
    });
  }

  /** Erases a consumed presignature: its record, secret shares included, is deleted (see the header). */
  async finish(presigId: string): Promise<void> {
    await this.locked(presigId, async () => {
      const rec = await this.read(presigId);
      if (!rec) return;
      if (rec.status === "unused") throw new ParameterError("finish: presignature was never consumed");
      // Not fsynced: a crash that loses this deletion leaves the consumed record, which is as safe (refused
      // for any other digest) — and the erase does not queue behind the next signature's durable writes.
      await this.remove(presigId, false);
    });
  }

  /** Deletes an UNUSED presignature (e.g. its presigning session aborted elsewhere). */
  async discard(presigId: string): Promise<void> {
    await this.locked(presigId, async () => {
      const rec = await this.read(presigId);
      if (rec && rec.status !== "unused") throw new ConsumedError("discard: presignature was consumed");
      if (rec) await this.remove(presigId);
    });
  }

  /** Ids of unused presignatures of `keyId` at `epoch`, sorted. */
  async unused(keyId: string, epoch: number): Promise<string[]> {
    const out: string[] = [];
    for (const id of await this.ids()) {
      const st = await this.state(id);
      if (st && st.status === "unused" && st.keyId === keyId && st.epoch === epoch) out.push(id);
    }
    return out;
  }

  /**
   * Deletes every record (unused, consumed, or spent by an earlier version) of `keyId` with an epoch
   * below `epoch` and refuses to add such presignatures later. Returns how many records were deleted.
   */
  async dropEpochsBefore(keyId: string, epoch: number): Promise<number> {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new ParameterError("epoch out of range");
    if (epoch > (await this.epochFloor(keyId))) {
      await this.store.put(this.floorKey(keyId), new ByteWriter().u64(epoch).finish());
    }
    let dropped = 0;
    for (const id of await this.ids()) {
      await this.locked(id, async () => {
        const rec = await this.read(id);
        if (rec && rec.keyId === keyId && rec.epoch < epoch) {
          await this.remove(id);
          dropped++;
        }
      });
    }
    return dropped;
  }

  private async ids(): Promise<string[]> {
    const keys = await this.store.list(`${this.prefix}/`);
    return keys.map((k) => k.slice(this.prefix.length + 1)).filter((id) => /^[0-9a-f]{64}$/.test(id));
  }
}

// ---- signer-side steps of online signing, in the only safe order --------------------------------

export interface SigningKey {
  readonly keyId: string;
  readonly degree: number;
  /** The key's current epoch. */
  readonly epoch: number;
}

/**
 * S0 at one signer: refuses a request whose presignature is not held here, belongs to another key or
 * epoch, or was already consumed for another digest; otherwise starts the echo round.
 */
export async function startSignAgreementFromStore(
  store: PresignatureStore,
  request: SignRequest,
  key: SigningKey,
  self: number,
): Promise<Start<SignMessage, SignRequest>> {
  const state = await store.state(request.presigId);
  if (!state?.public || state.keyId !== key.keyId || state.epoch !== key.epoch) {
    throw new PresignatureNotFoundError(`presignature ${request.presigId} is not available here`);
  }
  if (state.digest && !bytesEqual(state.digest, request.digest)) {
    throw new ConsumedError(`presignature ${request.presigId} was already consumed for another digest`);
  }
  return startSignAgreement({ request, presignature: state.public, degree: key.degree, self });
}

/**
 * S1 at one signer, after agreement: durably marks the presignature consumed for the request's digest,
 * and only then computes the share and the combine round (the share leaves with the returned outgoing
 * messages). Call `store.finish(presigId)` when the session ends, whatever its outcome.
 */
export async function startSignShareFromStore(
  store: PresignatureStore,
  agreed: SignRequest,
  key: SigningKey,
): Promise<Start<SignMessage, EcdsaSignature | null>> {
  const consumed = await store.consume(agreed.presigId, agreed.digest, {
    keyId: key.keyId,
    epoch: key.epoch,
  });
  return startSignShareFromConsumed(consumed, agreed, key);
}

/**
 * S1 for a signer that consumed the presignature *before* the agreement finished (the node overlaps the
 * durable write with the echo round; nothing is released by either): the share is computed only if the
 * agreed request names the presignature and the digest it was consumed for.
 */
export function startSignShareFromConsumed(
  consumed: ConsumedPresignature,
  agreed: SignRequest,
  key: SigningKey,
): Start<SignMessage, EcdsaSignature | null> {
  if (
    consumed.presignature.presigId !== agreed.presigId ||
    !bytesEqual(consumed.consumedFor, agreed.digest)
  ) {
    throw new ConsumedError(`presignature ${agreed.presigId} was consumed for another request`);
  }
  return startSignShare({ request: agreed, consumed, degree: key.degree, keyEpoch: key.epoch });
}
