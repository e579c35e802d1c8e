/**
 * Shamir sharing over Z_n and Lagrange interpolation of scalars and of points ("in the exponent").
 * A polynomial is its coefficient list, constant term first; its degree is `coefficients.length - 1`.
 * Member ids are the evaluation points: distinct, non-zero, below n.
 */
import { ParameterError } from "../protocol/errors.js";
import { defaultRng, type Rng } from "./rng.js";
import { Fn, IDENTITY, msmPublic, randomScalar, type Point, CURVE_ORDER } from "./secp256k1.js";

export type Polynomial = readonly bigint[];

export function assertIds(ids: readonly (number | bigint)[]): void {
  const seen = new Set<bigint>();
  for (const id of ids) {
    const x = BigInt(id);
    if (x <= 0n || x >= CURVE_ORDER) throw new ParameterError(`member id ${id} out of range`);
    if (seen.has(x)) throw new ParameterError(`member id ${id} repeated`);
    seen.add(x);
  }
}

/** A random polynomial of `degree` with the given constant term (random if omitted). */
export function randomPolynomial(degree: number, constant?: bigint, rng: Rng = defaultRng): bigint[] {
  if (!Number.isInteger(degree) || degree < 0) throw new ParameterError("`degree` expected integer >= 0");
  const coefficients = [constant === undefined ? randomScalar(rng) : Fn.create(constant)];
  for (let k = 1; k <= degree; k++) coefficients.push(randomScalar(rng));
  return coefficients;
}

/** f(x) by Horner's rule, mod n. */
export function evaluatePolynomial(coefficients: Polynomial, x: number | bigint): bigint {
  const X = Fn.create(BigInt(x));
  let acc = 0n;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = Fn.add(Fn.mul(acc, X), coefficients[k]);
  return acc;
}

/** Shares f(id) of a fresh degree-`degree` sharing of `secret`, one per id. */
export function shamirShare(
  secret: bigint,
  degree: number,
  ids: readonly number[],
  rng: Rng = defaultRng,
): Map<number, bigint> {
  assertIds(ids);
  if (degree >= ids.length) throw new ParameterError("`degree` must be below the number of shares");
  const f = randomPolynomial(degree, secret, rng);
  return new Map(ids.map((id) => [id, evaluatePolynomial(f, id)]));
}

/** λ_i^S(x) = Π_{j∈S, j≠i} (x − j)/(i − j) mod n. */
export function lagrangeCoefficient(
  i: number | bigint,
  ids: readonly (number | bigint)[],
  x: bigint = 0n,
): bigint {
  const I = BigInt(i);
  let num = 1n;
  let den = 1n;
  let found = false;
  for (const jRaw of ids) {
    const j = BigInt(jRaw);
    if (j === I) {
      found = true;
      continue;
    }
    num = Fn.mul(num, Fn.create(x - j));
    den = Fn.mul(den, Fn.create(I - j));
  }
  if (!found) throw new ParameterError(`id ${i} is not in the set`);
  return Fn.div(num, den);
}

/** All λ_i^S(x) for i ∈ S, in the order of `ids`. */
export function lagrangeCoefficients(ids: readonly (number | bigint)[], x: bigint = 0n): bigint[] {
  assertIds(ids);
  return ids.map((i) => lagrangeCoefficient(i, ids, x));
}

export interface ScalarPoint {
  readonly x: number | bigint;
  readonly y: bigint;
}
export interface CurvePoint {
  readonly x: number | bigint;
  readonly y: Point;
}

/** The value at `at` of the unique polynomial of degree < points.length through the points. */
export function interpolateScalar(points: readonly ScalarPoint[], at: bigint = 0n): bigint {
  const ids = points.map((p) => p.x);
  const lambdas = lagrangeCoefficients(ids, at);
  return points.reduce((acc, p, k) => Fn.add(acc, Fn.mul(lambdas[k], p.y)), 0n);
}

/** Interpolation in the exponent: Σ λ_i(at)·Y_i. Variable-time; public points only. */
export function interpolatePoint(points: readonly CurvePoint[], at: bigint = 0n): Point {
  if (points.length === 0) return IDENTITY;
  const lambdas = lagrangeCoefficients(
    points.map((p) => p.x),
    at,
  );
  return msmPublic(
    points.map((p) => p.y),
    lambdas,
  );
}

/**
 * True iff all points lie on one polynomial of degree ≤ `degree` (in the exponent): interpolate from
 * the first degree+1 and check every other one. Needs more than degree+1 points to say anything.
 */
export function pointsOnPolynomial(points: readonly CurvePoint[], degree: number): boolean {
  if (points.length <= degree + 1) return true;
  assertIds(points.map((p) => p.x));
  const base = points.slice(0, degree + 1);
  for (const extra of points.slice(degree + 1)) {
    if (!interpolatePoint(base, BigInt(extra.x)).equals(extra.y)) return false;
  }
  return true;
}

/** Same check for scalar shares. */
export function scalarsOnPolynomial(points: readonly ScalarPoint[], degree: number): boolean {
  if (points.length <= degree + 1) return true;
  assertIds(points.map((p) => p.x));
  const base = points.slice(0, degree + 1);
  return points
    .slice(degree + 1)
    .every((extra) => interpolateScalar(base, BigInt(extra.x)) === Fn.create(extra.y));
}
