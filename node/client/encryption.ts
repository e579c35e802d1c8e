/**
 * Contract encryption API (what applications import): encrypt a payload to a group's encryption key so
 * that only that group, only for that contract and topic, can decrypt it (TDH2, specs/protocols.md §2).
 * The label bound into the ciphertext is node/policy/decrypt-policy.ts's (chain id, contract, topic);
 * members release decryption shares only when the contract's `revealAllowed(id)` holds for a payload
 * with exactly that label.
 *
 *   const ct = encryptForContract({ chainId: 31337n, contract, topic: await auction.bidTopic(me) },
 *     abiCoder.encode(["uint256"], [amount]), groupKeyHex);
 *   await auction.submitBid(ct);
 *
 * Errors: ParameterError for bad arguments, DecodeError for bytes that are not a TDH2 ciphertext.
 */
import { hexToBytes } from "../crypto/hash.js";
import { defaultRng, type Rng } from "../crypto/rng.js";
import { decodePoint, type Point } from "../crypto/secp256k1.js";
import {
  TDH2_FIXED_BYTES,
  TDH2_IV_BYTES,
  TDH2_TAG_BYTES,
  decodeTdh2Ciphertext,
  encodeTdh2Ciphertext,
  tdh2Encrypt,
  tdh2IsValid,
} from "../crypto/tdh2.js";
import { DecodeError, ParameterError } from "../protocol/errors.js";
import { decodeLabel, encodeLabel, type ContractLabel, type TopicInput } from "../policy/decrypt-policy.js";

export type { ContractLabel, TopicInput } from "../policy/decrypt-policy.js";
export { encodeLabel, decodeLabel, topicToBytes32 } from "../policy/decrypt-policy.js";

/** Where a payload may be revealed: chain, contract and topic (see TopicInput for the topic forms). */
export interface ContractTarget {
  readonly chainId: bigint | number;
  readonly contract: string;
  readonly topic: TopicInput;
}

export interface EncryptOptions {
  /** Randomness (tests pass seededRng). @default the platform CSPRNG */
  readonly rng?: Rng;
}

/** A group encryption key: 33-byte compressed SEC1 point, as bytes or hex (with or without 0x). */
export type GroupKeyInput = Uint8Array | string;

export function parseGroupKey(groupKey: GroupKeyInput): Point {
  let bytes: Uint8Array;
  if (groupKey instanceof Uint8Array) bytes = groupKey;
  else if (typeof groupKey === "string") {
    const hex = groupKey.startsWith("0x") || groupKey.startsWith("0X") ? groupKey.slice(2) : groupKey;
    if (!/^[0-9a-fA-F]{66}$/.test(hex)) throw new ParameterError("`groupKey` expected 33 bytes of hex");
    bytes = hexToBytes(hex);
  } else throw new ParameterError("`groupKey` expected Uint8Array or hex string");
  if (bytes.length !== 33) throw new ParameterError("`groupKey` expected a 33-byte compressed point");
  try {
    return decodePoint(bytes);
  } catch (cause) {
    throw new ParameterError("`groupKey` is not a valid secp256k1 point", [], { cause });
  }
}

/** TDH2 ciphertext bytes of `plaintext`, labelled with (chainId, contract, topic), for `groupKey`. */
export function encryptForContract(
  target: ContractTarget,
  plaintext: Uint8Array,
  groupKey: GroupKeyInput,
  options: EncryptOptions = {},
): Uint8Array {
  if (target === null || typeof target !== "object") throw new ParameterError("`target` expected object");
  if (!(plaintext instanceof Uint8Array)) throw new ParameterError("`plaintext` expected Uint8Array");
  const label = encodeLabel(target);
  const key = parseGroupKey(groupKey);
  return encodeTdh2Ciphertext(tdh2Encrypt(plaintext, label, key, options.rng ?? defaultRng));
}

export interface CiphertextInfo {
  readonly scheme: "tdh2";
  readonly version: number;
  /** The contract label, or null when the label is not in the contract format. */
  readonly label: ContractLabel | null;
  readonly labelBytes: Uint8Array;
  /** The validity proof holds (the ciphertext is untampered and bound to its label). */
  readonly valid: boolean;
  readonly sizes: {
    readonly total: number;
    /** version, u, ū, e, f, c, label length field and iv: everything but the label and the payload. */
    readonly header: number;
    readonly label: number;
    readonly iv: number;
    /** AES-GCM ciphertext plus tag. */
    readonly payload: number;
    readonly tag: number;
    readonly plaintext: number;
  };
}

/** Decodes and describes a ciphertext without decrypting it. Throws DecodeError on malformed bytes. */
export function inspectCiphertext(bytes: Uint8Array | string): CiphertextInfo {
  let raw: Uint8Array;
  if (typeof bytes === "string") {
    const hex = bytes.startsWith("0x") ? bytes.slice(2) : bytes;
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex))
      throw new DecodeError("ciphertext hex is malformed");
    raw = hexToBytes(hex);
  } else raw = bytes;
  const ct = decodeTdh2Ciphertext(raw);
  let label: ContractLabel | null = null;
  try {
    label = decodeLabel(ct.label);
  } catch {
    label = null;
  }
  return {
    scheme: "tdh2",
    version: raw[0],
    label,
    labelBytes: ct.label,
    valid: tdh2IsValid(ct),
    sizes: {
      total: raw.length,
      header: TDH2_FIXED_BYTES,
      label: ct.label.length,
      iv: TDH2_IV_BYTES,
      payload: ct.dem.length,
      tag: TDH2_TAG_BYTES,
      plaintext: ct.dem.length - TDH2_TAG_BYTES,
    },
  };
}
