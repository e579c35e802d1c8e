/**
 * Proactive refresh in the node (specs/protocols.md §4; DESIGN.md §3 "Refresh"):
 *   1. every participant of the key runs the refresh (zero-sharings, echo-consistent commitments,
 *      complaints) and gets the share of epoch e+1;
 *   2. it persists that share as *pending* (next to epoch e, which stays), signs an ACK, and runs the
 *      ACK session; a commit certificate (ACKs of every participant) lets it switch to e+1;
 *   3. the coordinator signs the epoch record with the NEW shares (the key itself, or the group's
 *      authority key for an encryption key) and the registry advances the epoch;
 *   4. on EpochAdvanced every member erases the shares of older epochs.
 * A member that crashes keeps its last working share: epoch e is erased only after the registry moved on.
 * At start and on every EpochAdvanced each key converges to the registry's epoch (lifecycle-sync.ts); an
 * epoch committed by certificate but not published (the coordinator failed after step 2) is published by
 * the lowest online participant. Refreshes can also run on a schedule (lifecycle-schedule.ts).
 */
import { bytesEqual, hexToBytes } from "../crypto/hash.js";
import type { RecoverResult } from "../adapters/api/services.js";
import { ByteWriter, decodeWith } from "../protocol/codec.js";
import { ParameterError, ProtocolAbortError, ShardlessError } from "../protocol/errors.js";
import {
  recoverCodec,
  recoverySession,
  startRecoveryHelper,
  startRecoveryTarget,
} from "../protocols/recover/index.js";
import { keyRecordOf, memberSetHash, registryVouches } from "../adapters/chain/record.js";
import type { RegistryEvent } from "../adapters/chain/types.js";
import { UnavailableError } from "../adapters/api/errors.js";
import type { KeyStatus } from "../client/types.js";
import {
  decodeKeyPublic,
  encodeKeyPublic,
  keyPublicDigest,
  type KeyPublic,
  type KeyShare,
} from "../protocol/key-share.js";
import { PROTOCOL_IDS } from "../protocol/round.js";
import {
  ackSessionId,
  encodeCertificate,
  encodePendingEpoch,
  lifecycleCodec,
  preparePending,
} from "../protocols/lifecycle/index.js";
import { refreshCodec, refreshSessionId, startRefresh, startRefreshAck } from "../protocols/refresh/index.js";
import type { NodeContext } from "./context.js";
import { DeclineError, type Invitations } from "./invites.js";
import { noCrash, type CrashPoint } from "./lifecycle-faults.js";
import { refreshDue, refreshPeriod, type RefreshSchedule } from "./lifecycle-schedule.js";
import { EpochSync, ackVerifier, certificatePath, pendingPath, type SwitchHook } from "./lifecycle-sync.js";
import type { Invite } from "./invite.js";
import type { Keygen, RecordSigner } from "./keygen.js";
import { awaitKey, onlineMembers, requireHeldKey } from "./keys-util.js";

export interface LifecycleOptions {
  /** TEST-ONLY crash hook (lifecycle-faults.ts); a no-op unless armed. */
  readonly crash?: CrashPoint;
  /** Scheduled refresh per key (config `refresh`); absent: on demand only. */
  readonly schedule?: RefreshSchedule;
  /**
   * Called right after this member switched `keyId` to a new epoch (certificate or registry): the
   * schemes move their presignature pools along and drop older epochs' presignatures.
   */
  readonly onSwitch?: SwitchHook;
}

/** How often the service looks for due refreshes and unpublished epochs. */
const TICK_MS = 1_000;
/** Wait after a failed scheduled refresh or publication before trying that key again. */
const RETRY_MS = 5_000;

export class LifecycleService {
  /** Refreshes running here (as coordinator or participant): keyId → requestId. One per key at a time. */
  private readonly running = new Map<string, string>();
  /** Block of each key's last epoch (KeyPublished / EpochAdvanced), from the registry follower. */
  private readonly epochBlocks = new Map<string, number>();
  /** Keys whose scheduled refresh failed: keyId → earliest retry (ms). */
  private readonly scheduleBackoff = new Map<string, number>();
  private readonly crash: CrashPoint;
  private readonly sync: EpochSync;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private ticking = false;

  constructor(
    private readonly ctx: NodeContext,
    private readonly invitations: Invitations,
    private readonly signRecord: RecordSigner,
    private readonly keygen: Keygen,
    private readonly keyStatus: (keyId: string) => KeyStatus,
    private readonly opts: LifecycleOptions = {},
  ) {
    this.crash = opts.crash ?? noCrash;
    this.sync = new EpochSync(ctx, this.crash, opts.onSwitch);
    invitations.handle("refresh", (invite) => this.participate(invite));
  }

  /** At start (after the follower caught up): converge every key, then watch schedules and publications. */
  async start(): Promise<void> {
    await this.sync.syncAll();
    this.ticker = setInterval(() => void this.tick(), TICK_MS);
    this.ticker.unref();
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  /** Registry events with their block (node.ts feeds every event): the schedule counts from them. */
  observe(event: RegistryEvent): void {
    if (event.name === "KeyPublished" || event.name === "EpochAdvanced") {
      this.epochBlocks.set(String(event.keyId), event.meta.blockNumber);
    }
  }

  async refresh(keyId: string, requestId: string): Promise<KeyStatus> {
    const { groupId, share } = requireHeldKey(this.ctx, keyId);
    const online = onlineMembers(this.ctx, groupId);
    const missing = share.public.participants.filter((id) => !online.includes(id));
    if (missing.length > 0) {
      throw new UnavailableError(
        `refresh needs every participant of key ${keyId} online; missing members ${missing.join(", ")}`,
        online.length,
        share.public.participants.length,
      );
    }
    const invite: Invite = {
      kind: "refresh",
      groupId,
      keyId,
      epoch: share.public.epoch,
      requestId,
      participants: share.public.participants,
      coordinator: share.self,
      params: new Uint8Array(0),
    };
    const t0 = this.ctx.clock.now();
    const next = await this.exclusive(keyId, requestId, () => this.runRefresh(invite, groupId, share, true));
    try {
      await this.publishEpoch(groupId, next);
    } catch (e) {
      // Committed here but not in the registry: retried by the tick (lowest online member) until it is.
      this.sync.unpublished.set(keyId, this.ctx.clock.now() + RETRY_MS);
      throw e;
    }
    this.ctx.metrics.recordSession("refresh", "ok", (this.ctx.clock.now() - t0) / 1000);
    return this.keyStatus(keyId);
  }

  private async participate(invite: Invite): Promise<void> {
    await this.exclusive(invite.keyId, invite.requestId, async () => {
      const { groupId, share } = await awaitKey(this.ctx, invite.keyId, undefined, invite.epoch);
      await this.runRefresh(invite, groupId, share, false);
    });
  }

  /**
   * One refresh per key at a time on this member: a second one (another coordinator's concurrent
   * invite, or a second request) is declined, so two refreshes never interleave their pending epochs.
   */
  private async exclusive<R>(keyId: string, requestId: string, run: () => Promise<R>): Promise<R> {
    const other = this.running.get(keyId);
    if (other !== undefined) {
      throw new DeclineError(`a refresh of key ${keyId} is already running (request ${other})`);
    }
    this.running.set(keyId, requestId);
    try {
      return await run();
    } finally {
      this.running.delete(keyId);
    }
  }

  /** Steps 1–2 (both roles): refresh, persist pending, ACK session, switch. */
  private async runRefresh(
    invite: Invite,
    groupId: string,
    share: KeyShare,
    coordinate: boolean,
  ): Promise<KeyShare> {
    const sessionId = refreshSessionId(share.public, { requestId: invite.requestId });
    const start = (s: { verifyFrame: Parameters<typeof startRefresh>[1]["verifyFrame"] }) =>
      startRefresh(share, { requestId: invite.requestId, verifyFrame: s.verifyFrame });
    const output = coordinate
      ? await this.invitations.coordinate(invite, refreshCodec, start, sessionId)
      : await this.invitations.run(invite, sessionId, refreshCodec, start);
    const pending = preparePending(output, (statement) => this.ctx.auth.sign(statement));
    const epoch = pending.share.public.epoch;
    const pendingAt = pendingPath(groupId, invite.keyId, epoch);
    await this.ctx.store.put(pendingAt, encodePendingEpoch(pending));
    this.ctx.logger.info(
      { keyId: invite.keyId, epoch, event: "refresh-pending-stored" },
      "pending epoch stored",
    );
    this.crash("pending-stored");
    const certificate = await this.ctx.runner.run({
      sessionId: ackSessionId(sessionId),
      codec: lifecycleCodec(PROTOCOL_IDS.refresh),
      self: share.self,
      members: this.ctx.groups.peerMap(groupId, invite.participants),
      start: startRefreshAck(pending, ackVerifier(this.ctx, groupId, invite.participants)),
      roundTimeoutMs: this.ctx.timeouts.roundMs,
    });
    // Certificate held: every participant has epoch e+1 stored. Switch (epoch e stays until the registry moves).
    await this.ctx.store.put(certificatePath(groupId, invite.keyId, epoch), encodeCertificate(certificate));
    await this.ctx.keys.put(groupId, pending.share);
    this.crash("certificate-stored");
    await this.opts.onSwitch?.(invite.keyId, epoch);
    await this.ctx.store.delete(pendingAt);
    this.ctx.logger.info(
      { keyId: invite.keyId, epoch, event: "refresh-committed" },
      "refresh committed locally; waiting for the registry",
    );
    return pending.share;
  }

  /** Step 3: the epoch record, signed with the new shares, advances the registry. */
  private async publishEpoch(groupId: string, share: KeyShare): Promise<void> {
    const p = share.public;
    const group = this.ctx.groups.get(groupId);
    const signerKeyId = p.scheme === "encryption" ? await this.keygen.authorityKey(groupId) : p.keyId;
    const record = keyRecordOf(groupId, p, memberSetHash(group.members.map((m) => m.operator)));
    const digest = hexToBytes((await this.ctx.registry.recordDigest(record)).slice(2));
    const signature = await this.signRecord(groupId, signerKeyId, digest);
    await this.ctx.registry.advanceEpoch({
      keyId: record.keyId,
      epoch: record.epoch,
      commitmentDigest: record.commitmentDigest,
      signerKeyId: BigInt(signerKeyId),
      signature,
    });
    this.ctx.logger.info({ keyId: p.keyId, epoch: p.epoch }, "epoch advanced in the registry");
  }

  /**
   * Step 4, on EpochAdvanced (also replayed at start for events missed while down): converge to the
   * registry — promote a confirmed pending share, then erase older epochs (lifecycle-sync.ts). Returns
   * the epoch this member holds afterwards (undefined: no share of the key).
   */
  async onEpochAdvanced(keyId: string, _epoch: number): Promise<number | undefined> {
    const plan = await this.sync.sync(keyId);
    return plan?.epoch ?? this.ctx.keys.get(keyId)?.share.public.epoch;
  }

  /** Every second: publish epochs committed but not in the registry, trigger scheduled refreshes. */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.publishPending();
      await this.scheduled();
    } catch (e) {
      this.ctx.logger.warn({ error: e instanceof Error ? e.message : String(e) }, "lifecycle tick failed");
    } finally {
      this.ticking = false;
    }
  }

  /** The lowest online participant publishes an epoch every participant committed (certificate). */
  private async publishPending(): Promise<void> {
    for (const [keyId, notBefore] of this.sync.unpublished) {
      const held = this.ctx.keys.get(keyId);
      if (!held || this.running.has(keyId) || this.ctx.clock.now() < notBefore) continue;
      const online = onlineMembers(this.ctx, held.groupId).filter((id) =>
        held.share.public.participants.includes(id),
      );
      if (online[0] !== held.share.self) continue;
      const plan = await this.sync.sync(keyId);
      if (plan?.state !== "unpublished") continue;
      this.ctx.logger.info(
        { keyId, epoch: held.share.public.epoch, event: "epoch-publish-retry" },
        "publishing an epoch the registry does not show yet",
      );
      try {
        await this.publishEpoch(held.groupId, held.share);
        await this.sync.sync(keyId);
      } catch (e) {
        this.sync.unpublished.set(keyId, this.ctx.clock.now() + RETRY_MS);
        this.ctx.logger.warn(
          { keyId, error: e instanceof ShardlessError ? e.code : String(e) },
          "epoch publication failed; will retry",
        );
      }
    }
  }

  private async scheduled(): Promise<void> {
    const schedule = this.opts.schedule;
    if (!schedule) return;
    let height: number | undefined;
    for (const held of this.ctx.keys.all()) {
      const p = held.share.public;
      const period = refreshPeriod(schedule, p.keyId);
      if (period === undefined || this.running.has(p.keyId) || this.sync.unpublished.has(p.keyId)) continue;
      if (this.ctx.keys.disputed.has(p.keyId)) continue;
      if (this.ctx.clock.now() < (this.scheduleBackoff.get(p.keyId) ?? 0)) continue;
      height ??= await this.ctx.provider.getBlockNumber();
      const due = refreshDue({
        period,
        lastEpochBlock: this.epochBlocks.get(p.keyId),
        height,
        self: held.share.self,
        participants: p.participants,
        online: onlineMembers(this.ctx, held.groupId),
      });
      if (!due) continue;
      // Only from the epoch the registry shows: never refresh on top of an unsettled transition.
      const plan = await this.sync.sync(p.keyId);
      if (plan?.state !== "settled") continue;
      const requestId = `scheduled-${p.keyId}-e${p.epoch}-b${height}`;
      this.ctx.logger.info(
        { keyId: p.keyId, epoch: p.epoch, height, event: "refresh-scheduled" },
        "scheduled refresh",
      );
      this.refresh(p.keyId, requestId).catch((e: unknown) => {
        this.scheduleBackoff.set(p.keyId, this.ctx.clock.now() + RETRY_MS);
        this.ctx.logger.warn(
          { keyId: p.keyId, error: e instanceof ShardlessError ? e.code : String(e) },
          "scheduled refresh failed; will retry",
        );
      });
    }
  }
}

/**
 * Share recovery in the node (specs/protocols.md §5; DESIGN.md §3 "Recover"): a member that lost its
 * share (wiped data directory) gets it back from degree+1 helpers; no helper learns it. The coordinator
 * (a helper whose API received the request) invites the helpers and the target. The target takes the
 * public package from the invite but trusts it only after checking it against the registry (public key,
 * epoch and commitment digest), and checks the recovered share against its verification share.
 */
export class RecoveryService {
  constructor(
    private readonly ctx: NodeContext,
    private readonly invitations: Invitations,
  ) {
    invitations.handle("recover", (invite) => this.participate(invite));
  }

  async recover(keyId: string, member: number, requestId: string): Promise<RecoverResult> {
    const { groupId, share } = requireHeldKey(this.ctx, keyId);
    const p = share.public;
    if (!p.participants.includes(member))
      throw new ParameterError(`member ${member} holds no share of key ${keyId}`);
    if (member === share.self) throw new ParameterError("a member cannot recover its own share from itself");
    const online = onlineMembers(this.ctx, groupId);
    if (!online.includes(member)) throw new UnavailableError(`member ${member} is not connected`);
    const others = online.filter((id) => id !== member && id !== share.self && p.participants.includes(id));
    const helpers = [share.self, ...others.slice(0, p.degree)].sort((a, b) => a - b);
    if (helpers.length < p.degree + 1) {
      throw new UnavailableError(
        `recovery needs ${p.degree + 1} helpers online`,
        helpers.length,
        p.degree + 1,
      );
    }
    const invite: Invite = {
      kind: "recover",
      groupId,
      keyId,
      epoch: p.epoch,
      requestId,
      participants: [...helpers, member].sort((a, b) => a - b),
      coordinator: share.self,
      params: new ByteWriter().u16(member).bytes(encodeKeyPublic(p)).finish(),
    };
    const params = { helpers, target: member, requestId };
    await this.invitations.coordinate(
      invite,
      recoverCodec,
      (s) => startRecoveryHelper(share, { ...params, verifyFrame: s.verifyFrame }),
      recoverySession(p, params).sessionId,
      member,
    );
    this.ctx.logger.info({ keyId, member }, "member recovered its key");
    return { keyId, member, epoch: p.epoch };
  }

  private async participate(invite: Invite): Promise<void> {
    const { target, pub } = decodeWith(invite.params, (r) => ({
      target: r.u16(),
      pub: decodeKeyPublic(r.bytes()),
    }));
    const helpers = invite.participants.filter((id) => id !== target);
    const params = { helpers, target, requestId: invite.requestId };
    const sessionId = recoverySession(pub, params).sessionId;
    const self = this.ctx.groups.get(invite.groupId).self;
    if (self === target) {
      await this.checkAgainstRegistry(invite.keyId, pub);
      const result = await this.invitations.run(invite, sessionId, recoverCodec, (s) =>
        startRecoveryTarget(pub, target, { ...params, verifyFrame: s.verifyFrame }),
      );
      if (result.role !== "target") throw new ProtocolAbortError("recovery ended without a share");
      await this.ctx.keys.put(invite.groupId, result.share);
      await this.invitations.notifyDone(invite);
      this.ctx.logger.info(
        { keyId: invite.keyId, epoch: pub.epoch },
        "key recovered from the helpers and stored",
      );
      return;
    }
    const { share } = await awaitKey(this.ctx, invite.keyId, undefined, invite.epoch);
    if (!bytesEqual(keyPublicDigest(share.public), keyPublicDigest(pub))) {
      throw new DeclineError("the invite's public package differs from ours");
    }
    await this.invitations.run(invite, sessionId, recoverCodec, (s) =>
      startRecoveryHelper(share, { ...params, verifyFrame: s.verifyFrame }),
    );
  }

  /** The target holds nothing: it accepts the package only if the registry vouches for it. */
  private async checkAgainstRegistry(keyId: string, pub: KeyPublic): Promise<void> {
    const info = await this.ctx.registry.getKey(BigInt(keyId));
    if (!registryVouches(info, pub))
      throw new DeclineError("the recovery package does not match the registry's record of the key");
  }
}
