/**
 * Feldman evaluation at a member id (crypto/vss.ts feldmanEvaluate, Horner's rule for small ids), with
 * the id checked: the lifecycle protocols only ever evaluate at member ids 1..65535.
 */
import { feldmanEvaluate } from "../../crypto/vss.js";
import type { Point } from "../../crypto/secp256k1.js";
import { ParameterError } from "../../protocol/errors.js";

export function evaluateAt(commitments: readonly Point[], x: number): Point {
  if (!Number.isInteger(x) || x < 1 || x > 0xffff) throw new ParameterError("member id out of range");
  return feldmanEvaluate(commitments, x);
}
