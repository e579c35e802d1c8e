import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encrypt as eciesjsEncrypt } from "eciesjs";
import { Fn, G, bytesToHex, seededRng, utf8ToBytes } from "../../../node/crypto/index.js";
import {
  InvalidCiphertextError,
  decodeTdh2Ciphertext,
  encodeTdh2Ciphertext,
} from "../../../node/crypto/tdh2.js";
import {
  DecodeError,
  InvalidMessageError,
  ParameterError,
  PolicyError,
  ProtocolAbortError,
} from "../../../node/protocol/errors.js";
import { DuplicateMessageError, UnexpectedSenderError } from "../../../node/protocol/round.js";
import {
  DecryptionFailedError,
  decodeDecryptMessage,
  decryptSessionId,
  encodeDecryptMessage,
  retryCandidates,
  retryDecryption,
  startDecryption,
  startMember,
  type DecryptMessage,
  type DecryptPolicy,
  type DecryptionResult,
  type ShareRelease,
} from "../../../node/protocols/decrypt/index.js";
import {
  abortError,
  allowAll,
  combinerResult,
  denyAll,
  driveByHand,
  failure,
  run,
  setup,
  tdh2Request,
} from "./fixture.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("decrypt protocol: honest runs", () => {
  it("TDH2, 2 of 3: a combiner without a share asks all three and gets the plaintext", () => {
    const fx = setup(1, 3, "honest-tdh2");
    const request = tdh2Request(fx.pub, "bid: 1000", "auction/7");
    const sim = run(fx, request, { combiner: 4, members: [1, 2, 3] });
    const result = combinerResult(sim, 4);
    assert.equal(text(result.plaintext), "bid: 1000");
    assert.deepEqual(result.contributors, [1, 2]);
    assert.deepEqual(result.culprits, []);
    assert.deepEqual(result.label, utf8ToBytes("auction/7"));
    assert.deepEqual(result.sessionId, decryptSessionId(fx.pub, request));
    for (const id of [1, 2, 3]) {
      const o = sim.outcomes.get(id);
      assert.equal(o?.kind, "done");
      const release = (o as { result: ShareRelease }).result;
      assert.equal(release.policyReason, "test-allow");
      assert.equal(release.requester, 4);
      // A share message is 98 bytes: tag, point, two scalars.
      assert.equal(sim.bytesSent.get(id), 98);
    }
  });

  it("ECIES from eciesjs, 3 of 5: the combiner holds a share and serves itself under the same checks", () => {
    const fx = setup(2, 5, "honest-ecies");
    const ciphertext = eciesjsEncrypt(fx.groupKey, utf8ToBytes("eciesjs payload"));
    const request = { scheme: "ecies", requestId: "ecies-1", ciphertext } as const;
    const sim = run(fx, request, { combiner: 1, local: fx.member(1), members: [2, 4] });
    const result = combinerResult(sim, 1);
    assert.equal(text(result.plaintext), "eciesjs payload");
    assert.deepEqual(result.contributors, [1, 2, 4]);
    assert.equal(result.label, undefined);
  });

  it("a payload id travels with the request and is bound into the session id", () => {
    const fx = setup(1, 3, "payload-id");
    const base = tdh2Request(fx.pub, "m", "l");
    const seen: (bigint | undefined)[] = [];
    const policy: DecryptPolicy = (q) => {
      seen.push(q.payloadId);
      return { allowed: true, reason: "ok" };
    };
    const request = { ...base, payloadId: 7n };
    const sim = run(fx, request, {
      combiner: 4,
      members: [1, 2],
      policies: new Map([
        [1, policy],
        [2, policy],
      ]),
    });
    assert.equal(text(combinerResult(sim, 4).plaintext), "m");
    assert.deepEqual(seen, [7n, 7n]);
    assert.notDeepEqual(decryptSessionId(fx.pub, request), decryptSessionId(fx.pub, base));
  });
});

describe("decrypt protocol attacks: cheating members are named and excluded", () => {
  const fx = setup(1, 3, "attacks");
  const request = tdh2Request(fx.pub, "secret", "label");
  const corrupt = (from: number[]) => (d: { from: number; message: DecryptMessage }) =>
    from.includes(d.from) && d.message.type === "share"
      ? { ...d.message, z: Fn.add(d.message.z, 1n) }
      : d.message;

  it("bad proof: a bad share is named as culprit and the combiner completes with the honest ones", () => {
    const result = combinerResult(
      run(fx, request, { combiner: 4, members: [1, 2, 3], tamper: corrupt([2]) }),
      4,
    );
    assert.equal(text(result.plaintext), "secret");
    assert.deepEqual(result.culprits, [2]);
    assert.deepEqual(result.contributors, [1, 3]);
  });

  it("bad point: a share with u_i shifted (proof recomputed by nobody) is named", () => {
    const shift = (d: { from: number; message: DecryptMessage }) =>
      d.from === 1 && d.message.type === "share"
        ? { ...d.message, point: d.message.point.add(G) }
        : d.message;
    const result = combinerResult(run(fx, request, { combiner: 4, members: [1, 2, 3], tamper: shift }), 4);
    assert.deepEqual(result.culprits, [1]);
    assert.equal(text(result.plaintext), "secret");
  });

  it("too many bad shares: abort naming every culprit, never a wrong plaintext", () => {
    const sim = run(fx, request, { combiner: 4, members: [1, 2, 3], tamper: corrupt([1, 3]) });
    const error = failure(sim.outcomes.get(4));
    assert.equal(error.code, "PROTOCOL_ABORT");
    assert.deepEqual(error.culprits, [1, 3]);
  });

  it("replayed share from another session: rejected and its sender named", () => {
    const captured = new Map<number, DecryptMessage>();
    run(fx, request, {
      combiner: 4,
      members: [1, 2, 3],
      tamper: (d) => {
        if (d.message.type === "share") captured.set(d.from, d.message);
        return d.message;
      },
    });
    const replay = { ...request, requestId: "req-2" }; // same ciphertext, new session
    const result = combinerResult(
      run(fx, replay, {
        combiner: 4,
        members: [1, 2, 3],
        tamper: (d) => (d.from === 2 && d.message.type === "share" ? captured.get(2)! : d.message),
      }),
      4,
    );
    assert.deepEqual(result.culprits, [2]);
    assert.deepEqual(result.contributors, [1, 3]);
  });

  it("a member cannot replace its bad share by resending a good one", () => {
    const start = startDecryption({ self: 4, key: fx.pub, request, members: [1, 2, 3] });
    const collect = driveByHand(fx, start, 4, { withhold: [1, 2, 3] });
    const member = startMember({ member: fx.member(1), combiner: 4, sessionId: collect.ctx.sessionId });
    member.round.receive(4, { type: "request", ...request });
    const t = member.round.finalize(seededRng("m"));
    const good = t.outgoing![0].message as Extract<DecryptMessage, { type: "share" }>;
    collect.receive(1, { ...good, c: Fn.add(good.c, 1n) });
    assert.throws(() => collect.receive(1, good), DuplicateMessageError);
    assert.deepEqual(collect.progress().culprits, [1]);
    assert.throws(() => collect.receive(5, good), UnexpectedSenderError);
  });
});

describe("decrypt protocol: members that withhold", () => {
  const fx = setup(1, 3, "withhold");
  const request = tdh2Request(fx.pub, "withheld?", "label");

  it("asked all: completes with the others and reports the silent member as unanswered", () => {
    const sim = run(fx, request, { combiner: 4, members: [1, 2, 3], silent: new Map([[1, 2]]) });
    const result = combinerResult(sim, 4);
    assert.equal(text(result.plaintext), "withheld?");
    assert.deepEqual(result.contributors, [2, 3]);
  });

  it("asked only a quorum: the combiner waits; timeout() fails naming the missing member", () => {
    const start = startDecryption({ self: 4, key: fx.pub, request, members: [1, 2] });
    const collect = driveByHand(fx, start, 4, { withhold: [2] });
    assert.equal(collect.ready(), false);
    assert.deepEqual(collect.missing(), [2]);
    const error = failure(collect.timeout());
    assert.deepEqual(error.missing, [2]);
    assert.deepEqual(error.culprits, []);
  });

  it("retry: asks another member in a new session, keeps the verified share, and completes", () => {
    const start = startDecryption({ self: 4, key: fx.pub, request, members: [1, 2] });
    const first = driveByHand(fx, start, 4, { withhold: [2] });
    assert.deepEqual(retryCandidates(first), [3]);
    assert.throws(() => retryDecryption(first, { requestId: request.requestId }), ParameterError);
    const retry = retryDecryption(first, { requestId: "req-1/retry-1" });
    assert.deepEqual(
      retry.outgoing.map((o) => o.to),
      [3],
    );
    const second = driveByHand(fx, retry, 4);
    assert.notDeepEqual(second.ctx.sessionId, first.ctx.sessionId);
    assert.ok(second.ready());
    const t = second.finalize(seededRng("f"));
    assert.equal(t.kind, "done");
    const result = (t as { result: DecryptionResult }).result;
    assert.equal(text(result.plaintext), "withheld?");
    assert.deepEqual(result.contributors, [1, 3]);
  });

  it("retry keeps culprits named and never asks them again", () => {
    const start = startDecryption({ self: 4, key: fx.pub, request, members: [1, 2] });
    const first = driveByHand(fx, start, 4, { withhold: [1, 2] });
    const rng = seededRng("c");
    // member 1 answers with a forged share
    const m1 = startMember({ member: fx.member(1), combiner: 4, sessionId: first.ctx.sessionId });
    m1.round.receive(4, { type: "request", ...request });
    const share = m1.round.finalize(rng).outgoing![0].message as Extract<DecryptMessage, { type: "share" }>;
    first.receive(1, { ...share, point: share.point.add(G) });
    assert.equal(first.finalize(rng).kind, "abort");
    assert.deepEqual(retryCandidates(first), [3]);
    assert.throws(() => retryDecryption(first, { requestId: "r2", members: [1, 3] }), ParameterError);
    assert.throws(
      () => retryDecryption(first, { requestId: "r2" }),
      ParameterError,
      "3 alone is below the quorum",
    );
    // Asking the silent member again, explicitly, with 3:
    const second = driveByHand(fx, retryDecryption(first, { requestId: "r2", members: [2, 3] }), 4);
    const t = second.finalize(rng);
    assert.equal(t.kind, "done");
    const result = (t as { result: DecryptionResult }).result;
    assert.deepEqual(result.culprits, [1]);
    assert.deepEqual(result.contributors, [2, 3]);
    assert.equal(text(result.plaintext), "withheld?");
  });
});

describe("decrypt protocol: policy and validity come before any share", () => {
  const fx = setup(1, 3, "policy");
  const request = tdh2Request(fx.pub, "policy-bound", "contract-A");

  it("members whose policy refuses send a refusal (no share) and abort with PolicyError", () => {
    const sim = run(fx, request, { combiner: 4, members: [1, 2, 3], policies: new Map([[2, denyAll]]) });
    const result = combinerResult(sim, 4);
    assert.deepEqual(result.contributors, [1, 3]);
    assert.deepEqual(result.refusals, [{ member: 2, code: "policy", reason: "test-deny" }]);
    assert.ok(abortError(sim.outcomes.get(2)) instanceof PolicyError);
  });

  it("without enough allowing members the combiner fails, listing the refusals (not as culprits)", () => {
    const policies = new Map([
      [1, denyAll],
      [3, denyAll],
    ]);
    const sim = run(fx, request, { combiner: 4, members: [1, 2, 3], policies });
    const error = failure(sim.outcomes.get(4));
    assert.deepEqual(
      error.refusals.map((r) => r.member),
      [1, 3],
    );
    assert.deepEqual(error.culprits, []);
  });

  it("the policy sees the ciphertext's own label, not anything the requester claims", () => {
    const onlyA: DecryptPolicy = (q) =>
      q.label && text(q.label) === "contract-A"
        ? { allowed: true, reason: "A" }
        : { allowed: false, reason: "not-A" };
    const policies = new Map([1, 2, 3].map((id) => [id, onlyA]));
    assert.equal(
      text(combinerResult(run(fx, request, { combiner: 4, members: [1, 2, 3], policies }), 4).plaintext),
      "policy-bound",
    );
    const other = tdh2Request(fx.pub, "other", "contract-B", "req-B");
    const o = run(fx, other, { combiner: 4, members: [1, 2, 3], policies }).outcomes.get(4);
    assert.equal(o?.kind, "abort");
  });

  it("wrong label: the combiner refuses to ask for a relabelled ciphertext", () => {
    const ct = decodeTdh2Ciphertext(request.ciphertext);
    const relabelled = encodeTdh2Ciphertext({ ...ct, label: utf8ToBytes("contract-B") });
    assert.throws(
      () =>
        startDecryption({
          self: 4,
          key: fx.pub,
          request: { ...request, ciphertext: relabelled },
          members: [1, 2],
        }),
      InvalidCiphertextError,
    );
  });

  it("tampered ciphertext from a malicious combiner: the member checks validity first and releases nothing", () => {
    const ct = decodeTdh2Ciphertext(request.ciphertext);
    const cases = [
      encodeTdh2Ciphertext({ ...ct, label: utf8ToBytes("contract-B") }),
      encodeTdh2Ciphertext({ ...ct, f: Fn.add(ct.f, 1n) }),
      encodeTdh2Ciphertext({ ...ct, dem: ct.dem.map((b, k) => (k === 0 ? b ^ 1 : b)) }),
    ];
    for (const ciphertext of cases) {
      const bad = { ...request, ciphertext };
      let asked = 0;
      const policy: DecryptPolicy = () => {
        asked++;
        return { allowed: true, reason: "ok" };
      };
      // The malicious combiner computes a consistent session id for its tampered request.
      const m = startMember({
        member: fx.member(1, policy),
        combiner: 4,
        sessionId: decryptSessionId(fx.pub, bad),
      });
      m.round.receive(4, { type: "request", ...bad });
      const t = m.round.finalize(seededRng("t"));
      assert.ok(abortError(t) instanceof InvalidCiphertextError);
      assert.deepEqual(
        t.outgoing?.map((o) => o.message.type),
        ["refusal"],
      );
      assert.equal(asked, 0, "the policy is not even consulted");
    }
  });

  it("a request from another session, or altered in transit, is rejected by the member", () => {
    const m = startMember({
      member: fx.member(1),
      combiner: 4,
      sessionId: decryptSessionId(fx.pub, request),
    });
    assert.throws(
      () => m.round.receive(4, { type: "request", ...request, requestId: "other" }),
      InvalidMessageError,
    );
    const altered = tdh2Request(fx.pub, "swapped", "contract-A", request.requestId, "other-seed");
    assert.throws(() => m.round.receive(4, { type: "request", ...altered }), InvalidMessageError);
    assert.throws(() => m.round.receive(3, { type: "request", ...request }), UnexpectedSenderError);
    assert.equal(m.round.ready(), false);
  });

  it("a policy that throws fails closed", () => {
    const broken: DecryptPolicy = () => {
      throw new Error("chain adapter bug");
    };
    const sim = run(fx, request, { combiner: 4, members: [1, 2], policies: new Map([[1, broken]]) });
    const error = failure(sim.outcomes.get(4));
    assert.deepEqual(error.refusals, [{ member: 1, code: "policy", reason: "policy-error" }]);
  });

  it("the combiner checks its inputs", () => {
    const base = { self: 4, key: fx.pub, request };
    assert.throws(() => startDecryption({ ...base, members: [1] }), ParameterError, "below quorum");
    assert.throws(() => startDecryption({ ...base, members: [1, 9] }), ParameterError, "not a participant");
    assert.throws(() => startDecryption({ ...base, members: [1, 1] }), ParameterError, "duplicate");
    assert.throws(
      () => startDecryption({ ...base, self: 1, members: [1, 2] }),
      ParameterError,
      "self in members",
    );
    assert.throws(
      () => startDecryption({ ...base, key: { ...fx.pub, scheme: "ecdsa" }, members: [1, 2] }),
      ParameterError,
    );
    assert.throws(
      () =>
        startDecryption({
          ...base,
          request: { ...request, ciphertext: new Uint8Array(10) },
          members: [1, 2],
        }),
      DecodeError,
    );
  });
});

describe("decrypt protocol codec", () => {
  const fx = setup(1, 3, "codec");
  const share = { type: "share", point: G, c: 1n, z: 2n } as const;
  const refusal = { type: "refusal", code: "policy", reason: "reveal-not-allowed" } as const;
  const request = {
    type: "request",
    scheme: "ecies",
    requestId: "r",
    payloadId: 5n,
    ciphertext: Uint8Array.of(1, 2),
  } as const;

  it("snapshots of every message kind", () => {
    assert.equal(
      bytesToHex(encodeDecryptMessage(request)),
      "010200" + "00000001" + "72" + "01" + "00".repeat(31) + "05" + "00000002" + "0102",
    );
    assert.equal(
      bytesToHex(encodeDecryptMessage(share)),
      "02" + bytesToHex(G.toBytes(true)) + "00".repeat(31) + "01" + "00".repeat(31) + "02",
    );
    assert.equal(
      bytesToHex(encodeDecryptMessage(refusal)),
      "0301" + "00000012" + bytesToHex(utf8ToBytes(refusal.reason)),
    );
  });

  it("round-trips and decodes strictly (round, tag, flags, trailing bytes)", () => {
    for (const [round, m] of [
      [1, request],
      [2, share],
      [2, refusal],
    ] as const) {
      const bytes = encodeDecryptMessage(m);
      assert.deepEqual(encodeDecryptMessage(decodeDecryptMessage(round, bytes)), bytes);
      assert.throws(() => decodeDecryptMessage(round === 1 ? 2 : 1, bytes), DecodeError);
      assert.throws(() => decodeDecryptMessage(round, Uint8Array.of(...bytes, 0)), DecodeError);
      assert.throws(() => decodeDecryptMessage(round, bytes.subarray(0, bytes.length - 1)), DecodeError);
    }
    const tdh2WithFlags = encodeDecryptMessage({ ...request, scheme: "ecies", ecies: { nonceLength: 12 } });
    assert.equal(decodeDecryptMessage(1, tdh2WithFlags).type, "request");
    const bad = tdh2WithFlags.slice();
    bad[1] = 1; // TDH2 with ECIES flags
    assert.throws(() => decodeDecryptMessage(1, bad), DecodeError);
    bad[1] = 3; // unknown scheme
    assert.throws(() => decodeDecryptMessage(1, bad), DecodeError);
    assert.throws(
      () => decodeDecryptMessage(2, Uint8Array.of(3, 9, 0, 0, 0, 0)),
      DecodeError,
      "unknown refusal code",
    );
    assert.ok(fx.pub.participants.length === 3);
  });

  it("every abort is a typed ShardlessError", () => {
    const e = new DecryptionFailedError("x", { culprits: [3, 1], missing: [2], refusals: [] });
    assert.ok(e instanceof ProtocolAbortError);
    assert.deepEqual(e.culprits, [1, 3]);
    assert.deepEqual(e.missing, [2]);
    void allowAll;
  });
});
