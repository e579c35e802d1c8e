/**
 * ShardlessRegistry: deployment, members, groups, and the shared access-control behaviour suite.
 * Keys, epochs and membership changes are in registry-keys.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { Wallet, ZeroAddress, type Contract } from "ethers";
import { memberSetHash } from "../../node/adapters/chain/record.js";
import { shouldBehaveLikeAccessControl } from "./access-control.behavior.js";
import { expectEvent, expectRevert, mined, plain } from "./helpers.js";
import {
  ADMIN_ROLE,
  DEFAULT_ADMIN_ROLE,
  MemberStatus,
  REQUESTER_ROLE,
  Scheme,
  multiaddrOf,
  peerIdOf,
  registryFixture,
} from "./registry-fixture.js";

const { ethers } = await network.create();
const load = registryFixture(ethers);
const fresh = () => Wallet.createRandom().address;

describe("ShardlessRegistry: deployment", () => {
  it("grants the admin DEFAULT_ADMIN_ROLE and ADMIN_ROLE, and makes ADMIN_ROLE the requester admin", async () => {
    const { registry, admin } = await load();
    assert.equal(await registry.hasRole(DEFAULT_ADMIN_ROLE, admin.address), true);
    assert.equal(await registry.hasRole(ADMIN_ROLE, admin.address), true);
    assert.equal(await registry.getRoleAdmin(REQUESTER_ROLE), ADMIN_ROLE);
    assert.equal(await registry.getRoleAdmin(ADMIN_ROLE), DEFAULT_ADMIN_ROLE);
  });

  it("reverts with a zero admin", async () => {
    const { registry } = await load();
    const factory = await ethers.getContractFactory("ShardlessRegistry");
    await expectRevert(factory.deploy(ZeroAddress), registry, "ShardlessRegistryZeroAddress");
  });

  it("advertises the IShardlessRegistry interface id", async () => {
    const { registry } = await load();
    const iface = (await ethers.getContractAt("IShardlessRegistry", await registry.getAddress())).interface;
    let id = 0n;
    iface.forEachFunction((f) => (id ^= BigInt(f.selector)));
    assert.equal(await registry.supportsInterface("0x" + id.toString(16).padStart(8, "0")), true);
  });
});

describe("ShardlessRegistry: members", () => {
  it("addMember stores the member, lists it as active and emits MemberAdded", async () => {
    const { registry } = await load();
    const operator = fresh();
    const receipt = await mined(registry.addMember(operator, "12D3KooWNew", ["/dns4/a/tcp/1", "/ip6/::1/tcp/2"]));
    expectEvent(receipt, registry, "MemberAdded", [operator, "12D3KooWNew", ["/dns4/a/tcp/1", "/ip6/::1/tcp/2"]]);
    assert.deepEqual(plain(await registry.getMember(operator)), [
      operator,
      "12D3KooWNew",
      ["/dns4/a/tcp/1", "/ip6/::1/tcp/2"],
      BigInt(MemberStatus.Active),
    ]);
    assert.ok((await registry.activeMembers()).includes(operator));
  });

  it("getMember of an unknown operator has status None", async () => {
    const { registry } = await load();
    const unknown = fresh();
    assert.deepEqual(plain(await registry.getMember(unknown)), [unknown, "", [], BigInt(MemberStatus.None)]);
  });

  it("addMember reverts for a zero operator, an active member, an empty or taken peer id", async () => {
    const { registry, ops } = await load();
    await expectRevert(registry.addMember(ZeroAddress, "p", []), registry, "ShardlessRegistryZeroAddress");
    await expectRevert(registry.addMember(ops[0].address, "p", []), registry, "ShardlessRegistryMemberExists", [
      ops[0].address,
    ]);
    await expectRevert(registry.addMember(fresh(), "", []), registry, "ShardlessRegistryEmptyPeerId");
    await expectRevert(registry.addMember(fresh(), peerIdOf(2), []), registry, "ShardlessRegistryPeerIdTaken", [
      ops[1].address,
    ]);
  });

  it("addMember bounds the multiaddr count and string lengths (storage griefing)", async () => {
    const { registry } = await load();
    const nine = Array.from({ length: 9 }, (_, i) => `/ip4/1.1.1.${i}/tcp/1`);
    await expectRevert(registry.addMember(fresh(), "p", nine), registry, "ShardlessRegistryTooManyMultiaddrs", [9n, 8n]);
    await expectRevert(registry.addMember(fresh(), "p".repeat(257), []), registry, "ShardlessRegistryStringTooLong", [
      257n,
      256n,
    ]);
    await expectRevert(registry.addMember(fresh(), "p", ["/".repeat(257)]), registry, "ShardlessRegistryStringTooLong", [
      257n,
      256n,
    ]);
    await mined(registry.addMember(fresh(), "p".repeat(256), Array.from({ length: 8 }, () => "/".repeat(256))));
  });

  it("removeMember marks the member removed, frees its peer id and emits MemberRemoved", async () => {
    const { registry, ops } = await load();
    const receipt = await mined(registry.removeMember(ops[5].address));
    expectEvent(receipt, registry, "MemberRemoved", [ops[5].address]);
    assert.equal((await registry.getMember(ops[5].address)).status, BigInt(MemberStatus.Removed));
    assert.ok(!(await registry.activeMembers()).includes(ops[5].address));
    // The freed peer id can be taken by a new operator; the removed operator can come back with a new one.
    await mined(registry.addMember(fresh(), peerIdOf(6), []));
    await mined(registry.addMember(ops[5].address, "12D3KooWBack", ["/ip4/1.2.3.4/tcp/5"]));
    assert.equal((await registry.getMember(ops[5].address)).peerId, "12D3KooWBack");
    assert.deepEqual([...(await registry.getMember(ops[5].address)).multiaddrs], ["/ip4/1.2.3.4/tcp/5"]);
  });

  it("removeMember reverts for an operator that is not active", async () => {
    const { registry, ops } = await load();
    const unknown = fresh();
    await expectRevert(registry.removeMember(unknown), registry, "ShardlessRegistryMemberNotActive", [unknown]);
    await mined(registry.removeMember(ops[5].address));
    await expectRevert(registry.removeMember(ops[5].address), registry, "ShardlessRegistryMemberNotActive", [
      ops[5].address,
    ]);
  });

  it("updateMultiaddrs replaces the caller's own multiaddrs and emits MemberUpdated", async () => {
    const { registry, ops } = await load();
    const asMember = registry.connect(ops[1]) as Contract;
    const receipt = await mined(asMember.updateMultiaddrs(["/ip4/9.9.9.9/tcp/1", "/ip4/9.9.9.9/udp/1/quic-v1"]));
    expectEvent(receipt, registry, "MemberUpdated", [ops[1].address, ["/ip4/9.9.9.9/tcp/1", "/ip4/9.9.9.9/udp/1/quic-v1"]]);
    assert.deepEqual([...(await registry.getMember(ops[1].address)).multiaddrs], [
      "/ip4/9.9.9.9/tcp/1",
      "/ip4/9.9.9.9/udp/1/quic-v1",
    ]);
    assert.deepEqual([...(await registry.getMember(ops[2].address)).multiaddrs], [multiaddrOf(3)]);
    await mined(asMember.updateMultiaddrs([]));
    assert.deepEqual([...(await registry.getMember(ops[1].address)).multiaddrs], []);
  });

  it("updateMultiaddrs reverts for non-members, removed members and too many multiaddrs", async () => {
    const { registry, ops, outsider } = await load();
    await expectRevert(
      (registry.connect(outsider) as Contract).updateMultiaddrs([]),
      registry,
      "ShardlessRegistryMemberNotActive",
      [outsider.address],
    );
    await mined(registry.removeMember(ops[4].address));
    await expectRevert(
      (registry.connect(ops[4]) as Contract).updateMultiaddrs([]),
      registry,
      "ShardlessRegistryMemberNotActive",
      [ops[4].address],
    );
    await expectRevert(
      (registry.connect(ops[0]) as Contract).updateMultiaddrs(Array(9).fill("/ip4/1.1.1.1/tcp/1")),
      registry,
      "ShardlessRegistryTooManyMultiaddrs",
    );
  });
});

describe("ShardlessRegistry: groups", () => {
  it("createGroup stores the ordered members, indexes them 1..n and emits GroupCreated", async () => {
    const { registry, ops } = await load();
    const members = [ops[4].address, ops[0].address, ops[2].address, ops[5].address];
    const receipt = await mined(registry.createGroup(members));
    expectEvent(receipt, registry, "GroupCreated", [2n, members, memberSetHash(members)]);
    assert.equal(await registry.groupCount(), 2n);
    assert.deepEqual([...(await registry.groupMembers(2n))], members);
    for (const [i, m] of members.entries()) assert.equal(await registry.memberIndex(2n, m), BigInt(i + 1));
    assert.equal(await registry.memberIndex(2n, ops[1].address), 0n);
    assert.equal(await registry.groupMemberSetHash(2n), memberSetHash(members));
    assert.equal(await registry.memberSetHash(members), memberSetHash(members));
    assert.deepEqual([...(await registry.groupKeys(2n))], []);
    assert.deepEqual([...(await registry.pendingMembers(2n))], []);
  });

  it("member order matters: the member-set hash binds the indices", async () => {
    const { group1 } = await load();
    assert.notEqual(memberSetHash(group1), memberSetHash([...group1].reverse()));
  });

  it("createGroup reverts for fewer than 2 or more than 128 members, inactive or duplicate members", async () => {
    const { registry, ops, outsider } = await load();
    await expectRevert(registry.createGroup([ops[0].address]), registry, "ShardlessRegistryInvalidGroupSize", [1n]);
    await expectRevert(registry.createGroup([]), registry, "ShardlessRegistryInvalidGroupSize", [0n]);
    const tooMany = Array.from({ length: 129 }, fresh);
    await expectRevert(registry.createGroup(tooMany), registry, "ShardlessRegistryInvalidGroupSize", [129n]);
    await expectRevert(
      registry.createGroup([ops[0].address, outsider.address]),
      registry,
      "ShardlessRegistryMemberNotActive",
      [outsider.address],
    );
    await mined(registry.removeMember(ops[3].address));
    await expectRevert(
      registry.createGroup([ops[0].address, ops[3].address]),
      registry,
      "ShardlessRegistryMemberNotActive",
      [ops[3].address],
    );
    await expectRevert(
      registry.createGroup([ops[0].address, ops[1].address, ops[0].address]),
      registry,
      "ShardlessRegistryDuplicateMember",
      [ops[0].address],
    );
  });

  it("group views revert for unknown groups (0 and past the count)", async () => {
    const { registry } = await load();
    for (const view of ["groupMembers", "groupKeys", "pendingMembers", "groupMemberSetHash"]) {
      for (const groupId of [0n, 2n]) {
        await expectRevert(registry.getFunction(view)(groupId), registry, "ShardlessRegistryUnknownGroup", [groupId]);
      }
    }
    await expectRevert(registry.memberIndex(7n, ZeroAddress), registry, "ShardlessRegistryUnknownGroup", [7n]);
  });

  it("a removed member stays listed in its group until a membership change", async () => {
    const { registry, ops, group1 } = await load();
    await mined(registry.removeMember(ops[2].address));
    assert.deepEqual([...(await registry.groupMembers(1n))], group1);
    assert.equal(await registry.memberIndex(1n, ops[2].address), 3n);
  });
});

shouldBehaveLikeAccessControl(async () => {
  const { registry, admin, ops } = await load();
  const [, , , , , , , , , other, third] = await ethers.getSigners();
  const asCaller = (caller: typeof admin) => registry.connect(caller) as Contract;
  return {
    contract: registry,
    admin,
    other,
    third,
    roles: [
      { name: "ADMIN_ROLE", role: ADMIN_ROLE, adminRole: DEFAULT_ADMIN_ROLE },
      { name: "REQUESTER_ROLE", role: REQUESTER_ROLE, adminRole: ADMIN_ROLE },
    ],
    guarded: [
      { name: "addMember", role: ADMIN_ROLE, call: (_, c) => mined(asCaller(c).addMember(fresh(), `p-${fresh()}`, [])) },
      {
        name: "removeMember",
        role: ADMIN_ROLE,
        call: async (_, c) => {
          const operator = fresh();
          await mined(registry.addMember(operator, `p-${operator}`, []));
          return mined(asCaller(c).removeMember(operator));
        },
      },
      { name: "createGroup", role: ADMIN_ROLE, call: (_, c) => mined(asCaller(c).createGroup([ops[0].address, ops[1].address])) },
      {
        name: "requestMembershipChange",
        role: ADMIN_ROLE,
        call: (_, c) => mined(asCaller(c).requestMembershipChange(1n, [ops[0].address, ops[3].address])),
      },

      {
        name: "retireKey",
        role: ADMIN_ROLE,
        call: async (_, c) => {
          await mined(registry.requestKey(1n, Scheme.Schnorr, 1));
          return mined(asCaller(c).retireKey(await registry.keyCount()));
        },
      },
      {
        name: "requestKey",
        role: REQUESTER_ROLE,
        call: (_, c) => mined(asCaller(c).requestKey(1n, Scheme.Schnorr, 1)),
        error: (caller) => ["ShardlessRegistryUnauthorizedRequester", [caller]],
      },
    ],
  };
});
