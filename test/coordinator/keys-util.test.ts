/**
 * Which held keys a node serves (node/coordinator/keys-util.ts): a member a reshare removed stops serving
 * the group's keys as soon as its group directory says so, before its shares are erased.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NotFoundError } from "../../node/adapters/api/errors.js";
import type { NodeContext } from "../../node/coordinator/context.js";
import type { HeldKey } from "../../node/coordinator/keyring.js";
import { requireHeldKey, servedKey } from "../../node/coordinator/keys-util.js";
import { UnknownGroupError } from "../../node/coordinator/groups.js";

const held = { groupId: "7", share: { public: { keyId: "1", scheme: "ecdsa" } } } as unknown as HeldKey;

function ctxWith(self: number | null | "unknown-group"): NodeContext {
  return {
    keys: { get: (id: string) => (id === "1" ? held : undefined), disputed: new Set<string>() },
    groups: {
      get: (groupId: string) => {
        if (self === "unknown-group") throw new UnknownGroupError(`unknown group ${groupId}`);
        return { groupId, members: [], self };
      },
    },
  } as unknown as NodeContext;
}

describe("served keys", () => {
  it("a member of the key's group is served its key", () => {
    assert.equal(servedKey(ctxWith(2), "1"), held);
    assert.equal(requireHeldKey(ctxWith(2), "1"), held);
  });

  for (const self of [null, "unknown-group"] as const) {
    it(`a held key of a group ${self === null ? "that no longer lists this member" : "this node does not know"} is not served (NOT_FOUND)`, () => {
      assert.equal(servedKey(ctxWith(self), "1"), undefined);
      assert.throws(() => requireHeldKey(ctxWith(self), "1"), NotFoundError);
    });
  }

  it("a key not held is not served", () => {
    assert.equal(servedKey(ctxWith(2), "2"), undefined);
    assert.throws(() => requireHeldKey(ctxWith(2), "2"), NotFoundError);
  });
});
