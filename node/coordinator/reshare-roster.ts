/**
 * Who takes part in a resharing (specs/protocols.md §6) and under which party id. Member ids are registry
 * positions (id = position + 1), so a membership change can renumber members. The roster gives every
 * member of the new committee its new id, and every old member that leaves an id after them (n'+1, …); a
 * dealer's old share keeps its old id as evaluation point (`oldIds`, the protocol's ReshareParams). So
 * one party has one id in the session even when it deals at its old position and receives at its new one.
 */
import type { GroupMember } from "./groups.js";

export interface ReshareRoster {
  /** Every party, ascending by party id, with its registry record. */
  readonly parties: readonly GroupMember[];
  /** Party ids of the old members (all of them can deal), ascending. */
  readonly dealers: readonly number[];
  /** Dealer party id → old member id, for the dealers whose ids differ. */
  readonly oldIds: ReadonlyMap<number, number>;
  /** New committee ids 1..n'. */
  readonly newParticipants: readonly number[];
}

/** Group id under which the roster of `groupId`'s pending change is addressed (invites, sessions). */
export const rosterGroupId = (groupId: string): string => `${groupId}~reshare`;

/** The real group id of a roster group id, or null if `id` is not one. */
export function groupOfRoster(id: string): string | null {
  return id.endsWith("~reshare") ? id.slice(0, -"~reshare".length) : null;
}

export function reshareRoster(
  oldMembers: readonly GroupMember[],
  newMembers: readonly GroupMember[],
): ReshareRoster {
  const newIdOf = new Map(newMembers.map((m) => [m.operator, m.id] as const));
  const parties: GroupMember[] = [...newMembers];
  const dealers: number[] = [];
  const oldIds = new Map<number, number>();
  for (const m of [...oldMembers].sort((a, b) => a.id - b.id)) {
    let party = newIdOf.get(m.operator);
    if (party === undefined) {
      party = parties.length + 1;
      parties.push({ ...m, id: party });
    }
    dealers.push(party);
    if (party !== m.id) oldIds.set(party, m.id);
  }
  return {
    parties: parties.sort((a, b) => a.id - b.id),
    dealers: dealers.sort((a, b) => a - b),
    oldIds,
    newParticipants: newMembers.map((m) => m.id),
  };
}
