/**
 * node/coordinator/reshare-invite.ts: the checks a member makes before it deals or receives in a
 * resharing. The invite comes from one member (the coordinator); each check below blocks a coordinator
 * that tries to run a session other than the registry's pending change.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getAddress } from "ethers";
import { memberSetHash, registryVouches } from "../../../node/adapters/chain/record.js";
import type { KeyInfo } from "../../../node/adapters/chain/types.js";
import type { GroupMember } from "../../../node/coordinator/groups.js";
import type { Invite } from "../../../node/coordinator/invite.js";
import {
  decodeParams,
  degreeChangeAllowed,
  encodeParams,
  matchesPendingChange,
  type ReshareInviteParams,
} from "../../../node/coordinator/reshare-invite.js";
import { reshareRoster, rosterGroupId } from "../../../node/coordinator/reshare-roster.js";
import { bytesToHex, hexToBytes, seededRng } from "../../../node/crypto/index.js";
import { DecodeError } from "../../../node/protocol/errors.js";
import { commitmentDigest, registryPublicKey } from "../../../node/protocol/key-share.js";
import { dealKey } from "../../helpers/dealer.js";

const operator = (k: number) => getAddress(`0x${k.toString(16).padStart(2, "0").repeat(20)}`);
const committee = (ops: number[]): GroupMember[] =>
  ops.map((op, k) => ({ id: k + 1, operator: operator(op), peerId: `peer-${op}`, multiaddrs: [] }));

// 5 → 4 removing operator 2: operators 3, 4, 5 are renumbered 2, 3, 4; operator 2 deals as party 5.
const oldMembers = committee([1, 2, 3, 4, 5]);
const pending = committee([1, 3, 4, 5]);
const roster = reshareRoster(oldMembers, pending);
const { shares } = dealKey({ degree: 2, participants: [1, 2, 3, 4, 5] }, seededRng("invite"));
const oldPublic = { ...shares.get(1)!.public, keyId: "7", epoch: 3 };

const honest: ReshareInviteParams = {
  dealers: [1, 2, 3, 4, 5],
  dealerOldIds: [1, 3, 4, 5, 2],
  newParticipants: [1, 2, 3, 4],
  newDegree: 1,
  newMemberSetHash: hexToBytes(memberSetHash(pending.map((m) => m.operator)).slice(2)),
  oldPublic,
};
const inviteFor = (p: ReshareInviteParams, over: Partial<Invite> = {}): Invite => ({
  kind: "reshare",
  groupId: rosterGroupId("1"),
  keyId: "7",
  epoch: 3,
  requestId: "r/key-7",
  participants: [...new Set([...p.dealers, ...p.newParticipants])].sort((a, b) => a - b),
  coordinator: 2,
  params: encodeParams(p),
  ...over,
});
const matches = (p: ReshareInviteParams, over: Partial<Invite> = {}) =>
  matchesPendingChange(inviteFor(p, over), decodeParams(inviteFor(p, over).params), pending, roster);

describe("reshare invite: a participant takes part only in the registry's pending change", () => {
  it("the honest invite round-trips and matches", () => {
    assert.deepEqual(decodeParams(encodeParams(honest)), honest);
    assert.equal(matches(honest), true);
  });

  it("strict decoding: a trailing byte is refused", () => {
    const bytes = encodeParams(honest);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assert.throws(() => decodeParams(longer), DecodeError);
  });

  it("a coordinator dealing another member's old share (swapped old ids) is declined", () => {
    assert.equal(matches({ ...honest, dealerOldIds: [1, 4, 3, 5, 2] }), false);
  });

  it("a coordinator inventing a committee the admin did not request is declined", () => {
    const other = committee([1, 3, 4, 6]).map((m) => m.operator);
    assert.equal(matches({ ...honest, newMemberSetHash: hexToBytes(memberSetHash(other).slice(2)) }), false);
    assert.equal(matches({ ...honest, newParticipants: [1, 2, 3] }), false);
  });

  it("a coordinator naming a dealer outside the old committee is declined", () => {
    assert.equal(matches({ ...honest, dealers: [1, 2, 3, 4, 6], dealerOldIds: [1, 3, 4, 5, 2] }), false);
  });

  it("an invite whose session members are not dealers ∪ new committee is declined", () => {
    assert.equal(matches(honest, { participants: [1, 2, 3, 4] }), false);
  });

  it("an invite for another key or epoch than its package is declined", () => {
    assert.equal(matches(honest, { epoch: 2 }), false);
    assert.equal(matches(honest, { keyId: "8" }), false);
  });

  it("a new member trusts the old package only if the registry records it", () => {
    const info: KeyInfo = {
      keyId: 7n,
      groupId: 1n,
      scheme: oldPublic.scheme,
      status: "active",
      degree: 2,
      epoch: 3n,
      ethAddress: null,
      commitmentDigest: `0x${bytesToHex(commitmentDigest(oldPublic))}`,
      publicKey: `0x${bytesToHex(registryPublicKey(oldPublic))}`,
    };
    assert.equal(registryVouches(info, oldPublic), true);
    assert.equal(registryVouches({ ...info, epoch: 4n }, oldPublic), false);
    assert.equal(registryVouches({ ...info, status: "retired" }, oldPublic), false);
    const otherPackage = dealKey({ degree: 2, participants: [1, 2, 3, 4, 5] }, seededRng("other")).shares;
    assert.equal(registryVouches(info, { ...otherPackage.get(1)!.public, keyId: "7", epoch: 3 }), false);
  });

  it("a coordinator cannot lower a key's degree unless the member's configuration allows it", () => {
    assert.equal(degreeChangeAllowed(2, 2, false), true, "same degree");
    assert.equal(degreeChangeAllowed(2, 3, false), true, "raising is always allowed");
    assert.equal(degreeChangeAllowed(2, 1, false), false, "lowering refused by default");
    assert.equal(degreeChangeAllowed(2, 1, true), true, "lowering with reshare.allowDegreeDecrease");
  });
});
