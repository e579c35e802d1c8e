/**
 * The node's services (what the HTTP API calls) and its reactions to registry events. It owns no
 * cryptography: each scheme's module (keygen, ecdsa, frost, decryption, lifecycle) runs its protocols
 * through the runner; this class routes requests to them and reports status.
 */
import { getAddress } from "ethers";
import type { RegistryEvent } from "../adapters/chain/types.js";
import { NotFoundError, UnavailableError } from "../adapters/api/errors.js";
import type { HealthStatus, NodeServices, RecoverResult } from "../adapters/api/services.js";
import type { GroupStatus, Hex, KeyStatus, NodeStatus, SignPayload, SignResult } from "../client/types.js";
import { bytesToHex } from "../crypto/hash.js";
import { colludersToSteal, quorum, registryPublicKey, type Scheme } from "../protocol/key-share.js";
import { ParameterError, ShardlessError } from "../protocol/errors.js";
import { ethereumAddress } from "./addresses.js";
import { servedKey } from "./keys-util.js";
import type { NodeContext } from "./context.js";
import type { Keygen } from "./keygen.js";
import type { PayloadRef } from "./decrypt.js";

/** What each scheme module contributes to the services. */
export interface SchemeServices {
  sign?(keyId: string, payload: SignPayload, requestId: string): Promise<SignResult>;
  decrypt?(
    keyId: string,
    ciphertext: Hex,
    format: "tdh2" | "ecies",
    requestId: string,
    payload?: PayloadRef,
  ): Promise<{ plaintext: Hex }>;
  refresh?(keyId: string, requestId: string): Promise<KeyStatus>;
  recover?(keyId: string, member: number, requestId: string): Promise<RecoverResult>;
  reshare?(groupId: string, members: Hex[], degree: number, requestId: string): Promise<GroupStatus>;
  /** Extra status per key (pool depths). */
  keyExtras?(keyId: string): Partial<KeyStatus>;
}

export class NotSupportedError extends ShardlessError {
  readonly code = "PARAMETER";
}

export class Coordinator implements NodeServices {
  private readonly schemes: SchemeServices[] = [];
  private readonly published = new Map<string, () => void>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly keygenModule: Keygen,
  ) {}

  use(services: SchemeServices): void {
    this.schemes.push(services);
  }

  // ---- registry events -------------------------------------------------------------------------

  async onRegistryEvent(event: RegistryEvent): Promise<void> {
    switch (event.name) {
      case "MemberAdded":
      case "MemberRemoved":
      case "MemberUpdated":
      case "GroupCreated":
      case "MembershipChangeRequested":
        await this.ctx.groups.reload();
        this.onPeersChanged();
        return;
      case "MembershipChanged":
        await this.ctx.groups.reload();
        this.onPeersChanged();
        await this.onMembershipChanged(String(event.groupId));
        return;
      case "KeyRequested": {
        const group = this.ctx.groups.get(String(event.groupId));
        if (group.self === null) return;
        // Not awaited: the follower must keep delivering events while the DKG runs.
        this.keygenModule
          .onKeyRequested({
            keyId: String(event.keyId),
            groupId: String(event.groupId),
            scheme: event.scheme,
            degree: event.degree,
          })
          .catch((e: unknown) =>
            this.ctx.logger.error(
              { keyId: String(event.keyId), error: e instanceof ShardlessError ? e.code : String(e) },
              "key generation failed",
            ),
          );
        return;
      }
      case "EpochAdvanced":
        await this.onEpochAdvanced(String(event.keyId), Number(event.epoch));
        return;
      case "KeyPublished":
        this.keygenModule.onKeyPublished(String(event.keyId), event.publicKey);
        this.published.get(String(event.keyId))?.();
        this.onKeyPublished(String(event.keyId));
        return;
      default:
        return;
    }
  }

  /** Called on EpochAdvanced (node.ts connects the lifecycle service). */
  onEpochAdvanced: (keyId: string, epoch: number) => Promise<void> = async () => {};

  /** Called after a group's committee changed (node.ts connects the reshare service). */
  onMembershipChanged: (groupId: string) => Promise<void> = async () => {};

  /** Called once a key is published (node.ts starts its presignature pool). */
  onKeyPublished: (keyId: string) => void = () => {};

  /** Called when group membership changed (node.ts updates the transport's allowlist). */
  onPeersChanged: () => void = () => {};

  // ---- services ----------------------------------------------------------------------------------

  async health(): Promise<HealthStatus> {
    return { ok: true, peerId: this.ctx.peerId };
  }

  async status(): Promise<NodeStatus> {
    const connected = new Set(this.ctx.connectedPeers());
    const groups = this.ctx.groups.mine().map((g) => this.groupStatus(g.groupId, connected));
    const peers = this.ctx.groups
      .peers(this.ctx.peerId)
      .map((p) => ({ peerId: p.peerId, connected: connected.has(p.peerId) }));
    return {
      peerId: this.ctx.peerId,
      operator: this.ctx.operator,
      chainId: Number(this.ctx.chainId),
      registry: this.ctx.registryAddress,
      peers,
      groups,
    };
  }

  /** One group as the API reports it (also for a group this node just left). */
  async group(groupId: string): Promise<GroupStatus> {
    return this.groupStatus(groupId, new Set(this.ctx.connectedPeers()));
  }

  private groupStatus(groupId: string, connected: Set<string>): GroupStatus {
    const g = this.ctx.groups.get(groupId);
    return {
      groupId,
      members: g.members.map((m) => ({
        id: m.id,
        operator: m.operator,
        peerId: m.peerId,
        online: m.peerId === this.ctx.peerId || connected.has(m.peerId),
      })),
      keys: this.ctx.keys
        .all()
        .filter((k) => k.groupId === groupId)
        .map((k) => this.keyStatus(k.share.public.keyId)),
    };
  }

  keyStatus(keyId: string): KeyStatus {
    const held = servedKey(this.ctx, keyId);
    if (!held) throw new NotFoundError(`this node holds no share of key ${keyId}`);
    const p = held.share.public;
    const status: KeyStatus = {
      keyId,
      groupId: held.groupId,
      scheme: p.scheme,
      degree: p.degree,
      quorum: quorum(p.scheme, p.degree),
      colludersToSteal: colludersToSteal(p.degree),
      epoch: p.epoch,
      publicKey: `0x${bytesToHex(p.publicKey.toBytes(true))}`,
      status: this.keygenModule.disputed.has(keyId) ? "retired" : "active",
    };
    if (p.scheme === "ecdsa") status.address = ethereumAddress(p.publicKey) as Hex;
    if (p.scheme === "schnorr") status.xOnlyPublicKey = `0x${bytesToHex(registryPublicKey(p).subarray(1))}`;
    for (const s of this.schemes) Object.assign(status, s.keyExtras?.(keyId) ?? {});
    return status;
  }

  async key(keyId: string): Promise<KeyStatus> {
    return this.keyStatus(keyId);
  }

  async keygen(groupId: string, scheme: Scheme, degree: number, _requestId: string): Promise<KeyStatus> {
    const group = this.ctx.groups.get(groupId);
    if (group.self === null) throw new NotFoundError(`this node is not a member of group ${groupId}`);
    const online = group.members.filter(
      (m) => m.peerId === this.ctx.peerId || this.ctx.connectedPeers().includes(m.peerId),
    ).length;
    if (online < group.members.length) {
      throw new UnavailableError(
        `key generation needs every member of group ${groupId} online (${online}/${group.members.length})`,
        online,
        group.members.length,
      );
    }
    const { keyId } = await this.ctx.registry.requestKey(BigInt(groupId), scheme, degree);
    const id = String(keyId);
    const published = new Promise<void>((resolve) => this.published.set(id, resolve));
    try {
      await this.keygenModule.onKeyRequested({ keyId: id, groupId, scheme, degree });
      await Promise.race([published, this.pollPublished(id)]);
    } finally {
      this.published.delete(id);
    }
    return this.keyStatus(id);
  }

  /** Fallback when events are slow: poll the registry until the key is active. */
  private async pollPublished(keyId: string): Promise<void> {
    const deadline = this.ctx.clock.now() + this.ctx.timeouts.sessionMs;
    while (this.ctx.clock.now() < deadline) {
      const info = await this.ctx.registry.getKey(BigInt(keyId));
      if (info.status === "active") return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new UnavailableError(`key ${keyId} was generated but not published in time`);
  }

  private pick<K extends keyof SchemeServices>(name: K): NonNullable<SchemeServices[K]> {
    for (const s of this.schemes) if (s[name]) return s[name] as NonNullable<SchemeServices[K]>;
    throw new NotSupportedError(`${name} is not available on this node`);
  }

  sign(keyId: string, payload: SignPayload, requestId: string): Promise<SignResult> {
    return this.pick("sign")(keyId, payload, requestId);
  }
  decrypt(keyId: string, ciphertext: Hex, format: "tdh2" | "ecies", requestId: string, payload?: PayloadRef) {
    return this.pick("decrypt")(keyId, ciphertext, format, requestId, payload);
  }
  refresh(keyId: string, requestId: string) {
    return this.pick("refresh")(keyId, requestId);
  }
  recover(keyId: string, member: number, requestId: string) {
    return this.pick("recover")(keyId, member, requestId);
  }
  reshare(groupId: string, members: Hex[], degree: number, requestId: string) {
    if (members.some((m) => getAddress(m) !== m)) throw new ParameterError("members must be checksummed");
    return this.pick("reshare")(groupId, members, degree, requestId);
  }
}
