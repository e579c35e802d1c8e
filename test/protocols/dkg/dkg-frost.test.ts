/**
 * Cross-check: a "schnorr" key from our DKG is a valid FROST key for noble's independent implementation
 * (RFC 9591 FROST(secp256k1, SHA-256)): our shares sign with noble's commit/signShare, noble verifies
 * every share against our verification shares and aggregates a signature valid under our group key.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { utf8ToBytes } from "../../../node/crypto/hash.js";
import { seededRng } from "../../../node/crypto/rng.js";
import { encodePoint, encodeScalar, frostSecp256k1, frostTaproot } from "../../../node/crypto/secp256k1.js";
import type { KeyShare } from "../../../node/protocol/key-share.js";
import { ids, outputsOf, runDkgLocal } from "./helpers.js";

type Frost = typeof frostSecp256k1;

function frostPackages(frost: Frost, shares: KeyShare[]) {
  const pub = shares[0].public;
  const publicPackage = {
    signers: { min: pub.degree + 1, max: pub.participants.length },
    commitments: pub.commitments.map(encodePoint),
    verifyingShares: Object.fromEntries(
      pub.participants.map((j) => [
        frost.Identifier.fromNumber(j),
        encodePoint(pub.verificationShares.get(j)!),
      ]),
    ),
  };
  const secrets = new Map(
    shares.map((s) => [
      s.self,
      { identifier: frost.Identifier.fromNumber(s.self), signingShare: encodeScalar(s.secretShare) },
    ]),
  );
  return { publicPackage, secrets };
}

function frostSign(frost: Frost, shares: KeyShare[], signers: number[], msg: Uint8Array): Uint8Array {
  const { publicPackage, secrets } = frostPackages(frost, shares);
  for (const secret of secrets.values()) frost.validateSecret(secret, publicPackage);
  const seeded = seededRng("frost-nonces");
  const rng = (length = 32) => seeded(length) as Uint8Array<ArrayBuffer>;
  const nonces = new Map(signers.map((id) => [id, frost.commit(secrets.get(id)!, rng)]));
  const commitmentList = signers.map((id) => nonces.get(id)!.commitments);
  const sigShares: Record<string, Uint8Array> = {};
  for (const id of signers) {
    const share = frost.signShare(
      secrets.get(id)!,
      publicPackage,
      nonces.get(id)!.nonces,
      commitmentList,
      msg,
    );
    assert.ok(frost.verifyShare(publicPackage, commitmentList, msg, frost.Identifier.fromNumber(id), share));
    sigShares[frost.Identifier.fromNumber(id)] = share;
  }
  return frost.aggregate(publicPackage, commitmentList, msg, sigShares);
}

describe("dkg → noble FROST cross-check", () => {
  const out = outputsOf(runDkgLocal({ n: 5, degree: 2, scheme: "schnorr", seed: "frost" }), ids(5));
  const shares = [...out.values()].map((o) => o.share);
  const groupKey = encodePoint(shares[0].public.publicKey);
  const msg = utf8ToBytes("shardless: frost cross-check");

  it("RFC 9591 FROST(secp256k1, SHA-256): any degree+1 members sign under the DKG group key", () => {
    for (const signers of [
      [1, 2, 3],
      [2, 4, 5],
    ]) {
      const sig = frostSign(frostSecp256k1, shares, signers, msg);
      assert.ok(frostSecp256k1.verify(sig, msg, groupKey));
      assert.ok(!frostSecp256k1.verify(sig, utf8ToBytes("another message"), groupKey));
    }
  });

  it("BIP-340/Taproot variant: same shares, signature valid under the group key", () => {
    const sig = frostSign(frostTaproot, shares, [1, 3, 5], msg);
    assert.ok(frostTaproot.verify(sig, msg, groupKey));
  });

  it("a share that is off by one is refused by noble's share check", () => {
    const bad = shares.map((s) => (s.self === 2 ? { ...s, secretShare: s.secretShare + 1n } : s));
    const { publicPackage, secrets } = frostPackages(frostSecp256k1, bad);
    assert.throws(() => frostSecp256k1.validateSecret(secrets.get(2)!, publicPackage));
  });
});
