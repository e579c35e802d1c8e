/**
 * Turning a threshold signature (r, s, recovery id) into Ethereum forms (specs/ecdsa.md §1.8): an ethers
 * Signature, the 65-byte r ‖ s ‖ v with v = 27 + recovery (ecrecover, EIP-191/712 signatures), and a
 * signed raw transaction (ethers derives v = recovery + 35 + 2·chainId for legacy EIP-155 and
 * yParity = recovery for EIP-1559).
 */
import { Signature, hexlify } from "ethers";
import { CURVE_ORDER, concatBytes, encodeScalar } from "../crypto/index.js";
import { ParameterError } from "../protocol/errors.js";
import { unsignedTransaction, type SignableTransaction } from "./digest.js";

/** Any low-s signature with an Ethereum recovery id, e.g. the threshold EcdsaSignature. */
export interface RecoverableSignature {
  readonly r: bigint;
  readonly s: bigint;
  readonly recovery: number;
}

export interface AssembledSignature {
  readonly signature: Signature;
  /** r ‖ s ‖ v, 65 bytes, v = 27 + recovery. */
  readonly bytes: Uint8Array;
  /** The same as 0x-prefixed hex. */
  readonly hex: string;
}

export function assembleSignature(r: bigint, s: bigint, recovery: number): AssembledSignature {
  if (r <= 0n || r >= CURVE_ORDER) throw new ParameterError("r out of range");
  if (s <= 0n || s > CURVE_ORDER >> 1n) throw new ParameterError("s must be low (1..n/2)");
  if (recovery !== 0 && recovery !== 1) throw new ParameterError("recovery id must be 0 or 1");
  const bytes = concatBytes(encodeScalar(r), encodeScalar(s), Uint8Array.of(27 + recovery));
  const hex = hexlify(bytes);
  return { signature: Signature.from(hex), bytes, hex };
}

/** The signed raw transaction (0x hex), ready for eth_sendRawTransaction. */
export function signedTransaction(tx: SignableTransaction, sig: RecoverableSignature): string {
  const t = unsignedTransaction(tx);
  t.signature = assembleSignature(sig.r, sig.s, sig.recovery).signature;
  return t.serialized;
}
