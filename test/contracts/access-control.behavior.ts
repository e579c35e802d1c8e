/**
 * Shared behaviour suite for OpenZeppelin AccessControl contracts (not a test file; like OZ
 * test/access/AccessControl.behavior.js). A contract under test supplies its roles and the functions
 * each role guards; the suite checks role administration and that every guarded function refuses a
 * caller without the role and accepts it once granted.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { Contract } from "ethers";
import { expectEvent, expectRevert, mined } from "./helpers.js";

export interface GuardedFunction {
  name: string;
  role: string;
  /** Calls the function as `caller`. */
  call(contract: Contract, caller: HardhatEthersSigner): Promise<unknown>;
  /** The error a caller without the role gets (default AccessControlUnauthorizedAccount(caller, role)). */
  error?: (caller: string) => [string, unknown[]];
}

export interface AccessControlSubject {
  contract: Contract;
  /** Holds DEFAULT_ADMIN_ROLE and the admin role of every role below. */
  admin: HardhatEthersSigner;
  /** Holds no role. */
  other: HardhatEthersSigner;
  /** Another account holding no role. */
  third: HardhatEthersSigner;
  roles: { name: string; role: string; adminRole: string }[];
  guarded: GuardedFunction[];
}

const DEFAULT_ADMIN_ROLE = "0x" + "00".repeat(32);

export function shouldBehaveLikeAccessControl(load: () => Promise<AccessControlSubject>): void {
  describe("access control", () => {
    it("supports the IAccessControl and ERC-165 interfaces only", async () => {
      const { contract } = await load();
      assert.equal(await contract.supportsInterface("0x7965db0b"), true);
      assert.equal(await contract.supportsInterface("0x01ffc9a7"), true);
      assert.equal(await contract.supportsInterface("0xffffffff"), false);
    });

    it("gives the deployer-chosen admin DEFAULT_ADMIN_ROLE, and nobody else", async () => {
      const { contract, admin, other } = await load();
      assert.equal(await contract.hasRole(DEFAULT_ADMIN_ROLE, admin.address), true);
      assert.equal(await contract.hasRole(DEFAULT_ADMIN_ROLE, other.address), false);
    });

    it("declares each role's admin role", async () => {
      const { contract, roles } = await load();
      for (const { name, role, adminRole } of roles) assert.equal(await contract.getRoleAdmin(role), adminRole, name);
    });

    it("lets a role's admin grant it once (RoleGranted) and revoke it (RoleRevoked)", async () => {
      const { contract, admin, other, roles } = await load();
      for (const { role } of roles) {
        const granted = await mined(contract.grantRole(role, other.address));
        expectEvent(granted, contract, "RoleGranted", [role, other.address, admin.address]);
        assert.equal(await contract.hasRole(role, other.address), true);
        const again = await mined(contract.grantRole(role, other.address));
        assert.equal(again.logs.length, 0, "granting a held role emits nothing");
        const revoked = await mined(contract.revokeRole(role, other.address));
        expectEvent(revoked, contract, "RoleRevoked", [role, other.address, admin.address]);
        assert.equal(await contract.hasRole(role, other.address), false);
      }
    });

    it("privilege escalation: an account without the admin role cannot grant or revoke", async () => {
      const { contract, admin, other, roles } = await load();
      const asOther = contract.connect(other) as Contract;
      for (const { role, adminRole } of roles) {
        await expectRevert(asOther.grantRole(role, other.address), contract, "AccessControlUnauthorizedAccount", [
          other.address,
          adminRole,
        ]);
        await expectRevert(asOther.revokeRole(role, admin.address), contract, "AccessControlUnauthorizedAccount", [
          other.address,
          adminRole,
        ]);
      }
    });

    it("lets an account renounce its own role, never another account's", async () => {
      const { contract, admin, other, third, roles } = await load();
      const { role } = roles[0];
      await mined(contract.grantRole(role, other.address));
      await expectRevert(
        (contract.connect(third) as Contract).renounceRole(role, other.address),
        contract,
        "AccessControlBadConfirmation",
      );
      const renounced = await mined((contract.connect(other) as Contract).renounceRole(role, other.address));
      expectEvent(renounced, contract, "RoleRevoked", [role, other.address, other.address]);
      assert.equal(await contract.hasRole(role, other.address), false);
      assert.equal(await contract.hasRole(role, admin.address), true);
    });

    describe("guarded functions", () => {
      it("refuse a caller without the role, accept it once granted, refuse it again once revoked", async () => {
        const count = (await load()).guarded.length;
        for (let i = 0; i < count; i++) {
          // A fresh state per function, so that one function's effects cannot block another.
          const { contract, other, guarded } = await load();
          const fn = guarded[i];
          const [errorName, args] = fn.error?.(other.address) ?? [
            "AccessControlUnauthorizedAccount",
            [other.address, fn.role],
          ];
          await expectRevert(fn.call(contract, other), contract, errorName, args);
          await mined(contract.grantRole(fn.role, other.address));
          await fn.call(contract, other);
          await mined(contract.revokeRole(fn.role, other.address));
          await expectRevert(fn.call(contract, other), contract, errorName, args);
        }
      });
    });
  });
}
