/**
 * Degree checks and interpolation "in the exponent" for presigning (specs/ecdsa.md §1.2 OpenExp and
 * "Cost tip"; checks C1 and C2/C3 of §1.4). Everything here handles PUBLIC points only, so
 * variable-time arithmetic (mulPublic / msmPublic) is fine.
 *
 * A vector of points P_i at evaluation points x_i lies on a polynomial of degree ≤ t iff every x outside
 * T = the first t+1 evaluation points satisfies P_x = Σ_{i∈T} λ_i^T(x)·P_i. Two ways to check:
 *
 *   - "direct": over the integers, λ_i^T(x) = N_i / D with small N_i, D when the member ids are small
 *     and close together (always integers for consecutive ids, e.g. S = {1,2,3}: P_3 = 2·P_2 − P_1).
 *     Then D·P_x == Σ N_i·P_i is exact and costs a few doublings per point.
 *   - "random combination": the vector is a Reed–Solomon codeword iff it is orthogonal to the dual
 *     code, spanned by (v_i·x_i^m) with v_i = 1/Π_{j≠i}(x_i − x_j), m < N − t − 1. One random dual
 *     vector per session (128-bit coefficients) and one random 128-bit weight per vector turn a whole
 *     batch into a single multi-scalar multiplication; a bad vector passes with probability ≤ 2^-127.
 *     Only used when the direct relations would be more expensive (large t); on failure each vector is
 *     re-checked exactly to say which one is bad.
 *
 * The choice depends only on (ids, degree), never on secrets or on the data.
 */
import {
  CURVE_ORDER,
  Fn,
  G,
  IDENTITY,
  bytesToNumber,
  interpolatePoint,
  lagrangeCoefficient,
  msmPublic,
  mulBasePublicWide,
  mulPublic,
  type Point,
  type Rng,
} from "../../../crypto/index.js";
import { ParameterError } from "../../../protocol/errors.js";

/** A signed integer combination Σ coefficients[k]·points[indices[k]] (exact, small integers). */
interface IntegerCombination {
  readonly indices: readonly number[];
  readonly coefficients: readonly bigint[];
}

/** D·P_target == Σ N_i·P_i. */
interface Relation extends IntegerCombination {
  readonly target: number;
  readonly scale: bigint;
}

/** Rough cost model in point additions (measured with noble 2.4: a small-scalar mulPublic ≈ 12 adds
 * of overhead plus ~1.5 per bit; pippenger ≈ 50 adds per 256-bit term). Only used to pick a method. */
const MUL_OVERHEAD = 12;
const COST_PER_BIT = 1.5;
const MSM_COST_PER_POINT = 50;

const abs = (v: bigint) => (v < 0n ? -v : v);
const gcd = (a: bigint, b: bigint): bigint => {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
};
const bitLength = (v: bigint) => abs(v).toString(2).length;

/** λ_i^T(x) for every i ∈ T as exact integer fractions with one common positive denominator. */
function integerLagrange(T: readonly bigint[], x: bigint): { scale: bigint; coefficients: bigint[] } {
  const fractions = T.map((i) => {
    let num = 1n;
    let den = 1n;
    for (const j of T) {
      if (j === i) continue;
      num *= x - j;
      den *= i - j;
    }
    const g = gcd(num, den) || 1n;
    const sign = den < 0n ? -1n : 1n;
    return { num: (sign * num) / g, den: (sign * den) / g };
  });
  const scale = fractions.reduce((l, f) => (l / gcd(l, f.den)) * f.den, 1n);
  return { scale, coefficients: fractions.map((f) => f.num * (scale / f.den)) };
}

function combinationCost(c: IntegerCombination & { scale?: bigint }): number {
  let cost = c.scale !== undefined && c.scale !== 1n ? MUL_OVERHEAD + COST_PER_BIT * bitLength(c.scale) : 0;
  for (const k of c.coefficients) {
    if (abs(k) > 1n) cost += MUL_OVERHEAD + COST_PER_BIT * bitLength(k);
    cost += 1;
  }
  return cost;
}

/** k·P for a small signed integer k (public), without reducing k to a 256-bit scalar. */
function mulSmall(P: Point, k: bigint): Point {
  if (k === 0n) return IDENTITY;
  const m = abs(k);
  if (m >= CURVE_ORDER) throw new ParameterError("integer coefficient too large");
  const Q = m === 1n ? P : m === 2n ? P.double() : mulPublic(P, m);
  return k < 0n ? Q.negate() : Q;
}

function evaluate(points: readonly Point[], c: IntegerCombination): Point {
  let acc = IDENTITY;
  for (let k = 0; k < c.indices.length; k++) acc = acc.add(mulSmall(points[c.indices[k]], c.coefficients[k]));
  return acc;
}

function assertEvaluationPoints(xs: readonly bigint[], degree: number): void {
  if (!Number.isInteger(degree) || degree < 0) throw new ParameterError("`degree` expected integer >= 0");
  if (xs.length < degree + 1) throw new ParameterError("need at least degree+1 evaluation points");
  if (new Set(xs).size !== xs.length) throw new ParameterError("evaluation points repeated");
  if (xs.some((x) => x < 0n || x >= CURVE_ORDER)) throw new ParameterError("evaluation point out of range");
}

/**
 * Checks batches of point vectors (one point per evaluation point in `xs`) for degree ≤ `degree`.
 * Build once per session; `failing` is then called on each batch.
 */
export class DegreeCheck {
  readonly method: "direct" | "random-combination";
  private readonly relations: readonly Relation[];
  /** v_i = 1/Π_{j≠i}(x_i − x_j) (random-combination method). */
  private readonly dualWeights: readonly bigint[];
  /** λ_i^T(x) mod n for every x outside T (exact re-check after a failed random combination). */
  private readonly fieldRelations: readonly { target: number; lambdas: bigint[] }[];

  constructor(
    readonly xs: readonly bigint[],
    readonly degree: number,
  ) {
    assertEvaluationPoints(xs, degree);
    const T = xs.slice(0, degree + 1);
    const relations: Relation[] = [];
    for (let target = degree + 1; target < xs.length; target++) {
      const { scale, coefficients } = integerLagrange(T, xs[target]);
      relations.push({ target, scale, indices: T.map((_, k) => k), coefficients });
    }
    this.relations = relations;
    const directCost = relations.reduce((sum, r) => sum + combinationCost(r), 0);
    const tooBig = relations.some((r) => [r.scale, ...r.coefficients].some((v) => abs(v) >= CURVE_ORDER));
    this.method = tooBig || directCost > MSM_COST_PER_POINT * xs.length ? "random-combination" : "direct";
    this.fieldRelations = relations.map((r) => ({
      target: r.target,
      lambdas: T.map((i) => lagrangeCoefficient(i, T, xs[r.target])),
    }));
    this.dualWeights = xs.map((xi) =>
      Fn.inv(xs.reduce((acc, xj) => (xj === xi ? acc : Fn.mul(acc, Fn.create(xi - xj))), 1n)),
    );
  }

  /** Redundant points per vector (N − t − 1): with none, every vector passes. */
  get redundancy(): number {
    return this.xs.length - this.degree - 1;
  }

  /**
   * Indices (into `vectors`) of vectors that are not on one polynomial of degree ≤ `degree`.
   * With `baseScalars`, the last of `xs` must be 0 and each vector omits its last point, which is
   * baseScalars[b]·G (this is how C3, W == w·G, folds into the degree check of the W_j). Putting 0
   * last keeps it out of T, so the integer coefficients stay small (for S = {1,2,3}: ±1, ±2).
   * `rng` must be unpredictable to the other members (it picks the random combination).
   */
  failing(vectors: readonly (readonly Point[])[], rng: Rng, baseScalars?: readonly bigint[]): number[] {
    const offset = baseScalars ? 1 : 0;
    if (baseScalars) {
      if (this.xs[this.xs.length - 1] !== 0n)
        throw new ParameterError("baseScalars need 0 as the last of xs");
      if (baseScalars.length !== vectors.length) throw new ParameterError("one base scalar per vector");
    }
    for (const v of vectors) {
      if (v.length + offset !== this.xs.length) throw new ParameterError("vector length differs from xs");
    }
    if (this.redundancy === 0 || vectors.length === 0) return [];
    const full = (b: number) =>
      baseScalars ? [...vectors[b], mulBasePublicWide(baseScalars[b])] : vectors[b];
    if (this.method === "direct") {
      return vectors.map((_, b) => b).filter((b) => !this.holds(full(b)));
    }
    if (this.combinationVanishes(vectors, rng, baseScalars)) return [];
    // Something is wrong: say exactly which vectors (slow path, only after a failed check).
    return vectors.map((_, b) => b).filter((b) => !this.holdsInField(full(b)));
  }

  private holdsInField(points: readonly Point[]): boolean {
    const base = points.slice(0, this.degree + 1);
    return this.fieldRelations.every((r) => msmPublic(base, r.lambdas).equals(points[r.target]));
  }

  private holds(points: readonly Point[]): boolean {
    return this.relations.every((r) => mulSmall(points[r.target], r.scale).equals(evaluate(points, r)));
  }

  /** Σ_b ρ_b Σ_i v_i·g(x_i)·P_{b,i} == O for random g (degree < redundancy) and random ρ_b. */
  private combinationVanishes(
    vectors: readonly (readonly Point[])[],
    rng: Rng,
    baseScalars?: readonly bigint[],
  ): boolean {
    const random128 = () => bytesToNumber(rng(16)); // < 2^128 < n
    const g = Array.from({ length: this.redundancy }, random128);
    const column = this.xs.map((x, i) => {
      let value = 0n; // g(x) by Horner
      for (let m = g.length - 1; m >= 0; m--) value = Fn.add(Fn.mul(value, x), g[m]);
      return Fn.mul(this.dualWeights[i], value);
    });
    const last = column[column.length - 1];
    const points: Point[] = [];
    const scalars: bigint[] = [];
    let baseScalar = 0n;
    vectors.forEach((v, b) => {
      const rho = random128();
      if (baseScalars) baseScalar = Fn.add(baseScalar, Fn.mul(Fn.mul(rho, last), baseScalars[b]));
      v.forEach((P, i) => {
        points.push(P);
        scalars.push(Fn.mul(rho, column[i]));
      });
    });
    if (baseScalars) {
      points.push(G);
      scalars.push(baseScalar);
    }
    return msmPublic(points, scalars).is0();
  }
}

/**
 * Interpolation at 0 from the first degree+1 points (after a DegreeCheck passed, any degree+1 points
 * give the same value). Uses the integer form λ_i = N_i/D when that is cheaper than an MSM.
 */
export class ZeroInterpolator {
  private readonly combination: IntegerCombination;
  private readonly inverseScale: bigint;
  private readonly direct: boolean;
  private readonly T: readonly bigint[];

  constructor(xs: readonly bigint[], degree: number) {
    assertEvaluationPoints(xs, degree);
    this.T = xs.slice(0, degree + 1);
    const { scale, coefficients } = integerLagrange(this.T, 0n);
    this.combination = { indices: this.T.map((_, k) => k), coefficients };
    this.inverseScale = scale % CURVE_ORDER === 0n ? 0n : Fn.inv(Fn.create(scale));
    const msmCost = this.T.length * (this.T.length <= 4 ? 200 : MSM_COST_PER_POINT * 2);
    this.direct =
      this.inverseScale !== 0n &&
      [scale, ...coefficients].every((v) => abs(v) < CURVE_ORDER) &&
      combinationCost({ ...this.combination, scale }) <= msmCost;
  }

  /** The value at 0 of the polynomial through points[0..degree] (at xs[0..degree]). */
  at0(points: readonly Point[]): Point {
    if (points.length < this.T.length) throw new ParameterError("not enough points to interpolate");
    if (!this.direct) return interpolatePoint(this.T.map((x, k) => ({ x, y: points[k] })));
    const scaled = evaluate(points, this.combination);
    return this.inverseScale === 1n ? scaled : mulPublic(scaled, this.inverseScale);
  }
}
