import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decrypt as eciesjsDecrypt, encrypt as eciesjsEncrypt } from "eciesjs";
import { Config } from "eciesjs/config";
import {
  Fn,
  G,
  bytesToHex,
  encodePoint,
  encodePointUncompressed,
  encodeScalar,
  hexToBytes,
  mulPublic,
  seededRng,
  utf8ToBytes,
} from "../../node/crypto/index.js";
import {
  ECIES_SHARE_BYTES,
  decodeEciesCiphertext,
  decodeEciesShare,
  eciesCombine,
  eciesDecryptionShare,
  eciesEncrypt,
  eciesVerifyShare,
  encodeEciesCiphertext,
  encodeEciesShare,
  type EciesCiphertext,
  type EciesOptions,
} from "../../node/crypto/ecies.js";
import { DecodeError, ParameterError, VerificationError } from "../../node/protocol/errors.js";
import { dealKey, reconstructSecret } from "../helpers/dealer.js";

const sidA = new Uint8Array(32).fill(0x0a);
const sidB = new Uint8Array(32).fill(0x0b);

function deal(degree: number, n: number, seed: string) {
  const ids = Array.from({ length: n }, (_, k) => k + 1);
  const key = dealKey({ scheme: "encryption", degree, participants: ids }, seededRng(seed));
  const pub = key.shares.get(1)!.public;
  return {
    key,
    pub,
    ids,
    x: (id: number) => key.shares.get(id)!.secretShare,
    X: (id: number) => pub.verificationShares.get(id)!,
  };
}

function thresholdDecrypt(
  ct: EciesCiphertext,
  d: ReturnType<typeof deal>,
  ids: number[],
  options: EciesOptions = {},
  sid = sidA,
) {
  const rng = seededRng("shares");
  const shares = ids.map((id) => eciesDecryptionShare(ct.ephemeralKey, id, d.x(id), sid, rng));
  for (const s of shares) assert.ok(eciesVerifyShare(ct.ephemeralKey, s, d.X(s.id), sid), `share ${s.id}`);
  return eciesCombine(ct, shares, d.pub.degree + 1, options);
}

function eciesjsConfig(
  fields: Partial<Pick<Config, "isEphemeralKeyCompressed" | "isHkdfKeyCompressed" | "symmetricNonceLength">>,
) {
  return Object.assign(new Config(), fields);
}

describe("eciesjs interop: the group decrypts eciesjs ciphertexts without assembling the key", () => {
  it("2-of-3 and 3-of-5 keys, every quorum, default eciesjs settings; eciesjs' own decrypt agrees", () => {
    for (const [degree, n] of [
      [1, 3],
      [2, 5],
    ]) {
      const d = deal(degree, n, `ecies-${n}`);
      const msg = utf8ToBytes(`hello from eciesjs to ${degree + 1} of ${n}`);
      const bytes = eciesjsEncrypt(encodePoint(d.pub.publicKey), msg);
      assert.equal(bytes.length, 65 + 16 + 16 + msg.length);
      const ct = decodeEciesCiphertext(bytes);
      assert.equal(ct.ephemeralCompressed, false);
      for (let start = 0; start + degree < n; start++) {
        const ids = d.ids.slice(start, start + degree + 1);
        assert.deepEqual(thresholdDecrypt(ct, d, ids), msg, `members ${ids}`);
      }
      // TEST-ONLY cross-check: eciesjs with the reconstructed secret reads the same ciphertext.
      const secret = encodeScalar(reconstructSecret(d.key.shares.values()));
      assert.deepEqual(eciesjsDecrypt(secret, bytes), msg);
    }
  });

  it("eciesjs options: compressed ephemeral key (detected by prefix), compressed HKDF input, 12-byte nonce", () => {
    const d = deal(1, 3, "ecies-options");
    const msg = utf8ToBytes("options");
    const cases: [Partial<Config>, EciesOptions][] = [
      [{ isEphemeralKeyCompressed: true }, {}],
      [{ isHkdfKeyCompressed: true }, { hkdfKeyCompressed: true }],
      [{ symmetricNonceLength: 12 }, { nonceLength: 12 }],
      [
        { isEphemeralKeyCompressed: true, isHkdfKeyCompressed: true, symmetricNonceLength: 12 },
        { hkdfKeyCompressed: true, nonceLength: 12 },
      ],
    ];
    for (const [config, options] of cases) {
      const bytes = eciesjsEncrypt(encodePointUncompressed(d.pub.publicKey), msg, eciesjsConfig(config));
      const ct = decodeEciesCiphertext(bytes, options);
      assert.equal(ct.ephemeralCompressed, config.isEphemeralKeyCompressed ?? false);
      assert.deepEqual(thresholdDecrypt(ct, d, [1, 3], options), msg, JSON.stringify(config));
      // HKDF on the wrong point encoding derives another key: authentication fails, nothing is returned.
      const wrong = { ...options, hkdfKeyCompressed: !options.hkdfKeyCompressed };
      assert.throws(() => thresholdDecrypt(ct, d, [1, 3], wrong), VerificationError);
    }
  });

  it("our eciesEncrypt is byte-compatible: eciesjs decrypts it, and it re-encodes identically", () => {
    const d = deal(1, 3, "ours");
    const secret = encodeScalar(reconstructSecret(d.key.shares.values()));
    for (const ephemeralCompressed of [false, true]) {
      const bytes = eciesEncrypt(d.pub.publicKey, utf8ToBytes("ours"), seededRng("o"), {
        ephemeralCompressed,
      });
      const config = eciesjsConfig({ isEphemeralKeyCompressed: ephemeralCompressed });
      assert.deepEqual(eciesjsDecrypt(secret, bytes, config), utf8ToBytes("ours"));
      assert.deepEqual(encodeEciesCiphertext(decodeEciesCiphertext(bytes)), bytes);
    }
  });

  it("snapshot: an ECIES ciphertext and share under seeded randomness", () => {
    const d = deal(1, 3, "ecies-snapshot");
    const bytes = eciesEncrypt(d.pub.publicKey, utf8ToBytes("snap"), seededRng("snap"));
    const ct = decodeEciesCiphertext(bytes);
    const share = eciesDecryptionShare(ct.ephemeralKey, 2, d.x(2), sidA, seededRng("share"));
    assert.equal(
      bytesToHex(bytes),
      "0478c933f5df9d734e2359f4630c4f0e14e7ff46ffbf9ed34ab88e524a875c1fa8c750b5e2cc10931eeb2306f388f6c3f45b34450d35f83375ed04f53f548c5229f5437667ee1742be4c3327ec70297b15c4ddf2778c0a9cdd8f0256fe1dd3fe2075e1691c",
    );
    const secret = encodeScalar(reconstructSecret(d.key.shares.values()));
    assert.deepEqual(eciesjsDecrypt(secret, bytes), utf8ToBytes("snap"), "eciesjs reads the snapshot");
    assert.equal(
      bytesToHex(encodeEciesShare(share)),
      "000203ae050cf5ef777805d236cd6cf8f9561246b1a759ecb745162f86d5c91fbcdbcc6b0cb6a0b43bbc446d9824b96d9f3553a5c2d2d9e570f62f611cd413548a9199ff44d3f1f1a9d767ba0925809a5eeb4f48f576bebe177932b541695f8c2006bd",
    );
  });
});

describe("ECIES strict parsing", () => {
  const d = deal(1, 3, "parse");
  const bytes = eciesjsEncrypt(encodePoint(d.pub.publicKey), utf8ToBytes("x"));

  it("rejects an unknown prefix, an off-curve or identity ephemeral key and short inputs", () => {
    const bad = bytes.slice();
    bad[0] = 0x05;
    assert.throws(() => decodeEciesCiphertext(bad), DecodeError);
    const offCurve = bytes.slice();
    offCurve.set(hexToBytes("04" + "00".repeat(63) + "05"), 0);
    assert.throws(() => decodeEciesCiphertext(offCurve), DecodeError);
    for (const len of [0, 1, 33, 65, 65 + 31]) {
      assert.throws(() => decodeEciesCiphertext(bytes.subarray(0, len)), DecodeError, `length ${len}`);
    }
    assert.throws(() => decodeEciesCiphertext(bytes, { nonceLength: 8 as 12 }), ParameterError);
  });

  it("a tampered nonce, tag or body fails authentication after combining: nothing is released", () => {
    const ct = decodeEciesCiphertext(bytes);
    const flip = (b: Uint8Array) => b.map((v, k) => (k === 0 ? v ^ 1 : v));
    for (const bad of [
      { ...ct, nonce: flip(ct.nonce) },
      { ...ct, tag: flip(ct.tag) },
      { ...ct, ciphertext: flip(ct.ciphertext) },
    ]) {
      assert.throws(() => thresholdDecrypt(bad, d, [1, 2]), VerificationError);
    }
  });
});

describe("ECIES share proofs", () => {
  const d = deal(1, 3, "ecies-proofs");
  const ct = decodeEciesCiphertext(eciesjsEncrypt(encodePoint(d.pub.publicKey), utf8ToBytes("p")));
  const share = eciesDecryptionShare(ct.ephemeralKey, 1, d.x(1), sidA, seededRng("p"));

  it("bad proof: a wrong D_i, c or z, another id or another member's X_i fails", () => {
    assert.ok(eciesVerifyShare(ct.ephemeralKey, share, d.X(1), sidA));
    for (const bad of [
      { ...share, D: share.D.add(G) },
      { ...share, c: Fn.add(share.c, 1n) },
      { ...share, z: Fn.add(share.z, 1n) },
      { ...share, id: 2 },
    ]) {
      assert.equal(eciesVerifyShare(ct.ephemeralKey, bad, d.X(bad.id), sidA), false);
    }
    assert.equal(eciesVerifyShare(ct.ephemeralKey, share, d.X(2), sidA), false);
  });

  it("replay across sessions or ciphertexts: the proof binds the session id and E", () => {
    assert.equal(eciesVerifyShare(ct.ephemeralKey, share, d.X(1), sidB), false);
    const other = decodeEciesCiphertext(eciesjsEncrypt(encodePoint(d.pub.publicKey), utf8ToBytes("p")));
    assert.equal(eciesVerifyShare(other.ephemeralKey, share, d.X(1), sidA), false);
  });

  it("D_i = x_i·E (test oracle), and the share encoding is 99 strict bytes", () => {
    assert.ok(share.D.equals(mulPublic(ct.ephemeralKey, d.x(1))));
    const bytes = encodeEciesShare(share);
    assert.equal(bytes.length, ECIES_SHARE_BYTES);
    assert.ok(eciesVerifyShare(ct.ephemeralKey, decodeEciesShare(bytes), d.X(1), sidA));
    assert.throws(() => decodeEciesShare(bytes.subarray(0, 98)), DecodeError);
  });

  it("a session id is required", () => {
    assert.throws(() => eciesDecryptionShare(ct.ephemeralKey, 1, d.x(1), new Uint8Array(0)), ParameterError);
  });
});
