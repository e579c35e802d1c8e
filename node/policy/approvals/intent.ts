/**
 * What a sign request asks for, normalised for policy (DESIGN.md §3 "Approve"). Each member derives the
 * intent from the request payload itself — never from a digest a peer sends — so the policy is checked on
 * exactly what gets signed:
 * - `transaction`: the unsigned serialisation is decoded (ethers `Transaction.from`); destination, value,
 *   4-byte method selector, chain id and nonce are visible to rules; the digest is keccak256 of the
 *   unsigned serialisation (node/ethereum/digest.ts).
 * - `message` / `typedData`: only the kind and the digest (EIP-191 / EIP-712) are exposed to rules.
 * - `digest`: a raw 32-byte digest reveals nothing; a policy can only require approvals for it or deny it.
 */
import { Transaction, TypedDataEncoder, getAddress, getBytes, hexlify, type TypedDataField } from "ethers";
import type { Hex, SignPayload, TypedDataPayload } from "../../client/types.js";
import { keccak256 } from "../../crypto/index.js";
import { personalMessageDigest } from "../../ethereum/digest.js";
import { DecodeError, ParameterError } from "../../protocol/errors.js";

export const SIGN_KINDS = ["transaction", "digest", "message", "typedData"] as const;
export type SignKind = (typeof SIGN_KINDS)[number];

/** Selector of a transaction without calldata (plain value transfer or empty call). */
export const NO_CALLDATA = "0x";

export interface TransactionIntent {
  readonly kind: "transaction";
  /** keccak256 of the unsigned serialisation: what the group key signs. Lowercase 0x-hex. */
  readonly digest: Hex;
  /** 0 (legacy, EIP-155) or 2 (EIP-1559). */
  readonly type: 0 | 2;
  readonly chainId: bigint;
  readonly nonce: number;
  /** EIP-55 checksummed destination; null for contract creation. */
  readonly to: Hex | null;
  /** Wei. */
  readonly value: bigint;
  /**
   * First 4 bytes of calldata, lowercase ("0xa9059cbb"); "0x" when there is no calldata. Calldata of 1–3
   * bytes is kept whole (it is no ABI call and matches no 4-byte selector).
   */
  readonly selector: Hex;
}

export interface OpaqueIntent {
  readonly kind: "digest" | "message" | "typedData";
  /** The 32 bytes the approvals bind (see parseSignIntent). Lowercase 0x-hex. */
  readonly digest: Hex;
  /** typedData only: the EIP-712 primary type, for audit records. */
  readonly primaryType?: string;
}

export type SignIntent = TransactionIntent | OpaqueIntent;

export interface ParseIntentOptions {
  /**
   * The key's scheme; only changes `message`: for "ecdsa" (default) the digest is the EIP-191 personal
   * message digest that gets signed; for "schnorr" FROST signs the raw message, and the approvals bind
   * keccak256(message) instead (collision resistant, so it still names exactly one message).
   */
  readonly scheme?: "ecdsa" | "schnorr";
}

const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;
const DIGEST = /^0x[0-9a-fA-F]{64}$/;

/** Decodes and hashes a sign payload (docs/api.md "sign") into a SignIntent. */
export function parseSignIntent(payload: SignPayload, options: ParseIntentOptions = {}): SignIntent {
  switch (payload.kind) {
    case "transaction":
      return transactionIntent(payload.transaction);
    case "digest":
      if (typeof payload.digest !== "string" || !DIGEST.test(payload.digest)) {
        throw new DecodeError("`digest` expected 32 bytes of 0x-prefixed hex");
      }
      return { kind: "digest", digest: lower(payload.digest) };
    case "message": {
      const bytes = hexBytes(payload.message, "message");
      const digest = options.scheme === "schnorr" ? keccak256(bytes) : personalMessageDigest(bytes);
      return { kind: "message", digest: hexlify(digest) as Hex };
    }
    case "typedData":
      return typedDataIntent(payload.typedData);
    default:
      throw new DecodeError("`kind` expected transaction, digest, message or typedData");
  }
}

function transactionIntent(serialized: Hex): TransactionIntent {
  if (typeof serialized !== "string" || !HEX.test(serialized) || serialized.length <= 2) {
    throw new DecodeError("`transaction` expected non-empty 0x-prefixed hex");
  }
  let tx: Transaction;
  try {
    tx = Transaction.from(serialized);
  } catch (cause) {
    throw new DecodeError("`transaction` is not a valid serialized transaction", [], { cause });
  }
  if (tx.signature !== null) throw new ParameterError("`transaction` must be unsigned");
  if (tx.type !== 0 && tx.type !== 2)
    throw new ParameterError(`transaction type ${tx.type} is not supported`);
  if (tx.chainId === 0n) throw new ParameterError("transaction needs a chain id (EIP-155 replay protection)");
  const unsigned = tx.unsignedSerialized;
  // Re-encoding must give the same bytes: the rules then saw exactly what the digest covers.
  if (unsigned !== serialized.toLowerCase()) {
    throw new DecodeError("`transaction` is not in canonical unsigned form");
  }
  const data = getBytes(tx.data);
  const selector = hexlify(data.length >= 4 ? data.subarray(0, 4) : data) as Hex;
  return {
    kind: "transaction",
    digest: hexlify(keccak256(getBytes(unsigned))) as Hex,
    type: tx.type,
    chainId: tx.chainId,
    nonce: tx.nonce,
    to: tx.to === null ? null : (getAddress(tx.to) as Hex),
    value: tx.value,
    selector: selector === "0x" ? NO_CALLDATA : selector,
  };
}

function typedDataIntent(typedData: TypedDataPayload): OpaqueIntent {
  if (typeof typedData !== "object" || typedData === null) throw new DecodeError("`typedData` expected");
  // eth_signTypedData_v4 payloads list EIP712Domain among the types; the domain is hashed separately.
  const types: Record<string, TypedDataField[]> = {};
  for (const [name, fields] of Object.entries(typedData.types ?? {})) {
    if (name !== "EIP712Domain") types[name] = fields;
  }
  try {
    const encoder = TypedDataEncoder.from(types);
    if (typedData.primaryType !== undefined && typedData.primaryType !== encoder.primaryType) {
      throw new DecodeError(
        `\`typedData.primaryType\` ${typedData.primaryType} is not the root type ${encoder.primaryType}`,
      );
    }
    const digest = TypedDataEncoder.hash(typedData.domain, types, typedData.message);
    return { kind: "typedData", digest: digest.toLowerCase() as Hex, primaryType: encoder.primaryType };
  } catch (cause) {
    if (cause instanceof DecodeError) throw cause;
    throw new DecodeError("`typedData` does not encode as EIP-712", [], { cause });
  }
}

function hexBytes(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || !HEX.test(value)) {
    throw new DecodeError(`\`${what}\` expected 0x-prefixed hex of whole bytes`);
  }
  return getBytes(value);
}

function lower(h: string): Hex {
  return h.toLowerCase() as Hex;
}
