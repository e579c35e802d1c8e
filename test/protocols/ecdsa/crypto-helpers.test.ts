/**
 * The crypto-core helpers presigning uses for speed (bufferedRng, normalizePoints,
 * decodePointUncompressed, the wide fixed-base table): same results as the plain path, and strict
 * where they decode.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CURVE_ORDER,
  FIELD_PRIME,
  Fp,
  G,
  bufferedRng,
  bytesToHex,
  decodePointUncompressed,
  encodePoint,
  encodePointUncompressed,
  hexToBytes,
  mulBase,
  mulBasePublicWide,
  mulBaseWide,
  mulPublic,
  normalizePoints,
  randomScalar,
  seededRng,
} from "../../../node/crypto/index.js";
import { DecodeError } from "../../../node/protocol/errors.js";

describe("bufferedRng", () => {
  it("hands out exactly the underlying stream, whatever the read sizes and chunk", () => {
    const sizes = [48, 1, 0, 4095, 48, 9000, 7, 48];
    const total = sizes.reduce((a, b) => a + b, 0);
    const direct = seededRng("buffered")(total);
    for (const chunk of [1, 48, 4096, 65536]) {
      const draw = bufferedRng(seededRng("buffered"), chunk);
      const reads = sizes.map((n) => draw(n));
      const joined = new Uint8Array(total);
      let at = 0;
      for (const r of reads) {
        joined.set(r, at);
        at += r.length;
      }
      assert.equal(bytesToHex(joined), bytesToHex(direct), `chunk ${chunk}`);
    }
  });

  it("returned reads are independent copies (a later draw does not overwrite them)", () => {
    const draw = bufferedRng(seededRng("copies"), 64);
    const first = draw(32);
    const keep = bytesToHex(first);
    draw(64);
    assert.equal(bytesToHex(first), keep);
  });

  it("rejects a chunk above crypto.getRandomValues' limit or below 1", () => {
    assert.throws(() => bufferedRng(seededRng("x"), 65537), RangeError);
    assert.throws(() => bufferedRng(seededRng("x"), 0), RangeError);
  });
});

describe("normalizePoints", () => {
  it("returns the same points, each with Z = 1, in order", () => {
    const rng = seededRng("normalize");
    const projective = Array.from({ length: 5 }, () => mulBase(randomScalar(rng)).add(G.double()));
    const affine = normalizePoints(projective);
    assert.equal(affine.length, projective.length);
    affine.forEach((P, i) => {
      assert.ok(P.equals(projective[i]));
      assert.equal(P.Z, 1n);
      assert.equal(bytesToHex(encodePoint(P)), bytesToHex(encodePoint(projective[i])));
    });
    assert.deepEqual(normalizePoints([]), []);
  });
});

describe("decodePointUncompressed", () => {
  const P = mulBase(randomScalar(seededRng("uncompressed")));
  const hex = bytesToHex(encodePointUncompressed(P));

  it("round-trips 04 ‖ x ‖ y", () => {
    assert.ok(decodePointUncompressed(hexToBytes(hex)).equals(P));
  });

  it("rejects compressed input, a wrong prefix, points off the curve and coordinates ≥ p", () => {
    const x = hex.slice(2, 66);
    const y = hex.slice(66);
    const bad = [
      bytesToHex(encodePoint(P)), // compressed
      "02" + x + y, // prefix
      "04" + x + (BigInt("0x" + y) ^ 1n).toString(16).padStart(64, "0"), // off the curve
      "04" + FIELD_PRIME.toString(16) + y, // x = p
      "04" + x + y + "00", // trailing byte
    ];
    for (const b of bad)
      assert.throws(() => decodePointUncompressed(hexToBytes(b)), DecodeError, b.slice(0, 8));
  });

  it("rejects a second encoding of a valid point (x + p instead of x, for the point with x = 1)", () => {
    const hex32 = (v: bigint) => v.toString(16).padStart(64, "0");
    const y = Fp.sqrt(8n); // y² = 1³ + 7
    assert.ok(decodePointUncompressed(hexToBytes("04" + hex32(1n) + hex32(y))));
    assert.throws(
      () => decodePointUncompressed(hexToBytes("04" + hex32(1n + FIELD_PRIME) + hex32(y))),
      DecodeError,
    );
  });
});

describe("fixed-base multiplication through the wide table", () => {
  it("equals k·G from noble's own table, for secret (constant-time) and public scalars", () => {
    const rng = seededRng("wide");
    const scalars = [1n, 2n, CURVE_ORDER - 1n, ...Array.from({ length: 6 }, () => randomScalar(rng))];
    for (const k of scalars) {
      assert.ok(mulBaseWide(k).equals(mulBase(k)));
      assert.ok(mulBasePublicWide(k).equals(mulPublic(G, k)));
    }
    assert.ok(mulBaseWide(0n).is0());
    assert.ok(mulBasePublicWide(0n).is0());
  });
});
