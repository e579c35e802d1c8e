/**
 * node/coordinator/reshare-roster.ts: who deals and who receives in a resharing when registry positions
 * (member ids) change. A receiver's party id is its new id; a dealer deals at its old id; one party has
 * one id, and no id stands for two parties.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { GroupMember } from "../../../node/coordinator/groups.js";
import { groupOfRoster, reshareRoster, rosterGroupId } from "../../../node/coordinator/reshare-roster.js";

/** Members named by letter at positions 1..n. */
const committee = (names: string): GroupMember[] =>
  [...names].map((name, k) => ({ id: k + 1, operator: name, peerId: `peer-${name}`, multiaddrs: [] }));

const summary = (oldNames: string, newNames: string) => {
  const r = reshareRoster(committee(oldNames), committee(newNames));
  return {
    parties: r.parties.map((m) => `${m.id}${m.operator}`).join(" "),
    dealers: r.dealers.map((id) => `${id}@${r.oldIds.get(id) ?? id}`).join(" "),
    receivers: r.newParticipants,
  };
};

describe("reshare roster: party ids across a membership change (dealer@old id)", () => {
  it("growing 3 → 5: every old member deals under its unchanged id", () => {
    assert.deepEqual(summary("ABC", "ABCDE"), {
      parties: "1A 2B 3C 4D 5E",
      dealers: "1@1 2@2 3@3",
      receivers: [1, 2, 3, 4, 5],
    });
  });

  it("removing the last member: it still deals under its id but receives nothing", () => {
    assert.deepEqual(summary("ABCDE", "ABCD"), {
      parties: "1A 2B 3C 4D 5E",
      dealers: "1@1 2@2 3@3 4@4 5@5",
      receivers: [1, 2, 3, 4],
    });
  });

  it("removing B: the members after it receive at their new ids and deal at their old ones", () => {
    assert.deepEqual(summary("ABCDE", "ACDE"), {
      parties: "1A 2C 3D 4E 5B",
      dealers: "1@1 2@3 3@4 4@5 5@2",
      receivers: [1, 2, 3, 4],
    });
  });

  it("removing B with E moved into seat 2", () => {
    assert.deepEqual(summary("ABCDE", "AECD"), {
      parties: "1A 2E 3C 4D 5B",
      dealers: "1@1 2@5 3@3 4@4 5@2",
      receivers: [1, 2, 3, 4],
    });
  });

  it("a wholly new committee of the same size: the old members deal under the ids after it", () => {
    assert.deepEqual(summary("ABC", "XYZ"), {
      parties: "1X 2Y 3Z 4A 5B 6C",
      dealers: "4@1 5@2 6@3",
      receivers: [1, 2, 3],
    });
  });

  it("roster group ids round-trip and never look like a group id", () => {
    assert.equal(rosterGroupId("7"), "7~reshare");
    assert.equal(groupOfRoster(rosterGroupId("7")), "7");
    assert.equal(groupOfRoster("7"), null);
  });
});
