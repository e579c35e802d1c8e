/**
 * The registry's view of who is who: the groups this node belongs to, their ordered members (member id =
 * position + 1), and each member's libp2p peer id and addresses. Rebuilt from the registry's views
 * whenever a membership event arrives (registries are small; a full re-read is simple and never drifts).
 * A pending membership change also yields its resharing roster (reshare-roster.ts), addressed like a group.
 */
import { getAddress } from "ethers";
import type { RegistryClient } from "../adapters/chain/registry-client.js";
import { ParameterError } from "../protocol/errors.js";
import { reshareRoster, rosterGroupId, type ReshareRoster } from "./reshare-roster.js";

export interface GroupMember {
  readonly id: number;
  readonly operator: string;
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
}

export interface GroupInfo {
  readonly groupId: string;
  readonly members: readonly GroupMember[];
  /** This node's member id in the group, or null if it is not a member. */
  readonly self: number | null;
  /** The requested new committee while a membership change is pending (ids = new positions). */
  readonly pending?: readonly GroupMember[];
}

export class UnknownGroupError extends ParameterError {}

export class GroupDirectory {
  private groups = new Map<string, GroupInfo>();
  /** Pending membership changes: the resharing roster, addressed as `rosterGroupId(groupId)`. */
  private rosters = new Map<string, GroupInfo & { roster: ReshareRoster }>();
  private readonly operator: string;

  constructor(
    private readonly registry: RegistryClient,
    operator: string,
  ) {
    this.operator = getAddress(operator);
  }

  /** Re-reads every group and member from the registry. */
  async reload(): Promise<void> {
    const count = Number(await this.registry.groupCount());
    const next = new Map<string, GroupInfo>();
    const rosters = new Map<string, GroupInfo & { roster: ReshareRoster }>();
    const infoCache = new Map<string, { peerId: string; multiaddrs: string[] }>();
    const membersOf = async (operators: readonly string[]): Promise<GroupMember[]> => {
      const members: GroupMember[] = [];
      for (const [k, op] of operators.entries()) {
        const addr = getAddress(op);
        let info = infoCache.get(addr);
        if (!info) {
          const m = await this.registry.getMember(addr);
          info = { peerId: m.peerId, multiaddrs: m.multiaddrs };
          infoCache.set(addr, info);
        }
        members.push({ id: k + 1, operator: addr, ...info });
      }
      return members;
    };
    const selfIn = (members: readonly GroupMember[]) =>
      members.find((m) => m.operator === this.operator)?.id ?? null;
    for (let g = 1; g <= count; g++) {
      const groupId = String(g);
      const members = await membersOf(await this.registry.groupMembers(BigInt(g)));
      const pendingOperators = await this.registry.pendingMembers(BigInt(g));
      const pending = pendingOperators.length > 0 ? await membersOf(pendingOperators) : undefined;
      next.set(groupId, { groupId, members, self: selfIn(members), ...(pending ? { pending } : {}) });
      if (pending) {
        const roster = reshareRoster(members, pending);
        const id = rosterGroupId(groupId);
        rosters.set(id, { groupId: id, members: roster.parties, self: selfIn(roster.parties), roster });
      }
    }
    this.groups = next;
    this.rosters = rosters;
  }

  /** A group, or the roster of a pending membership change (`rosterGroupId`). */
  get(groupId: string): GroupInfo {
    const g = this.groups.get(groupId) ?? this.rosters.get(groupId);
    if (!g) throw new UnknownGroupError(`unknown group ${groupId}`);
    return g;
  }

  /** Groups this node is a member of. */
  mine(): GroupInfo[] {
    return [...this.groups.values()].filter((g) => g.self !== null);
  }

  /** The resharing roster of `groupId`'s pending membership change, or null if none is pending. */
  roster(groupId: string): ReshareRoster | null {
    return this.rosters.get(rosterGroupId(groupId))?.roster ?? null;
  }

  /**
   * Peers this node may talk to: every member of every group it belongs to, and every party of a pending
   * resharing it takes part in (itself excluded).
   */
  peers(selfPeerId: string): { peerId: string; multiaddrs: string[] }[] {
    const out = new Map<string, string[]>();
    const rosters = [...this.rosters.values()].filter((r) => r.self !== null);
    for (const g of [...this.mine(), ...rosters]) {
      for (const m of g.members) if (m.peerId !== selfPeerId) out.set(m.peerId, [...m.multiaddrs]);
    }
    return [...out].map(([peerId, multiaddrs]) => ({ peerId, multiaddrs }));
  }

  /** member id → peer id for a set of members of a group. */
  peerMap(groupId: string, ids: readonly number[]): Map<number, string> {
    const g = this.get(groupId);
    return new Map(
      ids.map((id) => {
        const m = g.members.find((x) => x.id === id);
        if (!m) throw new ParameterError(`group ${groupId} has no member ${id}`);
        return [id, m.peerId] as const;
      }),
    );
  }

  /** The member id of `peerId` in `groupId`, or null. */
  memberOfPeer(groupId: string, peerId: string): number | null {
    const g = this.groups.get(groupId) ?? this.rosters.get(groupId);
    return g?.members.find((m) => m.peerId === peerId)?.id ?? null;
  }
}
