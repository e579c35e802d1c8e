/**
 * Honest FROST signing with quorum (degree + 1) or more of n members, both variants, both y parities of
 * the group key, coordinator inside or outside the signer set, two rounds or one round with
 * pre-published commitments. Outputs are checked by verifiers outside our signing path: BIP-340 with
 * schnorrVerify, RFC 9591 with noble's FROST verify.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Fn,
  bytesToHex,
  encodePoint,
  encodeScalar,
  frostSecp256k1,
  frostTaproot,
  hasOddY,
  schnorrVerify,
  bytesEqual,
} from "../../../node/crypto/index.js";
import {
  frostCodec,
  frostSessionId,
  startFrostCoordinator,
  startPooledFrostSigner,
  type FrostResult,
  memberIdentifier,
  nobleCommitmentList,
  openFrostSession,
  xOnly,
  type FrostMessage,
  type SignRequestMessage,
  type FrostSignature,
  type FrostVariant,
} from "../../../node/protocols/frost/index.js";
import type { KeyShare } from "../../../node/protocol/key-share.js";
import type { Start } from "../../../node/protocol/round.js";
import { simulate } from "../../helpers/simulate.js";
import { frostKey, params, PooledGroup, runTwoRound, signatureOf } from "./fixtures.js";

function assertVerifies(sig: FrostSignature, share: KeyShare, message: Uint8Array): void {
  const Y = share.public.publicKey;
  if (sig.variant === "bip340") {
    assert.equal(sig.signature.length, 64);
    assert.ok(schnorrVerify(sig.signature, message, xOnly(Y)), "BIP-340 verification (schnorrVerify)");
    assert.ok(frostTaproot.verify(sig.signature, message, xOnly(Y)));
    assert.deepEqual(sig.publicKey, xOnly(Y));
    assert.equal(hasOddY(sig.R), false, "published R has even y");
  } else {
    assert.equal(sig.signature.length, 65);
    assert.ok(
      frostSecp256k1.verify(sig.signature, message, encodePoint(Y)),
      "RFC 9591 verification (noble FROST)",
    );
    assert.deepEqual(sig.publicKey, encodePoint(Y));
  }
}

const cases: { members: number; degree: number; signers: number[]; coordinator: number }[] = [
  { members: 3, degree: 1, signers: [1, 3], coordinator: 3 },
  { members: 5, degree: 2, signers: [2, 4, 5], coordinator: 1 }, // coordinator outside the signer set
  { members: 7, degree: 3, signers: [1, 3, 6, 7], coordinator: 6 },
  { members: 6, degree: 2, signers: [1, 2, 3, 4, 5, 6], coordinator: 2 }, // more than the quorum
  { members: 4, degree: 3, signers: [1, 2, 3, 4], coordinator: 4 }, // n = quorum
];

describe("FROST honest signing, two rounds", () => {
  for (const variant of ["bip340", "rfc9591"] as FrostVariant[]) {
    for (const oddY of [false, true]) {
      for (const c of cases) {
        it(`${variant}, ${oddY ? "odd" : "even"}-y key, ${c.signers.length} of ${c.members} (degree ${c.degree}), coordinator ${c.coordinator}`, () => {
          const shares = frostKey({
            members: c.members,
            degree: c.degree,
            seed: `${variant}-${c.members}-${c.degree}`,
            oddY,
          });
          const session = params({
            variant,
            signers: c.signers,
            coordinator: c.coordinator,
            requestId: `honest-${c.members}`,
          });
          const sim = runTwoRound(shares, session);
          const sig = signatureOf(sim, c.coordinator);
          assertVerifies(sig, shares.get(1)!, session.message);
          assert.deepEqual(sig.signers, c.signers);
          for (const id of c.signers.filter((s) => s !== c.coordinator)) {
            assert.deepEqual(sim.outcomes.get(id), {
              kind: "done",
              result: { role: "signer", sessionId: sig.sessionId },
            });
          }
          for (const errors of sim.rejections.values()) assert.deepEqual(errors, []);
        });
      }
    }
  }

  it("a signature of one message does not verify for another", () => {
    const shares = frostKey({ members: 3, degree: 1, seed: "other-message" });
    const session = params({ signers: [1, 2] });
    const sig = signatureOf(runTwoRound(shares, session), 1);
    assert.ok(schnorrVerify(sig.signature, session.message, sig.publicKey));
    assert.equal(
      schnorrVerify(sig.signature, new TextEncoder().encode("another message"), sig.publicKey),
      false,
    );
  });

  it("sends exactly one commitment (101 B) and one share (67 B) per non-coordinating signer", () => {
    const shares = frostKey({ members: 5, degree: 2, seed: "bytes" });
    const session = params({ signers: [1, 2, 3], coordinator: 1 });
    const sim = runTwoRound(shares, session);
    signatureOf(sim, 1);
    assert.equal(sim.bytesSent.get(2), 101 + 67);
    assert.equal(sim.messagesSent.get(2), 2);
    assert.equal(sim.messagesSent.get(1), 2); // one request to each other signer
  });
});

describe("BIP-340 even-y normalisation matches noble's", () => {
  it("shares made with our once-per-key normalisation verify under noble's normalisation of the raw odd-y key", () => {
    const shares = frostKey({ members: 4, degree: 2, seed: "normalisation", oddY: true });
    const key = shares.get(1)!.public;
    const session = params({ signers: [1, 2, 4], coordinator: 4 });
    const seen: { from: number; message: FrostMessage }[] = [];
    const sig = signatureOf(
      runTwoRound(shares, session, {
        tamper: (d) => (seen.push({ from: d.from, message: d.message }), d.message),
      }),
      4,
    );
    // The key exactly as our DKG/dealer made it, odd y, with no normalisation: noble's hooks apply theirs.
    const rawPublic = {
      signers: { min: 3, max: 4 },
      commitments: key.commitments.map(encodePoint),
      verifyingShares: Object.fromEntries(
        key.participants.map((id) => [memberIdentifier(id), encodePoint(key.verificationShares.get(id)!)]),
      ),
    };
    const request = seen.find((s) => s.message.type === "sign-request")!.message as SignRequestMessage;
    const list = nobleCommitmentList(request.commitments);
    const shared = seen.filter((s) => s.message.type === "signature-share");
    assert.equal(shared.length, 2);
    for (const { from, message } of shared) {
      if (message.type !== "signature-share") continue;
      assert.ok(
        frostTaproot.verifyShare(
          rawPublic,
          list,
          session.message,
          memberIdentifier(from),
          encodeScalar(message.share),
        ),
      );
      const wrong = encodeScalar(Fn.add(message.share, 1n));
      assert.equal(
        frostTaproot.verifyShare(rawPublic, list, session.message, memberIdentifier(from), wrong),
        false,
      );
    }
    assert.ok(hasOddY(key.publicKey));
    assert.ok(schnorrVerify(sig.signature, session.message, xOnly(key.publicKey)));
    assert.equal(bytesToHex(sig.publicKey), bytesToHex(xOnly(key.publicKey)));
  });
});

describe("FROST honest signing, one round with pre-published commitments", () => {
  for (const variant of ["bip340", "rfc9591"] as FrostVariant[]) {
    it(`${variant}: three sessions in a row, each with fresh pooled nonces`, async () => {
      const shares = frostKey({
        members: 5,
        degree: 2,
        seed: `pooled-${variant}`,
        oddY: variant === "bip340",
      });
      const group = new PooledGroup(shares);
      await group.publish(3);
      const signatures: FrostSignature[] = [];
      for (const [i, signers] of [
        [1, 2, 3],
        [2, 4, 5],
        [1, 3, 4, 5],
      ].entries()) {
        const session = params({ variant, signers, coordinator: signers[0], requestId: `pooled-${i}` });
        const { transition } = await group.sign(session);
        assert.equal(transition.kind, "done");
        if (transition.kind !== "done" || transition.result.role !== "coordinator") return;
        assertVerifies(transition.result.signature, shares.get(1)!, session.message);
        signatures.push(transition.result.signature);
      }
      assert.equal(
        new Set(signatures.map((s) => encodePoint(s.R).toString())).size,
        3,
        "fresh nonce point each time",
      );
    });
  }
});

describe("FROST pooled signer rounds under the simulator", () => {
  it("startPooledFrostSigner: signers consume their pooled nonce, then the rounds run as usual", async () => {
    const shares = frostKey({ members: 4, degree: 2, seed: "pooled-rounds", oddY: true });
    const group = new PooledGroup(shares);
    await group.publish(1);
    const session = params({ signers: [1, 3, 4], coordinator: 4 });
    const commitments = group.books.get(4)!.takeFor([1, 3])!;
    const starts = new Map<number, Start<FrostMessage, FrostResult>>();
    starts.set(
      4,
      startFrostCoordinator({
        key: shares.get(4)!,
        session,
        prepublished: { commitments, ownNonces: (await group.pools.get(4)!.consumeNext())! },
      }),
    );
    for (const id of [1, 3]) {
      const nonces = await group.pools.get(id)!.consume(commitments.get(id)!, 4);
      starts.set(id, startPooledFrostSigner({ keyShare: shares.get(id)!, session, nonces }));
    }
    const sim = simulate(starts, { codec: frostCodec });
    assertVerifies(signatureOf(sim, 4), shares.get(1)!, session.message);
    assert.equal(sim.messagesSent.get(1), 1, "one message per signer: its share");
  });
});

describe("FROST session ids", () => {
  it("bind variant, request id, coordinator, signer set, message, key and epoch", () => {
    const shares = frostKey({ members: 4, degree: 1, seed: "session-ids" });
    const key = shares.get(1)!.public;
    const base = params({ signers: [1, 2], coordinator: 1 });
    const id = frostSessionId(key, base);
    const variants = [
      { ...base, variant: "rfc9591" as const },
      { ...base, requestId: "request-2" },
      { ...base, coordinator: 2 },
      { ...base, signers: [1, 3] },
      { ...base, message: new Uint8Array([1]) },
    ].map((p) => frostSessionId(key, p));
    variants.push(
      frostSessionId({ ...key, epoch: 1 }, base),
      frostSessionId({ ...key, keyId: "other" }, base),
    );
    for (const other of variants) assert.equal(bytesEqual(other, id), false);
    assert.ok(bytesEqual(openFrostSession(key, base).sessionId, id));
  });
});
