/**
 * The 32-byte digests a group key signs for Ethereum (specs/ecdsa.md §1.8 "Message hashing"):
 * EIP-191 personal messages, EIP-712 typed data, and legacy EIP-155 and EIP-1559 transactions. ethers v6
 * does the RLP / typed-data encoding; keccak-256 comes from the crypto core. Members should compute
 * these from the payload themselves (policy can only be checked on a payload, never on a blind digest).
 */
import {
  Transaction,
  TypedDataEncoder,
  getBytes,
  type TransactionLike,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { concatBytes, keccak256, utf8ToBytes } from "../crypto/index.js";
import { ParameterError } from "../protocol/errors.js";

/** EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message). */
export function personalMessageDigest(message: string | Uint8Array): Uint8Array {
  const bytes = typeof message === "string" ? utf8ToBytes(message) : message;
  return keccak256(concatBytes(utf8ToBytes(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes));
}

/** EIP-712: keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(value)). */
export function typedDataDigest(
  domain: TypedDataDomain,
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
): Uint8Array {
  return getBytes(TypedDataEncoder.hash(domain, types, value));
}

/** Transaction types this module signs: 0 (legacy, EIP-155 replay-protected) and 2 (EIP-1559). */
export type SignableTransaction = Omit<TransactionLike<string>, "from" | "signature" | "hash">;

/** An unsigned ethers Transaction; refuses pre-EIP-155 legacy (no chain id) and other types. */
export function unsignedTransaction(tx: SignableTransaction): Transaction {
  const t = Transaction.from({ ...tx, signature: null });
  if (t.type !== 0 && t.type !== 2) throw new ParameterError(`transaction type ${t.type} is not supported`);
  if (t.chainId === 0n) throw new ParameterError("transaction needs a chain id (EIP-155 replay protection)");
  return t;
}

/** keccak256 of the unsigned serialisation (EIP-155 fields for legacy, 0x02 ‖ RLP for EIP-1559). */
export function transactionDigest(tx: SignableTransaction): Uint8Array {
  return keccak256(getBytes(unsignedTransaction(tx).unsignedSerialized));
}
