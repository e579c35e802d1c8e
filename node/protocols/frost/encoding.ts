/**
 * Signature encoders: splitting FROST signatures into (R, z), and the 96-byte encoding
 * `Rx ‖ Ry ‖ z` (abi.encodePacked of three uint256) that contracts/lib/GroupSignature.sol
 * `verifySchnorr(digest, signature, px)` takes for a BIP-340 signature (specs/protocols.md §7.4): the
 * caller supplies Ry (the even y of R) so the contract needs no square root.
 */
import {
  CURVE_ORDER,
  Fp,
  bytesToNumber,
  concatBytes,
  decodeScalar,
  hasOddY,
  type Point,
} from "../../crypto/index.js";
import { ParameterError } from "../../protocol/errors.js";
import { SIGNATURE_BYTES, signatureNoncePoint, xOnly, type FrostVariant } from "./suite.js";

/** Length of the contract's Schnorr signature encoding. */
export const CONTRACT_SCHNORR_SIGNATURE_BYTES = 96;

/** (R, z) of a FROST signature; for BIP-340, R is the even-y point a verifier lifts from x(R). */
export function decodeFrostSignature(variant: FrostVariant, signature: Uint8Array): { R: Point; z: bigint } {
  if (signature.length !== SIGNATURE_BYTES[variant]) {
    throw new ParameterError(`${variant} signature expected ${SIGNATURE_BYTES[variant]} bytes`);
  }
  return {
    R: signatureNoncePoint(variant, signature),
    z: decodeScalar(signature.subarray(signature.length - 32)),
  };
}

/**
 * BIP-340 signature (x(R) ‖ z, 64 bytes) → `Rx ‖ Ry ‖ z` (96 bytes) for GroupSignature.sol. `R`, when
 * given (FrostSignature.R), must be the signature's even-y nonce point; otherwise it is lifted from x(R).
 */
export function encodeSchnorrForContract(signature: Uint8Array, R?: Point): Uint8Array {
  const decoded = decodeFrostSignature("bip340", signature);
  if (R && (!R.equals(decoded.R) || hasOddY(R))) {
    throw new ParameterError("R is not the even-y nonce point of this signature");
  }
  const { x, y } = decoded.R.toAffine();
  return concatBytes(Fp.toBytes(x), Fp.toBytes(y), signature.subarray(32));
}

/**
 * The `px` argument of GroupSignature.verifySchnorr: the group key's x coordinate as a uint256. The
 * contract refuses px ≥ n (probability ≈ 2^-128 for a random key); so does this helper.
 */
export function contractSchnorrKey(groupKey: Point): bigint {
  const px = bytesToNumber(xOnly(groupKey));
  if (px >= CURVE_ORDER)
    throw new ParameterError("x-only key is not below n; GroupSignature.sol cannot verify it");
  return px;
}
