/**
 * Attacks on FROST signing and what blocks them: invalid signature shares are named and the retry
 * without their senders succeeds; a signer refuses sign requests that drop or alter its commitment,
 * carry invalid points, another message, or another session's id; nonces sign at most once; malformed
 * bytes become typed errors naming the sender.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CURVE_ORDER,
  G,
  IDENTITY,
  Point,
  Fn,
  mulBase,
  schnorrVerify,
  seededRng,
} from "../../../node/crypto/index.js";
import {
  ConsumedError,
  DecodeError,
  InvalidMessageError,
  ParameterError,
  ProtocolAbortError,
} from "../../../node/protocol/errors.js";
import { DuplicateMessageError, UnexpectedSenderError, type Round } from "../../../node/protocol/round.js";
import type { KeyShare } from "../../../node/protocol/key-share.js";
import {
  FROST_ROUND,
  SigningNonces,
  buildSignRequest,
  encodeFrostMessage,
  frostCodec,
  nextSignerSet,
  openFrostSession,
  parseFrostMessage,
  planFrostRetry,
  startFrostCoordinator,
  startFrostSigner,
  type FrostMessage,
  type FrostResult,
  type FrostSession,
  type FrostSessionParams,
  type FrostVariant,
  type SignRequestMessage,
  type SigningCommitment,
} from "../../../node/protocols/frost/index.js";
import { frostKey, params, PooledGroup, runTwoRound, signatureOf } from "./fixtures.js";

const corruptShare = (cheaters: number[]) => (d: { from: number; message: FrostMessage }) =>
  d.message.type === "signature-share" && cheaters.includes(d.from)
    ? { ...d.message, share: Fn.add(d.message.share, 1n) }
    : d.message;

function abortOf(outcome: unknown): ProtocolAbortError {
  const o = outcome as { kind: string; error?: unknown };
  assert.equal(o.kind, "abort");
  assert.ok(o.error instanceof ProtocolAbortError);
  return o.error;
}

/** A signer waiting in round 2, plus a valid request for it from the coordinator. */
function signerAwaitingRequest(
  shares: ReadonlyMap<number, KeyShare>,
  p: FrostSessionParams,
  member: number,
): { round: Round<FrostMessage, FrostResult>; session: FrostSession; request: SignRequestMessage } {
  const session = openFrostSession(shares.get(1)!.public, p);
  const commitments: SigningCommitment[] = [];
  let round: Round<FrostMessage, FrostResult> | undefined;
  for (const id of p.signers) {
    if (id === member) {
      const start = startFrostSigner({ keyShare: shares.get(id)!, session: p, rng: seededRng(`adv-${id}`) });
      const m = start.outgoing[0].message;
      if (m.type !== "commitment") throw new Error("expected a commitment");
      commitments.push({ member: id, hiding: m.hiding, binding: m.binding });
      const t = start.round.finalize(seededRng("x"));
      if (t.kind !== "next") throw new Error("expected round 2");
      round = t.round;
    } else {
      const other = SigningNonces.generate(shares.get(id)!, p.variant, seededRng(`adv-${id}`));
      commitments.push({ member: id, ...other.commitment });
    }
  }
  return { round: round!, session, request: buildSignRequest(session, commitments) };
}

function assertRefused(fn: () => void, sender: number, blamed: boolean): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidMessageError, `expected InvalidMessageError, got ${String(e)}`);
    assert.equal(e.code, "INVALID_MESSAGE");
    assert.equal(e.sender, sender);
    assert.deepEqual(e.culprits, blamed ? [sender] : []);
    return true;
  });
}

describe("invalid signature shares: named, then a retry without them succeeds", () => {
  for (const variant of ["bip340", "rfc9591"] as FrostVariant[]) {
    it(`${variant}: one bad share among 3 of 5 (odd-y key)`, () => {
      const shares = frostKey({ members: 5, degree: 2, seed: `bad-share-${variant}`, oddY: true });
      const first = params({ variant, signers: [1, 2, 3], coordinator: 1, requestId: "sign-7" });
      const sim = runTwoRound(shares, first, { tamper: corruptShare([2]) });
      const error = abortOf(sim.outcomes.get(1));
      assert.equal(error.code, "PROTOCOL_ABORT");
      assert.deepEqual(error.culprits, [2]);

      const retry = planFrostRetry(openFrostSession(shares.get(1)!.public, first), {
        baseRequestId: "sign-7",
        attempt: 1,
        exclude: error.culprits,
      });
      assert.ok(retry);
      assert.deepEqual(retry.signers, [1, 3, 4]);
      const sig = signatureOf(runTwoRound(shares, retry), 1);
      if (variant === "bip340") assert.ok(schnorrVerify(sig.signature, retry.message, sig.publicKey));
    });
  }

  it("two bad shares are both named; the retry uses the two honest members left", () => {
    const shares = frostKey({ members: 5, degree: 1, seed: "two-cheaters" });
    const first = params({ signers: [1, 2, 3, 4], coordinator: 3 });
    const error = abortOf(runTwoRound(shares, first, { tamper: corruptShare([2, 4]) }).outcomes.get(3));
    assert.deepEqual(error.culprits, [2, 4]);
    const signers = nextSignerSet({
      participants: [1, 2, 3, 4, 5],
      quorum: 2,
      previous: first.signers,
      exclude: error.culprits,
    });
    assert.deepEqual(signers, [1, 3]);
    signatureOf(runTwoRound(shares, { ...first, signers: signers!, requestId: "request-1/attempt-1" }), 3);
  });

  it("no retry when fewer than a quorum of members remain", () => {
    const shares = frostKey({ members: 3, degree: 2, seed: "no-quorum-left" });
    const first = params({ signers: [1, 2, 3], coordinator: 1 });
    const error = abortOf(runTwoRound(shares, first, { tamper: corruptShare([3]) }).outcomes.get(1));
    assert.deepEqual(error.culprits, [3]);
    const failed = openFrostSession(shares.get(1)!.public, first);
    assert.equal(planFrostRetry(failed, { baseRequestId: "r", attempt: 1, exclude: error.culprits }), null);
  });

  it("one round with pre-published commitments: bad share named, retry with fresh commitments succeeds", async () => {
    const shares = frostKey({ members: 4, degree: 1, seed: "pooled-bad-share" });
    const group = new PooledGroup(shares);
    await group.publish(2);
    const first = params({ signers: [1, 2], coordinator: 1, requestId: "pooled-7" });
    const bad = await group.sign(first, {
      tamper: (from, m) =>
        from === 2 && m.type === "signature-share" ? { ...m, share: Fn.add(m.share, 5n) } : m,
    });
    assert.equal(bad.transition.kind, "abort");
    if (bad.transition.kind !== "abort") return;
    assert.deepEqual(bad.transition.error.culprits, [2]);
    const retry = planFrostRetry(openFrostSession(shares.get(1)!.public, first), {
      baseRequestId: "pooled-7",
      attempt: 1,
      exclude: [2],
    })!;
    assert.deepEqual(retry.signers, [1, 3]);
    const good = await group.sign(retry);
    assert.equal(good.transition.kind, "done");
  });
});

describe("a signer refuses bad sign requests", () => {
  const shares = frostKey({ members: 4, degree: 2, seed: "refusals" });
  const p = params({ signers: [1, 2, 4], coordinator: 1 });

  it("commitment list missing the signer's own commitment (two rounds and pooled)", async () => {
    const { round, request } = signerAwaitingRequest(shares, p, 2);
    const withoutMine = { ...request, commitments: request.commitments.filter((c) => c.member !== 2) };
    assertRefused(() => round.receive(1, withoutMine), 1, true);

    // Pooled: a well-formed session of signers 1, 3, 4 sent to member 2, who is not in it.
    const group = new PooledGroup(shares);
    await group.publish(1);
    const other = signerAwaitingRequest(shares, { ...p, signers: [1, 3, 4] }, 3).request;
    await assert.rejects(
      group.pools.get(2)!.respond(1, other),
      (e: unknown) => e instanceof InvalidMessageError && e.sender === 1 && e.culprits[0] === 1,
    );
    assert.equal(await group.pools.get(2)!.available(1), 1, "the pooled nonce was not burnt");
  });

  it("commitment list that alters the signer's own commitment", () => {
    const { round, request } = signerAwaitingRequest(shares, p, 2);
    const swapped = {
      ...request,
      commitments: request.commitments.map((c) =>
        c.member === 2 ? { ...c, hiding: c.binding, binding: c.hiding } : c,
      ),
    };
    assertRefused(() => round.receive(1, swapped), 1, true);
  });

  it("commitment list containing an invalid point (identity, off the curve)", () => {
    const { round, request } = signerAwaitingRequest(shares, p, 2);
    const offCurve = new Point(G.toAffine().x, G.toAffine().y + 1n, 1n);
    for (const bad of [IDENTITY, offCurve]) {
      const tampered = {
        ...request,
        commitments: request.commitments.map((c) => (c.member === 4 ? { ...c, binding: bad } : c)),
      };
      assertRefused(() => round.receive(1, tampered), 1, true);
    }
    // The honest request is still accepted afterwards: refusals leave the round unchanged.
    round.receive(1, request);
    assert.equal(round.ready(), true);
  });

  it("an off-curve point on the wire is a typed error naming the sender", () => {
    const { request } = signerAwaitingRequest(shares, p, 2);
    const bytes = encodeFrostMessage(request);
    const at = bytes.length - 33; // last point: binding commitment of member 4
    bytes[at] = 0x02;
    bytes.fill(0xff, at + 1); // x ≥ p: not a point
    assert.throws(
      () => parseFrostMessage(1, FROST_ROUND.sign, bytes),
      (e: unknown) => e instanceof InvalidMessageError && e.sender === 1 && e.cause instanceof DecodeError,
    );
  });

  it("a request carrying another message than the session's", () => {
    const { round, request } = signerAwaitingRequest(shares, p, 2);
    assertRefused(
      () => round.receive(1, { ...request, message: new TextEncoder().encode("pay mallory") }),
      1,
      true,
    );
  });

  it("a request naming other signers than the session's", () => {
    const { round, request } = signerAwaitingRequest(shares, p, 2);
    const extra = SigningNonces.generate(shares.get(3)!, "bip340", seededRng("extra"));
    const more = {
      ...request,
      commitments: [...request.commitments, { member: 3, ...extra.commitment }].sort(
        (a, b) => a.member - b.member,
      ),
    };
    assertRefused(() => round.receive(1, more), 1, true);
  });

  it("a request from a member that is not the coordinator", () => {
    const { round, request } = signerAwaitingRequest(shares, p, 2);
    assert.throws(() => round.receive(4, request), UnexpectedSenderError);
  });
});

describe("messages from another session are rejected", () => {
  const shares = frostKey({ members: 3, degree: 1, seed: "sessions" });
  const p = params({ signers: [1, 2], coordinator: 1, requestId: "session-A" });
  const otherSession = openFrostSession(shares.get(1)!.public, { ...p, requestId: "session-B" }).sessionId;

  it("a replayed sign request of session A at a signer of session B", () => {
    const a = signerAwaitingRequest(shares, p, 2);
    const b = signerAwaitingRequest(shares, { ...p, requestId: "session-B" }, 2);
    assertRefused(() => b.round.receive(1, { ...a.request, commitments: b.request.commitments }), 1, false);
  });

  it("a commitment of another session at the coordinator", () => {
    const start = startFrostCoordinator({ key: shares.get(1)!, session: p, rng: seededRng("c") });
    const nonces = SigningNonces.generate(shares.get(2)!, "bip340", seededRng("n"));
    const m: FrostMessage = { type: "commitment", sessionId: otherSession, ...nonces.commitment };
    assertRefused(() => start.round.receive(2, m), 2, false);
  });

  it("a signature share of another session at the coordinator", () => {
    let tampered = false;
    const sim = runTwoRound(shares, p, {
      tamper: (d) => {
        if (d.message.type !== "signature-share") return d.message;
        tampered = true;
        return { ...d.message, sessionId: otherSession };
      },
    });
    assert.ok(tampered);
    const [error] = sim.rejections.get(1)!;
    assert.ok(error instanceof InvalidMessageError && error.sender === 2 && error.culprits.length === 0);
    assert.deepEqual(sim.outcomes.get(1), { kind: "stuck", round: FROST_ROUND.share, missing: [2] });
  });
});

describe("nonces sign at most once", () => {
  const shares = frostKey({ members: 3, degree: 1, seed: "reuse" });
  const p = params({ signers: [1, 2], coordinator: 1 });

  it("a nonce object hands its secret out once (ConsumedError after)", () => {
    const nonces = SigningNonces.generate(shares.get(1)!, "bip340", seededRng("once"));
    nonces.take();
    assert.throws(() => nonces.take(), ConsumedError);
    assert.throws(() => nonces.exportSecret(), ConsumedError);
  });

  it("a signer that signed cannot be made to sign again with the same nonce (other message)", () => {
    const { round, request } = signerAwaitingRequest(shares, p, 2);
    round.receive(1, request);
    const t = round.finalize(seededRng("f"));
    assert.equal(t.kind, "done");
    assert.throws(() => round.finalize(seededRng("f")), ConsumedError);
    const other = { ...request, message: new TextEncoder().encode("second message") };
    assert.throws(() => round.receive(1, other), DuplicateMessageError);
  });
});

describe("malformed and out-of-range messages are typed errors naming the sender", () => {
  const shares = frostKey({ members: 3, degree: 1, seed: "malformed" });
  const p = params({ signers: [1, 2], coordinator: 1 });
  const session = openFrostSession(shares.get(1)!.public, p);
  const share: FrostMessage = { type: "signature-share", sessionId: session.sessionId, share: 5n };

  it("garbage, truncation, trailing bytes, wrong version, wrong protocol, wrong round", () => {
    const good = frostCodec.encode(share);
    const cases = [
      new Uint8Array([1, 2, 3]),
      good.subarray(0, good.length - 1),
      Uint8Array.from([...good, 0]),
      Uint8Array.from([2, ...good.subarray(1)]),
      Uint8Array.from([good[0], 5, ...good.subarray(2)]),
    ];
    for (const bytes of cases) {
      assert.throws(
        () => parseFrostMessage(2, FROST_ROUND.share, bytes),
        (e: unknown) => e instanceof InvalidMessageError && e.sender === 2 && e.cause instanceof DecodeError,
      );
    }
    assert.throws(() => parseFrostMessage(2, FROST_ROUND.commit, good), InvalidMessageError);
    assert.deepEqual(parseFrostMessage(2, FROST_ROUND.share, good), share);
  });

  it("a signature share out of range, and two different shares from one signer", () => {
    const start = startFrostCoordinator({ key: shares.get(1)!, session: p, rng: seededRng("c") });
    const nonces = SigningNonces.generate(shares.get(2)!, "bip340", seededRng("n"));
    start.round.receive(2, { type: "commitment", sessionId: session.sessionId, ...nonces.commitment });
    let t = start.round.finalize(seededRng("c"));
    assert.equal(t.kind, "next");
    if (t.kind !== "next") return;
    t = t.round.finalize(seededRng("c"));
    if (t.kind !== "next") throw new Error("expected round 3");
    const aggregate = t.round;
    assertRefused(() => aggregate.receive(2, { ...share, share: CURVE_ORDER }), 2, true);
    aggregate.receive(2, share);
    assert.throws(() => aggregate.receive(2, { ...share, share: 6n }), DuplicateMessageError);
  });
});

describe("bad parameters fail before anything is sent", () => {
  const shares = frostKey({ members: 4, degree: 2, seed: "params" });

  it("fewer signers than the quorum, unknown signer, signer set out of order", () => {
    for (const signers of [
      [1, 2],
      [1, 2, 9],
      [3, 2, 1],
    ]) {
      assert.throws(
        () => startFrostSigner({ keyShare: shares.get(2)!, session: params({ signers, coordinator: 1 }) }),
        ParameterError,
      );
    }
  });

  it("a key of another scheme, and a secret share that does not match its verifying share", () => {
    const ecdsa = new Map(
      [...shares].map(([id, s]) => [id, { ...s, public: { ...s.public, scheme: "ecdsa" as const } }]),
    );
    const p = params({ signers: [1, 2, 3] });
    assert.throws(() => startFrostSigner({ keyShare: ecdsa.get(2)!, session: p }), ParameterError);
    const corrupt = { ...shares.get(2)!, secretShare: shares.get(2)!.secretShare + 1n };
    assert.throws(() => startFrostSigner({ keyShare: corrupt, session: p }), ParameterError);
    assert.ok(!mulBase(corrupt.secretShare).equals(shares.get(2)!.public.verificationShares.get(2)!));
  });

  it("a coordinator that signs needs its key share", () => {
    const p = params({ signers: [1, 2, 3], coordinator: 1 });
    assert.throws(() => startFrostCoordinator({ key: shares.get(1)!.public, session: p }), ParameterError);
    assert.throws(() => startFrostSigner({ keyShare: shares.get(1)!, session: p }), ParameterError);
  });
});
