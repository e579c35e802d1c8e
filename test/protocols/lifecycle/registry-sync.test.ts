/**
 * planRegistrySync (protocols/lifecycle/registry-sync.ts): what a member does with a key after a restart
 * or an EpochAdvanced, given what it holds and what the registry shows. Pending records and certificates
 * are real (signed ACKs over dealt epoch-1 shares).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { seededRng } from "../../../node/crypto/index.js";
import { commitmentDigest, type KeyShare } from "../../../node/protocol/key-share.js";
import {
  buildCertificate,
  planRegistrySync,
  preparePending,
  type EpochOutput,
} from "../../../node/protocols/lifecycle/index.js";
import { dealKey } from "../../helpers/dealer.js";
import { identities, range } from "../refresh/harness.js";

const ids = identities(range(1, 3));
const roster = [1, 2, 3];
const sid = seededRng("sync-sid")(32);
const next = dealKey({ degree: 1, participants: roster, epoch: 1 }, seededRng("sync-next")).shares;
const other = dealKey({ degree: 1, participants: roster, epoch: 1 }, seededRng("sync-other")).shares;
const output = (share: KeyShare): EpochOutput => ({
  protocol: "refresh",
  sessionId: sid,
  share,
  transcriptDigest: new Uint8Array(32).fill(9),
  roster,
  culprits: [],
});
const pendings = roster.map((id) => preparePending(output(next.get(id)!), ids.signer(id)));
const pending = pendings[0];
const certificate = buildCertificate(
  pendings.map((p) => p.ownAck),
  roster,
);
const registryAt = (epoch: number, share: KeyShare) => ({
  epoch,
  commitmentDigest: commitmentDigest(share.public),
});
const e0 = dealKey({ degree: 1, participants: roster }, seededRng("sync-e0")).shares.get(1)!;

describe("registry sync: converging a key to the registry's epoch", () => {
  it("crash after the pending record, registry unchanged: keep the old share and the pending record", () => {
    const plan = planRegistrySync({ heldEpoch: 0, pending, certificates: [] }, registryAt(0, e0), ids.verify);
    assert.deepEqual(plan, { pending: { action: "keep" }, epoch: 0, state: "settled" });
  });

  it("crash before the switch, registry advanced to our package: promote the pending share", () => {
    const plan = planRegistrySync(
      { heldEpoch: 0, pending, certificates: [] },
      registryAt(1, next.get(1)!),
      ids.verify,
    );
    assert.deepEqual(plan, {
      pending: { action: "promote", because: "registry" },
      epoch: 1,
      state: "settled",
    });
  });

  it("registry advanced to another package of the same epoch: discard ours, the member is behind", () => {
    const plan = planRegistrySync(
      { heldEpoch: 0, pending, certificates: [] },
      registryAt(1, other.get(1)!),
      ids.verify,
    );
    assert.deepEqual(plan.pending, { action: "discard", because: "superseded" });
    assert.equal(plan.state, "behind");
  });

  it("certificate held, registry not advanced: commit, and the epoch is unpublished", () => {
    const plan = planRegistrySync(
      { heldEpoch: 0, pending, certificates: [certificate] },
      registryAt(0, e0),
      ids.verify,
    );
    assert.deepEqual(plan, {
      pending: { action: "promote", because: "certificate" },
      epoch: 1,
      state: "unpublished",
    });
  });

  it("forged certificate (an ACK re-signed by the wrong member) is ignored: the pending record is kept", () => {
    const forged = {
      ...certificate,
      acks: certificate.acks.map((a, k) =>
        k === 2 ? { ...a, signer: 3, signature: pendings[1].ownAck.signature } : a,
      ),
    };
    const plan = planRegistrySync(
      { heldEpoch: 0, pending, certificates: [forged] },
      registryAt(0, e0),
      ids.verify,
    );
    assert.deepEqual(plan.pending, { action: "keep" });
    assert.equal(plan.epoch, 0);
  });

  it("crash between the switch and erasing the pending record: the leftover is discarded", () => {
    const plan = planRegistrySync(
      { heldEpoch: 1, pending, certificates: [certificate] },
      registryAt(1, next.get(1)!),
      ids.verify,
    );
    assert.deepEqual(plan, {
      pending: { action: "discard", because: "committed" },
      epoch: 1,
      state: "settled",
    });
  });

  it("registry past every share held: behind (recovery needed); nothing held: none", () => {
    const behind = planRegistrySync(
      { heldEpoch: 0, pending: null, certificates: [] },
      registryAt(2, e0),
      ids.verify,
    );
    assert.deepEqual(behind, { pending: { action: "none" }, epoch: 0, state: "behind" });
    const none = planRegistrySync(
      { heldEpoch: null, pending: null, certificates: [] },
      registryAt(0, e0),
      ids.verify,
    );
    assert.equal(none.state, "none");
  });
});
