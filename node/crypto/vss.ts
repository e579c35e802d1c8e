/**
 * Feldman verifiable secret sharing: commitments A_k = a_k·G to the coefficients of f, and the share
 * check y·G == Σ_k x^k·A_k (specs/protocols.md §0).
 */
import { ParameterError } from "../protocol/errors.js";
import type { Polynomial } from "./polynomial.js";
import { Fn, IDENTITY, mulBase, msmPublic, mulPublic, type Point } from "./secp256k1.js";

/** A_k = a_k·G for every coefficient (constant-time: the coefficients are secret). */
export function feldmanCommit(coefficients: Polynomial): Point[] {
  return coefficients.map((a) => mulBase(a));
}

/**
 * Σ_k x^k·A_k: the public image of f(x). For member ids (small x) Horner's rule in the exponent is
 * several times faster than a multi-scalar multiplication: each step multiplies by a 16-bit scalar.
 */
export function feldmanEvaluate(commitments: readonly Point[], x: number | bigint): Point {
  if (commitments.length === 0) return IDENTITY;
  const X = Fn.create(BigInt(x));
  if (X < 1n << 16n) {
    let acc = commitments[commitments.length - 1];
    for (let k = commitments.length - 2; k >= 0; k--) acc = mulPublic(acc, X).add(commitments[k]);
    return acc;
  }
  const powers: bigint[] = [];
  let p = 1n;
  for (let k = 0; k < commitments.length; k++) {
    powers.push(p);
    p = Fn.mul(p, X);
  }
  return msmPublic(commitments, powers);
}

/** y·G == Σ_k x^k·A_k. */
export function feldmanVerify(commitments: readonly Point[], x: number | bigint, share: bigint): boolean {
  if (commitments.length === 0) throw new ParameterError("no commitments");
  return mulBase(share).equals(feldmanEvaluate(commitments, x));
}

/** Coefficient-wise sum of several dealers' commitments (group commitment C_k = Σ_i φ_{i,k}). */
export function sumCommitments(all: readonly (readonly Point[])[]): Point[] {
  if (all.length === 0) return [];
  const len = all[0].length;
  if (all.some((c) => c.length !== len)) throw new ParameterError("commitment vectors differ in length");
  return Array.from({ length: len }, (_, k) => all.reduce((acc, c) => acc.add(c[k]), IDENTITY));
}
