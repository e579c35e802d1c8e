/**
 * specs/protocols.md §4: a zero-sharing δ_i(x) = Σ_{k=1}^{t} d_{i,k} x^k (no constant term) and its
 * Feldman check u·G == Σ_{k=1}^{t} j^k·ε_{i,k}. Since the k = 0 commitment is never sent, a dealer's
 * verified sub-shares always lie on a polynomial with δ_i(0) = 0: the group key cannot move.
 */
import { evaluatePolynomial, randomPolynomial } from "../../crypto/polynomial.js";
import type { Rng } from "../../crypto/rng.js";
import { mulBase, mulPublic, type Point } from "../../crypto/secp256k1.js";
import { feldmanCommit } from "../../crypto/vss.js";
import { evaluateAt } from "../lifecycle/commitments.js";

export interface ZeroSharing {
  /** ε_{1..t} (index 0 holds k = 1). */
  readonly commitments: Point[];
  /** u_j = δ(j) for every roster member j. Secret. */
  readonly subShares: Map<number, bigint>;
}

export function dealZeroSharing(degree: number, roster: readonly number[], rng: Rng): ZeroSharing {
  const coefficients = randomPolynomial(degree, 0n, rng);
  return {
    commitments: feldmanCommit(coefficients.slice(1)),
    subShares: new Map(roster.map((j) => [j, evaluatePolynomial(coefficients, j)] as const)),
  };
}

/** Σ_{k=1}^{t} j^k·ε_k = j·Σ_{k=0}^{t-1} j^k·ε_{k+1}: the public image of δ(j). */
export function zeroSharingImage(commitments: readonly Point[], j: number): Point {
  return mulPublic(evaluateAt(commitments, j), BigInt(j));
}

export function subShareValid(commitments: readonly Point[], j: number, subShare: bigint): boolean {
  return mulBase(subShare).equals(zeroSharingImage(commitments, j));
}
