/**
 * contracts/lib/GroupSignature.sol and Secp256k1.sol through GroupSignatureHarness: ECDSA and BIP-340
 * Schnorr (ecrecover trick, protocols.md §7.4) against signatures made by ethers SigningKey and noble
 * `schnorr.sign`; every tampered or malleated input is rejected.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { network } from "hardhat";
import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js";
import { concat, dataSlice, getBytes, hexlify, keccak256, toBeHex, toUtf8Bytes, ZeroAddress } from "ethers";
import type { Contract } from "ethers";
import { N, P, ecdsaTestKey, flipBit, schnorrTestKey, withRy, word } from "./group-keys.js";

const { ethers } = await network.create();
const digestOf = (label: string) => keccak256(toUtf8Bytes(label));

/** Splits Rx ‖ Ry ‖ z. */
const parts = (sig: string) => [dataSlice(sig, 0, 32), dataSlice(sig, 32, 64), dataSlice(sig, 64, 96)];

describe("GroupSignature", () => {
  let harness: Contract;
  before(async () => {
    harness = (await ethers.deployContract("GroupSignatureHarness")) as unknown as Contract;
  });

  describe("Secp256k1 helpers", () => {
    it("decompresses compressed keys exactly like noble, for both parities", async () => {
      for (let i = 0; i < 6; i++) {
        const key = ecdsaTestKey(`decompress-${i}`);
        const point = secp256k1.Point.fromBytes(getBytes(key.publicKey)).toAffine();
        const [ok, x, y] = await harness.decompress(key.publicKey);
        assert.equal(ok, true);
        assert.equal(x, point.x);
        assert.equal(y, point.y);
      }
    });

    it("rejects bad lengths, bad prefixes, x >= p and x off the curve", async () => {
      const good = getBytes(ecdsaTestKey("decompress-bad").publicKey);
      const bad = [
        good.subarray(0, 32),
        concat([good, "0x00"]),
        concat(["0x04", good.subarray(1)]),
        concat(["0x00", good.subarray(1)]),
        concat(["0x02", word(P)]),
        concat(["0x02", word(P + 1n)]),
      ];
      // An x with no curve point: x³ + 7 is a non-residue for about half of all x.
      let offCurve = 1n;
      while (secp256k1.Point.Fp.isValid(offCurve) && isSquare(offCurve ** 3n + 7n)) offCurve++;
      bad.push(concat(["0x02", word(offCurve)]));
      for (const b of bad) {
        const [ok] = await harness.decompress(hexlify(b));
        assert.equal(ok, false, `accepted ${hexlify(b)}`);
      }
    });

    it("isOnCurve accepts G and rejects G with a changed coordinate or unreduced coordinates", async () => {
      const G = secp256k1.Point.BASE.toAffine();
      assert.equal(await harness.isOnCurve(G.x, G.y), true);
      assert.equal(await harness.isOnCurve(G.x, G.y + 1n), false);
      // A point with a small x, so that x + p still fits in 256 bits.
      let x = 1n;
      while (!isSquare(x ** 3n + 7n)) x++;
      const y = schnorr.utils.lift_x(x).toAffine().y;
      assert.equal(await harness.isOnCurve(x, y), true);
      assert.equal(await harness.isOnCurve(x + P, y), false);
    });
  });

  describe("Schnorr (BIP-340)", () => {
    const key = schnorrTestKey("schnorr-main");
    const digest = digestOf("schnorr message");

    it("accepts signatures from noble schnorr.sign, for several keys and messages", async () => {
      for (let i = 0; i < 4; i++) {
        const k = schnorrTestKey(`schnorr-${i}`);
        const d = digestOf(`message ${i}`);
        const raw = k.signBip340(d);
        assert.ok(schnorr.verify(raw, getBytes(d), getBytes(word(k.px))), "noble rejects its own signature");
        assert.equal(await harness.verifySchnorr(d, withRy(raw), k.px), true);
      }
    });

    it("computes the BIP-340 challenge like noble's tagged hash", async () => {
      const [rx] = parts(key.sign(digest));
      const expected =
        BigInt(hexlify(schnorr.utils.taggedHash("BIP0340/challenge", getBytes(rx), getBytes(word(key.px)), getBytes(digest)))) % N;
      assert.equal(await harness.schnorrChallenge(rx, key.px, digest), expected);
    });

    it("costs under 10k gas per verification", async () => {
      const [ok, gasUsed] = await harness.measureSchnorr(digest, key.sign(digest), key.px);
      assert.equal(ok, true);
      assert.ok(gasUsed < 10_000n, `schnorr verification used ${gasUsed} gas`);
    });

    it("forgery by bit flip: a flipped bit in Rx, Ry, z, the message or the key is rejected", async () => {
      const sig = key.sign(digest);
      const [rx, ry, z] = parts(sig);
      for (const bit of [0, 1, 77, 128, 200, 255]) {
        const variants = [
          concat([flipBit(rx, bit), ry, z]),
          concat([rx, flipBit(ry, bit), z]),
          concat([rx, ry, flipBit(z, bit)]),
        ];
        for (const v of variants) assert.equal(await harness.verifySchnorr(digest, v, key.px), false, `bit ${bit}`);
        assert.equal(await harness.verifySchnorr(flipBit(digest, bit), sig, key.px), false);
        assert.equal(await harness.verifySchnorr(digest, sig, BigInt(flipBit(word(key.px), bit))), false);
      }
    });

    it("malleation: odd Ry (the negated nonce point) is rejected", async () => {
      const [rx, ry, z] = parts(key.sign(digest));
      assert.equal(await harness.verifySchnorr(digest, concat([rx, word(P - BigInt(ry)), z]), key.px), false);
    });

    it("malleation: R off the curve (another Ry, zero coordinates) is rejected", async () => {
      const [rx, ry, z] = parts(key.sign(digest));
      const offCurve = [
        concat([rx, word(BigInt(ry) + 2n), z]),
        concat([rx, word(0n), z]),
        concat([word(0n), ry, z]),
      ];
      for (const v of offCurve) assert.equal(await harness.verifySchnorr(digest, v, key.px), false);
    });

    it("malleation: z >= n (z + n, n, 2^256 - 1) is rejected", async () => {
      const [rx, ry, z] = parts(key.sign(digest));
      const zPlusN = BigInt(z) + N;
      const candidates = [N, (1n << 256n) - 1n, ...(zPlusN < 1n << 256n ? [zPlusN] : [])];
      for (const bad of candidates) {
        assert.equal(await harness.verifySchnorr(digest, concat([rx, ry, word(bad)]), key.px), false);
      }
    });

    it("keys out of range: Px = 0, Px >= n, Px >= p and Px + p are rejected", async () => {
      const sig = key.sign(digest);
      for (const px of [0n, N, N + 1n, P, key.px + P]) {
        if (px >= 1n << 256n) continue;
        assert.equal(await harness.verifySchnorr(digest, sig, px), false, `px ${toBeHex(px)}`);
      }
    });

    it("a signature by another key, or of another message, is rejected", async () => {
      const other = schnorrTestKey("schnorr-other");
      assert.equal(await harness.verifySchnorr(digest, other.sign(digest), key.px), false);
      assert.equal(await harness.verifySchnorr(digest, key.sign(digestOf("other")), key.px), false);
    });

    it("wrong lengths (the raw 64-byte BIP-340 form, 95 and 97 bytes) are rejected", async () => {
      const sig = key.sign(digest);
      const raw = hexlify(key.signBip340(digest));
      for (const v of [raw, dataSlice(sig, 0, 95), concat([sig, "0x00"])]) {
        assert.equal(await harness.verifySchnorr(digest, v, key.px), false);
      }
    });
  });

  describe("ECDSA", () => {
    const key = ecdsaTestKey("ecdsa-main");
    const digest = digestOf("ecdsa message");

    it("accepts low-s signatures from ethers SigningKey over the raw digest (no EIP-191 prefix)", async () => {
      for (let i = 0; i < 4; i++) {
        const k = ecdsaTestKey(`ecdsa-${i}`);
        const d = digestOf(`message ${i}`);
        assert.equal(await harness.verifyEcdsa(d, k.sign(d), k.address), true);
      }
      const prefixed = key.signingKey.sign(ethers.hashMessage(getBytes(digest))).serialized;
      assert.equal(await harness.verifyEcdsa(digest, prefixed, key.address), false);
    });

    it("costs about one ecrecover", async () => {
      const [ok, gasUsed] = await harness.measureEcdsa(digest, key.sign(digest), key.address);
      assert.equal(ok, true);
      assert.ok(gasUsed < 5_000n, `ecdsa verification used ${gasUsed} gas`);
    });

    it("malleation: s -> n - s with the flipped v is rejected (ecrecover alone would accept it)", async () => {
      const sig = ethers.Signature.from(key.sign(digest));
      const highS = concat([sig.r, word(N - BigInt(sig.s)), sig.v === 27 ? "0x1c" : "0x1b"]);
      // The bare ecrecover precompile accepts the malleated form (EIP-2 binds only transactions).
      const precompileInput = concat([digest, word(BigInt(dataSlice(highS, 64, 65))), sig.r, word(N - BigInt(sig.s))]);
      const recovered = await ethers.provider.call({ to: "0x0000000000000000000000000000000000000001", data: precompileInput });
      assert.equal(ethers.getAddress(dataSlice(recovered, 12)), key.address);
      assert.equal(await harness.verifyEcdsa(digest, highS, key.address), false);
    });

    it("malleation: v in {0, 1, 29} instead of {27, 28} is rejected", async () => {
      const sig = ethers.Signature.from(key.sign(digest));
      for (const v of [sig.v - 27, 29, sig.v + 4]) {
        const bad = concat([sig.r, sig.s, toBeHex(v, 1)]);
        assert.equal(await harness.verifyEcdsa(digest, bad, key.address), false, `v ${v}`);
      }
    });

    it("forgery by bit flip: a flipped bit in r, s or the digest is rejected", async () => {
      const sig = key.sign(digest);
      const [r, s] = [dataSlice(sig, 0, 32), dataSlice(sig, 32, 64)];
      const v = dataSlice(sig, 64, 65);
      for (const bit of [0, 9, 100, 254]) {
        assert.equal(await harness.verifyEcdsa(digest, concat([flipBit(r, bit), s, v]), key.address), false);
        assert.equal(await harness.verifyEcdsa(digest, concat([r, flipBit(s, bit), v]), key.address), false);
        assert.equal(await harness.verifyEcdsa(flipBit(digest, bit), sig, key.address), false);
      }
    });

    it("zero r or s, wrong length, another signer and the zero address are rejected", async () => {
      const sig = key.sign(digest);
      const [r, s, v] = [dataSlice(sig, 0, 32), dataSlice(sig, 32, 64), dataSlice(sig, 64, 65)];
      const other = ecdsaTestKey("ecdsa-other");
      const rejected = [
        [concat([word(0n), s, v]), key.address],
        [concat([r, word(0n), v]), key.address],
        [dataSlice(sig, 0, 64), key.address],
        [concat([sig, "0x00"]), key.address],
        [other.sign(digest), key.address],
        // ecrecover returns address(0) for garbage: that must not "match" a zero signer.
        [concat([word(1n), word(1n), "0x1b"]), ZeroAddress],
      ] as const;
      for (const [bad, signer] of rejected) {
        assert.equal(await harness.verifyEcdsa(digest, bad, signer), false);
      }
    });
  });
});

/** Euler's criterion over the secp256k1 field. */
function isSquare(a: bigint): boolean {
  const Fp = secp256k1.Point.Fp;
  return Fp.pow(Fp.create(a), (P - 1n) / 2n) === 1n;
}
