/**
 * Pre-published FROST nonces (DESIGN.md §3 "Sign": one round with pre-published nonce commitments;
 * invariant 4: a nonce is used at most once, across crashes and restarts).
 *
 * Member side, `FrostNoncePool`: generates nonce pairs ahead of time, stores each one (secret included)
 * through the ShareStore port (encrypted at rest, atomic writes) under
 * `frost-nonces/<keyId>/<epoch>/<member>/<nonceId>`, and returns the public commitments as a
 * NonceCommitmentBatch for exactly one coordinator: a nonce is bound to the coordinator it was published
 * to, so two coordinators never race for it. When that coordinator's sign request names one, `consume`
 * durably overwrites the record with a tombstone that no longer holds the secret and only then hands
 * the nonces out. A crash before the tombstone is written leaves an unused nonce that never produced a
 * share; a crash after it leaves a used nonce. Either way no nonce can sign twice. Inside one process a
 * nonce id is claimed synchronously before any await, so two concurrent requests cannot both pass.
 *
 * Coordinator side, `CommitmentBook`: keeps the commitments members published to this coordinator and
 * hands each one out once (in memory: a coordinator that restarts asks for fresh batches; signers refuse
 * anything already used).
 */
import { defaultRng, wipe, type Rng } from "../crypto/index.js";
import { ByteReader, ByteWriter, decodeWith } from "../protocol/codec.js";
import { ConsumedError, DecodeError, InvalidMessageError, ParameterError } from "../protocol/errors.js";
import type { KeyPublic, KeyShare } from "../protocol/key-share.js";
import type { Outgoing } from "../protocol/round.js";
import {
  MAX_COMMITMENT_BATCH,
  SigningNonces,
  assertFrostKey,
  assertValidPoint,
  nonceId,
  sameCommitment,
  sessionFromSignRequest,
  computeSignatureShare,
  validateSignRequest,
  type FrostMessage,
  type FrostSession,
  type NonceCommitment,
  type NonceCommitmentBatch,
} from "../protocols/frost/index.js";
import type { ShareStore } from "./ports.js";

const RECORD_VERSION = 1;
const UNUSED = 1;
const USED = 2;

interface NonceRecord {
  readonly keyId: string;
  readonly epoch: number;
  readonly member: number;
  /** The only coordinator allowed to use this nonce (the member itself for its own sessions). */
  readonly coordinator: number;
  readonly commitment: NonceCommitment;
  /** Present only while unused. */
  readonly secret?: { hiding: Uint8Array; binding: Uint8Array };
}

function encodeRecord(r: NonceRecord): Uint8Array {
  const w = new ByteWriter()
    .u8(RECORD_VERSION)
    .u8(r.secret ? UNUSED : USED)
    .string(r.keyId)
    .u64(r.epoch)
    .u16(r.member)
    .u16(r.coordinator)
    .point(r.commitment.hiding)
    .point(r.commitment.binding);
  if (r.secret) w.fixed(r.secret.hiding, 32).fixed(r.secret.binding, 32);
  return w.finish();
}

function decodeRecord(bytes: Uint8Array): NonceRecord {
  return decodeWith(bytes, (r: ByteReader) => {
    if (r.u8() !== RECORD_VERSION) throw new DecodeError("unknown nonce record version");
    const state = r.u8();
    if (state !== UNUSED && state !== USED) throw new DecodeError("unknown nonce record state");
    const keyId = r.string(256);
    const epoch = r.u64();
    const member = r.u16();
    const coordinator = r.u16();
    const commitment = { hiding: r.point(), binding: r.point() };
    const secret = state === UNUSED ? { hiding: r.fixed(32), binding: r.fixed(32) } : undefined;
    return { keyId, epoch, member, coordinator, commitment, secret };
  });
}

/** State and coordinator of a record, read without decoding its points (for scans). */
function readRecordHeader(bytes: Uint8Array): { unused: boolean; coordinator: number } {
  const r = new ByteReader(bytes);
  if (r.u8() !== RECORD_VERSION) throw new DecodeError("unknown nonce record version");
  const unused = r.u8() === UNUSED;
  r.string(256);
  r.u64();
  r.u16();
  return { unused, coordinator: r.u16() };
}

export class FrostNoncePool {
  private readonly store: ShareStore;
  private readonly keyShare: KeyShare;
  /** Nonce ids this process has claimed (consumed or being consumed). */
  private readonly claimed = new Set<string>();
  /** Storage key prefix of this member's nonces for this key and epoch. */
  readonly prefix: string;

  constructor(opts: { store: ShareStore; keyShare: KeyShare }) {
    assertFrostKey(opts.keyShare.public);
    this.store = opts.store;
    this.keyShare = opts.keyShare;
    const { keyId, epoch } = opts.keyShare.public;
    this.prefix = `frost-nonces/${encodeURIComponent(keyId)}/${epoch}/${opts.keyShare.self}/`;
  }

  /**
   * Generates `count` nonce pairs for `coordinator` (this member's own id for the sessions it
   * coordinates), stores each durably, and returns the batch to send to that coordinator only. Nonces
   * are drawn with the RFC 9591 suite's H3 and serve either variant (see nonces.ts).
   */
  async generate(count: number, opts: { coordinator: number; rng?: Rng }): Promise<NonceCommitmentBatch> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_COMMITMENT_BATCH) {
      throw new ParameterError(`count must be 1..${MAX_COMMITMENT_BATCH}, got ${count}`);
    }
    const { keyId, epoch, participants } = this.keyShare.public;
    const { coordinator } = opts;
    if (!participants.includes(coordinator))
      throw new ParameterError(`coordinator ${coordinator} is not a member`);
    const member = this.keyShare.self;
    const commitments: NonceCommitment[] = [];
    for (let i = 0; i < count; i++) {
      const nonces = SigningNonces.generate(this.keyShare, "rfc9591", opts.rng ?? defaultRng);
      const secret = nonces.exportSecret();
      nonces.erase();
      const record: NonceRecord = {
        keyId,
        epoch,
        member,
        coordinator,
        commitment: nonces.commitment,
        secret,
      };
      try {
        await this.store.put(this.prefix + nonces.id, encodeRecord(record));
      } finally {
        wipe(secret.hiding, secret.binding);
      }
      commitments.push(nonces.commitment);
    }
    return { keyId, epoch, member, coordinator, commitments };
  }

  /** Number of stored nonce pairs not yet used (only those published to `coordinator`, if given). */
  async available(coordinator?: number): Promise<number> {
    let n = 0;
    for await (const { header } of this.unused()) {
      if (coordinator === undefined || header.coordinator === coordinator) n++;
    }
    return n;
  }

  /** Unused records of this pool, in storage order, parsed only as far as their header. */
  private async *unused(): AsyncGenerator<{
    key: string;
    bytes: Uint8Array;
    header: { coordinator: number };
  }> {
    for (const key of await this.store.list(this.prefix)) {
      if (this.claimed.has(key.slice(this.prefix.length))) continue;
      const bytes = await this.store.get(key);
      if (!bytes) continue;
      const header = readRecordHeader(bytes);
      if (header.unused) yield { key, bytes, header };
    }
  }

  /**
   * The nonces committed to by `commitment`, for a session coordinated by `coordinator`, at most once
   * ever: the record is durably marked used (its secret overwritten) before this resolves. Throws
   * ConsumedError if the nonce is unknown, already used, or being used by a concurrent call, and
   * InvalidMessageError naming `coordinator` (the nonce stays unused) if it was published to another one.
   */
  async consume(commitment: NonceCommitment, coordinator: number): Promise<SigningNonces> {
    const id = nonceId(commitment);
    if (this.claimed.has(id)) throw new ConsumedError(`nonce ${id} was already used`);
    this.claimed.add(id);
    const bytes = await this.store.get(this.prefix + id);
    if (!bytes) throw new ConsumedError(`nonce ${id} is unknown or was pruned after use`);
    const record = decodeRecord(bytes);
    const { keyId, epoch } = this.keyShare.public;
    if (record.keyId !== keyId || record.epoch !== epoch || record.member !== this.keyShare.self) {
      throw new ParameterError(`nonce record ${id} belongs to another key, epoch or member`);
    }
    if (!sameCommitment(record.commitment, commitment)) {
      throw new ParameterError(`nonce record ${id} holds another commitment`);
    }
    if (!record.secret) throw new ConsumedError(`nonce ${id} was already used`);
    if (record.coordinator !== coordinator) {
      this.claimed.delete(id); // untouched: the coordinator it was published to may still use it
      throw new InvalidMessageError(
        coordinator,
        `nonce ${id} was published to coordinator ${record.coordinator}, not ${coordinator}`,
        false,
      );
    }
    const { hiding, binding } = record.secret;
    const nonces = SigningNonces.restore(record.member, hiding, binding, record.commitment);
    wipe(hiding, binding);
    try {
      await this.store.put(this.prefix + id, encodeRecord({ ...record, secret: undefined }));
    } catch (error) {
      nonces.erase();
      throw error;
    }
    return nonces;
  }

  /**
   * Consumes one unused nonce pair this member generated for its own sessions (coordinator = itself), or
   * returns null when none is left.
   */
  async consumeNext(): Promise<SigningNonces | null> {
    const self = this.keyShare.self;
    for await (const { bytes, header } of this.unused()) {
      if (header.coordinator !== self) continue;
      try {
        return await this.consume(decodeRecord(bytes).commitment, self);
      } catch (error) {
        if (!(error instanceof ConsumedError)) throw error;
      }
    }
    return null;
  }

  /**
   * One-round signing at this member: checks the coordinator's sign request (and `approve`, e.g. a
   * policy check that throws PolicyError), consumes the pooled nonce the request names, and returns the
   * signature share to send back. Throws InvalidMessageError naming `from` for a bad request (the nonce
   * stays unused), ConsumedError if the named nonce was used before.
   */
  async respond(
    from: number,
    request: FrostMessage,
    opts: { approve?: (session: FrostSession) => void | Promise<void> } = {},
  ): Promise<{ session: FrostSession; outgoing: readonly Outgoing<FrostMessage>[] }> {
    const self = this.keyShare.self;
    const session = sessionFromSignRequest(this.keyShare.public, from, request);
    if (request.type !== "sign-request") throw new InvalidMessageError(from, "not a sign request", false);
    const own = request.commitments.find((c) => c.member === self);
    if (!own)
      throw new InvalidMessageError(from, `sign request from ${from} lacks member ${self}'s commitment`);
    validateSignRequest(session, self, own, from, request);
    await opts.approve?.(session);
    const nonces = await this.consume(own, from);
    // Same computation as the pooled signer round (startPooledFrostSigner), on the request just checked.
    const share = computeSignatureShare(this.keyShare, session, nonces, request);
    const message: FrostMessage = { type: "signature-share", sessionId: session.sessionId, share };
    return { session, outgoing: [{ to: from, message }] };
  }

  /** Deletes tombstones of used nonces (a deleted nonce is refused as unknown). Returns how many. */
  async prune(): Promise<number> {
    let n = 0;
    for (const key of await this.store.list(this.prefix)) {
      const bytes = await this.store.get(key);
      if (bytes && !readRecordHeader(bytes).unused) {
        await this.store.delete(key);
        n++;
      }
    }
    return n;
  }
}

/** Coordinator side: commitments members published to this coordinator, each handed out at most once. */
export class CommitmentBook {
  private readonly queues = new Map<number, NonceCommitment[]>();
  /** Every commitment id ever accepted, so a replayed batch cannot re-issue a commitment. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly key: KeyPublic,
    /** This coordinator's member id. */
    readonly self: number,
  ) {
    assertFrostKey(key);
  }

  /**
   * Accepts a batch received from member `from`. Throws InvalidMessageError naming `from`: blamed if the
   * batch claims another member or holds invalid points; not blamed if it is for another coordinator,
   * key or epoch (it may be stale or misrouted). Commitments already seen are ignored. Returns how many
   * were added.
   */
  add(from: number, batch: NonceCommitmentBatch): number {
    if (batch.member !== from) {
      throw new InvalidMessageError(from, `member ${from} published commitments as ${batch.member}`);
    }
    if (!this.key.participants.includes(from)) {
      throw new InvalidMessageError(from, `member ${from} holds no share of this key`, false);
    }
    if (batch.coordinator !== this.self) {
      throw new InvalidMessageError(
        from,
        `commitments from ${from} are for coordinator ${batch.coordinator}`,
        false,
      );
    }
    if (batch.keyId !== this.key.keyId || batch.epoch !== this.key.epoch) {
      throw new InvalidMessageError(from, `commitments from ${from} are for another key or epoch`, false);
    }
    if (batch.commitments.length > MAX_COMMITMENT_BATCH) {
      throw new InvalidMessageError(from, "commitment batch too large");
    }
    for (const c of batch.commitments) {
      assertValidPoint(from, c.hiding, "published hiding commitment");
      assertValidPoint(from, c.binding, "published binding commitment");
    }
    const queue = this.queues.get(from) ?? [];
    let added = 0;
    for (const c of batch.commitments) {
      const id = nonceId(c);
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      queue.push({ hiding: c.hiding, binding: c.binding });
      added++;
    }
    this.queues.set(from, queue);
    return added;
  }

  available(member: number): number {
    return this.queues.get(member)?.length ?? 0;
  }

  /** Removes and returns one commitment of `member`, or undefined if none is left. */
  take(member: number): NonceCommitment | undefined {
    return this.queues.get(member)?.shift();
  }

  /**
   * One commitment for each of `members` (all or nothing), or null if any of them has none left. The
   * coordinator's own id is left out: it consumes from its own FrostNoncePool (`consumeNext`).
   */
  takeFor(members: readonly number[]): Map<number, NonceCommitment> | null {
    if (members.some((m) => this.available(m) === 0)) return null;
    return new Map(members.map((m) => [m, this.take(m)!] as const));
  }
}
