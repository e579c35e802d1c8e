/**
 * The whole key lifecycle on a key made by the real DKG (no trusted dealer): DKG → refresh (+ ACK
 * certificate, commit) → recovery of a lost share → resharing 4 → 3 members. The public key never moves.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { seededRng } from "../../../node/crypto/index.js";
import type { KeyShare } from "../../../node/protocol/key-share.js";
import { PROTOCOL_IDS, type Start } from "../../../node/protocol/round.js";
import {
  assertSameEpoch,
  decideRestart,
  lifecycleCodec,
  preparePending,
  type CommitCertificate,
  type LifecycleMessage,
} from "../../../node/protocols/lifecycle/index.js";
import {
  recoverCodec,
  startRecoveryHelper,
  startRecoveryTarget,
  type RecoverMessage,
  type RecoveryResult,
} from "../../../node/protocols/recover/index.js";
import {
  reshareCodec,
  startReshareAck,
  startReshareDealer,
  startReshareReceiver,
  type ReshareMessage,
  type ReshareResult,
} from "../../../node/protocols/reshare/index.js";
import { reconstructSecret } from "../../helpers/dealer.js";
import { simulate } from "../../helpers/simulate.js";
import { outputsOf as dkgOutputs, runDkgLocal } from "../dkg/helpers.js";
import { doneResult, identities, range } from "./harness.js";
import { pendingsOf, runAckSession, runRefresh } from "./refresh-harness.js";

const ids = identities(range(1, 4), "dkg-lifecycle");

describe("key lifecycle on a DKG key", () => {
  it("DKG → refresh → recover → reshare 4 → 3: same key throughout, every step verified", () => {
    const dkg = dkgOutputs(
      runDkgLocal({ n: 4, degree: 1, scheme: "schnorr", seed: "lifecycle" }),
      range(1, 4),
    );
    const epoch0 = new Map([...dkg].map(([id, o]) => [id, o.share] as const));
    const Y = epoch0.get(1)!.public.publicKey;
    const secret = reconstructSecret([epoch0.get(1)!, epoch0.get(4)!]);

    // Refresh to epoch 1, ACK, commit.
    const refresh = runRefresh(epoch0, { ids });
    const outputs = new Map(range(1, 4).map((id) => [id, doneResult(refresh, id)] as const));
    const pendings = pendingsOf(outputs, ids);
    const acks = runAckSession(pendings, ids);
    const epoch1 = new Map<number, KeyShare>();
    for (const [id, pending] of pendings) {
      const decision = decideRestart(pending, { certificates: [doneResult(acks, id)] }, ids.verify);
      assert.equal(decision.action, "commit");
      epoch1.set(id, pending.share);
    }
    assertSameEpoch([...epoch1.values()]);
    assert.ok(epoch1.get(2)!.public.publicKey.equals(Y));

    // Member 2 loses its epoch-1 share; helpers 1 and 3 rebuild it.
    const params = { helpers: [1, 3], target: 2, requestId: "lost-2", verifyFrame: ids.verifyFrame };
    const recovery = simulate(
      new Map<number, Start<RecoverMessage, RecoveryResult>>([
        [1, startRecoveryHelper(epoch1.get(1)!, params, seededRng("h1"))],
        [3, startRecoveryHelper(epoch1.get(3)!, params, seededRng("h3"))],
        [2, startRecoveryTarget(epoch1.get(1)!.public, 2, params)],
      ]),
      { codec: recoverCodec },
    );
    const recovered = doneResult(recovery, 2);
    assert.equal(recovered.role, "target");
    assert.equal(recovered.role === "target" && recovered.share.secretShare, epoch1.get(2)!.secretShare);

    // Reshare to members 1..3 (degree 1), dealers 2 and 4; member 4 leaves.
    const reshare = { dealers: [2, 4], newParticipants: [1, 2, 3], newDegree: 1, requestId: "shrink" };
    const starts = new Map<number, Start<ReshareMessage, ReshareResult>>();
    for (const id of range(1, 4)) {
      const o = { ...reshare, verifyFrame: ids.verifyFrame, sign: ids.signer(id) };
      starts.set(
        id,
        reshare.dealers.includes(id)
          ? startReshareDealer(epoch1.get(id)!, o, seededRng(`d${id}`))
          : startReshareReceiver(epoch1.get(id)!.public, id, o),
      );
    }
    const sim = simulate(starts, { codec: reshareCodec });
    const ackStarts = new Map<number, Start<LifecycleMessage, CommitCertificate>>();
    const epoch2 = new Map<number, KeyShare>();
    for (const id of [1, 2, 3]) {
      const r = doneResult(sim, id);
      assert.equal(r.role, "member");
      if (r.role !== "member") continue;
      const pending = preparePending(r.output, ids.signer(id));
      epoch2.set(id, pending.share);
      ackStarts.set(id, startReshareAck(pending, ids.verify));
    }
    assert.equal(doneResult(sim, 4).role, "dealer");
    const reshareAcks = simulate(ackStarts, { codec: lifecycleCodec(PROTOCOL_IDS.reshare) });
    for (const id of [1, 2, 3]) doneResult(reshareAcks, id);
    assert.equal(epoch2.get(3)!.public.epoch, 2);
    assert.ok(epoch2.get(3)!.public.publicKey.equals(Y));
    assert.equal(reconstructSecret([epoch2.get(1)!, epoch2.get(3)!]), secret);
  });
});
