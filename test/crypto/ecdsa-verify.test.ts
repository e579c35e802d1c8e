import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CURVE_ORDER,
  Fn,
  G,
  ecdsaRecover,
  ecdsaVerify,
  ecdsaVerifyWithNonce,
  encodeScalar,
  hasOddY,
  mulBase,
  mod,
  bytesToNumber,
  randomScalar,
  seededRng,
} from "../../node/crypto/index.js";

/** A signature made from a known nonce k (test oracle: one process holds x and k here). */
function signWithNonce(x: bigint, k: bigint, digest: Uint8Array) {
  const R = mulBase(k);
  const r = mod(R.toAffine().x);
  const s = Fn.mul(Fn.inv(k), Fn.add(mod(bytesToNumber(digest)), Fn.mul(r, x)));
  return { R, r, s };
}

describe("ECDSA verification against a known nonce point", () => {
  const rng = seededRng("verify-with-nonce");
  const x = randomScalar(rng);
  const Y = mulBase(x);

  it("accepts exactly the signature of R, and (r, n − s) with −R; agrees with noble verify and ecrecover", () => {
    for (let i = 0; i < 8; i++) {
      const digest = encodeScalar(randomScalar(rng));
      const { R, r, s } = signWithNonce(x, randomScalar(rng), digest);
      assert.ok(ecdsaVerifyWithNonce(R, s, digest, Y));
      assert.ok(ecdsaVerify(r, s, digest, Y, { lowS: false }));
      assert.ok(ecdsaRecover(r, s, hasOddY(R) ? 1 : 0, digest)!.equals(Y));
      assert.ok(ecdsaVerifyWithNonce(R.negate(), CURVE_ORDER - s, digest, Y), "low-s form with −R");
      assert.ok(!ecdsaVerifyWithNonce(R.negate(), s, digest, Y), "R pinned, not only its x");
    }
  });

  it("rejects a wrong s, digest, key or nonce point, and degenerate inputs", () => {
    const digest = encodeScalar(randomScalar(rng));
    const { R, s } = signWithNonce(x, randomScalar(rng), digest);
    const otherDigest = encodeScalar(randomScalar(rng));
    assert.ok(!ecdsaVerifyWithNonce(R, Fn.add(s, 1n), digest, Y));
    assert.ok(!ecdsaVerifyWithNonce(R, s, otherDigest, Y));
    assert.ok(!ecdsaVerifyWithNonce(R, s, digest, Y.add(G)));
    assert.ok(!ecdsaVerifyWithNonce(R.add(G), s, digest, Y));
    assert.ok(!ecdsaVerifyWithNonce(R, 0n, digest, Y));
    assert.ok(!ecdsaVerifyWithNonce(R, CURVE_ORDER, digest, Y));
    assert.ok(!ecdsaVerifyWithNonce(R, s, digest.subarray(1), Y));
  });

  it("keeps verifying correctly past its bounded cache of key tables (least recently used out)", () => {
    const keys = Array.from({ length: 34 }, () => randomScalar(rng));
    // One pass over more keys than the cache holds, then the first keys again (evicted by then).
    for (const round of [0, 1]) {
      for (const [i, k] of (round === 0 ? keys : keys.slice(0, 3)).entries()) {
        const digest = encodeScalar(randomScalar(seededRng(`d${round}-${i}`)));
        const { R, s } = signWithNonce(k, randomScalar(rng), digest);
        assert.ok(ecdsaVerifyWithNonce(R, s, digest, mulBase(k)));
        assert.ok(!ecdsaVerifyWithNonce(R, s, digest, mulBase(keys[(i + 1) % keys.length])));
      }
    }
  });
});
