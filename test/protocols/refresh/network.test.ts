/**
 * The lifecycle protocols over the real Runner and the in-memory transport (signed frames, routing,
 * early-frame queues, the separate ACK session): what the node will wire.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { identityPublicKey, signFrameBytes, verifyFrameBytes } from "../../../node/crypto/identity.js";
import { seededRng } from "../../../node/crypto/index.js";
import { PROTOCOL_IDS, type MessageCodec, type Start } from "../../../node/protocol/round.js";
import type { SessionContext } from "../../../node/runner/runner.js";
import {
  ackSessionId,
  assertSameEpoch,
  decideRestart,
  lifecycleCodec,
  preparePending,
  type StatementVerifier,
} from "../../../node/protocols/lifecycle/index.js";
import {
  observeReshareAck,
  reshareCodec,
  reshareSession,
  startReshareAck,
  startReshareDealer,
  startReshareReceiver,
} from "../../../node/protocols/reshare/index.js";
import {
  refreshCodec,
  refreshSessionId,
  startRefresh,
  startRefreshAck,
} from "../../../node/protocols/refresh/index.js";
import { dealKey, reconstructSecret } from "../../helpers/dealer.js";
import { makeGroup, seedOf, type Group } from "../../runner/harness.js";

const verify: StatementVerifier = (id, bytes, sig) =>
  verifyFrameBytes(identityPublicKey(seedOf(id)), bytes, sig);
const signer = (id: number) => (bytes: Uint8Array) => signFrameBytes(seedOf(id), bytes);

/** Runs one session at every member of `members`, each starting with `start(self, ctx)`. */
function runAll(group: Group, members: readonly number[]) {
  return <M, R>(
    sessionId: Uint8Array,
    codec: MessageCodec<M>,
    start: (self: number, ctx: SessionContext) => Start<M, R>,
  ): Promise<R[]> =>
    Promise.all(
      members.map((self) =>
        group.members.get(self)!.runner.run({
          sessionId,
          codec,
          self,
          members: group.peers,
          roundTimeoutMs: 10_000,
          start: (ctx) => start(self, ctx),
        }),
      ),
    );
}

describe("lifecycle over the runner", () => {
  it("refresh, then its ACK session under its own session id: all commit", async () => {
    const { shares, secret } = dealKey({ degree: 1, participants: [1, 2, 3] }, seededRng("net-refresh"));
    const group = makeGroup([1, 2, 3]);
    const sessionId = refreshSessionId(shares.get(1)!.public, { requestId: "net" });
    const run = runAll(group, [1, 2, 3]);
    const outputs = await run(sessionId, refreshCodec, (self, ctx) =>
      startRefresh(shares.get(self)!, { requestId: "net", verifyFrame: ctx.verifyFrame }),
    );
    const pendings = outputs.map((o) => preparePending(o, signer(o.share.self)));
    const certs = await run(ackSessionId(sessionId), lifecycleCodec(PROTOCOL_IDS.refresh), (self) =>
      startRefreshAck(pendings[self - 1], verify),
    );
    pendings.forEach((p, k) =>
      assert.equal(decideRestart(p, { certificates: [certs[k]] }, verify).action, "commit"),
    );
    assertSameEpoch(pendings.map((p) => p.share));
    assert.equal(reconstructSecret(pendings.slice(1).map((p) => p.share)), secret);
    for (const m of group.members.values()) assert.deepEqual(m.rejected, []);
  });

  it("reshare 3 → {2, 3, 4}: the leaving dealer observes the ACK session and gets the certificate", async () => {
    const { shares, secret } = dealKey({ degree: 1, participants: [1, 2, 3] }, seededRng("net-reshare"));
    const members = [1, 2, 3, 4];
    const group = makeGroup(members);
    const pub = shares.get(1)!.public;
    const params = { dealers: [1, 2], newParticipants: [2, 3, 4], newDegree: 1, requestId: "net" };
    const { sessionId } = reshareSession(pub, params);
    const run = runAll(group, members);
    const results = await run(sessionId, reshareCodec, (self, ctx) => {
      const o = { ...params, verifyFrame: ctx.verifyFrame, sign: signer(self) };
      return params.dealers.includes(self)
        ? startReshareDealer(shares.get(self)!, o)
        : startReshareReceiver(pub, self, o);
    });
    const certs = await run(ackSessionId(sessionId), lifecycleCodec(PROTOCOL_IDS.reshare), (self) => {
      const r = results[self - 1];
      return r.role === "member"
        ? startReshareAck(preparePending(r.output, signer(self)), verify)
        : observeReshareAck(self, r, verify);
    });
    assert.equal(results[0].role, "dealer");
    assert.deepEqual(certs[0], certs[1]);
    const fresh = results.flatMap((r) => (r.role === "member" ? [r.output.share] : []));
    assert.equal(reconstructSecret(fresh.slice(0, 2)), secret);
  });
});
