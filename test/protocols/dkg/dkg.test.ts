import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { seededRng } from "../../../node/crypto/rng.js";
import { Fn, G, mulBase } from "../../../node/crypto/secp256k1.js";
import { interpolateScalar } from "../../../node/crypto/polynomial.js";
import { InvalidMessageError, ParameterError, ProtocolAbortError } from "../../../node/protocol/errors.js";
import { DuplicateMessageError, UnexpectedSenderError } from "../../../node/protocol/round.js";
import { bytesToHex } from "../../../node/crypto/hash.js";
import {
  dkgCodec,
  dkgSessionId,
  startDkg,
  type DealMessage,
  type DkgMessage,
  type DkgOutput,
} from "../../../node/protocols/dkg/index.js";
import type { Start } from "../../../node/protocol/round.js";
import type { Delivery } from "../../helpers/simulate.js";
import { assertConsistent, ids, lieInBroadcast, outputsOf, runDkgLocal, testSessionId } from "./helpers.js";

const params = (n: number, degree: number, self = 1) => ({
  scheme: "schnorr" as const,
  keyId: "k1",
  degree,
  sessionId: testSessionId("params"),
  self,
  members: ids(n),
  verifyFrame: () => false,
});

describe("dkg: honest runs", () => {
  for (const [n, degree] of [
    [2, 1],
    [3, 1],
    [3, 2],
    [5, 2],
    [5, 4],
  ]) {
    it(`n=${n}, degree=${degree}: one key, same public package everywhere, key = reconstructed secret·G`, () => {
      const sim = runDkgLocal({ n, degree, seed: `honest-${n}-${degree}` });
      const out = outputsOf(sim, ids(n));
      assertConsistent(out, degree);
      for (const o of out.values()) {
        assert.equal(o.disqualified.size, 0);
        assert.deepEqual(o.share.public.participants, ids(n));
        assert.equal(o.share.public.commitments.length, degree + 1);
        assert.equal(o.share.public.epoch, 0);
      }
    });
  }

  it("n=20, degree=9 (pure rounds)", () => {
    const sim = runDkgLocal({ n: 20, degree: 9, seed: "honest-20" });
    assertConsistent(outputsOf(sim, ids(20)), 9);
  });

  it("degree shares do not determine the key: interpolating only `degree` of them misses the secret", () => {
    const out = outputsOf(runDkgLocal({ n: 4, degree: 2, seed: "t-shares" }), ids(4));
    const secret = assertConsistent(out, 2);
    const points = [...out.values()].map((o) => ({ x: o.share.self, y: o.share.secretShare }));
    assert.notEqual(interpolateScalar(points.slice(0, 2)), secret);
    assert.notEqual(interpolateScalar(points.slice(2, 4)), secret);
    assert.equal(interpolateScalar(points.slice(1, 4)), secret);
  });

  it("is deterministic for a seeded rng; the session id changes the proofs", () => {
    const a = outputsOf(runDkgLocal({ n: 3, degree: 1, seed: "det" }), ids(3));
    const b = outputsOf(runDkgLocal({ n: 3, degree: 1, seed: "det" }), ids(3));
    assert.ok(a.get(1)!.share.public.publicKey.equals(b.get(1)!.share.public.publicKey));
    assert.equal(a.get(2)!.share.secretShare, b.get(2)!.share.secretShare);
    const deal = (name: string) =>
      startDkg({ ...params(3, 1), sessionId: testSessionId(name) }, seededRng("same")).outgoing[0]
        .message as DealMessage;
    assert.ok(deal("A").commitments[0].equals(deal("B").commitments[0]));
    assert.notEqual(deal("A").proof.mu, deal("B").proof.mu);
  });
});

describe("dkg: parameters", () => {
  it("rejects nonsense with ParameterError", () => {
    assert.throws(() => startDkg(params(3, 0)), ParameterError);
    assert.throws(() => startDkg(params(3, 3)), ParameterError);
    assert.throws(() => startDkg(params(65, 2)), ParameterError);
    assert.throws(() => startDkg(params(1, 1)), ParameterError);
    assert.throws(() => startDkg({ ...params(3, 1), self: 4 }), ParameterError);
    assert.throws(() => startDkg({ ...params(3, 1), members: [1, 2, 2] }), ParameterError);
    assert.throws(() => startDkg({ ...params(3, 1), members: [0, 1, 2] }), ParameterError);
    assert.throws(() => startDkg({ ...params(3, 1), sessionId: new Uint8Array(31) }), ParameterError);
    assert.throws(() => startDkg({ ...params(4, 2), scheme: "ecdsa" }), ParameterError); // needs n ≥ 2t+1
    assert.doesNotThrow(() => startDkg({ ...params(5, 2), scheme: "ecdsa" }));
    assert.doesNotThrow(() => startDkg(params(64, 63)));
  });
});

describe("dkg: malformed messages are rejected naming the sender, state unchanged", () => {
  const deal = (self: number) =>
    startDkg(params(3, 1, self), seededRng(`m${self}`)).outgoing[0].message as DealMessage;

  it("round 1 refuses another kind, a non-member and a second different deal", () => {
    const { round } = startDkg(params(3, 1, 1), seededRng("m1"));
    const wrongKind: DkgMessage = { kind: "share", share: 5n };
    assert.throws(
      () => round.receive(2, wrongKind),
      (e: unknown) => e instanceof InvalidMessageError && e.sender === 2 && e.code === "INVALID_MESSAGE",
    );
    assert.deepEqual(round.missing(), [2, 3]);
    assert.throws(() => round.receive(7, deal(2)), UnexpectedSenderError);
    assert.throws(() => round.receive(1, deal(2)), UnexpectedSenderError); // itself
    round.receive(2, deal(2));
    round.receive(2, deal(2)); // an identical resend is ignored
    assert.throws(
      () => round.receive(2, deal(3)),
      (e: unknown) => e instanceof DuplicateMessageError && e.culprits[0] === 2,
    );
    assert.deepEqual(round.missing(), [3]);
    assert.equal(round.ready(), false);
  });

  it("the codec refuses wrong kinds per round, trailing bytes, bad lists and out-of-range values", () => {
    const good = dkgCodec.encode(deal(2));
    assert.doesNotThrow(() => dkgCodec.decode(1, good));
    const bad: [number, Uint8Array][] = [
      [2, good], // a deal in the echo round
      [9, good], // no such round
      [1, Uint8Array.of(...good, 0)], // trailing byte
      [1, good.subarray(0, good.length - 1)], // truncated
      [4, dkgCodec.encode({ kind: "complaints", accused: [3, 2] })], // not ascending
      [4, dkgCodec.encode({ kind: "complaints", accused: [2, 2] })],
      [3, Uint8Array.of(3, ...new Uint8Array(32).fill(0xff))], // share ≥ n
      [1, Uint8Array.of(1, 0, 0, 0, 1, ...new Uint8Array(33))], // identity/invalid point
      [1, Uint8Array.of(1, 0, 0, 0, 65)], // 65 commitments: above the cap
      [6, Uint8Array.of(5, 0, 65)], // 65 answers
    ];
    for (const [round, bytes] of bad) {
      assert.throws(
        () => dkgCodec.decode(round, bytes),
        (e: unknown) => (e as { code?: string }).code === "DECODE",
        `round ${round}: ${bytesToHex(bytes).slice(0, 20)}`,
      );
    }
  });

  it("round 4 refuses a complaint list naming its sender or a non-member; the round keeps waiting for it", () => {
    for (const accused of [[2], [9]]) {
      const sim = runDkgLocal(
        { n: 3, degree: 1, seed: "bad-complaints" },
        {
          tamper: (d) =>
            d.round === 4 && d.from === 2 && d.message.kind === "complaints"
              ? { kind: "complaints", accused }
              : d.message,
        },
      );
      for (const id of [1, 3]) {
        const errors = sim.rejections.get(id)!;
        assert.equal(errors.length, 1);
        assert.ok(errors[0] instanceof InvalidMessageError && errors[0].sender === 2);
        assert.deepEqual(sim.outcomes.get(id), { kind: "stuck", round: 4, missing: [2] });
      }
    }
  });

  it("round 6 refuses an answer to a complaint nobody made", () => {
    const sim = runDkgLocal(
      { n: 3, degree: 1, seed: "bad-answers" },
      {
        tamper: (d) => {
          if (d.from === 3 && d.to === 1 && d.message.kind === "share") return { kind: "share", share: 1n };
          if (d.round === 6 && d.from === 2 && d.message.kind === "answers") {
            return { kind: "answers", answers: [{ complainer: 1, share: 5n }] };
          }
          return d.message;
        },
      },
    );
    const errors = sim.rejections.get(3)!;
    assert.ok(errors.length === 1 && errors[0] instanceof InvalidMessageError && errors[0].sender === 2);
    assert.deepEqual(sim.outcomes.get(3), { kind: "stuck", round: 6, missing: [2] });
  });

  it("dkgSessionId binds scheme, key, degree, members and nonce", () => {
    const base = { scheme: "schnorr" as const, keyId: "k", degree: 1, members: [1, 2, 3], nonce: "n1" };
    const hex = (p: Parameters<typeof dkgSessionId>[0]) => bytesToHex(dkgSessionId(p));
    const all = [
      hex(base),
      hex({ ...base, scheme: "ecdsa" }),
      hex({ ...base, keyId: "k2" }),
      hex({ ...base, degree: 2 }),
      hex({ ...base, members: [1, 2, 4] }),
      hex({ ...base, nonce: "n2" }),
    ];
    assert.equal(new Set(all).size, all.length);
    assert.equal(hex({ ...base, members: [3, 1, 2] }), all[0]); // order of the member list does not matter
  });
});

describe("dkg: message encodings (hex snapshots)", () => {
  it("deal, share, complaints, answers, echo", () => {
    const deal: DkgMessage = {
      kind: "deal",
      commitments: [mulBase(1n), mulBase(2n)],
      proof: { R: mulBase(3n), mu: 5n },
    };
    assert.equal(
      bytesToHex(dkgCodec.encode(deal)),
      "0100000002" +
        "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" +
        "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5" +
        "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9" +
        "0000000000000000000000000000000000000000000000000000000000000005",
    );
    assert.equal(
      bytesToHex(dkgCodec.encode({ kind: "share", share: 7n })),
      "03" + "0000000000000000000000000000000000000000000000000000000000000007",
    );
    assert.equal(
      bytesToHex(dkgCodec.encode({ kind: "complaints", accused: [2, 5] })),
      "04000000020002" + "0005",
    );
    assert.equal(
      bytesToHex(dkgCodec.encode({ kind: "answers", answers: [{ complainer: 3, share: 1n }] })),
      "0500010003" + "0000000000000000000000000000000000000000000000000000000000000001",
    );
    assert.equal(
      bytesToHex(dkgCodec.encode({ kind: "echo", digest: new Uint8Array(32).fill(0xab) })),
      "02" + "ab".repeat(32),
    );
    assert.ok(G.equals(mulBase(1n)));
  });
});

describe("dkg: malicious dealers (pure rounds; at most `degree` cheaters)", () => {
  const n = 5;
  const degree = 2;
  const honest = (cheaters: number[]) => ids(n).filter((id) => !cheaters.includes(id));
  type Lie = (round: number, m: DkgMessage) => DkgMessage;
  /** Members in `cheaters` broadcast `lie(m)` consistently (their echo digests cover the lie). */
  const liars = (seed: string, cheaters: number[], lie: Lie) => ({
    starts: (id: number, s: Start<DkgMessage, DkgOutput>) =>
      cheaters.includes(id) ? lieInBroadcast(s, testSessionId(seed), lie) : s,
  });
  const bumpShareTo = (cheaters: number[], victim: number, share?: bigint) => ({
    tamper: (d: Delivery<DkgMessage>) =>
      cheaters.includes(d.from) && d.to === victim && d.message.kind === "share"
        ? { kind: "share" as const, share: share ?? Fn.add(d.message.share, 1n) }
        : d.message,
  });

  it("bad share to one member: the dealer answers in public and stays; the victim's share is repaired", () => {
    const sim = runDkgLocal({ n, degree, seed: "bad-share" }, bumpShareTo([4, 5], 1));
    const out = outputsOf(sim, ids(n)); // the cheaters' own code is honest apart from the bad share
    assertConsistent(out, degree);
    assert.equal(out.get(1)!.disqualified.size, 0);
  });

  it("bad share and a wrong public answer: the dealer is disqualified everywhere, same key for all", () => {
    const cheaters = [4, 5];
    const wrongAnswers: Lie = (_r, m) =>
      m.kind === "answers"
        ? { kind: "answers", answers: m.answers.map((a) => ({ ...a, share: Fn.add(a.share, 1n) })) }
        : m;
    const sim = runDkgLocal(
      { n, degree, seed: "bad-answer" },
      { ...bumpShareTo(cheaters, 2), ...liars("bad-answer", cheaters, wrongAnswers) },
    );
    const out = outputsOf(sim, honest(cheaters));
    assertConsistent(out, degree);
    assert.deepEqual(
      [...out.get(1)!.disqualified],
      [
        [4, "bad-answer"],
        [5, "bad-answer"],
      ],
    );
    // QUAL = {1, 2, 3}: the group key is the sum of exactly their constant commitments φ_{i,0}
    const phi0 = (i: number) =>
      (
        startDkg(
          { ...params(n, degree, i), sessionId: testSessionId("bad-answer") },
          seededRng(`bad-answer/${i}`),
        ).outgoing[0].message as DealMessage
      ).commitments[0];
    assert.ok(out.get(1)!.share.public.publicKey.equals(phi0(1).add(phi0(2)).add(phi0(3))));
  });

  it("withheld answer: a dealer that leaves a complaint unanswered is disqualified", () => {
    const noAnswers: Lie = (_r, m) => (m.kind === "answers" ? { kind: "answers", answers: [] } : m);
    const sim = runDkgLocal(
      { n, degree, seed: "no-answer" },
      { ...bumpShareTo([3], 1, 1n), ...liars("no-answer", [3], noAnswers) },
    );
    const out = outputsOf(sim, honest([3]));
    assertConsistent(out, degree);
    assert.deepEqual([...out.get(2)!.disqualified], [[3, "unanswered-complaint"]]);
  });

  it("bad commitment (wrong points): every member complains, more than degree complaints disqualify", () => {
    const wrongPoint: Lie = (_r, m) =>
      m.kind === "deal"
        ? { ...m, commitments: [m.commitments[0], m.commitments[1].add(G), ...m.commitments.slice(2)] }
        : m;
    const out = outputsOf(
      runDkgLocal({ n, degree, seed: "bad-commitment" }, liars("bad-commitment", [2, 5], wrongPoint)),
      honest([2, 5]),
    );
    assertConsistent(out, degree);
    assert.deepEqual(
      [...out.get(1)!.disqualified],
      [
        [2, "too-many-complaints"],
        [5, "too-many-complaints"],
      ],
    );
  });

  it("bad commitment with degree = n-1: too few complainers to disqualify, its answers fail, abort naming it", () => {
    const wrongPoint: Lie = (_r, m) =>
      m.kind === "deal"
        ? { ...m, commitments: [m.commitments[0], m.commitments[1].add(G), m.commitments[2]] }
        : m;
    const sim = runDkgLocal(
      { n: 3, degree: 2, seed: "bad-commitment-2" },
      liars("bad-commitment-2", [3], wrongPoint),
    );
    for (const id of [1, 2]) {
      const o = sim.outcomes.get(id)!;
      // QUAL = {1, 2} is below degree + 1 = 3: no key, and the culprit is named
      assert.ok(o.kind === "abort" && o.error instanceof ProtocolAbortError, `member ${id}`);
      assert.deepEqual(o.error.culprits, [3]);
    }
  });

  it("bad commitment count: disqualified from the deal itself", () => {
    const short: Lie = (_r, m) =>
      m.kind === "deal" ? { ...m, commitments: m.commitments.slice(0, degree) } : m;
    const out = outputsOf(
      runDkgLocal({ n, degree, seed: "bad-count" }, liars("bad-count", [3], short)),
      honest([3]),
    );
    assertConsistent(out, degree);
    assert.deepEqual([...out.get(1)!.disqualified], [[3, "bad-commitments"]]);
  });

  it("bad proof of knowledge (rogue key attempt): disqualified by every member", () => {
    const badProof: Lie = (_r, m) =>
      m.kind === "deal" ? { ...m, proof: { ...m.proof, mu: Fn.add(m.proof.mu, 1n) } } : m;
    const out = outputsOf(
      runDkgLocal({ n, degree, seed: "bad-pok" }, liars("bad-pok", [1, 4], badProof)),
      honest([1, 4]),
    );
    assertConsistent(out, degree);
    assert.deepEqual(
      [...out.get(2)!.disqualified],
      [
        [1, "bad-proof"],
        [4, "bad-proof"],
      ],
    );
  });

  it("a deal replayed from another session fails its proof there (session-bound PoK)", () => {
    const replayed = startDkg(
      { ...params(3, 1, 2), sessionId: testSessionId("session-A") },
      seededRng("replay/2"),
    ).outgoing[0].message;
    const sim = runDkgLocal(
      { n: 3, degree: 1, seed: "replay", sessionId: testSessionId("session-B") },
      {
        starts: (id, s) =>
          id === 2 ? lieInBroadcast(s, testSessionId("session-B"), (r, m) => (r === 1 ? replayed : m)) : s,
      },
    );
    const out = outputsOf(sim, [1, 3]);
    assertConsistent(out, 1);
    assert.deepEqual([...out.get(1)!.disqualified], [[2, "bad-proof"]]);
  });

  it("complaints against an honest dealer (its shares to two members corrupted): it answers and stays in", () => {
    // Members 4 and 5 complain about dealer 1 in good faith or not: 1 cannot tell, and answers in public.
    const sim = runDkgLocal(
      { n, degree, seed: "false-complaint" },
      {
        tamper: (d) =>
          d.from === 1 && d.to >= 4 && d.message.kind === "share" ? { kind: "share", share: 3n } : d.message,
      },
    );
    const out = outputsOf(sim, ids(n));
    assertConsistent(out, degree);
    assert.equal(out.get(1)!.disqualified.size, 0);
  });

  it("fewer than degree+1 qualified dealers: abort naming the disqualified", () => {
    const badProof: Lie = (_r, m) => (m.kind === "deal" ? { ...m, proof: { ...m.proof, mu: 1n } } : m);
    const sim = runDkgLocal({ n: 3, degree: 2, seed: "too-few" }, liars("too-few", [2, 3], badProof));
    const o = sim.outcomes.get(1)!;
    assert.ok(o.kind === "abort" && o.error instanceof ProtocolAbortError);
    assert.deepEqual(o.error.culprits, [2, 3]);
  });
});
