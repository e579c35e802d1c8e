import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Fn,
  G,
  Point,
  Transcript,
  aeadOpen,
  aeadOpenNoble,
  aeadSeal,
  aeadSealNoble,
  bytesToHex,
  decodePoint,
  decodePointAny,
  decodeScalar,
  encodePoint,
  encodePointUncompressed,
  encodeScalar,
  evaluatePolynomial,
  feldmanCommit,
  feldmanEvaluate,
  feldmanVerify,
  hashToCurve,
  hashToScalar,
  hexToBytes,
  msmPublic,
  mulBase,
  mulPublic,
  proveDleq,
  proveKnowledge,
  randomPolynomial,
  randomScalar,
  seededRng,
  sumCommitments,
  transcriptChallenge,
  utf8ToBytes,
  verifyDleq,
  verifyKnowledge,
  verifyKnowledgeBatch,
  FIELD_PRIME,
} from "../../node/crypto/index.js";
import { DecodeError, ParameterError } from "../../node/protocol/errors.js";

const sid = (s: string) => new Uint8Array(32).fill(s.charCodeAt(0));

describe("encodings are strict", () => {
  it("points round-trip; identity, off-curve, bad prefix and wrong length are rejected", () => {
    const P = mulBase(12345n);
    assert.ok(decodePoint(encodePoint(P)).equals(P));
    assert.ok(decodePointAny(encodePointUncompressed(P)).equals(P));
    assert.throws(() => decodePoint(new Uint8Array(33)), DecodeError);
    const bad = encodePoint(P);
    bad[0] = 0x04;
    assert.throws(() => decodePoint(bad), DecodeError);
    assert.throws(() => decodePoint(encodePoint(P).subarray(0, 32)), DecodeError);
    // x = 5: 5^3 + 7 = 132 is not a square mod p, so no point has x = 5.
    const offCurve = new Uint8Array(33);
    offCurve[0] = 0x02;
    offCurve[32] = 5;
    assert.throws(() => decodePoint(offCurve), DecodeError);
    // x ≥ p
    const big = hexToBytes("02" + FIELD_PRIME.toString(16));
    assert.throws(() => decodePoint(big), DecodeError);
  });

  it("scalars: 32 bytes, below n", () => {
    assert.equal(decodeScalar(encodeScalar(Fn.ORDER - 1n)), Fn.ORDER - 1n);
    assert.throws(() => decodeScalar(hexToBytes(Fn.ORDER.toString(16))), DecodeError);
    assert.throws(() => decodeScalar(new Uint8Array(31)), DecodeError);
  });

  it("random scalars are non-zero and deterministic under a seeded rng", () => {
    const a = randomScalar(seededRng("r"));
    assert.equal(a, randomScalar(seededRng("r")));
    assert.notEqual(a, 0n);
  });
});

describe("Feldman VSS", () => {
  it("verifies honest shares and rejects a share off by one (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.string({ minLength: 1 }),
        fc.integer({ min: 1, max: 30 }),
        (d, seed, x) => {
          const f = randomPolynomial(d, undefined, seededRng(seed));
          const C = feldmanCommit(f);
          const y = evaluatePolynomial(f, x);
          assert.ok(feldmanVerify(C, x, y));
          assert.equal(feldmanVerify(C, x, Fn.add(y, 1n)), false);
          assert.ok(feldmanEvaluate(C, x).equals(mulBase(y)));
        },
      ),
      { numRuns: 15 },
    );
  });

  it("sums of commitments commit to the sum of polynomials", () => {
    const rng = seededRng("sum");
    const f = randomPolynomial(2, undefined, rng);
    const g = randomPolynomial(2, undefined, rng);
    const C = sumCommitments([feldmanCommit(f), feldmanCommit(g)]);
    assert.ok(feldmanVerify(C, 4, Fn.add(evaluatePolynomial(f, 4), evaluatePolynomial(g, 4))));
  });
});

describe("multi-scalar multiplication", () => {
  it("matches the naive sum for small and large inputs", () => {
    const rng = seededRng("msm");
    for (const size of [1, 3, 8, 40]) {
      const pts = Array.from({ length: size }, () => mulBase(randomScalar(rng)));
      const ks = Array.from({ length: size }, () => randomScalar(rng));
      const naive = pts.reduce((acc, P, i) => acc.add(mulPublic(P, ks[i])), Point.ZERO);
      assert.ok(msmPublic(pts, ks).equals(naive), `size ${size}`);
    }
  });
});

describe("transcripts", () => {
  it("are length-prefixed: different splits of the same bytes hash differently", () => {
    const a = new Transcript("t", sid("a")).append("x", utf8ToBytes("ab")).append("y", utf8ToBytes("c"));
    const b = new Transcript("t", sid("a")).append("x", utf8ToBytes("a")).append("y", utf8ToBytes("bc"));
    assert.notEqual(bytesToHex(a.digest()), bytesToHex(b.digest()));
  });
  it("bind the session id and the domain", () => {
    const base = (d: string, s: string) => new Transcript(d, sid(s)).append("x", 1).challenge();
    assert.notEqual(base("t", "a"), base("t", "b"));
    assert.notEqual(base("t", "a"), base("u", "a"));
    assert.equal(base("t", "a"), base("t", "a"));
  });
  it("hash_to_field and hash_to_curve are deterministic and domain separated", () => {
    const m = utf8ToBytes("msg");
    assert.equal(hashToScalar(m, "A"), hashToScalar(m, "A"));
    assert.notEqual(hashToScalar(m, "A"), hashToScalar(m, "B"));
    assert.ok(hashToCurve(m, "A").equals(hashToCurve(m, "A")));
    assert.ok(!hashToCurve(m, "A").equals(hashToCurve(m, "B")));
  });
});

describe("Schnorr proof of knowledge", () => {
  const x = 987654321n;
  const X = mulBase(x);
  const t = (s = "a", who = 1) => new Transcript("pok", sid(s)).append("prover", who);
  it("verifies for the right statement and session", () => {
    const proof = proveKnowledge(x, t(), seededRng("p"));
    assert.ok(verifyKnowledge(X, proof, t()));
  });
  it("replay in another session or for another prover fails", () => {
    const proof = proveKnowledge(x, t(), seededRng("p"));
    assert.equal(verifyKnowledge(X, proof, t("b")), false);
    assert.equal(verifyKnowledge(X, proof, t("a", 2)), false);
  });
  it("a proof for another key or with altered μ fails", () => {
    const proof = proveKnowledge(x, t(), seededRng("p"));
    assert.equal(verifyKnowledge(X.add(G), proof, t()), false);
    assert.equal(verifyKnowledge(X, { R: proof.R, mu: Fn.add(proof.mu, 1n) }, t()), false);
  });
});

describe("Schnorr proofs of knowledge in a batch", () => {
  const claims = (n: number, session = "a") =>
    Array.from({ length: n }, (_, i) => {
      const x = BigInt(1000 + i);
      const t = () => new Transcript("pok", sid(session)).append("prover", i);
      return { x, X: mulBase(x), proof: proveKnowledge(x, t(), seededRng(`b${i}`)), t };
    });
  it("accepts a batch of valid proofs", () => {
    const cs = claims(6);
    assert.deepEqual(
      verifyKnowledgeBatch(cs.map((c) => ({ X: c.X, proof: c.proof, transcript: c.t() }))),
      [],
    );
  });
  it("names exactly the bad proofs in a batch (altered μ, wrong key, other session)", () => {
    const cs = claims(6);
    const other = claims(6, "b");
    const batch = cs.map((c, i) => ({
      X: i === 4 ? c.X.add(G) : c.X,
      proof: i === 1 ? { R: c.proof.R, mu: Fn.add(c.proof.mu, 1n) } : i === 5 ? other[5].proof : c.proof,
      transcript: c.t(),
    }));
    assert.deepEqual(verifyKnowledgeBatch(batch), [1, 4, 5]);
  });
});

describe("Chaum–Pedersen DLEQ", () => {
  const x = 55555n;
  const B2 = hashToCurve(utf8ToBytes("base"), "test");
  const st = { B1: G, X1: mulBase(x), B2, X2: B2.multiply(x) };
  const ch = (s = "a") => transcriptChallenge(st, () => new Transcript("dleq", sid(s)));
  it("verifies an honest proof", () => {
    assert.ok(verifyDleq(st, proveDleq(x, st, ch(), seededRng("d")), ch()));
  });
  it("rejects unequal logs, altered responses and another session", () => {
    const proof = proveDleq(x, st, ch(), seededRng("d"));
    const lie = { ...st, X2: B2.multiply(x + 1n) };
    const forLie = transcriptChallenge(lie, () => new Transcript("dleq", sid("a")));
    assert.equal(verifyDleq(lie, proveDleq(x, lie, forLie, seededRng("d")), forLie), false);
    assert.equal(verifyDleq(st, { c: proof.c, z: Fn.add(proof.z, 1n) }, ch()), false);
    assert.equal(verifyDleq(st, proof, ch("b")), false);
  });
});

describe("AES-256-GCM", () => {
  const key = new Uint8Array(32).fill(7);
  it("round-trips and binds the AAD", () => {
    const box = aeadSeal(key, utf8ToBytes("hello"), utf8ToBytes("aad"), seededRng("n"));
    assert.equal(new TextDecoder().decode(aeadOpen(key, box, utf8ToBytes("aad"))), "hello");
    assert.throws(() => aeadOpen(key, box, utf8ToBytes("other")), DecodeError);
  });
  it("detects tampering and truncation", () => {
    const box = aeadSeal(key, utf8ToBytes("hello"));
    for (const i of [0, 12, box.length - 1]) {
      const bad = box.slice();
      bad[i] ^= 1;
      assert.throws(() => aeadOpen(key, bad), DecodeError);
    }
    assert.throws(() => aeadOpen(key, box.subarray(0, 20)), DecodeError);
  });
  it("node:crypto and noble produce the same boxes and open each other's (stores stay readable)", () => {
    for (const size of [0, 1, 15, 16, 17, 600, 70_000]) {
      const pt = Uint8Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff);
      const aad = utf8ToBytes(`record-${size}`);
      const native = aeadSeal(key, pt, aad, seededRng(`n${size}`));
      assert.deepEqual(native, aeadSealNoble(key, pt, aad, seededRng(`n${size}`)), `same bytes, ${size}`);
      assert.deepEqual(aeadOpenNoble(key, native, aad), pt);
      assert.deepEqual(aeadOpen(key, aeadSealNoble(key, pt, aad), aad), pt);
      const bad = native.slice();
      bad[bad.length - 1] ^= 1;
      assert.throws(() => aeadOpen(key, bad, aad), DecodeError);
      assert.throws(() => aeadOpenNoble(key, bad, aad), DecodeError);
    }
    assert.throws(() => aeadOpen(new Uint8Array(31), new Uint8Array(40)), ParameterError);
  });
});
