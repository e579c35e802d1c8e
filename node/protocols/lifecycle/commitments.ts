/**
 * Feldman evaluation Σ_k x^k·A_k at a member id, by Horner's rule: for a small public x (ids are
 * ≤ 16 bits) `degree` multiplications by x are much cheaper than crypto/vss.ts's generic multi-scalar
 * multiplication over the powers x^k (the DKG measured ~15× at degree 9, see dkg/context.ts). Public
 * values only (variable time). Candidate to move into crypto/vss.ts next to feldmanEvaluate.
 */
import { ParameterError } from "../../protocol/errors.js";
import { IDENTITY, mulBase, mulPublic, type Point } from "../../crypto/secp256k1.js";

export function evaluateAt(commitments: readonly Point[], x: number): Point {
  if (!Number.isInteger(x) || x < 1 || x > 0xffff) throw new ParameterError("member id out of range");
  if (commitments.length === 0) return IDENTITY;
  const X = BigInt(x);
  let acc = commitments[commitments.length - 1];
  for (let k = commitments.length - 2; k >= 0; k--) acc = mulPublic(acc, X).add(commitments[k]);
  return acc;
}

/** y·G == Σ_k x^k·A_k. */
export function shareMatches(commitments: readonly Point[], x: number, share: bigint): boolean {
  return mulBase(share).equals(evaluateAt(commitments, x));
}
