import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { G, bytesToHex, seededRng } from "../../../node/crypto/index.js";
import {
  DecodeError,
  EquivocationError,
  InvalidMessageError,
  ParameterError,
  ProtocolAbortError,
} from "../../../node/protocol/errors.js";
import { keyPublicDigest, type KeyShare } from "../../../node/protocol/key-share.js";
import type { Start } from "../../../node/protocol/round.js";
import {
  AckConflictError,
  EpochAbortedError,
  EpochMismatchError,
  assertCertificate,
  assertSameEpoch,
  decideRestart,
  preparePending,
  type EpochOutput,
} from "../../../node/protocols/lifecycle/index.js";
import {
  refreshCodec,
  refreshSessionId,
  startRefresh,
  type RefreshMessage,
} from "../../../node/protocols/refresh/index.js";
import { DealRound } from "../../../node/protocols/refresh/round1-deal.js";
import { refreshContext } from "../../../node/protocols/refresh/session.js";
import { dealZeroSharing } from "../../../node/protocols/refresh/zero-sharing.js";
import { dealKey, reconstructSecret } from "../../helpers/dealer.js";
import { abortOf, doneResult, identities, range, stuckOf } from "./harness.js";
import { REQUEST_ID, abortAnnouncement, pendingsOf, runAckSession, runRefresh } from "./refresh-harness.js";

const ids = identities(range(1, 12));

function outputsOf(sim: ReturnType<typeof runRefresh>, members: readonly number[]) {
  return new Map(members.map((id) => [id, doneResult(sim, id)] as const));
}

/** All subsets of `items` of size k. */
function subsets<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [head, ...rest] = items;
  return [...subsets(rest, k - 1).map((s) => [head, ...s]), ...subsets(rest, k)];
}

/**
 * A dealer that runs refresh with a zero-sharing it corrupted: `corrupt(j, u)` returns the sub-share it
 * sends to (and, if accused, answers for) member j. Commitments stay those of a true zero-sharing.
 */
function cheatingDealer(
  share: KeyShare,
  corrupt: (j: number, u: bigint) => bigint,
): Start<RefreshMessage, EpochOutput> {
  const ctx = refreshContext(share, { requestId: REQUEST_ID }, ids.verifyFrame);
  const { commitments, subShares } = dealZeroSharing(
    ctx.degree,
    ctx.roster,
    seededRng(`cheat-${share.self}`),
  );
  const corrupted = new Map(
    [...subShares].map(([j, u]) => [j, j === share.self ? u : corrupt(j, u)] as const),
  );
  const deal = { kind: "deal", commitments } as const;
  return { round: new DealRound(ctx, deal, corrupted), outgoing: [{ to: "all", message: deal }] };
}

describe("refresh (§4): honest runs", () => {
  for (const [n, degree] of [
    [3, 1],
    [5, 2],
    [7, 3],
  ] as const) {
    it(`n=${n}, degree=${degree}: same key, every share changes, epoch + 1, new shares reconstruct the key`, () => {
      const { shares, secret } = dealKey({ degree, participants: range(1, n) }, seededRng(`deal-${n}`));
      const sim = runRefresh(shares, { ids });
      const outputs = outputsOf(sim, range(1, n));
      const digest = bytesToHex(keyPublicDigest(outputs.get(1)!.share.public));
      for (const [id, out] of outputs) {
        const old = shares.get(id)!;
        assert.equal(out.share.public.epoch, old.public.epoch + 1);
        assert.ok(out.share.public.publicKey.equals(old.public.publicKey), "Y unchanged");
        assert.notEqual(out.share.secretShare, old.secretShare, `share of ${id} changed`);
        assert.equal(bytesToHex(keyPublicDigest(out.share.public)), digest, "one package for all");
        assert.deepEqual(out.culprits, []);
        assert.deepEqual(out.transcriptDigest, outputs.get(1)!.transcriptDigest);
      }
      const fresh = [...outputs.values()].map((o) => o.share);
      for (const set of subsets(fresh, degree + 1)) assert.equal(reconstructSecret(set), secret);
    });
  }

  it("old and new shares do not interpolate to the key, and the epoch guard refuses to mix them", () => {
    const degree = 2;
    const { shares, secret } = dealKey({ degree, participants: range(1, 5) }, seededRng("deal-mix"));
    const outputs = outputsOf(runRefresh(shares, { ids }), range(1, 5));
    const oldShares = range(1, 5).map((id) => shares.get(id)!);
    const newShares = range(1, 5).map((id) => outputs.get(id)!.share);
    // Every quorum-sized set (degree + 1 distinct ids) with at least one share of each epoch.
    for (const idSet of subsets(range(1, 5), degree + 1)) {
      for (let mask = 1; mask < (1 << idSet.length) - 1; mask++) {
        const mixed = idSet.map((id, k) => (mask & (1 << k) ? newShares[id - 1] : oldShares[id - 1]));
        assert.notEqual(reconstructSecret(mixed), secret, `mixed set ${idSet} / ${mask}`);
        assert.throws(() => assertSameEpoch(mixed), EpochMismatchError);
      }
    }
    assert.doesNotThrow(() => assertSameEpoch(newShares));
    assert.doesNotThrow(() => assertSameEpoch(oldShares));
  });

  it("ACK session: every member gets a valid commit certificate and the restart rule says commit", () => {
    const { shares } = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-ack"));
    const outputs = outputsOf(runRefresh(shares, { ids }), range(1, 3));
    const pendings = pendingsOf(outputs, ids);
    const acks = runAckSession(pendings, ids);
    for (const [id, pending] of pendings) {
      const cert = doneResult(acks, id);
      assert.doesNotThrow(() =>
        assertCertificate(
          cert,
          { sessionId: pending.sessionId, epoch: 1, packageDigest: pending.packageDigest, roster: [1, 2, 3] },
          ids.verify,
        ),
      );
      assert.deepEqual(decideRestart(pending, { certificates: [cert] }, ids.verify), {
        action: "commit",
        certificate: cert,
        culprits: [],
      });
    }
  });

  it("refuses a share that does not match its package, and a package whose Y_j are off its commitments", () => {
    const { shares } = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-bad"));
    const bad = { ...shares.get(1)!, secretShare: shares.get(1)!.secretShare + 1n };
    assert.throws(() => startRefresh(bad, { requestId: "x", verifyFrame: ids.verifyFrame }), ParameterError);
    const s1 = shares.get(1)!;
    const skewed = new Map(s1.public.verificationShares).set(3, G);
    const inconsistent = { ...s1, public: { ...s1.public, verificationShares: skewed } };
    assert.throws(
      () => startRefresh(inconsistent, { requestId: "x", verifyFrame: ids.verifyFrame }),
      ParameterError,
      "verification shares must lie on the commitments",
    );
  });
});

describe("refresh (§4): cheating dealers are named, QUAL is agreed, the key survives", () => {
  it("a zero-sharing with a non-zero constant term: every recipient complains, the dealer is disqualified", () => {
    const { shares, secret } = dealKey({ degree: 2, participants: range(1, 5) }, seededRng("deal-c"));
    const cheater = cheatingDealer(shares.get(2)!, (_j, u) => u + 7n); // δ(x) + 7: constant 7
    const sim = runRefresh(shares, { ids, replace: new Map([[2, cheater]]) });
    const outputs = outputsOf(sim, range(1, 5));
    const digest = bytesToHex(keyPublicDigest(outputs.get(1)!.share.public));
    for (const out of outputs.values()) {
      assert.deepEqual(out.culprits, [2], "everyone names dealer 2");
      assert.equal(bytesToHex(keyPublicDigest(out.share.public)), digest, "same QUAL, same package");
    }
    assert.equal(reconstructSecret([1, 3, 5].map((id) => outputs.get(id)!.share)), secret);
  });

  it("few complaints (≤ degree) and answers that fail the check: disqualified through the answer round", () => {
    // n = 4, degree 2 (schnorr): 2 complaints are not > degree, so the dealer must answer — and cannot.
    const { shares, secret } = dealKey(
      { scheme: "schnorr", degree: 2, participants: range(1, 4) },
      seededRng("deal-answer"),
    );
    const cheater = cheatingDealer(shares.get(3)!, (j, u) => (j === 1 || j === 2 ? u + 1n : u));
    const sim = runRefresh(shares, { ids, replace: new Map([[3, cheater]]) });
    const outputs = outputsOf(sim, range(1, 4));
    for (const out of outputs.values()) assert.deepEqual(out.culprits, [3]);
    assert.equal(reconstructSecret([1, 2, 4].map((id) => outputs.get(id)!.share)), secret);
  });

  it("fewer than degree + 1 qualified dealers: everyone aborts naming the disqualified", () => {
    // n = 3, degree 2: dropping one dealer would leave no guaranteed honest re-randomiser.
    const { shares } = dealKey(
      { scheme: "schnorr", degree: 2, participants: range(1, 3) },
      seededRng("deal-few"),
    );
    const cheater = cheatingDealer(shares.get(3)!, (_j, u) => u + 1n);
    const sim = runRefresh(shares, { ids, replace: new Map([[3, cheater]]) });
    for (const id of range(1, 3)) {
      const err = abortOf(sim, id);
      assert.ok(err instanceof ProtocolAbortError);
      assert.deepEqual(err.culprits, [3]);
    }
  });

  it("an inconsistent sub-share to one member, answered with the same bad value: dealer disqualified", () => {
    const { shares, secret } = dealKey({ degree: 2, participants: range(1, 5) }, seededRng("deal-one"));
    const cheater = cheatingDealer(shares.get(4)!, (j, u) => (j === 1 ? u + 1n : u));
    const outputs = outputsOf(runRefresh(shares, { ids, replace: new Map([[4, cheater]]) }), range(1, 5));
    for (const out of outputs.values()) assert.deepEqual(out.culprits, [4]);
    assert.equal(reconstructSecret([2, 3, 5].map((id) => outputs.get(id)!.share)), secret);
  });

  it("a sub-share corrupted in transit is repaired by the dealer's valid answer: nobody disqualified", () => {
    const { shares, secret } = dealKey({ degree: 1, participants: range(1, 4) }, seededRng("deal-transit"));
    const sim = runRefresh(shares, {
      ids,
      tamper: (d) =>
        d.from === 2 && d.to === 3 && d.message.kind === "share" ? { ...d.message, subShare: 1n } : d.message,
    });
    const outputs = outputsOf(sim, range(1, 4));
    for (const out of outputs.values()) assert.deepEqual(out.culprits, []);
    assert.equal(reconstructSecret([1, 3].map((id) => outputs.get(id)!.share)), secret);
    assert.equal(reconstructSecret([3, 4].map((id) => outputs.get(id)!.share)), secret);
  });

  it("a transmitted k = 0 commitment (degree + 1 points) is rejected: the dealer is named and waited for", () => {
    const { shares } = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-k0"));
    const sim = runRefresh(shares, {
      ids,
      tamper: (d) =>
        d.from === 3 && d.message.kind === "deal"
          ? { ...d.message, commitments: [G, ...d.message.commitments] }
          : d.message,
    });
    for (const id of [1, 2]) {
      const rejection = sim.rejections.get(id)![0];
      assert.ok(rejection instanceof InvalidMessageError);
      assert.deepEqual(rejection.culprits, [3]);
      assert.deepEqual(stuckOf(sim, id), { round: 1, missing: [3] });
    }
  });

  it("a dealer equivocating on its commitments is named by the echo check (no new shares)", () => {
    const { shares } = dealKey({ degree: 1, participants: range(1, 4) }, seededRng("deal-eq"));
    const sim = runRefresh(shares, {
      ids,
      tamper: (d) =>
        d.from === 2 && d.to === 4 && d.message.kind === "deal"
          ? { ...d.message, commitments: [d.message.commitments[0].add(G)] }
          : d.message,
    });
    for (const id of [1, 3, 4]) {
      const err = abortOf(sim, id);
      assert.ok(err instanceof EquivocationError, `member ${id}: ${err.name}`);
      assert.deepEqual(err.culprits, [2]);
    }
  });

  it("withholding: a member that sends no sub-shares leaves everyone stuck, naming it", () => {
    const { shares } = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-silent"));
    const sim = runRefresh(shares, { ids, silent: new Map([[2, 3]]) });
    for (const id of [1, 3]) assert.deepEqual(stuckOf(sim, id), { round: 3, missing: [2] });
  });
});

describe("refresh (§4): the ACK session and crash-safe transition", () => {
  const { shares } = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-ack2"));
  const outputs = outputsOf(runRefresh(shares, { ids }), range(1, 3));

  it("a signed ABORT from a member makes everyone drop the pending epoch", () => {
    const pendings = pendingsOf(new Map([...outputs].filter(([id]) => id !== 3)), ids);
    const sid = outputs.get(1)!.sessionId;
    const sim = runAckSession(pendings, ids, new Map([[3, abortAnnouncement(sid, 3, 1, ids)]]));
    for (const [id, pending] of pendings) {
      const err = abortOf(sim, id);
      assert.ok(err instanceof EpochAbortedError);
      assert.deepEqual(err.culprits, []);
      assert.deepEqual(decideRestart(pending, { aborts: [err.evidence] }, ids.verify), {
        action: "drop",
        abort: err.evidence,
      });
    }
  });

  it("a member ACKing a different package is named; the others keep their pending epoch (ask peers)", () => {
    const out3 = outputs.get(3)!;
    const pub = out3.share.public;
    const skewed = new Map(pub.verificationShares).set(1, pub.verificationShares.get(1)!.add(G));
    const lying = { ...out3, share: { ...out3.share, public: { ...pub, verificationShares: skewed } } };
    const pendings = pendingsOf(new Map([...outputs].filter(([id]) => id !== 3)), ids);
    pendings.set(3, preparePending(lying, ids.signer(3)));
    const sim = runAckSession(pendings, ids);
    for (const id of [1, 2]) {
      const err = abortOf(sim, id);
      assert.ok(err instanceof AckConflictError);
      assert.deepEqual(err.culprits, [3]);
      const pending = pendings.get(id)!;
      assert.deepEqual(decideRestart(pending, {}, ids.verify), { action: "ask-peers", ack: pending.ownAck });
    }
  });

  it("the session id binds the package: members with different packages of one epoch never share a run", () => {
    const other = dealKey({ degree: 1, participants: range(1, 3) }, seededRng("deal-other")).shares.get(1)!;
    assert.notDeepEqual(
      refreshSessionId(shares.get(1)!.public, { requestId: REQUEST_ID }),
      refreshSessionId(other.public, { requestId: REQUEST_ID }),
    );
  });
});

describe("refresh codec", () => {
  it("hex snapshots and strict decoding", () => {
    const deal: RefreshMessage = { kind: "deal", commitments: [G] };
    assert.equal(bytesToHex(refreshCodec.encode(deal)), "01" + "00000001" + bytesToHex(G.toBytes(true)));
    const answers: RefreshMessage = { kind: "answers", answers: [{ complainer: 2, subShare: 3n }] };
    const bytes = refreshCodec.encode(answers);
    assert.equal(bytesToHex(bytes), "04" + "00000001" + "0002" + "00".repeat(31) + "03");
    assert.deepEqual(refreshCodec.decode(6, bytes), answers);
    assert.throws(() => refreshCodec.decode(4, bytes), DecodeError, "answers are not valid in round 4");
    const complaints = refreshCodec.encode({ kind: "complaints", accused: [3, 3] });
    assert.throws(() => refreshCodec.decode(4, complaints), DecodeError, "repeated id");
  });
});
