/**
 * Off-chain twins of the registry's digests (contracts/ShardlessRegistry.sol `recordDigest`,
 * contracts/confidential/ConfidentialPayloads.sol `revealDigest`). Members compute them locally, sign
 * them with the group key, and tests check they equal the contract views.
 */
import { AbiCoder, getBytes, hexlify, keccak256, toUtf8Bytes, type BytesLike } from "ethers";
import { ParameterError } from "../../protocol/errors.js";
import { commitmentDigest, registryPublicKey, type KeyPublic } from "../../protocol/key-share.js";
import type { KeyInfo } from "./types.js";

export const RECORD_TYPEHASH = keccak256(
  toUtf8Bytes(
    "ShardlessKeyRecord(uint256 chainId,address registry,uint256 groupId,uint256 keyId,uint64 epoch," +
      "bytes32 publicKeyHash,bytes32 commitmentDigest,bytes32 memberSetHash,uint16 degree)",
  ),
);

export const REVEAL_TYPEHASH = keccak256(
  toUtf8Bytes("ShardlessReveal(uint256 chainId,address target,uint256 id,bytes32 plaintextHash)"),
);

const abi = AbiCoder.defaultAbiCoder();

/** The state a group key attests to: key `keyId` of `groupId` at `epoch`, shared among a member set. */
export interface KeyRecord {
  groupId: bigint;
  keyId: bigint;
  epoch: bigint;
  /** 33-byte compressed public key. */
  publicKey: BytesLike;
  /** Hash of the Feldman commitments of the sharing (32 bytes). */
  commitmentDigest: BytesLike;
  /** {@link memberSetHash} of the committee holding the sharing. */
  memberSetHash: BytesLike;
  /** Degree t of the sharing polynomial. */
  degree: number;
}

/** The record of a key's public package `p` (its epoch, degree and commitments) held by a member set. */
export function keyRecordOf(groupId: string, p: KeyPublic, setHash: string): KeyRecord {
  return {
    groupId: BigInt(groupId),
    keyId: BigInt(p.keyId),
    epoch: BigInt(p.epoch),
    publicKey: registryPublicKey(p),
    commitmentDigest: commitmentDigest(p),
    memberSetHash: setHash,
    degree: p.degree,
  };
}

/** Does the registry's record of the key vouch for `pub` (public key, epoch, commitment digest)? */
export function registryVouches(info: KeyInfo, pub: KeyPublic): boolean {
  return (
    info.status === "active" &&
    info.publicKey?.toLowerCase() === `0x${hexlify(registryPublicKey(pub)).slice(2)}` &&
    info.epoch === BigInt(pub.epoch) &&
    info.commitmentDigest.toLowerCase() === `0x${hexlify(commitmentDigest(pub)).slice(2)}`
  );
}

/** Where a record is valid: one chain, one registry deployment. */
export interface RecordDomain {
  chainId: bigint;
  registry: string;
}

/** keccak256(abi.encode(members)), as the registry computes it. Order matters (member i = position i). */
export function memberSetHash(members: readonly string[]): string {
  return keccak256(abi.encode(["address[]"], [members]));
}

/** The 32-byte digest a group key signs for `record` (ECDSA: directly, no EIP-191 prefix; BIP-340: as message). */
export function recordDigest(domain: RecordDomain, record: KeyRecord): string {
  const publicKey = getBytes(record.publicKey, "publicKey");
  if (publicKey.length !== 33)
    throw new ParameterError(`publicKey expected 33 bytes, got ${publicKey.length}`);
  if (!Number.isInteger(record.degree) || record.degree < 0 || record.degree > 0xffff) {
    throw new ParameterError("degree expected an integer in 0..65535");
  }
  if (record.epoch < 0n || record.epoch >= 1n << 64n) throw new ParameterError("epoch expected a uint64");
  return keccak256(
    abi.encode(
      [
        "bytes32",
        "uint256",
        "address",
        "uint256",
        "uint256",
        "uint64",
        "bytes32",
        "bytes32",
        "bytes32",
        "uint16",
      ],
      [
        RECORD_TYPEHASH,
        domain.chainId,
        domain.registry,
        record.groupId,
        record.keyId,
        record.epoch,
        keccak256(publicKey),
        hexlify(getBytes(record.commitmentDigest, "commitmentDigest")),
        hexlify(getBytes(record.memberSetHash, "memberSetHash")),
        record.degree,
      ],
    ),
  );
}

/** The digest the reveal authority signs to post the plaintext of payload `id` to a ConfidentialPayloads contract. */
export function revealDigest(
  domain: { chainId: bigint; target: string },
  id: bigint,
  plaintext: BytesLike,
): string {
  return keccak256(
    abi.encode(
      ["bytes32", "uint256", "address", "uint256", "bytes32"],
      [REVEAL_TYPEHASH, domain.chainId, domain.target, id, keccak256(plaintext)],
    ),
  );
}
