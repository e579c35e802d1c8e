import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CURVE_ORDER,
  ecdsaRecover,
  ecdsaVerify,
  encodeScalar,
  randomScalar,
  seededRng,
  sha256,
  utf8ToBytes,
} from "../../../node/crypto/index.js";
import { ParameterError } from "../../../node/protocol/errors.js";
import { UnexpectedSenderError } from "../../../node/protocol/round.js";
import {
  combineSignatureShares,
  presignaturePublic,
  signatureShare,
  startSignAgreement,
  startSignShare,
  type EcdsaSignature,
} from "../../../node/protocols/ecdsa/index.js";
import { PresignatureNotFoundError } from "../../../node/runner/presignatures.js";
import { dealEcdsaKey, presignAll, signWithStores, signaturesOf, storesWith } from "./harness.js";

const digestOf = (text: string) => sha256(utf8ToBytes(text));

function assertValid(sig: EcdsaSignature, publicKey: import("../../../node/crypto/index.js").Point): void {
  assert.ok(sig.s <= CURVE_ORDER >> 1n, "low-s");
  assert.ok(ecdsaVerify(sig.r, sig.s, sig.digest, publicKey), "verifies under the group key");
  assert.ok(
    ecdsaRecover(sig.r, sig.s, sig.recovery, sig.digest)!.equals(publicKey),
    "recovery id recovers Y",
  );
}

describe("ecdsa online signing (honest runs)", () => {
  for (const [n, degree] of [
    [3, 1],
    [5, 2],
    [7, 3],
  ] as const) {
    it(`(n, t) = (${n}, ${degree}): the combiner gets a verified low-s signature; the others only send to it`, async () => {
      const key = dealEcdsaKey(n, degree);
      const signers = Array.from({ length: 2 * degree + 1 }, (_, i) => i + 1);
      const presigs = presignAll(key.shares, signers, 2);
      const { stores } = await storesWith(presigs);
      for (let i = 0; i < 2; i++) {
        const presig = presigs.get(1)![i];
        const run = await signWithStores(stores, presig, digestOf(`message ${i}`), degree);
        const sigs = signaturesOf(run);
        assert.equal(sigs.length, 1);
        assertValid(sigs[0], key.shares.get(1)!.public.publicKey);
        assert.deepEqual(run.shares!.outcomes.get(1)?.kind, "done", "member 1 combines");
        for (const id of signers.slice(1)) {
          assert.deepEqual(run.shares!.outcomes.get(id), { kind: "done", result: null });
        }
        for (const id of signers)
          assert.equal(await stores.get(id)!.state(presig.presigId), null, "erased after use");
      }
    });
  }

  it("n = 5, t = 1: S = {1, 3, 5} signs; members 2 and 4 hold no presignature and are not asked", async () => {
    const key = dealEcdsaKey(5, 1);
    const presigs = presignAll(key.shares, [1, 3, 5], 1);
    const { stores } = await storesWith(presigs);
    const run = await signWithStores(stores, presigs.get(3)![0], digestOf("subset"), 1);
    const sigs = signaturesOf(run);
    assert.equal(sigs.length, 1);
    assertValid(sigs[0], key.shares.get(2)!.public.publicKey);
  });

  it("recovery ids come out right for both parities over many signatures", async () => {
    const key = dealEcdsaKey(3, 1);
    const presigs = presignAll(key.shares, [1, 2, 3], 16);
    const seen = new Set<number>();
    // Pure functions (no store) are enough here: the recovery id is what is tested.
    for (let i = 0; i < 16; i++) {
      const digest = encodeScalar(randomScalar(seededRng(`d${i}`)));
      const shares = new Map([...presigs].map(([id, ps]) => [id, signatureShare(ps[i], digest)]));
      const sig = combineSignatureShares(presigs.get(1)![i], digest, shares);
      assertValid(sig, key.shares.get(1)!.public.publicKey);
      seen.add(sig.recovery);
    }
    assert.deepEqual([...seen].sort(), [0, 1]);
  });

  it("refuses a zero digest and a digest that is zero mod n (h ≠ 0, spec §1.7)", () => {
    const key = dealEcdsaKey(3, 1);
    const presig = presignAll(key.shares, [1, 2, 3], 1).get(1)![0];
    const base = {
      keyId: presig.keyId,
      epoch: presig.epoch,
      presigId: presig.presigId,
      signers: presig.signers,
      combiner: presig.signers[0],
    };
    for (const digest of [
      new Uint8Array(32),
      encodeScalar(0n),
      Uint8Array.from(Buffer.from(CURVE_ORDER.toString(16), "hex")),
    ]) {
      assert.throws(
        () => startSignAgreement({ request: { ...base, digest }, presignature: presig, degree: 1, self: 1 }),
        ParameterError,
      );
    }
  });

  it("refuses a request that does not match the presignature or has |S| ≠ 2t+1", () => {
    const key = dealEcdsaKey(5, 1);
    const presig = presignAll(key.shares, [1, 2, 3], 1).get(1)![0];
    const good = {
      keyId: presig.keyId,
      epoch: presig.epoch,
      presigId: presig.presigId,
      signers: presig.signers,
      combiner: presig.signers[0],
      digest: digestOf("x"),
    };
    const bad = [
      { ...good, signers: [1, 2, 4] },
      { ...good, signers: [1, 2, 3, 4, 5] },
      { ...good, signers: [1, 2] },
      { ...good, epoch: 1 },
      { ...good, keyId: "other" },
      { ...good, presigId: "00".repeat(32) },
      { ...good, digest: new Uint8Array(31) },
    ];
    for (const request of bad) {
      assert.throws(
        () => startSignAgreement({ request, presignature: presig, degree: 1, self: 1 }),
        ParameterError,
      );
    }
    assert.throws(
      () => startSignAgreement({ request: good, presignature: presig, degree: 1, self: 4 }),
      ParameterError,
    );
  });

  it("startSignShare refuses a presignature consumed for another digest or of another epoch", () => {
    const key = dealEcdsaKey(3, 1);
    const presig = presignAll(key.shares, [1, 2, 3], 1).get(1)![0];
    const request = {
      keyId: presig.keyId,
      epoch: presig.epoch,
      presigId: presig.presigId,
      signers: presig.signers,
      combiner: presig.signers[0],
      digest: digestOf("a"),
    };
    const consumed = { presignature: presig, consumedFor: digestOf("b") };
    assert.throws(() => startSignShare({ request, consumed, degree: 1, keyEpoch: 0 }), ParameterError);
    const right = { presignature: presig, consumedFor: digestOf("a") };
    assert.throws(() => startSignShare({ request, consumed: right, degree: 1, keyEpoch: 1 }), ParameterError);
    assert.equal(startSignShare({ request, consumed: right, degree: 1, keyEpoch: 0 }).outgoing.length, 0);
  });

  it("agreement: the combiner's invite is its echo; non-combiners echo to each other only", () => {
    const key = dealEcdsaKey(5, 2);
    const presigs = presignAll(key.shares, [1, 2, 3, 4, 5], 1);
    const at = (self: number) => {
      const p = presigs.get(self)![0];
      const request = {
        keyId: p.keyId,
        epoch: p.epoch,
        presigId: p.presigId,
        signers: p.signers,
        combiner: 1,
        digest: digestOf("echo"),
      };
      return startSignAgreement({ request, presignature: p, degree: 2, self });
    };
    const combiner = at(1);
    assert.deepEqual(combiner.outgoing, []);
    assert.ok(combiner.round.ready(), "the combiner waits for no echo");
    const two = at(2);
    assert.deepEqual(
      two.outgoing.map((o) => o.to),
      [3, 4, 5],
    );
    assert.deepEqual(two.round.missing(), [3, 4, 5]);
  });

  it("shares go to the agreed combiner only: a non-combiner sends one message, to it, and receives none", () => {
    const key = dealEcdsaKey(3, 1);
    const presigs = presignAll(key.shares, [1, 2, 3], 1);
    const digest = digestOf("route");
    const p2 = presigs.get(2)![0];
    const request = {
      keyId: p2.keyId,
      epoch: p2.epoch,
      presigId: p2.presigId,
      signers: p2.signers,
      combiner: 3,
      digest,
    };
    const consumed = { presignature: p2, consumedFor: digest };
    const start = startSignShare({ request, consumed, degree: 1, keyEpoch: 0 });
    assert.deepEqual(start.outgoing, [{ to: 3, message: { kind: "share", s: signatureShare(p2, digest) } }]);
    assert.ok(start.round.ready(), "nothing to wait for");
    assert.throws(() => start.round.receive(1, { kind: "share", s: 1n }), UnexpectedSenderError);
    assert.deepEqual(start.round.finalize(seededRng("x")), { kind: "done", result: null, outgoing: [] });
    // The combiner must be one of S (and is part of the echoed request: see the codec snapshot).
    assert.throws(
      () => startSignShare({ request: { ...request, combiner: 4 }, consumed, degree: 1, keyEpoch: 0 }),
      ParameterError,
    );
  });

  it("epoch change: presignatures of the old epoch are dropped and can no longer sign", async () => {
    const key = dealEcdsaKey(3, 1);
    const presigs = presignAll(key.shares, [1, 2, 3], 2);
    const { stores } = await storesWith(presigs);
    for (const store of stores.values())
      assert.equal(await store.dropEpochsBefore(key.shares.get(1)!.public.keyId, 1), 2);
    const run = await signWithStores(stores, presignaturePublic(presigs.get(1)![0]), digestOf("late"), 1, {
      keyEpoch: 1,
    });
    assert.equal(run.agreement, null);
    for (const e of run.refusals.values()) assert.ok(e instanceof PresignatureNotFoundError);
    await assert.rejects(
      stores.get(1)!.add(presigs.get(1)!),
      ParameterError,
      "old-epoch presignatures cannot come back",
    );
  });
});
