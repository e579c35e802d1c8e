/**
 * Threshold ECDSA in the node (specs/ecdsa.md; DESIGN.md §3 "Sign").
 *
 * Presigning: the coordinator of a key keeps a pool of presignatures for one signer set S (itself and 2t
 * other online members, exactly 2t+1: §1.7), refilled in the background by presigning sessions it
 * coordinates. Every member of S stores its presignature shares durably (runner/presignatures.ts).
 *
 * Signing: the coordinator takes a presignature, and invites S with the *payload* (not a bare digest):
 * each signer computes the digest itself from the payload, checks policy, runs the agreement round (the
 * other signers echo H(request) — key, epoch, presignature, S, combiner, digest — to each other; the
 * coordinator's signed invite is its own echo: protocols/ecdsa/sign/agree.ts) and sends its share, to the
 * coordinator only, once the echoes match AND the presignature is durably marked consumed for that
 * digest AND its policy decision is in the audit log. The two disk writes run alongside the echo round
 * (neither releases anything), so the online latency is one write, not three rounds of them; the price
 * is that an agreement that fails burns the presignature, which is single-use anyway. The coordinator
 * combines, verifies (low-s, recovery id) and returns the signature. Secret shares are erased in the
 * background after.
 */
import { Transaction, getBytes, hexlify } from "ethers";
import { UnavailableError } from "../adapters/api/errors.js";
import type { Hex, SignPayload, SignResult } from "../client/types.js";
import { bytesToHex, randomBytesHex } from "./util-bytes.js";
import { ByteWriter, decodeWith } from "../protocol/codec.js";
import { ConsumedError, RoundTimeoutError, ShardlessError, VerificationError } from "../protocol/errors.js";
import { quorum, type KeyShare } from "../protocol/key-share.js";
import {
  presignCodec,
  presignSessionId,
  signCodec,
  signSessionId,
  startPresign,
  type ConsumedPresignature,
  type EcdsaSignature,
  type SignRequest,
} from "../protocols/ecdsa/index.js";
import { assembleSignature } from "../ethereum/signature.js";
import { parseSignIntent } from "../policy/approvals/intent.js";
import { PresignPool } from "../runner/presign-pool.js";
import {
  PresignatureStore,
  startSignAgreementFromStore,
  startSignShareFromConsumed,
} from "../runner/presignatures.js";
import type { NodeContext } from "./context.js";
import { DeclinedError, InviteUndeliveredError, type Invitations } from "./invites.js";
import type { Invite } from "./invite.js";
import type { SignGate } from "./sign-gate.js";
import { awaitKey, onlineMembers, requireKey } from "./keys-util.js";
import { savePool, takeSavedPools } from "./saved-pools.js";

interface Pooled {
  readonly presigId: string;
  readonly epoch: number;
}

interface KeyPool {
  readonly signers: readonly number[];
  readonly pool: PresignPool<Pooled>;
}

/** Ready presignatures a previous run of this node kept for one key (saved-pools.ts). */
interface RestoredPool {
  readonly signers: readonly number[];
  readonly items: readonly Pooled[];
}

/** The digest an ecdsa key signs for a request; every signer recomputes it from the payload. */
export function ecdsaDigest(payload: SignPayload): Uint8Array {
  const intent = parseSignIntent(payload, { scheme: "ecdsa" });
  return getBytes(intent.digest);
}

export interface EcdsaOptions {
  /** Presignatures kept ready per key (0: presign on demand). */
  readonly poolDepth: number;
  /** Presignatures made per presigning session. @default min(poolDepth, 16) */
  readonly batchSize?: number;
}

export class EcdsaService {
  private readonly presignatures: PresignatureStore;
  private readonly pools = new Map<string, KeyPool>();
  /** Pools kept by the last graceful stop, until their key's pool is made (or they are dropped). */
  private readonly restored = new Map<string, RestoredPool>();
  /** `start` has run: pools may be made in the background (they must see the restored ones first). */
  private started = false;

  constructor(
    private readonly ctx: NodeContext,
    private readonly invitations: Invitations,
    private readonly opts: EcdsaOptions,
    private readonly gate: SignGate,
  ) {
    this.presignatures = new PresignatureStore(ctx.store, "presignatures");
    invitations.handle("ecdsa-presign", (invite) => this.participatePresign(invite));
    invitations.handle("ecdsa-sign", (invite) => this.participateSign(invite));
  }

  // ---- presigning ------------------------------------------------------------------------------

  /** Runs one presigning session as coordinator for S; stores our shares; returns the ids. */
  private async presign(keyId: string, signers: readonly number[], batch: number): Promise<Pooled[]> {
    const { groupId, share } = requireKey(this.ctx, keyId, "ecdsa");
    const requestId = `presign-${randomBytesHex(16)}`;
    const invite: Invite = {
      kind: "ecdsa-presign",
      groupId,
      keyId,
      epoch: share.public.epoch,
      requestId,
      participants: signers,
      coordinator: share.self,
      params: new ByteWriter().u32(batch).finish(),
    };
    const sessionId = presignSessionId({ keyId, epoch: share.public.epoch, signers, batch, requestId });
    const t0 = this.ctx.clock.now();
    const presigs = await this.invitations.coordinate(
      invite,
      presignCodec,
      () => startPresign({ share, signers, batch, sessionId }),
      sessionId,
    );
    await this.presignatures.add(presigs);
    this.ctx.metrics.recordSession("ecdsa-presign", "ok", (this.ctx.clock.now() - t0) / 1000);
    return presigs.map((p) => ({ presigId: p.presigId, epoch: p.epoch }));
  }

  private async participatePresign(invite: Invite): Promise<void> {
    const { share } = await awaitKey(this.ctx, invite.keyId, "ecdsa", invite.epoch);
    const batch = decodeWith(invite.params, (r) => r.u32());
    const sessionId = presignSessionId({
      keyId: invite.keyId,
      epoch: invite.epoch,
      signers: invite.participants,
      batch,
      requestId: invite.requestId,
    });
    const presigs = await this.invitations.run(invite, sessionId, presignCodec, () =>
      startPresign({ share, signers: invite.participants, batch, sessionId }),
    );
    await this.presignatures.add(presigs);
  }

  /**
   * The pool for `keyId`, for a signer set whose members are all online now (made anew if needed). A
   * pool restored from the last run keeps its signer set; in the background (`background`) its making
   * waits until that whole set is online, while a signature waiting for it takes the members online now.
   */
  private poolFor(keyId: string, share: KeyShare, groupId: string, background = false): KeyPool | undefined {
    const online = onlineMembers(this.ctx, groupId).filter((id) => share.public.participants.includes(id));
    const existing = this.pools.get(keyId);
    if (existing && existing.signers.every((id) => online.includes(id))) {
      // `share` may be a request's snapshot older than an epoch switch since: never move the pool back.
      if (share.public.epoch > existing.pool.epoch) existing.pool.setEpoch(share.public.epoch);
      return existing;
    }
    const need = quorum("ecdsa", share.public.degree);
    const others = online.filter((id) => id !== share.self);
    if (others.length + 1 < need) {
      throw new UnavailableError(
        `ecdsa key ${keyId} needs ${need} members online, ${others.length + 1} are`,
        others.length + 1,
        need,
      );
    }
    let signers = [share.self, ...others.slice(0, need - 1)].sort((a, b) => a - b);
    let ready: readonly Pooled[] = [];
    const restored = this.restored.get(keyId);
    if (restored) {
      const usable =
        restored.signers.length === need &&
        restored.signers.every((id) => online.includes(id)) &&
        restored.items.every((p) => p.epoch === share.public.epoch);
      if (!usable && background) return undefined; // wait for the restored set's members to connect
      this.restored.delete(keyId);
      if (usable) {
        signers = [...restored.signers];
        ready = restored.items;
      } else {
        this.discardOwn(restored.items);
      }
    }
    existing?.pool.stop();
    const depth = Math.max(1, this.opts.poolDepth);
    const pool = new PresignPool<Pooled>({
      depth,
      batchSize: this.opts.batchSize ?? Math.min(depth, 16),
      // Refill in full batches from half depth: not one presigning session beside every signature.
      lowWater: Math.floor(depth / 2),
      epoch: share.public.epoch,
      presign: (batch, epoch) => {
        // The registry may be ahead of the share held here (a refresh or reshare not yet installed):
        // presign only with the share of the pool's epoch; otherwise fail, and the pool backs off.
        const current = this.ctx.keys.get(keyId)?.share.public.epoch;
        if (current !== epoch) {
          return Promise.reject(new UnavailableError(`ecdsa key ${keyId}: share of epoch ${epoch} not held`));
        }
        return this.presign(keyId, signers, batch);
      },
      onDrop: (dropped) => this.discardOwn(dropped),
      ready,
      clock: this.ctx.clock,
      logger: this.ctx.logger.child({ keyId, component: "presign-pool" }),
    });
    const entry = { signers, pool };
    this.pools.set(keyId, entry);
    if (this.opts.poolDepth > 0) pool.start();
    return entry;
  }

  /** Pool depth for status output. */
  poolDepth(keyId: string): number | undefined {
    return this.pools.get(keyId)?.pool.size;
  }

  /** Erases this member's copies of presignatures no pool will offer again. */
  private discardOwn(dropped: readonly Pooled[]): void {
    void Promise.all(dropped.map((p) => this.presignatures.discard(p.presigId).catch(() => {})));
  }

  /**
   * Takes back the pools the last graceful stop kept (`stop`), then starts background presigning for
   * every ecdsa key. A restarted coordinator thus signs at once with the presignatures it had, and its
   * co-signers' shares of them are not left orphaned until the key's next epoch.
   */
  async start(): Promise<void> {
    try {
      for (const [keyId, ids] of await takeSavedPools(this.ctx.store, this.ctx.logger)) {
        const restored = await this.restorable(keyId, ids);
        if (!restored) continue;
        this.restored.set(keyId, restored);
        this.ctx.logger.info({ keyId, presignatures: restored.items.length }, "presignature pool restored");
      }
    } catch (e) {
      this.ctx.logger.warn(
        { error: errorName(e) },
        "saved presignature pools could not be read; presigning anew",
      );
    }
    this.started = true;
    this.warmUp();
  }

  /**
   * The saved presignatures still worth offering for `keyId`: held here unused, at the epoch of the
   * share held now, all for one signer set. This key's unused ones that fail that are erased here.
   */
  private async restorable(keyId: string, ids: readonly string[]): Promise<RestoredPool | undefined> {
    const held = this.ctx.keys.get(keyId)?.share.public;
    let signers: readonly number[] | undefined;
    const items: Pooled[] = [];
    const stale: Pooled[] = [];
    for (const presigId of ids) {
      const state = await this.presignatures.state(presigId).catch(() => null); // corrupt: not offered
      if (state?.status !== "unused" || !state.public || state.keyId !== keyId) continue;
      const set = state.public.signers;
      const fits =
        held?.scheme === "ecdsa" &&
        state.epoch === held.epoch &&
        (signers === undefined ||
          (set.length === signers.length && set.every((id, i) => id === signers![i])));
      const item = { presigId, epoch: state.epoch };
      if (!fits) {
        stale.push(item);
        continue;
      }
      signers ??= [...set];
      items.push(item);
    }
    this.discardOwn(stale);
    return signers && items.length > 0 ? { signers, items } : undefined;
  }

  /** Starts background presigning for every ecdsa key this node holds (called once the mesh is up). */
  warmUp(): void {
    if (this.opts.poolDepth <= 0 || !this.started) return;
    for (const held of this.ctx.keys.all()) {
      if (held.share.public.scheme !== "ecdsa") continue;
      try {
        this.poolFor(held.share.public.keyId, held.share, held.groupId, true);
      } catch {
        // not enough members online yet; the first sign request retries
      }
    }
  }

  /** A member's share of `keyId` was recovered: presignatures made with its lost share are useless. */
  forgetPool(keyId: string): void {
    this.pools.get(keyId)?.pool.stop();
    this.pools.delete(keyId);
    const restored = this.restored.get(keyId);
    this.restored.delete(keyId);
    if (restored) this.discardOwn(restored.items);
  }

  /** The key moved to `epoch`: presignatures of older epochs are erased (specs/ecdsa.md §1.7). */
  async onEpochAdvanced(keyId: string, epoch: number): Promise<void> {
    const pool = this.pools.get(keyId)?.pool;
    if (pool && epoch > pool.epoch) pool.setEpoch(epoch); // replayed events may be older: never go back
    if (this.restored.get(keyId)?.items.some((p) => p.epoch < epoch)) this.restored.delete(keyId);
    const dropped = await this.presignatures.dropEpochsBefore(keyId, epoch);
    if (dropped > 0) this.ctx.logger.info({ keyId, epoch, dropped }, "old-epoch presignatures erased");
  }

  /**
   * Stops presigning. The ready presignatures are kept, not erased: their ids are saved for the next
   * start (saved-pools.ts), and every co-signer keeps its shares of them.
   */
  async stop(): Promise<void> {
    const kept = new Map<string, readonly Pooled[]>();
    for (const [keyId, { pool }] of this.pools) kept.set(keyId, pool.stop({ keep: true }));
    this.pools.clear();
    for (const [keyId, restored] of this.restored) kept.set(keyId, restored.items); // never made this run
    this.restored.clear();
    this.started = false;
    for (const [keyId, items] of kept) {
      if (items.length === 0) continue;
      try {
        await savePool(
          this.ctx.store,
          keyId,
          items.map((p) => p.presigId),
        );
      } catch (e) {
        this.ctx.logger.warn({ keyId, error: errorName(e) }, "presignature pool not saved; erasing it");
        this.discardOwn(items);
      }
    }
  }

  // ---- signing ---------------------------------------------------------------------------------

  async sign(keyId: string, payload: SignPayload, requestId: string): Promise<SignResult> {
    const { groupId, share } = requireKey(this.ctx, keyId, "ecdsa");
    const digest = ecdsaDigest(payload);
    const sig = await this.signDigest(keyId, groupId, share, digest, payload, requestId);
    const assembled = assembleSignature(sig.r, sig.s, sig.recovery);
    const result: SignResult = {
      keyId,
      epoch: share.public.epoch,
      digest: hexlify(digest) as Hex,
      signature: assembled.hex as Hex,
      r: `0x${sig.r.toString(16).padStart(64, "0")}` as Hex,
      s: `0x${sig.s.toString(16).padStart(64, "0")}` as Hex,
      v: 27 + sig.recovery,
      yParity: sig.recovery,
    };
    if (payload.kind === "transaction") {
      const tx = Transaction.from(payload.transaction);
      tx.signature = assembled.signature;
      result.serialized = tx.serialized as Hex;
    }
    return result;
  }

  /** Signs a registry record digest; returns r ‖ s ‖ v (65 bytes). */
  async signRecord(keyId: string, digest: Uint8Array): Promise<Uint8Array> {
    const { groupId, share } = requireKey(this.ctx, keyId, "ecdsa");
    const payload: SignPayload = { kind: "digest", digest: `0x${bytesToHex(digest)}` as Hex };
    const sig = await this.signDigest(keyId, groupId, share, digest, payload, `record-${bytesToHex(digest)}`);
    return assembleSignature(sig.r, sig.s, sig.recovery).bytes;
  }

  private async signDigest(
    keyId: string,
    groupId: string,
    share: KeyShare,
    digest: Uint8Array,
    payload: SignPayload,
    requestId: string,
  ): Promise<EcdsaSignature> {
    const epoch = share.public.epoch;
    const { recorded } = await this.gate.admit({
      keyId,
      groupId,
      epoch,
      scheme: "ecdsa",
      payload,
      requestId,
      digest: hexlify(digest),
    });
    const t0 = this.ctx.clock.now();
    // A retry re-reads the key ring: the share may have moved to a new epoch since the first attempt.
    const attempt = (retry: boolean) => {
      const current = retry ? requireKey(this.ctx, keyId, "ecdsa").share : share;
      return this.signOnce({ keyId, groupId, share: current, digest, payload, requestId, recorded }, retry);
    };
    try {
      let sig: EcdsaSignature;
      try {
        sig = await attempt(false);
      } catch (e) {
        // Start over once, with a fresh pool of online signers and a fresh presignature, when a signer
        // declined (it no longer holds the pooled presignature: it restarted with a recovered share) or
        // became unreachable (the runner ends the session as soon as its connection drops, and an invite
        // may find it gone already).
        const unreachable =
          (e instanceof RoundTimeoutError && !e.missing.includes(share.self)) ||
          e instanceof InviteUndeliveredError;
        if (!(e instanceof DeclinedError) && !unreachable) throw e;
        this.ctx.logger.warn(
          { keyId, requestId, reason: e.code },
          "ecdsa signing retried with a fresh signer set",
        );
        this.forgetPool(keyId);
        sig = await attempt(true);
      }
      this.ctx.metrics.recordSession("ecdsa-sign", "ok", (this.ctx.clock.now() - t0) / 1000);
      return sig;
    } catch (e) {
      this.ctx.metrics.recordAbort(
        "ecdsa-sign",
        e instanceof ShardlessError ? e.code : "INTERNAL",
        e instanceof ShardlessError ? e.culprits : [],
      );
      throw e;
    }
  }

  private async signOnce(r: SignAttempt, retry: boolean): Promise<EcdsaSignature> {
    const { keyId, groupId, share, digest, payload, requestId } = r;
    const { signers, pool } = this.poolFor(keyId, share, groupId)!;
    const presig = (!retry && pool.take()) || (await this.presign(keyId, signers, 1))[0];
    const request: SignRequest = {
      keyId,
      epoch: share.public.epoch,
      presigId: presig.presigId,
      signers,
      combiner: share.self,
      digest,
    };
    const invite: Invite = {
      kind: "ecdsa-sign",
      groupId,
      keyId,
      epoch: share.public.epoch,
      requestId,
      participants: signers,
      coordinator: share.self,
      params: new ByteWriter().string(presig.presigId).string(JSON.stringify(payload)).finish(),
    };
    const sig = await this.runSigning(invite, request, share, r.recorded, true);
    if (!sig) throw new VerificationError("the combiner's signing session ended without a signature");
    return sig;
  }

  private async participateSign(invite: Invite): Promise<void> {
    const { share } = await awaitKey(this.ctx, invite.keyId, "ecdsa", invite.epoch);
    const { presigId, payload } = decodeWith(invite.params, (r) => ({
      presigId: r.string(64),
      payload: JSON.parse(r.string(1 << 20)) as SignPayload,
    }));
    // The signer hashes the payload itself: it never signs a digest on the coordinator's word.
    const digest = ecdsaDigest(payload);
    const { recorded } = await this.gate.admit({
      keyId: invite.keyId,
      groupId: invite.groupId,
      epoch: invite.epoch,
      scheme: "ecdsa",
      payload,
      requestId: invite.requestId,
      digest: hexlify(digest),
    });
    await this.awaitPresignature(presigId);
    const request: SignRequest = {
      keyId: invite.keyId,
      epoch: invite.epoch,
      presigId,
      signers: invite.participants,
      combiner: invite.coordinator,
      digest,
    };
    // A presignature not held here (lost with a wiped store, or erased) fails before this member joins
    // the session: Invitations declines, and the coordinator retries with a fresh one at once.
    await this.runSigning(invite, request, share, recorded, false);
  }

  /**
   * A sign invite can overtake the end of the presigning session that made its presignature here (the
   * coordinator finishes first and invites at once): wait briefly for our record of it.
   */
  private async awaitPresignature(presigId: string, timeoutMs = 2_000): Promise<void> {
    const deadline = this.ctx.clock.now() + timeoutMs;
    while (!(await this.presignatures.state(presigId)) && this.ctx.clock.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Agreement alongside durable consumption and audit, then the share round; both roles. */
  private async runSigning(
    invite: Invite,
    request: SignRequest,
    share: KeyShare,
    recorded: Promise<void>,
    coordinate: boolean,
  ): Promise<EcdsaSignature | null> {
    const key = { keyId: request.keyId, degree: share.public.degree, epoch: share.public.epoch };
    const agreeStart = await startSignAgreementFromStore(this.presignatures, request, key, share.self);
    // Started by the phases below: after the invites are out, for the coordinator (the durable write
    // and its encryption then overlap the participants' work instead of delaying their invites).
    let consumed: Promise<ConsumedPresignature> | undefined;
    // Both sessions of one signing; the coordinator runs them inside its invitation, so a participant's
    // Decline (a policy refusal, a presignature it lost) fails the request at once in either phase.
    const phases = async (signal?: AbortSignal): Promise<EcdsaSignature | null> => {
      const consuming = (consumed = this.presignatures.consume(request.presigId, request.digest, key));
      consuming.catch(() => {}); // awaited below; never an unhandled rejection while the echoes run
      // The combiner awaits no echo (its invite is its echo: agree.ts): no session to run for it.
      const agreed =
        request.combiner === share.self
          ? request
          : await this.invitations.run(
              invite,
              signSessionId(request, "agree"),
              signCodec,
              () => agreeStart,
              signal,
            );
      const [presig] = await Promise.all([consuming, recorded]);
      // Combining verifies against the presignature's key; the coordinator, which releases the
      // signature, also holds that to be the key it holds.
      if (coordinate && !presig.presignature.publicKey.equals(share.public.publicKey)) {
        throw new VerificationError("presignature was made for another public key");
      }
      return await this.ctx.runner.run({
        sessionId: signSessionId(agreed, "share"),
        codec: signCodec,
        self: share.self,
        members: this.ctx.groups.peerMap(invite.groupId, agreed.signers),
        start: startSignShareFromConsumed(presig, agreed, key),
        roundTimeoutMs: this.ctx.timeouts.roundMs,
        signal,
      });
    };
    try {
      return coordinate ? await this.invitations.coordinateWith(invite, phases) : await phases();
    } finally {
      // A coordinator never offers a presignature twice: one it took but never consumed (an invite could
      // not be delivered) is erased here too, not left unused until the key's next epoch.
      if (coordinate && consumed === undefined)
        this.discardOwn([{ presigId: request.presigId, epoch: key.epoch }]);
      // Single use whatever happened: the secret shares are erased, off the response's path.
      void consumed
        ?.then(() => this.presignatures.finish(request.presigId))
        .catch((e: unknown) => {
          if (e instanceof ConsumedError) return; // never consumed here, or already erased
          this.ctx.logger.warn(
            { presigId: request.presigId, error: errorName(e) },
            "presignature erase failed",
          );
        });
    }
  }
}

interface SignAttempt {
  readonly keyId: string;
  readonly groupId: string;
  readonly share: KeyShare;
  readonly digest: Uint8Array;
  readonly payload: SignPayload;
  readonly requestId: string;
  /** The audit record of this member's policy decision, durable before its share leaves. */
  readonly recorded: Promise<void>;
}

const errorName = (e: unknown) =>
  e instanceof ShardlessError ? e.code : e instanceof Error ? e.name : "unknown";
