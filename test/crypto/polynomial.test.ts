import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Fn,
  G,
  evaluatePolynomial,
  interpolatePoint,
  interpolateScalar,
  lagrangeCoefficient,
  mulBase,
  pointsOnPolynomial,
  randomPolynomial,
  scalarsOnPolynomial,
  seededRng,
  shamirShare,
} from "../../node/crypto/index.js";
import { ParameterError } from "../../node/protocol/errors.js";

/** All subsets of `size` elements of `items` (small inputs only). */
function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [head, ...rest] = items;
  return [...subsets(rest, size - 1).map((s) => [head, ...s]), ...subsets(rest, size)];
}

const sharingArb = fc.record({
  n: fc.integer({ min: 2, max: 7 }),
  seed: fc.string({ minLength: 1, maxLength: 16 }),
  secret: fc.bigInt({ min: 0n, max: Fn.ORDER - 1n }),
});

describe("Shamir sharing and Lagrange interpolation", () => {
  it("every degree+1 subset reconstructs the same secret (property)", () => {
    fc.assert(
      fc.property(sharingArb, fc.integer({ min: 1, max: 6 }), ({ n, seed, secret }, d) => {
        const degree = Math.min(d, n - 1);
        const ids = Array.from({ length: n }, (_, i) => i + 1);
        const shares = shamirShare(secret, degree, ids, seededRng(seed));
        for (const subset of subsets(ids, degree + 1)) {
          const got = interpolateScalar(subset.map((id) => ({ x: id, y: shares.get(id)! })));
          assert.equal(got, secret);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("degree shares do not determine the secret: any value is consistent with them (property)", () => {
    fc.assert(
      fc.property(sharingArb, fc.bigInt({ min: 0n, max: Fn.ORDER - 1n }), ({ n, seed, secret }, other) => {
        const degree = n - 1;
        const ids = Array.from({ length: n }, (_, i) => i + 1);
        const shares = shamirShare(secret, degree, ids, seededRng(seed));
        // Take `degree` shares plus the point (0, other): a polynomial of the same degree passes through
        // all of them, so the observed shares are equally consistent with the secret `other`. (The
        // interpolation helpers reject id 0, so work with h(x) = f(x − 1000), i.e. ids shifted by 1000.)
        const seen = ids.slice(0, degree).map((id) => ({ x: BigInt(id) + 1000n, y: shares.get(id)! }));
        const through = [{ x: 1000n, y: other }, ...seen];
        for (const p of seen) assert.equal(interpolateScalar(through, p.x), p.y);
        assert.equal(interpolateScalar(through, 1000n), other);
      }),
      { numRuns: 30 },
    );
  });

  it("degree+1 shares with one wrong share reconstruct a different secret", () => {
    const ids = [1, 2, 3];
    const shares = shamirShare(42n, 2, ids, seededRng("x"));
    const bad = ids.map((id) => ({ x: id, y: id === 2 ? Fn.add(shares.get(id)!, 1n) : shares.get(id)! }));
    assert.notEqual(interpolateScalar(bad), 42n);
  });

  it("interpolation in the exponent matches interpolation of scalars", () => {
    const rng = seededRng("exp");
    const f = randomPolynomial(3, undefined, rng);
    const pts = [2, 5, 7, 9].map((x) => ({ x, y: mulBase(evaluatePolynomial(f, x)) }));
    assert.ok(interpolatePoint(pts).equals(mulBase(f[0])));
    assert.ok(interpolatePoint(pts, 11n).equals(mulBase(evaluatePolynomial(f, 11))));
  });

  it("Lagrange coefficients at 0 sum to 1 and match the closed form", () => {
    const ids = [1, 3, 4, 8];
    const sum = ids.reduce((acc, i) => Fn.add(acc, lagrangeCoefficient(i, ids)), 0n);
    assert.equal(sum, 1n);
    // λ_1 = Π j/(j-1) for j in {3,4,8}
    assert.equal(lagrangeCoefficient(1, ids), Fn.div(3n * 4n * 8n, 2n * 3n * 7n));
  });

  it("degree-consistency checks accept honest points and catch one altered point", () => {
    const rng = seededRng("deg");
    const f = randomPolynomial(2, undefined, rng);
    const ids = [1, 2, 3, 4, 5];
    const scalars = ids.map((x) => ({ x, y: evaluatePolynomial(f, x) }));
    const points = scalars.map((p) => ({ x: p.x, y: mulBase(p.y) }));
    assert.ok(scalarsOnPolynomial(scalars, 2));
    assert.ok(pointsOnPolynomial(points, 2));
    for (let k = 0; k < ids.length; k++) {
      const badPoints = points.map((p, i) => (i === k ? { x: p.x, y: p.y.add(G) } : p));
      const badScalars = scalars.map((p, i) => (i === k ? { x: p.x, y: Fn.add(p.y, 1n) } : p));
      assert.equal(pointsOnPolynomial(badPoints, 2), false, `altered point ${k}`);
      assert.equal(scalarsOnPolynomial(badScalars, 2), false, `altered scalar ${k}`);
    }
    // a degree-3 polynomial is not degree 2
    const g = randomPolynomial(3, undefined, rng);
    assert.equal(
      pointsOnPolynomial(
        ids.map((x) => ({ x, y: mulBase(evaluatePolynomial(g, x)) })),
        2,
      ),
      false,
    );
  });

  it("rejects repeated, zero and out-of-range ids and a degree too high", () => {
    assert.throws(() => shamirShare(1n, 1, [1, 1, 2]), ParameterError);
    assert.throws(() => shamirShare(1n, 1, [0, 1, 2]), ParameterError);
    assert.throws(() => shamirShare(1n, 2, [1, 2]), ParameterError);
    assert.throws(() => lagrangeCoefficient(9, [1, 2, 3]), ParameterError);
    assert.throws(() => randomPolynomial(-1), ParameterError);
  });

  it("seeded rng gives identical sharings; different seeds differ", () => {
    const a = shamirShare(7n, 2, [1, 2, 3], seededRng("s"));
    const b = shamirShare(7n, 2, [1, 2, 3], seededRng("s"));
    const c = shamirShare(7n, 2, [1, 2, 3], seededRng("t"));
    assert.deepEqual([...a], [...b]);
    assert.notDeepEqual([...a], [...c]);
  });
});
