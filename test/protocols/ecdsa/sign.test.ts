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
    it(`(n, t) = (${n}, ${degree}): every signer gets the same verified low-s signature`, async () => {
      const key = dealEcdsaKey(n, degree);
      const signers = Array.from({ length: 2 * degree + 1 }, (_, i) => i + 1);
      const presigs = presignAll(key.shares, signers, 2);
      const { stores } = await storesWith(presigs);
      for (let i = 0; i < 2; i++) {
        const presig = presigs.get(1)![i];
        const run = await signWithStores(stores, presig, digestOf(`message ${i}`), degree);
        const sigs = signaturesOf(run);
        assert.equal(sigs.length, signers.length);
        for (const s of sigs) {
          assertValid(s, key.shares.get(1)!.public.publicKey);
          assert.equal(s.s, sigs[0].s);
          assert.equal(s.recovery, sigs[0].recovery);
        }
        for (const id of signers)
          assert.equal((await stores.get(id)!.state(presig.presigId))!.status, "spent");
      }
    });
  }

  it("n = 5, t = 1: S = {1, 3, 5} signs; members 2 and 4 hold no presignature and are not asked", async () => {
    const key = dealEcdsaKey(5, 1);
    const presigs = presignAll(key.shares, [1, 3, 5], 1);
    const { stores } = await storesWith(presigs);
    const run = await signWithStores(stores, presigs.get(3)![0], digestOf("subset"), 1);
    const sigs = signaturesOf(run);
    assert.equal(sigs.length, 3);
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
      digest: digestOf("a"),
    };
    const consumed = { presignature: presig, consumedFor: digestOf("b") };
    assert.throws(() => startSignShare({ request, consumed, degree: 1, keyEpoch: 0 }), ParameterError);
    const right = { presignature: presig, consumedFor: digestOf("a") };
    assert.throws(() => startSignShare({ request, consumed: right, degree: 1, keyEpoch: 1 }), ParameterError);
    assert.equal(startSignShare({ request, consumed: right, degree: 1, keyEpoch: 0 }).outgoing.length, 1);
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
