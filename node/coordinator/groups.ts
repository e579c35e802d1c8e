/**
 * The registry's view of who is who: the groups this node belongs to, their ordered members (member id =
 * position + 1), and each member's libp2p peer id and addresses. Rebuilt from the registry's views
 * whenever a membership event arrives (registries are small; a full re-read is simple and never drifts).
 */
import { getAddress } from "ethers";
import type { RegistryClient } from "../adapters/chain/registry-client.js";
import { ParameterError } from "../protocol/errors.js";

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
}

export class UnknownGroupError extends ParameterError {}

export class GroupDirectory {
  private groups = new Map<string, GroupInfo>();
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
    const infoCache = new Map<string, { peerId: string; multiaddrs: string[] }>();
    for (let g = 1; g <= count; g++) {
      const operators = await this.registry.groupMembers(BigInt(g));
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
      const self = members.find((m) => m.operator === this.operator)?.id ?? null;
      next.set(String(g), { groupId: String(g), members, self });
    }
    this.groups = next;
  }

  get(groupId: string): GroupInfo {
    const g = this.groups.get(groupId);
    if (!g) throw new UnknownGroupError(`unknown group ${groupId}`);
    return g;
  }

  /** Groups this node is a member of. */
  mine(): GroupInfo[] {
    return [...this.groups.values()].filter((g) => g.self !== null);
  }

  /** Peers this node may talk to: every member of every group it belongs to (itself excluded). */
  peers(selfPeerId: string): { peerId: string; multiaddrs: string[] }[] {
    const out = new Map<string, string[]>();
    for (const g of this.mine()) {
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
    return this.groups.get(groupId)?.members.find((m) => m.peerId === peerId)?.id ?? null;
  }
}
