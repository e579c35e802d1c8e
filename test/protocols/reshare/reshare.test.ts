import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Fn,
  G,
  bytesToHex,
  evaluatePolynomial,
  feldmanCommit,
  randomPolynomial,
  seededRng,
} from "../../../node/crypto/index.js";
import {
  DecodeError,
  EquivocationError,
  ParameterError,
  ProtocolAbortError,
} from "../../../node/protocol/errors.js";
import { keyPublicDigest, type KeyShare } from "../../../node/protocol/key-share.js";
import { PROTOCOL_IDS, type Start } from "../../../node/protocol/round.js";
import {
  EpochAbortedError,
  EpochMismatchError,
  LocalAbortError,
  assertCertificate,
  assertSameEpoch,
  decideRestart,
  lifecycleCodec,
  preparePending,
  startAbortAnnouncement,
  type CommitCertificate,
  type LifecycleMessage,
} from "../../../node/protocols/lifecycle/index.js";
import { startRecoveryHelper } from "../../../node/protocols/recover/index.js";
import {
  dealerCoefficient,
  observeReshareAck,
  reshareCodec,
  reshareSession,
  startReshareAck,
  startReshareDealer,
  startReshareReceiver,
  type ReshareMessage,
  type ReshareParams,
  type ReshareResult,
} from "../../../node/protocols/reshare/index.js";
import { BroadcastRound } from "../../../node/protocols/reshare/round1-broadcast.js";
import { reshareContext } from "../../../node/protocols/reshare/session.js";
import { dealKey, reconstructSecret } from "../../helpers/dealer.js";
import { simulate, type SimulateOptions } from "../../helpers/simulate.js";
import { abortOf, doneResult, identities, range, stuckOf, withSignedFrames } from "../refresh/harness.js";

const ids = identities(range(1, 12));

function runReshare(
  oldShares: ReadonlyMap<number, KeyShare>,
  params: ReshareParams,
  opts: Omit<SimulateOptions<ReshareMessage>, "codec"> & {
    replace?: ReadonlyMap<number, Start<ReshareMessage, ReshareResult>>;
  } = {},
) {
  const oldPublic = oldShares.values().next().value!.public;
  const session = reshareSession(oldPublic, params);
  const starts = new Map<number, Start<ReshareMessage, ReshareResult>>();
  for (const id of session.members) {
    const o = { ...params, verifyFrame: ids.verifyFrame, sign: ids.signer(id) };
    const start =
      opts.replace?.get(id) ??
      (session.dealers.includes(id)
        ? startReshareDealer(oldShares.get(session.oldIds.get(id)!)!, o, seededRng(`reshare-${id}`))
        : startReshareReceiver(oldPublic, id, o));
    starts.set(id, withSignedFrames(start, { sessionId: session.sessionId, codec: reshareCodec, ids }));
  }
  return { session, sim: simulate(starts, { codec: reshareCodec, ...opts }) };
}

/** The runner's ACK phase: new members persist + ACK, leaving dealers observe, aborters announce. */
function runAcks(results: ReadonlyMap<number, ReshareResult>, aborters = new Map<number, LocalAbortError>()) {
  const starts = new Map<number, Start<LifecycleMessage, CommitCertificate>>();
  const pendings = new Map();
  for (const [id, r] of results) {
    if (r.role === "member") {
      const pending = preparePending(r.output, ids.signer(id));
      pendings.set(id, pending);
      starts.set(id, startReshareAck(pending, ids.verify));
    } else starts.set(id, observeReshareAck(id, r, ids.verify));
  }
  for (const [id, err] of aborters) {
    starts.set(id, startAbortAnnouncement(err.evidence, { protocol: "reshare", recipients: ["all"] }));
  }
  return { pendings, sim: simulate(starts, { codec: lifecycleCodec(PROTOCOL_IDS.reshare) }) };
}

function memberShares(results: ReadonlyMap<number, ReshareResult>): Map<number, KeyShare> {
  const out = new Map<number, KeyShare>();
  for (const [id, r] of results) if (r.role === "member") out.set(id, r.output.share);
  return out;
}

describe("reshare (§6): new committee and degree, same key", () => {
  it("3 → 5 members, degree 1 → 2: same Y, new shares verified, any 3 new shares rebuild the key", () => {
    const { shares, secret } = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-3"));
    const params = { dealers: [1, 3], newParticipants: range(1, 5), newDegree: 2, requestId: "r35" };
    const { session, sim } = runReshare(shares, params);
    const results = new Map(session.members.map((id) => [id, doneResult(sim, id)] as const));
    const fresh = memberShares(results);
    assert.deepEqual([...fresh.keys()], range(1, 5));
    const digest = bytesToHex(keyPublicDigest(fresh.get(1)!.public));
    for (const share of fresh.values()) {
      assert.equal(share.public.degree, 2);
      assert.equal(share.public.epoch, 1);
      assert.deepEqual(share.public.participants, range(1, 5));
      assert.ok(share.public.publicKey.equals(shares.get(1)!.public.publicKey));
      assert.equal(bytesToHex(keyPublicDigest(share.public)), digest);
    }
    for (const set of [
      [1, 2, 3],
      [2, 4, 5],
      [1, 3, 5],
    ]) {
      assert.equal(reconstructSecret(set.map((id) => fresh.get(id)!)), secret);
    }
    // Degree 2 now: two new shares are not enough.
    assert.notEqual(reconstructSecret([4, 5].map((id) => fresh.get(id)!)), secret);

    const { pendings, sim: acks } = runAcks(results);
    for (const id of range(1, 5)) {
      const cert = doneResult(acks, id);
      const p = pendings.get(id)!;
      assert.equal(decideRestart(p, { certificates: [cert] }, ids.verify).action, "commit");
    }
  });

  it("5 → 4 members, degree 2 → 1: the removed dealer observes the certificate; its old share is useless", () => {
    const { shares, secret } = dealKey({ degree: 2, participants: range(1, 5) }, seededRng("deal-5"));
    const params = { dealers: [2, 3, 5], newParticipants: range(1, 4), newDegree: 1, requestId: "r54" };
    const { session, sim } = runReshare(shares, params);
    const results = new Map(session.members.map((id) => [id, doneResult(sim, id)] as const));
    assert.equal(results.get(5)!.role, "dealer");
    const fresh = memberShares(results);
    assert.deepEqual([...fresh.keys()], range(1, 4));
    for (const set of [
      [1, 2],
      [3, 4],
      [1, 4],
    ]) {
      assert.equal(reconstructSecret(set.map((id) => fresh.get(id)!)), secret);
    }

    const { sim: acks } = runAcks(results);
    const observed = doneResult(acks, 5);
    const memberCert = doneResult(acks, 1);
    assert.deepEqual(observed, memberCert, "the leaving dealer holds the same certificate: it may erase");
    assert.doesNotThrow(() =>
      assertCertificate(
        observed,
        {
          sessionId: session.sessionId,
          epoch: 1,
          packageDigest: keyPublicDigest(fresh.get(1)!.public),
          roster: range(1, 4),
        },
        ids.verify,
      ),
    );

    // Removed member 5's old share does not combine with new shares, and protocols refuse it.
    const old5 = shares.get(5)!;
    for (const pair of [
      [1, 2],
      [3, 4],
      [2, 4],
    ]) {
      assert.notEqual(reconstructSecret([old5, ...pair.map((id) => fresh.get(id)!)]), secret);
      assert.throws(() => assertSameEpoch([old5, ...pair.map((id) => fresh.get(id)!)]), EpochMismatchError);
    }
    const recovery = { helpers: [1, 2, 5], target: 3, requestId: "x", verifyFrame: ids.verifyFrame };
    assert.throws(
      () => startRecoveryHelper(fresh.get(1)!, recovery),
      ParameterError,
      "5 is no longer a member",
    );
  });

  it("a new committee disjoint from the old one (ids 6..9)", () => {
    const { shares, secret } = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-disjoint"));
    const params = { dealers: [1, 2], newParticipants: range(6, 9), newDegree: 1, requestId: "rd" };
    const { session, sim } = runReshare(shares, params);
    const results = new Map(session.members.map((id) => [id, doneResult(sim, id)] as const));
    assert.equal(results.get(1)!.role, "dealer");
    assert.equal(reconstructSecret([7, 9].map((id) => memberShares(results).get(id)!)), secret);
  });

  it("renumbered members: 5 → 4 removing member 2, the members after it deal at their old ids", () => {
    // Registry positions shift: old 3, 4, 5 become 2, 3, 4; leaving member 2 deals as party 5.
    const { shares, secret } = dealKey({ degree: 2, participants: range(1, 5) }, seededRng("deal-renum"));
    const oldIds = new Map([
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 2],
    ]);
    const params = {
      dealers: range(1, 5),
      oldIds,
      newParticipants: range(1, 4),
      newDegree: 1,
      requestId: "rn",
    };
    const { session, sim } = runReshare(shares, params);
    const results = new Map(session.members.map((id) => [id, doneResult(sim, id)] as const));
    assert.equal(results.get(5)!.role, "dealer");
    const fresh = memberShares(results);
    for (const pair of [
      [1, 2],
      [2, 4],
      [3, 4],
    ]) {
      assert.equal(reconstructSecret(pair.map((id) => fresh.get(id)!)), secret);
    }
    // The removed member's old share (old id 2) does not combine with the new ones.
    assert.notEqual(reconstructSecret([shares.get(2)!, fresh.get(1)!, fresh.get(3)!]), secret);
  });

  it("a new committee of the same size, wholly new members: the old ones deal under other party ids", () => {
    const { shares, secret } = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-swap"));
    const oldIds = new Map([
      [4, 1],
      [5, 2],
      [6, 3],
    ]);
    const params = {
      dealers: [4, 5, 6],
      oldIds,
      newParticipants: range(1, 3),
      newDegree: 1,
      requestId: "rs",
    };
    const { session, sim } = runReshare(shares, params);
    const fresh = memberShares(new Map(session.members.map((id) => [id, doneResult(sim, id)] as const)));
    assert.equal(reconstructSecret([1, 3].map((id) => fresh.get(id)!)), secret);
  });

  it("refuses bad parameters", () => {
    const { shares } = dealKey({ degree: 2, participants: range(1, 5) }, seededRng("deal-params"));
    const base = { verifyFrame: ids.verifyFrame, sign: ids.signer(1), requestId: "p" };
    const tooFewDealers = { ...base, dealers: [1, 2], newParticipants: range(1, 5), newDegree: 2 };
    assert.throws(() => startReshareDealer(shares.get(1)!, tooFewDealers), ParameterError);
    const degreeTooHigh = { ...base, dealers: [1, 2, 3], newParticipants: [1, 2], newDegree: 2 };
    assert.throws(() => startReshareDealer(shares.get(1)!, degreeTooHigh), ParameterError);
    const strangerDealer = { ...base, dealers: [1, 2, 9], newParticipants: range(1, 5), newDegree: 2 };
    assert.throws(() => startReshareDealer(shares.get(1)!, strangerDealer), ParameterError);
    const noSigner = {
      verifyFrame: ids.verifyFrame,
      requestId: "p",
      dealers: [1, 2, 3],
      newParticipants: [6, 7, 8, 9, 10],
      newDegree: 2,
    };
    assert.throws(() => startReshareReceiver(shares.get(1)!.public, 6, noSigner), ParameterError);
    const sharedOldId = {
      ...base,
      dealers: [1, 2, 3],
      oldIds: new Map([[3, 2]]),
      newParticipants: range(1, 5),
    };
    assert.throws(() => startReshareDealer(shares.get(1)!, { ...sharedOldId, newDegree: 2 }), ParameterError);
    const oldIdOfNonDealer = { ...base, dealers: [1, 2, 3], oldIds: new Map([[7, 4]]), newDegree: 2 };
    assert.throws(
      () => startReshareDealer(shares.get(1)!, { ...oldIdOfNonDealer, newParticipants: range(1, 5) }),
      ParameterError,
    );
  });
});

describe("reshare (§6): bad dealings are pinned to the dealer", () => {
  const { shares } = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-bad"));
  const params = { dealers: [1, 2, 3], newParticipants: range(1, 4), newDegree: 1, requestId: "rb" };

  it("a dealer dealing a wrong w_i (consistently) is named by check 4 at every participant", () => {
    const oldPublic = shares.get(2)!.public;
    const session = reshareSession(oldPublic, params);
    const ctx = reshareContext(session, 2, ids.verifyFrame, ids.signer(2));
    const w = Fn.add(Fn.mul(dealerCoefficient(session, 2), shares.get(2)!.secretShare), 1n);
    const g = randomPolynomial(1, w, seededRng("bad-w"));
    const deal = {
      kind: "deal",
      oldPackageDigest: session.oldPackageDigest,
      commitments: feldmanCommit(g),
    } as const;
    const pieces = new Map(range(1, 4).map((j) => [j, evaluatePolynomial(g, j)] as const));
    const cheater: Start<ReshareMessage, ReshareResult> = {
      round: new BroadcastRound(ctx, deal, pieces),
      outgoing: [{ to: "all", message: deal }],
    };
    const { sim } = runReshare(shares, params, { replace: new Map([[2, cheater]]) });
    for (const id of [1, 3, 4]) {
      const err = abortOf(sim, id);
      assert.ok(err instanceof ProtocolAbortError);
      assert.deepEqual(err.culprits, [2]);
    }
  });

  it("an inconsistent sub-share: the recipient names the dealer and its ABORT makes everyone drop", () => {
    const { session, sim } = runReshare(shares, params, {
      tamper: (d) =>
        d.from === 3 && d.to === 4 && d.message.kind === "piece"
          ? { ...d.message, piece: d.message.piece + 1n }
          : d.message,
    });
    const err = abortOf(sim, 4);
    assert.ok(err instanceof LocalAbortError);
    assert.deepEqual(err.culprits, [3]);
    const results = new Map([1, 2, 3].map((id) => [id, doneResult(sim, id)] as const));
    const { pendings, sim: acks } = runAcks(results, new Map([[4, err]]));
    for (const id of [1, 2, 3]) {
      const aborted = abortOf(acks, id);
      assert.ok(aborted instanceof EpochAbortedError);
      assert.deepEqual(
        decideRestart(pendings.get(id)!, { aborts: [aborted.evidence] }, ids.verify).action,
        "drop",
      );
      assert.deepEqual(aborted.evidence.sessionId, session.sessionId);
    }
  });

  it("a participant holding another old package is named by everyone", () => {
    const other = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-other")).shares.get(
      1,
    )!.public;
    const session = reshareSession(shares.get(1)!.public, params);
    const ctx = reshareContext(session, 4, ids.verifyFrame, ids.signer(4));
    const join = { kind: "join", oldPackageDigest: keyPublicDigest(other) } as const;
    const liar: Start<ReshareMessage, ReshareResult> = {
      round: new BroadcastRound(ctx, join, new Map()),
      outgoing: [{ to: "all", message: join }],
    };
    const { sim } = runReshare(shares, params, { replace: new Map([[4, liar]]) });
    for (const id of [1, 2, 3]) assert.deepEqual(abortOf(sim, id).culprits, [4]);
  });

  it("a dealer equivocating on its commitments is named by the echo check (no new shares)", () => {
    // Check 1 (§1.1): new member 4 sees commitments that differ from what the others see.
    const { sim } = runReshare(shares, params, {
      tamper: (d) =>
        d.from === 2 && d.to === 4 && d.message.kind === "deal"
          ? { ...d.message, commitments: [d.message.commitments[0].add(G), d.message.commitments[1]] }
          : d.message,
    });
    for (const id of [1, 3, 4]) {
      const err = abortOf(sim, id);
      assert.ok(err instanceof EquivocationError, `member ${id}: ${err.name}`);
      assert.deepEqual(err.culprits, [2]);
    }
  });

  it("withholding an ACK: no certificate forms, so no old member may erase and nobody switches", () => {
    const { sim } = runReshare(shares, params);
    const results = new Map(range(1, 4).map((id) => [id, doneResult(sim, id)] as const));
    const starts = new Map<number, Start<LifecycleMessage, CommitCertificate>>();
    for (const [id, r] of results) {
      if (r.role !== "member") continue;
      const pending = preparePending(r.output, ids.signer(id));
      starts.set(id, startReshareAck(pending, ids.verify));
    }
    const acks = simulate(starts, { codec: lifecycleCodec(PROTOCOL_IDS.reshare), silent: new Map([[4, 1]]) });
    for (const id of [1, 2, 3]) assert.deepEqual(stuckOf(acks, id), { round: 1, missing: [4] });
  });

  it("withholding: a dealer that sends no pieces leaves the new members stuck, naming it", () => {
    const { sim } = runReshare(shares, params, { silent: new Map([[1, 3]]) });
    for (const id of [2, 3, 4]) assert.deepEqual(stuckOf(sim, id), { round: 3, missing: [1] });
  });
});

describe("reshare codec", () => {
  it("hex snapshots and strict decoding", () => {
    const join: ReshareMessage = { kind: "join", oldPackageDigest: new Uint8Array(32).fill(1) };
    assert.equal(bytesToHex(reshareCodec.encode(join)), "02" + "01".repeat(32));
    const piece: ReshareMessage = { kind: "piece", piece: 9n };
    const bytes = reshareCodec.encode(piece);
    assert.equal(bytesToHex(bytes), "03" + "00".repeat(31) + "09");
    assert.deepEqual(reshareCodec.decode(3, bytes), piece);
    assert.throws(() => reshareCodec.decode(1, bytes), DecodeError);
    const deal = reshareCodec.encode({
      kind: "deal",
      oldPackageDigest: new Uint8Array(32),
      commitments: [G],
    });
    assert.throws(() => reshareCodec.decode(1, deal.subarray(0, deal.length - 1)), DecodeError);
  });
});
