import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CURVE_ORDER,
  Fn,
  G,
  aesGcmDecrypt,
  bytesToHex,
  concatBytes,
  encodePoint,
  hashToCurve,
  hexToBytes,
  mulBase,
  mulPublic,
  randomScalar,
  seededRng,
  sha256,
  utf8ToBytes,
  type Point,
} from "../../node/crypto/index.js";
import {
  InvalidCiphertextError,
  TDH2_CONTEXT,
  TDH2_MAX_LABEL_BYTES,
  TDH2_SHARE_BYTES,
  decodeTdh2Ciphertext,
  decodeTdh2Share,
  encodeTdh2Ciphertext,
  encodeTdh2Share,
  tdh2Combine,
  tdh2DecryptionShare,
  tdh2Encrypt,
  tdh2Gbar,
  tdh2IsValid,
  tdh2Validate,
  tdh2VerifyShare,
  type Tdh2Ciphertext,
  type Tdh2DecryptionShare,
} from "../../node/crypto/tdh2.js";
import { DecodeError, ParameterError, VerificationError } from "../../node/protocol/errors.js";
import { dealKey, reconstructSecret } from "../helpers/dealer.js";

const text = (s: string) => utf8ToBytes(s);
const sidA = new Uint8Array(32).fill(0xa1);
const sidB = new Uint8Array(32).fill(0xb2);

function deal(degree: number, n: number, seed: string) {
  const ids = Array.from({ length: n }, (_, k) => k + 1);
  const key = dealKey({ scheme: "encryption", degree, participants: ids }, seededRng(seed));
  const pub = key.shares.get(1)!.public;
  const x = (id: number) => key.shares.get(id)!.secretShare;
  const h = (id: number) => pub.verificationShares.get(id)!;
  return { key, pub, x, h, ids };
}

function shares(
  ct: Tdh2Ciphertext,
  d: ReturnType<typeof deal>,
  ids: number[],
  seed = "shares",
  sessionId?: Uint8Array,
) {
  const rng = seededRng(seed);
  return ids.map((id) => tdh2DecryptionShare(ct, id, d.x(id), rng, sessionId ? { sessionId } : {}));
}

/** All subsets of `ids` with `k` elements. */
function subsets(ids: number[], k: number): number[][] {
  if (k === 0) return [[]];
  if (ids.length < k) return [];
  const [first, ...rest] = ids;
  return [...subsets(rest, k - 1).map((s) => [first, ...s]), ...subsets(rest, k)];
}

/** TEST-ONLY oracle: single-key TDH2 decryption with the reconstructed secret x (K = c ⊕ H1(x·u)). */
function decryptWithSecret(ct: Tdh2Ciphertext, x: bigint): Uint8Array {
  const mask = sha256(concatBytes(text(TDH2_CONTEXT), text("H1"), encodePoint(mulPublic(ct.u, x))));
  const K = ct.c.map((b, k) => b ^ mask[k]);
  return aesGcmDecrypt(K, ct.iv, ct.dem, ct.label);
}

describe("TDH2 constants", () => {
  it('hash_to_curve is the RFC 9380 suite secp256k1_XMD:SHA-256_SSWU_RO_ (RFC 9380 J.8.1, msg = "")', () => {
    const P = hashToCurve(new Uint8Array(0), "QUUX-V01-CS02-with-secp256k1_XMD:SHA-256_SSWU_RO_").toAffine();
    assert.equal(P.x.toString(16), "c1cae290e291aee617ebaef1be6d73861479c48b841eaba9b7b5852ddfeb1346");
    assert.equal(P.y.toString(16), "64fa678e07ae116126f08b022a94af6de15985c996c3a91b64c406a960e51067");
  });

  it("Ḡ is pinned (changing its message or DST changes every ciphertext)", () => {
    assert.equal(
      bytesToHex(encodePoint(tdh2Gbar())),
      "03d055cd999b78865d3bd12ebb04ee4130d3a1a7f56fbb1ba7ba1da0a42b3c94b1",
    );
    assert.ok(!tdh2Gbar().equals(G));
  });
});

describe("TDH2 encrypt / share / combine", () => {
  it("every quorum of a 2-of-3 and of a 3-of-5 key decrypts; the test oracle agrees", () => {
    for (const [degree, n] of [
      [1, 3],
      [2, 5],
    ]) {
      const d = deal(degree, n, `deal-${degree}-${n}`);
      const msg = text(`payload for ${degree + 1} of ${n}`);
      const ct = tdh2Encrypt(msg, text("label"), d.pub.publicKey, seededRng("enc"));
      assert.ok(tdh2IsValid(ct));
      assert.deepEqual(decryptWithSecret(ct, reconstructSecret(d.key.shares.values())), msg);
      const all = shares(ct, d, d.ids);
      for (const s of all) assert.ok(tdh2VerifyShare(ct, s, d.h(s.id)), `share ${s.id}`);
      for (const set of subsets(d.ids, degree + 1)) {
        const chosen = all.filter((s) => set.includes(s.id));
        assert.deepEqual(tdh2Combine(ct, chosen, degree + 1), msg, `set ${set}`);
      }
    }
  });

  it("round-trips random messages and labels through the byte format (property)", () => {
    const d = deal(1, 3, "prop");
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.string(),
        (msg, label, seed) => {
          const bytes = encodeTdh2Ciphertext(tdh2Encrypt(msg, label, d.pub.publicKey, seededRng(seed)));
          const ct = decodeTdh2Ciphertext(bytes);
          assert.deepEqual(encodeTdh2Ciphertext(ct), bytes);
          assert.deepEqual(tdh2Combine(ct, shares(ct, d, [1, 3], seed), 2), msg);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("snapshot: the ciphertext bytes under a seeded rng (format change shows up here)", () => {
    const d = deal(1, 3, "snapshot-key");
    const ct = tdh2Encrypt(text("sealed bid: 42"), text("auction/1"), d.pub.publicKey, seededRng("snapshot"));
    const hex = bytesToHex(encodeTdh2Ciphertext(ct));
    assert.equal(hex.length / 2, 1 + 33 + 33 + 32 + 32 + 32 + 4 + 9 + 12 + 14 + 16);
    assert.equal(hex.slice(0, 2), "01");
    assert.equal(hex.slice(326, 352), "00000009" + bytesToHex(text("auction/1")));
    assert.equal(
      hex,
      [
        "01", // version
        "03e629b03fa822188bd39c0aa617c06be42b2ccd2af957abe11fa3adecd055f987", // u
        "0280c36523c255f29b96c41d9a1953849db56a346388a4c15e3fa48cac28a1a96f", // ū
        "d5d80858e09f9a1dc1786d8e7eefb568b426d04ec08debe7842aa7dd92d2f5ca", // e
        "8360f25d69cab2b0cf72f66a87014adff32ae248336bd461bd94b86bbfaf825a", // f
        "bf5c07d2b8557f8325d68e35fba23360ff85a8c0faf920d4d199a55eb31555ce", // c
        "00000009", // label length
        "61756374696f6e2f31", // label
        "cf32118ac677a5f480becbe5", // iv
        "82a846f87bb3487086f77435c7de13ba78b7f96f08d78501abcca088503e", // dem
      ].join(""),
    );
  });

  it("an empty message and an empty label work", () => {
    const d = deal(1, 3, "empty");
    const ct = tdh2Encrypt(new Uint8Array(0), new Uint8Array(0), d.pub.publicKey, seededRng("e"));
    assert.deepEqual(tdh2Combine(ct, shares(ct, d, [2, 3]), 2), new Uint8Array(0));
  });
});

describe("TDH2 strict decoding", () => {
  const d = deal(1, 3, "decode");
  const bytes = encodeTdh2Ciphertext(tdh2Encrypt(text("m"), text("L"), d.pub.publicKey, seededRng("d")));

  it("rejects truncation at every length, a wrong version and oversized labels", () => {
    for (let len = 0; len < bytes.length; len++) {
      // Cuts that leave a 16-byte DEM still decode; the validity proof (L binds the DEM) catches them.
      let rejected: boolean;
      try {
        rejected = !tdh2IsValid(decodeTdh2Ciphertext(bytes.subarray(0, len)));
      } catch (e) {
        rejected = e instanceof DecodeError;
      }
      assert.ok(rejected, `length ${len}`);
    }
    assert.throws(() => decodeTdh2Ciphertext(bytes.subarray(0, 179 + 1 + 15)), DecodeError);
    const v2 = bytes.slice();
    v2[0] = 2;
    assert.throws(() => decodeTdh2Ciphertext(v2), DecodeError);
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(163, TDH2_MAX_LABEL_BYTES + 1);
    assert.throws(() => decodeTdh2Ciphertext(huge), DecodeError);
    const long = bytes.slice();
    new DataView(long.buffer).setUint32(163, 0xffffffff);
    assert.throws(() => decodeTdh2Ciphertext(long), DecodeError);
  });

  it("rejects off-curve or identity points and scalars ≥ n", () => {
    const offCurve = bytes.slice();
    offCurve.set(hexToBytes("02" + "00".repeat(31) + "05"), 1); // x = 5 is not on secp256k1
    assert.throws(() => decodeTdh2Ciphertext(offCurve), DecodeError);
    const zeroPoint = bytes.slice();
    zeroPoint.set(new Uint8Array(33), 34);
    assert.throws(() => decodeTdh2Ciphertext(zeroPoint), DecodeError);
    const bigE = bytes.slice();
    bigE.set(hexToBytes(CURVE_ORDER.toString(16)), 67);
    assert.throws(() => decodeTdh2Ciphertext(bigE), DecodeError);
    const bigF = bytes.slice();
    bigF.set(hexToBytes("ff".repeat(32)), 99);
    assert.throws(() => decodeTdh2Ciphertext(bigF), DecodeError);
  });
});

describe("TDH2 attacks: no share for a tampered or relabelled ciphertext", () => {
  const d = deal(1, 3, "tamper");
  const ct = tdh2Encrypt(text("the secret bid"), text("contract A / bid 1"), d.pub.publicKey, seededRng("t"));
  const flip = (b: Uint8Array, at = 0) => {
    const c = b.slice();
    c[at] ^= 1;
    return c;
  };
  const other = mulBase(randomScalar(seededRng("other")));
  const tampered: [string, Tdh2Ciphertext][] = [
    ["u", { ...ct, u: ct.u.add(G) }],
    ["ū", { ...ct, uBar: ct.uBar.add(G) }],
    ["e", { ...ct, e: Fn.add(ct.e, 1n) }],
    ["f", { ...ct, f: Fn.add(ct.f, 1n) }],
    ["c", { ...ct, c: flip(ct.c) }],
    ["label (relabelled: same KEM under another label)", { ...ct, label: text("contract A / bid 2") }],
    ["iv", { ...ct, iv: flip(ct.iv) }],
    ["dem ciphertext", { ...ct, dem: flip(ct.dem, 0) }],
    ["dem tag", { ...ct, dem: flip(ct.dem, ct.dem.length - 1) }],
    ["u and ū replaced consistently (w/o knowing r)", { ...ct, u: other, uBar: other }],
  ];
  for (const [field, bad] of tampered) {
    it(`tampered ${field}: invalid, no share, combine refuses`, () => {
      assert.equal(tdh2IsValid(bad), false);
      assert.throws(() => tdh2DecryptionShare(bad, 1, d.x(1), seededRng("s")), InvalidCiphertextError);
      assert.throws(() => tdh2Combine(bad, shares(ct, d, [1, 2]), 2), InvalidCiphertextError);
    });
  }

  it("a tampered byte anywhere in the encoding is rejected by decoding or by the validity check", () => {
    const bytes = encodeTdh2Ciphertext(ct);
    for (let at = 0; at < bytes.length; at += 7) {
      let invalid: boolean;
      try {
        invalid = !tdh2IsValid(decodeTdh2Ciphertext(flip(bytes, at)));
      } catch (e) {
        invalid = e instanceof DecodeError;
      }
      assert.ok(invalid, `byte ${at}`);
    }
  });
});

describe("TDH2 share proofs", () => {
  const d = deal(1, 3, "proofs");
  const ct = tdh2Encrypt(text("msg"), text("lbl"), d.pub.publicKey, seededRng("p"));
  const good = shares(ct, d, [1, 2], "good");

  it("bad proof: a share with a wrong u_i, e_i or f_i fails verification", () => {
    const s = good[0];
    const bad: Tdh2DecryptionShare[] = [
      { ...s, ui: s.ui.add(G) },
      { ...s, ei: Fn.add(s.ei, 1n) },
      { ...s, fi: Fn.add(s.fi, 1n) },
      { ...s, id: 2 },
    ];
    for (const b of bad) assert.equal(tdh2VerifyShare(ct, b, d.h(b.id)), false);
    assert.equal(tdh2VerifyShare(ct, s, d.h(2)), false, "checked against another member's h_i");
  });

  it("a share for another ciphertext does not verify", () => {
    const ct2 = tdh2Encrypt(text("msg"), text("lbl"), d.pub.publicKey, seededRng("p2"));
    assert.equal(tdh2VerifyShare(ct2, good[0], d.h(1)), false);
  });

  it("replay across sessions: a session-bound share verifies only in its own session", () => {
    const [a] = shares(ct, d, [1], "sa", sidA);
    assert.ok(tdh2VerifyShare(ct, a, d.h(1), { sessionId: sidA }));
    assert.equal(tdh2VerifyShare(ct, a, d.h(1), { sessionId: sidB }), false);
    assert.equal(tdh2VerifyShare(ct, a, d.h(1)), false, "not valid as a spec (session-less) share");
    assert.equal(tdh2VerifyShare(ct, good[0], d.h(1), { sessionId: sidA }), false);
  });

  it("combining an unverified bad share fails closed (AES-GCM is the final check)", () => {
    const forged = { ...good[1], ui: good[1].ui.add(G) };
    assert.throws(() => tdh2Combine(ct, [good[0], forged], 2), VerificationError);
  });

  it("combine needs a quorum of distinct members", () => {
    assert.throws(() => tdh2Combine(ct, [good[0]], 2), ParameterError);
    assert.throws(() => tdh2Combine(ct, [good[0], good[0]], 2), ParameterError);
  });

  it("share encoding: 99 bytes, round-trips, strict", () => {
    const bytes = encodeTdh2Share(good[0]);
    assert.equal(bytes.length, TDH2_SHARE_BYTES);
    const back = decodeTdh2Share(bytes);
    assert.ok(tdh2VerifyShare(ct, back, d.h(1)));
    assert.throws(() => decodeTdh2Share(bytes.subarray(1)), DecodeError);
    assert.throws(() => decodeTdh2Share(concatBytes(new Uint8Array(2), bytes.subarray(2))), DecodeError);
  });

  it("the proof holds the DLEQ relation with the dealt secret (test oracle)", () => {
    const x1 = d.x(1);
    assert.ok(good[0].ui.equals(mulPublic(ct.u, x1)));
    const point: Point = mulPublic(G, x1);
    assert.ok(point.equals(d.h(1)));
  });
});

describe("tdh2Validate", () => {
  it("checks once and returns a frozen copy independent of the caller's bytes", () => {
    const d = deal(1, 3, "validate");
    const ct = tdh2Encrypt(text("once"), text("l"), d.pub.publicKey, seededRng("v"));
    const checked = tdh2Validate(ct);
    assert.ok(Object.isFrozen(checked));
    assert.equal(tdh2Validate(checked), checked);
    ct.dem[0] ^= 1; // the caller's object changes; the checked copy does not
    assert.equal(tdh2IsValid(ct), false);
    assert.deepEqual(tdh2Combine(checked, shares(checked, d, [1, 2]), 2), text("once"));
    assert.throws(() => tdh2Validate(ct), InvalidCiphertextError);
  });
});

describe("TDH2 parameter checks", () => {
  it("rejects the identity as group key, an oversized label, a bad member id and quorum", () => {
    const d = deal(1, 3, "params");
    assert.throws(() => tdh2Encrypt(text("m"), text("l"), G.subtract(G)), ParameterError);
    assert.throws(
      () => tdh2Encrypt(text("m"), new Uint8Array(TDH2_MAX_LABEL_BYTES + 1), d.pub.publicKey),
      ParameterError,
    );
    const ct = tdh2Encrypt(text("m"), text("l"), d.pub.publicKey, seededRng("x"));
    assert.throws(() => tdh2DecryptionShare(ct, 0, d.x(1)), ParameterError);
    assert.throws(() => tdh2Combine(ct, [], 0), ParameterError);
  });
});
