import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  G,
  evaluatePolynomial,
  interpolatePoint,
  mulBase,
  randomPolynomial,
  seededRng,
  type Point,
} from "../../../node/crypto/index.js";
import { DegreeCheck, ZeroInterpolator } from "../../../node/protocols/ecdsa/index.js";

const rng = seededRng("consistency");

/** f(x)·G at each x for a random f of `degree`; also returns f(0). */
function onPolynomial(xs: readonly bigint[], degree: number): { points: Point[]; at0: bigint } {
  const f = randomPolynomial(degree, undefined, rng);
  return { points: xs.map((x) => mulBase(evaluatePolynomial(f, x))), at0: f[0] };
}

const cases: { name: string; ids: number[]; degree: number; method: string }[] = [
  { name: "S = {1,2,3}, t = 1", ids: [1, 2, 3], degree: 1, method: "direct" },
  {
    name: "S = {2,5,9}, t = 1 (fractional Lagrange coefficients)",
    ids: [2, 5, 9],
    degree: 1,
    method: "direct",
  },
  { name: "S = {1..7}, t = 3", ids: [1, 2, 3, 4, 5, 6, 7], degree: 3, method: "direct" },
  {
    name: "S = {1..21}, t = 10",
    ids: Array.from({ length: 21 }, (_, i) => i + 1),
    degree: 10,
    method: "random-combination",
  },
];

describe("degree checks in the exponent (C1, C2/C3)", () => {
  for (const c of cases) {
    const xs = c.ids.map(BigInt);
    it(`${c.name}: ${c.method}; accepts codewords, names every bad vector`, () => {
      const check = new DegreeCheck(xs, c.degree);
      assert.equal(check.method, c.method);
      const vectors = [0, 1, 2].map(() => onPolynomial(xs, c.degree).points);
      assert.deepEqual(check.failing(vectors, rng), []);
      const last = vectors[2].length - 1;
      const bad = [
        vectors[0],
        vectors[1].map((P, i) => (i === 0 ? P.add(G) : P)),
        vectors[2].map((P, i) => (i === last ? P.double() : P)),
      ];
      assert.deepEqual(check.failing(bad, rng), [1, 2]);
    });

    it(`${c.name}: errors from t members that agree among themselves are still caught`, () => {
      const check = new DegreeCheck(xs, c.degree);
      const v = onPolynomial(xs, c.degree).points;
      const shifted = v.map((P, i) => (i >= v.length - c.degree ? P.add(G) : P));
      assert.deepEqual(check.failing([shifted], rng), [0]);
    });

    it(`${c.name}: with the value at 0 given as a scalar (W == w·G)`, () => {
      const check = new DegreeCheck([...xs, 0n], c.degree);
      const a = onPolynomial(xs, c.degree);
      const b = onPolynomial(xs, c.degree);
      assert.deepEqual(check.failing([a.points, b.points], rng, [a.at0, b.at0]), []);
      assert.deepEqual(check.failing([a.points, b.points], rng, [a.at0, b.at0 + 1n]), [1]);
    });

    it(`${c.name}: interpolation at 0 equals the generic Lagrange interpolation`, () => {
      const v = onPolynomial(xs, c.degree);
      const R = new ZeroInterpolator(xs, c.degree).at0(v.points);
      assert.ok(R.equals(mulBase(v.at0)));
      assert.ok(R.equals(interpolatePoint(xs.slice(0, c.degree + 1).map((x, k) => ({ x, y: v.points[k] })))));
    });
  }
});
