/**
 * Resharing in the node (specs/protocols.md §6; DESIGN.md §3; issue 8): the old committee deals every
 * active key of a group to the committee the registry has pending (requestMembershipChange), same public
 * keys. Per key:
 *   1. the coordinator (an old member whose API received the request) invites the roster
 *      (reshare-roster.ts): old members deal at their old ids, new members receive at their new ones
 *      (invite: reshare-invite.ts); new members check their
 *      pieces against the echo-agreed commitments and every dealer's V_{i,0} against λ_i·Y_i (check 4);
 *   2. each new member persists its new share as pending, ACKs, and on the commit certificate keeps it as
 *      *committed, not installed*: the old shares stay in use until the registry moves;
 *   3. once every key holds a certificate, the coordinator signs each key's record (new epoch, degree,
 *      commitment digest, NEW member set) with the group key — the old committee's shares, which still
 *      work — and submits changeMembership;
 *   4. on MembershipChanged (member ids are now the new committee's) each new member installs its
 *      committed share, the lifecycle service erases the older epochs, and a member no longer in the
 *      group erases its shares.
 */
import { getAddress } from "ethers";
import { NotFoundError, UnavailableError } from "../adapters/api/errors.js";
import { keyRecordOf, memberSetHash, recordDigest, registryVouches } from "../adapters/chain/record.js";
import { ROLES } from "../adapters/chain/registry-client.js";
import type { KeyReshare } from "../adapters/chain/types.js";
import type { GroupStatus, Hex } from "../client/types.js";
import { bytesEqual, bytesToHex, hexToBytes } from "../crypto/hash.js";
import { PolicyError, RoundTimeoutError } from "../protocol/errors.js";
import {
  assertGroupParameters,
  commitmentDigest,
  decodeKeyShare,
  encodeKeyShare,
  keyPublicDigest,
  type KeyPublic,
} from "../protocol/key-share.js";
import { PROTOCOL_IDS, type Start } from "../protocol/round.js";
import {
  LocalAbortError,
  ackSessionId,
  encodeCertificate,
  encodePendingEpoch,
  lifecycleCodec,
  preparePending,
  startAbortAnnouncement,
  type CommitCertificate,
  type LifecycleMessage,
} from "../protocols/lifecycle/index.js";
import {
  observeReshareAck,
  reshareCodec,
  reshareSession,
  startReshareAck,
  startReshareDealer,
  startReshareReceiver,
  type ReshareParams,
} from "../protocols/reshare/index.js";
import type { SessionContext } from "../runner/session.js";
import type { NodeContext } from "./context.js";
import { DeclineError, type Invitations } from "./invites.js";
import type { Invite } from "./invite.js";
import type { Keygen, RecordSigner } from "./keygen.js";
import type { HeldKey } from "./keyring.js";
import { requireHeldKey } from "./keys-util.js";
import { decodeParams, degreeChangeAllowed, encodeParams, matchesPendingChange } from "./reshare-invite.js";
import { groupOfRoster, rosterGroupId, type ReshareRoster } from "./reshare-roster.js";

/** Store layout of a resharing in progress (next to keyring.ts's `shares/`). */
const paths = {
  pending: (g: string, k: string, e: number) => `reshare/pending/${g}/${k}/${e}`,
  certificate: (g: string, k: string, e: number) => `reshare/certificates/${g}/${k}/${e}`,
  /** New share whose certificate is held; installed when the registry shows its epoch. */
  committed: (g: string, k: string, e: number) => `reshare/committed/${g}/${k}/${e}`,
};

/** How long the coordinator lets the other members' registry followers catch up before inviting. */
const FOLLOW_SETTLE_MS = 1_000;
const RETRY_SUFFIX = "/retry";

export interface ReshareHooks {
  readonly signRecord: RecordSigner;
  readonly keygen: Keygen;
  /** The group as the API reports it. */
  readonly groupStatus: (groupId: string) => Promise<GroupStatus>;
  /** Drops the presignature pool of a key whose shares changed (ecdsa.ts forgetPool). */
  readonly forgetPresignatures: (keyId: string) => void;
}

export class ReshareService {
  constructor(
    private readonly ctx: NodeContext,
    private readonly invitations: Invitations,
    private readonly hooks: ReshareHooks,
  ) {
    invitations.handle("reshare", (invite) => this.participate(invite));
  }

  // ---- coordinator ------------------------------------------------------------------------------

  async reshare(groupId: string, members: Hex[], degree: number, requestId: string): Promise<GroupStatus> {
    const group = this.ctx.groups.get(groupId);
    if (group.self === null) throw new NotFoundError(`this node is not a member of group ${groupId}`);
    await this.ensureRequested(groupId, members);
    await this.ctx.groups.reload();
    const roster = this.ctx.groups.roster(groupId)!;
    const rosterId = rosterGroupId(groupId);
    const self = this.ctx.groups.get(rosterId).self!; // every old member is a party
    const keys = await this.activeKeys(groupId);
    // Fail before any dealing if a key cannot take the new degree (the registry would refuse it), or
    // if it would lower a degree without this member's consent (the others check the same).
    for (const { held } of keys) {
      assertGroupParameters(held.share.public.scheme, degree, roster.newParticipants.length);
      const old = held.share.public.degree;
      if (!degreeChangeAllowed(old, degree, this.ctx.reshare.allowDegreeDecrease)) {
        throw new PolicyError(
          `lowering key ${held.share.public.keyId}'s degree from ${old} to ${degree} needs ` +
            "`reshare.allowDegreeDecrease` in every member's configuration",
        );
      }
    }
    const dealers = await this.awaitParties(rosterId, roster, self);
    // A member that has not followed the pending change yet ignores the invite (unknown roster): give
    // every follower time to see it (node.ts polls every 250 ms); `runKey` retries once after a timeout.
    await new Promise((r) => setTimeout(r, FOLLOW_SETTLE_MS));
    const t0 = this.ctx.clock.now();
    let reshared: KeyPublic[];
    try {
      const request = { groupId, rosterId, self, degree, requestId, members };
      reshared = await this.reshareKeys(keys, roster, dealers, request);
      await this.submit(groupId, members, reshared);
    } catch (e) {
      this.ctx.metrics.recordSession("reshare", "abort", (this.ctx.clock.now() - t0) / 1000);
      throw e;
    }
    this.ctx.metrics.recordSession("reshare", "ok", (this.ctx.clock.now() - t0) / 1000);
    await this.awaitApplied(groupId, members, reshared);
    return this.hooks.groupStatus(groupId);
  }

  /** Steps 1–2 for every key, in the registry's order (changeMembership wants them all). */
  private async reshareKeys(
    keys: { held: HeldKey }[],
    roster: ReshareRoster,
    dealers: readonly number[],
    req: {
      groupId: string;
      rosterId: string;
      self: number;
      degree: number;
      requestId: string;
      members: readonly string[];
    },
  ): Promise<KeyPublic[]> {
    const { groupId, rosterId, self, degree, requestId, members } = req;
    const reshared: KeyPublic[] = [];
    for (const { held } of keys) {
      const p = held.share.public;
      const oldIdOf = (id: number) => roster.oldIds.get(id) ?? id;
      const keyDealers = dealers.filter((id) => p.participants.includes(oldIdOf(id)));
      if (keyDealers.length < p.degree + 1) {
        throw new UnavailableError(
          `resharing key ${p.keyId} needs ${p.degree + 1} dealers online, ${keyDealers.length} are`,
          keyDealers.length,
          p.degree + 1,
        );
      }
      const invite: Invite = {
        kind: "reshare",
        groupId: rosterId,
        keyId: p.keyId,
        epoch: p.epoch,
        requestId: `${requestId}/key-${p.keyId}`,
        participants: [...new Set([...keyDealers, ...roster.newParticipants])].sort((a, b) => a - b),
        coordinator: self,
        params: encodeParams({
          dealers: keyDealers,
          dealerOldIds: keyDealers.map(oldIdOf),
          newParticipants: roster.newParticipants,
          newDegree: degree,
          newMemberSetHash: hexToBytes(memberSetHash(members).slice(2)),
          oldPublic: p,
        }),
      };
      reshared.push(await this.runKey(invite, groupId, self, true));
    }
    return reshared;
  }

  /** The registry must have exactly `members` pending; request it if this node's operator may. */
  private async ensureRequested(groupId: string, members: readonly string[]): Promise<void> {
    const pending = (await this.ctx.registry.pendingMembers(BigInt(groupId))).map((a) => getAddress(a));
    if (pending.length === members.length && pending.every((a, i) => a === members[i])) return;
    if (!(await this.ctx.registry.hasRole(ROLES.ADMIN, this.ctx.operator))) {
      throw new PolicyError(
        `group ${groupId} has no pending membership change to these members and this node's operator ` +
          "may not request one: the registry admin calls requestMembershipChange first",
      );
    }
    await this.ctx.registry.requestMembershipChange(BigInt(groupId), members);
  }

  /** Active keys of the group in the registry's order, each held by this member at the registry's epoch. */
  private async activeKeys(groupId: string) {
    const out = [];
    for (const id of await this.ctx.registry.groupKeys(BigInt(groupId))) {
      const info = await this.ctx.registry.getKey(id);
      if (info.status !== "active") continue;
      const held = requireHeldKey(this.ctx, String(id));
      if (BigInt(held.share.public.epoch) !== info.epoch) {
        throw new UnavailableError(
          `key ${id} is at epoch ${info.epoch} in the registry, this member holds ${held.share.public.epoch}`,
        );
      }
      out.push({ info, held });
    }
    return out;
  }

  /**
   * Waits (one round timeout) until every new member is connected — a new member is admitted only once
   * its node and ours follow the pending change — and returns the dealers online.
   */
  private async awaitParties(rosterId: string, roster: ReshareRoster, self: number): Promise<number[]> {
    const members = this.ctx.groups.get(rosterId).members;
    const online = () => {
      const connected = new Set(this.ctx.connectedPeers());
      return members.filter((m) => m.id === self || connected.has(m.peerId)).map((m) => m.id);
    };
    const deadline = this.ctx.clock.now() + this.ctx.timeouts.roundMs;
    let ids = online();
    while (roster.newParticipants.some((id) => !ids.includes(id)) && this.ctx.clock.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      ids = online();
    }
    const missing = roster.newParticipants.filter((id) => !ids.includes(id));
    if (missing.length > 0) {
      throw new UnavailableError(
        `resharing needs every new member online; missing new members ${missing.join(", ")}`,
        roster.newParticipants.length - missing.length,
        roster.newParticipants.length,
      );
    }
    return roster.dealers.filter((id) => ids.includes(id));
  }

  /** Step 3: one record per key over the new member set, signed by the group key; changeMembership. */
  private async submit(groupId: string, members: readonly string[], reshared: KeyPublic[]): Promise<void> {
    const setHash = memberSetHash(members);
    const records: KeyReshare[] = [];
    for (const p of reshared) {
      const signerKeyId = p.scheme === "encryption" ? await this.hooks.keygen.authorityKey(groupId) : p.keyId;
      const record = keyRecordOf(groupId, p, setHash);
      const digest = recordDigest({ chainId: this.ctx.chainId, registry: this.ctx.registryAddress }, record);
      const signature = await this.hooks.signRecord(groupId, signerKeyId, hexToBytes(digest.slice(2)));
      records.push({
        keyId: record.keyId,
        epoch: record.epoch,
        degree: record.degree,
        commitmentDigest: record.commitmentDigest,
        signerKeyId: BigInt(signerKeyId),
        signature,
      });
    }
    await this.ctx.registry.changeMembership(BigInt(groupId), records);
    this.ctx.logger.info({ groupId, keys: records.length }, "membership changed in the registry");
  }

  /** The API answers once this node follows the change: new member list, new shares installed. */
  private async awaitApplied(groupId: string, members: readonly string[], reshared: KeyPublic[]) {
    const deadline = this.ctx.clock.now() + this.ctx.timeouts.sessionMs;
    const applied = () => {
      const g = this.ctx.groups.get(groupId);
      if (g.members.map((m) => m.operator).join() !== members.join()) return false;
      return (
        g.self === null || reshared.every((p) => this.ctx.keys.get(p.keyId)?.share.public.epoch === p.epoch)
      );
    };
    while (!applied()) {
      if (this.ctx.clock.now() > deadline) {
        throw new UnavailableError(
          `group ${groupId} changed in the registry but this node has not caught up`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // ---- both roles --------------------------------------------------------------------------------

  /**
   * Steps 1–2 for one key: the resharing session, then the ACK session. Returns the new package once the
   * commit certificate is held (a new member's share is then stored as committed).
   */
  private async runKey(
    invite: Invite,
    groupId: string,
    self: number,
    coordinate: boolean,
  ): Promise<KeyPublic> {
    const p = decodeParams(invite.params);
    const params: ReshareParams = {
      dealers: p.dealers,
      oldIds: new Map(p.dealers.map((id, k) => [id, p.dealerOldIds[k]] as const)),
      newParticipants: p.newParticipants,
      newDegree: p.newDegree,
      requestId: invite.requestId,
    };
    const sessionId = reshareSession(p.oldPublic, params).sessionId;
    const sign = (statement: Uint8Array) => this.ctx.auth.sign(statement);
    const start = (s: SessionContext) => {
      const opts = { ...params, verifyFrame: s.verifyFrame, sign };
      return p.dealers.includes(self)
        ? startReshareDealer(requireHeldKey(this.ctx, invite.keyId).share, opts)
        : startReshareReceiver(p.oldPublic, self, opts);
    };
    const peers = this.ctx.groups.peerMap(invite.groupId, invite.participants);
    const verify = (member: number, statement: Uint8Array, signature: Uint8Array) => {
      const peer = peers.get(member);
      return peer !== undefined && this.ctx.auth.verify(peer, statement, signature);
    };
    const ack = (start: Start<LifecycleMessage, CommitCertificate>) =>
      this.ctx.runner.run({
        sessionId: ackSessionId(sessionId),
        codec: lifecycleCodec(PROTOCOL_IDS.reshare),
        self,
        members: peers,
        start,
        roundTimeoutMs: this.ctx.timeouts.roundMs,
      });

    let result;
    try {
      result = coordinate
        ? await this.invitations.coordinate(invite, reshareCodec, start, sessionId)
        : await this.invitations.run(invite, sessionId, reshareCodec, start);
    } catch (e) {
      // Nobody holds a pending epoch before the resharing session ends: a coordinator can retry once
      // (fresh request id) if some member never started, e.g. it had not yet followed the change.
      if (coordinate && e instanceof RoundTimeoutError && !invite.requestId.endsWith(RETRY_SUFFIX)) {
        this.ctx.logger.warn({ keyId: invite.keyId, missing: e.missing }, "reshare timed out; retrying once");
        return this.runKey({ ...invite, requestId: invite.requestId + RETRY_SUFFIX }, groupId, self, true);
      }
      // A check only this member could make failed: its signed ABORT lets the others drop their pending epoch.
      if (e instanceof LocalAbortError) {
        await ack(startAbortAnnouncement(e.evidence, { protocol: "reshare", recipients: ["all"] })).catch(
          () => {},
        );
      }
      throw e;
    }
    const epoch = p.oldPublic.epoch + 1;
    const { keyId } = invite;
    if (result.role === "dealer") {
      // Leaving dealer: it keeps its old share (the group key signs the registry record with the old
      // committee) and erases it when the registry has changed the membership.
      const certificate = await ack(observeReshareAck(self, result, verify));
      await this.ctx.store.put(paths.certificate(groupId, keyId, epoch), encodeCertificate(certificate));
      return result.public;
    }
    const pending = preparePending(result.output, sign);
    await this.ctx.store.put(paths.pending(groupId, keyId, epoch), encodePendingEpoch(pending));
    const certificate = await ack(startReshareAck(pending, verify));
    await this.ctx.store.put(paths.certificate(groupId, keyId, epoch), encodeCertificate(certificate));
    await this.ctx.store.put(paths.committed(groupId, keyId, epoch), encodeKeyShare(pending.share));
    await this.ctx.store.delete(paths.pending(groupId, keyId, epoch));
    this.ctx.logger.info({ keyId, epoch }, "reshare committed locally; waiting for the registry");
    return pending.share.public;
  }

  // ---- participant -------------------------------------------------------------------------------

  private async participate(invite: Invite): Promise<void> {
    const groupId = groupOfRoster(invite.groupId);
    if (groupId === null) throw new DeclineError("a reshare invite names the roster of a group");
    const p = decodeParams(invite.params);
    const group = this.ctx.groups.get(groupId);
    const roster = this.ctx.groups.roster(groupId);
    const self = this.ctx.groups.get(invite.groupId).self!;
    if (!roster || !group.pending || !matchesPendingChange(invite, p, group.pending, roster)) {
      throw new DeclineError("the invite does not match the registry's pending membership change");
    }
    const info = await this.ctx.registry.getKey(BigInt(invite.keyId));
    if (info.groupId !== BigInt(groupId) || !registryVouches(info, p.oldPublic)) {
      throw new DeclineError("the reshared package does not match the registry's record of the key");
    }
    if (!degreeChangeAllowed(p.oldPublic.degree, p.newDegree, this.ctx.reshare.allowDegreeDecrease)) {
      throw new PolicyError(
        `lowering key ${invite.keyId}'s degree from ${p.oldPublic.degree} to ${p.newDegree} is not allowed here`,
      );
    }
    if (p.dealers.includes(self)) {
      const held = requireHeldKey(this.ctx, invite.keyId);
      if (!bytesEqual(keyPublicDigest(held.share.public), keyPublicDigest(p.oldPublic))) {
        throw new DeclineError("the invite's public package differs from ours");
      }
    }
    await this.runKey(invite, groupId, self, false);
  }

  // ---- registry events ---------------------------------------------------------------------------

  /**
   * Step 4, on MembershipChanged (after the directory reloaded, so member ids are the new committee's):
   * a member of the new committee installs the committed shares whose package the registry records; a
   * member no longer in the group erases its shares. Returns the keys installed (the caller erases their
   * older epochs and presignatures).
   */
  async onMembershipChanged(groupId: string): Promise<{ keyId: string; epoch: number }[]> {
    const installed: { keyId: string; epoch: number }[] = [];
    const registryEpoch = new Map<string, bigint>();
    const epochOf = async (keyId: string) => {
      if (!registryEpoch.has(keyId)) {
        registryEpoch.set(keyId, (await this.ctx.registry.getKey(BigInt(keyId))).epoch);
      }
      return registryEpoch.get(keyId)!;
    };
    if (this.ctx.groups.get(groupId).self === null) {
      for (const held of this.ctx.keys.all().filter((k) => k.groupId === groupId)) {
        const { keyId } = held.share.public;
        await this.ctx.keys.erase(groupId, keyId);
        this.hooks.forgetPresignatures(keyId);
        this.ctx.logger.info({ keyId, groupId }, "removed from the group: key share erased");
      }
    } else {
      for (const path of await this.ctx.store.list(`reshare/committed/${groupId}/`)) {
        const [, , , keyId, e] = path.split("/");
        const bytes = await this.ctx.store.get(path);
        if (!bytes || (await epochOf(keyId)) !== BigInt(e)) continue; // superseded, or a change to come
        const info = await this.ctx.registry.getKey(BigInt(keyId));
        const share = decodeKeyShare(bytes);
        if (info.commitmentDigest.toLowerCase() !== `0x${bytesToHex(commitmentDigest(share.public))}`) {
          this.ctx.logger.error(
            { keyId, epoch: e },
            "registry records another package: reshared share dropped",
          );
          continue;
        }
        await this.ctx.keys.put(groupId, share);
        this.hooks.forgetPresignatures(keyId);
        installed.push({ keyId, epoch: share.public.epoch });
        this.ctx.logger.info({ keyId, epoch: e, member: share.self }, "reshared key installed");
      }
    }
    // Records of epochs the registry has reached are installed, superseded or refused. Those above it
    // belong to a change still pending (events replay from block 0 after a restart): they stay.
    for (const path of await this.ctx.store.list("reshare/")) {
      const [, , g, keyId, e] = path.split("/");
      if (g === groupId && BigInt(e) <= (await epochOf(keyId))) await this.ctx.store.delete(path);
    }
    return installed;
  }
}
