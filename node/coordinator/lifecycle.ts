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
 */
import { hexToBytes } from "../crypto/hash.js";
import { memberSetHash } from "../adapters/chain/record.js";
import { UnavailableError } from "../adapters/api/errors.js";
import type { KeyStatus } from "../client/types.js";
import { commitmentDigest, registryPublicKey, type KeyShare } from "../protocol/key-share.js";
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
import type { Invitations } from "./invites.js";
import type { Invite } from "./invite.js";
import type { Keygen, RecordSigner } from "./keygen.js";
import { awaitKey, onlineMembers, requireHeldKey } from "./keys-util.js";

export class LifecycleService {
  constructor(
    private readonly ctx: NodeContext,
    private readonly invitations: Invitations,
    private readonly signRecord: RecordSigner,
    private readonly keygen: Keygen,
    private readonly keyStatus: (keyId: string) => KeyStatus,
  ) {
    invitations.handle("refresh", (invite) => this.participate(invite));
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
    const next = await this.runRefresh(invite, groupId, share, true);
    await this.publishEpoch(groupId, next);
    this.ctx.metrics.recordSession("refresh", "ok", (this.ctx.clock.now() - t0) / 1000);
    return this.keyStatus(keyId);
  }

  private async participate(invite: Invite): Promise<void> {
    const { groupId, share } = await awaitKey(this.ctx, invite.keyId, undefined, invite.epoch);
    await this.runRefresh(invite, groupId, share, false);
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
    const pendingPath = `pending/${groupId}/${invite.keyId}/${epoch}`;
    await this.ctx.store.put(pendingPath, encodePendingEpoch(pending));
    const peers = this.ctx.groups.peerMap(groupId, invite.participants);
    const verify = (member: number, statement: Uint8Array, signature: Uint8Array) => {
      const peer = peers.get(member);
      return peer !== undefined && this.ctx.auth.verify(peer, statement, signature);
    };
    const certificate = await this.ctx.runner.run({
      sessionId: ackSessionId(sessionId),
      codec: lifecycleCodec(PROTOCOL_IDS.refresh),
      self: share.self,
      members: peers,
      start: startRefreshAck(pending, verify),
      roundTimeoutMs: this.ctx.timeouts.roundMs,
    });
    // Certificate held: every participant has epoch e+1 stored. Switch (epoch e stays until the registry moves).
    await this.ctx.store.put(
      `certificates/${groupId}/${invite.keyId}/${epoch}`,
      encodeCertificate(certificate),
    );
    await this.ctx.keys.put(groupId, pending.share);
    await this.ctx.store.delete(pendingPath);
    this.ctx.logger.info(
      { keyId: invite.keyId, epoch },
      "refresh committed locally; waiting for the registry",
    );
    return pending.share;
  }

  /** Step 3: the epoch record, signed with the new shares, advances the registry. */
  private async publishEpoch(groupId: string, share: KeyShare): Promise<void> {
    const p = share.public;
    const group = this.ctx.groups.get(groupId);
    const signerKeyId = p.scheme === "encryption" ? this.keygen.authorityKey(groupId) : p.keyId;
    const record = {
      groupId: BigInt(groupId),
      keyId: BigInt(p.keyId),
      epoch: BigInt(p.epoch),
      publicKey: registryPublicKey(p),
      commitmentDigest: commitmentDigest(p),
      memberSetHash: memberSetHash(group.members.map((m) => m.operator)),
      degree: p.degree,
    };
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

  /** Step 4, on EpochAdvanced: erase older epochs of the key (only if we hold the new one). */
  async onEpochAdvanced(keyId: string, epoch: number): Promise<void> {
    const held = this.ctx.keys.get(keyId);
    if (!held || held.share.public.epoch < epoch) {
      this.ctx.logger.warn(
        { keyId, epoch },
        "registry is at an epoch this member does not hold: recovery needed",
      );
      return;
    }
    await this.ctx.keys.eraseBelow(held.groupId, keyId, epoch);
  }
}
