/**
 * The decryption policy a member applies before releasing a decryption share (DESIGN.md §3 "Decrypt",
 * issue 7). Pure: the node's chain adapter reads the contract at a confirmed block and passes what it read
 * as `chainState`; nothing here trusts the requester.
 *
 * Label format (bound into every TDH2 ciphertext made by client/encryption.ts), 85 bytes:
 *   0x01 ‖ chainId uint256 (32 B, big-endian) ‖ contract address (20 B) ‖ topic bytes32 (32 B)
 * i.e. Solidity `abi.encodePacked(uint8(1), block.chainid, address(this), topic)`. It matches the
 * (chainId, target, topic) triple of IConfidentialPayloads.payloadLabel(id).
 */
import { bytesToHex, hexToBytes, keccak256, utf8ToBytes } from "../crypto/hash.js";
import { DecodeError, ParameterError } from "../protocol/errors.js";

export const LABEL_VERSION = 0x01;
export const LABEL_BYTES = 1 + 32 + 20 + 32;

export type Hex = `0x${string}`;

/** A contract label, decoded. `contract` is EIP-55 checksummed, `topic` lowercase 0x-hex of 32 bytes. */
export interface ContractLabel {
  readonly chainId: bigint;
  readonly contract: Hex;
  readonly topic: Hex;
}

/**
 * A topic: 32 bytes (Uint8Array or "0x" + 64 hex digits) taken as is; a bigint is a uint256 (e.g. an id);
 * any other string is hashed as Solidity `keccak256(bytes(topic))`.
 */
export type TopicInput = Uint8Array | string | bigint;

export interface LabelFields {
  readonly chainId: bigint | number;
  readonly contract: string;
  readonly topic: TopicInput;
}

const UINT256_MAX = (1n << 256n) - 1n;
const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function uint256Bytes(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v;
  for (let k = 31; k >= 0; k--) {
    out[k] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function bytesToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}

/** The topic as 32 bytes (see TopicInput). */
export function topicToBytes32(topic: TopicInput): Uint8Array {
  if (topic instanceof Uint8Array) {
    if (topic.length !== 32) throw new ParameterError("`topic` bytes expected 32 bytes");
    return topic.slice();
  }
  if (typeof topic === "bigint") {
    if (topic < 0n || topic > UINT256_MAX) throw new ParameterError("`topic` integer out of uint256 range");
    return uint256Bytes(topic);
  }
  if (typeof topic === "string")
    return HEX32.test(topic) ? hexToBytes(topic.slice(2)) : keccak256(utf8ToBytes(topic));
  throw new ParameterError("`topic` expected 32 bytes, hex string, string or bigint");
}

/** EIP-55 checksum of a 20-byte address. */
export function checksumAddress(address: string): Hex {
  if (typeof address !== "string" || !ADDRESS.test(address)) {
    throw new ParameterError("`contract` expected a 0x-prefixed 20-byte hex address");
  }
  const lower = address.slice(2).toLowerCase();
  const hash = bytesToHex(keccak256(utf8ToBytes(lower)));
  let out = "0x";
  for (let k = 0; k < 40; k++) out += parseInt(hash[k], 16) >= 8 ? lower[k].toUpperCase() : lower[k];
  const mixed = address.slice(2);
  if (mixed !== mixed.toLowerCase() && mixed !== mixed.toUpperCase() && "0x" + mixed !== out) {
    throw new ParameterError("`contract` has a bad EIP-55 checksum");
  }
  return out as Hex;
}

function chainIdOf(chainId: bigint | number): bigint {
  if (typeof chainId === "number") {
    if (!Number.isSafeInteger(chainId)) throw new ParameterError("`chainId` expected a safe integer");
    chainId = BigInt(chainId);
  }
  if (typeof chainId !== "bigint" || chainId <= 0n || chainId > UINT256_MAX) {
    throw new ParameterError("`chainId` expected a positive uint256");
  }
  return chainId;
}

export function encodeLabel(fields: LabelFields): Uint8Array {
  const out = new Uint8Array(LABEL_BYTES);
  out[0] = LABEL_VERSION;
  out.set(uint256Bytes(chainIdOf(fields.chainId)), 1);
  out.set(hexToBytes(checksumAddress(fields.contract).slice(2)), 33);
  out.set(topicToBytes32(fields.topic), 53);
  return out;
}

/** Strict: exactly 85 bytes, version 1, non-zero chain id. Throws DecodeError. */
export function decodeLabel(bytes: Uint8Array): ContractLabel {
  if (!(bytes instanceof Uint8Array) || bytes.length !== LABEL_BYTES) {
    throw new DecodeError(`label expected ${LABEL_BYTES} bytes`);
  }
  if (bytes[0] !== LABEL_VERSION) throw new DecodeError(`unsupported label version ${bytes[0]}`);
  const chainId = bytesToBigInt(bytes.subarray(1, 33));
  if (chainId === 0n) throw new DecodeError("label chain id is zero");
  return {
    chainId,
    contract: checksumAddress("0x" + bytesToHex(bytes.subarray(33, 53))),
    topic: `0x${bytesToHex(bytes.subarray(53, 85))}`,
  };
}

// ---- the decision -------------------------------------------------------------------------------------

/**
 * What the chain adapter read about one payload, all at block `blockNumber`:
 * `IConfidentialPayloads.payloadLabel(payloadId)` (→ chainId, contract, topic), `revealAllowed(payloadId)`
 * and optionally the stored ciphertext's keccak256 (`payload(id).ciphertext` or the PayloadStored event).
 */
export interface DecryptChainState {
  /** Chain id of the chain the adapter read (payloadLabel's chainId = block.chainid). */
  readonly chainId: bigint;
  /** The contract queried (payloadLabel's target = address(this)). */
  readonly contract: string;
  readonly payloadId: bigint;
  /** payloadLabel(payloadId).topic. */
  readonly topic: string;
  /** revealAllowed(payloadId). */
  readonly revealAllowed: boolean;
  /** keccak256 of the ciphertext stored for payloadId, if the adapter read it. */
  readonly ciphertextHash?: string;
  readonly blockNumber: number;
  /** Confirmations of `blockNumber` when read (head − blockNumber + 1). */
  readonly confirmations: number;
}

export type DecryptionReason =
  | "allowed"
  | "missing-label"
  | "malformed-label"
  | "missing-chain-state"
  | "wrong-chain"
  | "wrong-contract"
  | "wrong-topic"
  | "ciphertext-mismatch"
  | "unconfirmed"
  | "reveal-not-allowed";

export interface DecryptionDecision {
  readonly allowed: boolean;
  readonly reason: DecryptionReason;
}

export interface DecideDecryptionInput {
  /** The label bound into the ciphertext (TDH2); undefined for label-less ciphertexts (ECIES). */
  readonly label: Uint8Array | undefined;
  readonly chainState: DecryptChainState | undefined;
  /** keccak256 of the ciphertext presented, compared with chainState.ciphertextHash when both are set. */
  readonly ciphertextHash?: Uint8Array;
  /** @default 1 */
  readonly minConfirmations?: number;
  /**
   * Allow label-less ciphertexts (eciesjs ECIES) of a stored payload, identified only by the stored
   * ciphertext's hash (then required). Beware: without a label, a copy of someone else's ciphertext
   * stored under another payload id is decrypted too (the mirroring a TDH2 label prevents).
   * @default false
   */
  readonly allowUnlabelled?: boolean;
}

const deny = (reason: DecryptionReason): DecryptionDecision => ({ allowed: false, reason });

/**
 * Allowed only if the label decodes, names the chain, contract and topic the adapter read for the payload,
 * the read is confirmed, the ciphertext is the stored one (when known) and revealAllowed(id) was true.
 */
export function decideDecryption(input: DecideDecryptionInput): DecryptionDecision {
  const { label, chainState, ciphertextHash, minConfirmations = 1, allowUnlabelled = false } = input;
  if (label === undefined && !allowUnlabelled) return deny("missing-label");
  if (chainState === undefined) return deny("missing-chain-state");
  if (label !== undefined) {
    let decoded: ContractLabel;
    try {
      decoded = decodeLabel(label);
    } catch {
      return deny("malformed-label");
    }
    if (decoded.chainId !== chainState.chainId) return deny("wrong-chain");
    if (decoded.contract.toLowerCase() !== chainState.contract.toLowerCase()) return deny("wrong-contract");
    if (decoded.topic !== chainState.topic.toLowerCase()) return deny("wrong-topic");
  } else if (chainState.ciphertextHash === undefined) return deny("ciphertext-mismatch");
  if (!(chainState.confirmations >= minConfirmations)) return deny("unconfirmed");
  if (chainState.ciphertextHash !== undefined) {
    if (ciphertextHash === undefined) return deny("ciphertext-mismatch");
    if (`0x${bytesToHex(ciphertextHash)}` !== chainState.ciphertextHash.toLowerCase()) {
      return deny("ciphertext-mismatch");
    }
  }
  if (!chainState.revealAllowed) return deny("reveal-not-allowed");
  return { allowed: true, reason: "allowed" };
}

/** What the decrypt protocol asks a member's policy (structurally protocols/decrypt's DecryptPolicyQuery). */
export interface PayloadPolicyQuery {
  readonly label: Uint8Array | undefined;
  readonly payloadId: bigint | undefined;
  readonly ciphertextHash: Uint8Array;
}

/**
 * A member policy for contract payloads: looks up the chain state the node read for the requested
 * payload id (`states`, keyed by id) and applies decideDecryption. Unknown ids are refused.
 */
export function contractPayloadPolicy(
  states: ReadonlyMap<bigint, DecryptChainState>,
  options: { readonly minConfirmations?: number; readonly allowUnlabelled?: boolean } = {},
): (query: PayloadPolicyQuery) => DecryptionDecision {
  return (query) =>
    decideDecryption({
      label: query.label,
      chainState: query.payloadId === undefined ? undefined : states.get(query.payloadId),
      ciphertextHash: query.ciphertextHash,
      ...options,
    });
}
