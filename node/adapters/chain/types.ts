/** Typed views of the registry's records and events (contracts/interfaces/IShardlessRegistry.sol). */
import type { BytesLike } from "ethers";

/** Key schemes, in the contract's enum order (Ecdsa = 0, Schnorr = 1, Encryption = 2). */
export const SCHEMES = ["ecdsa", "schnorr", "encryption"] as const;
export type Scheme = (typeof SCHEMES)[number];

/** Key lifecycle, in the contract's enum order. */
export const KEY_STATUSES = ["none", "requested", "active", "retired"] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** Member lifecycle, in the contract's enum order. */
export const MEMBER_STATUSES = ["none", "active", "removed"] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export interface MemberInfo {
  operator: string;
  peerId: string;
  multiaddrs: string[];
  status: MemberStatus;
}

export interface KeyInfo {
  keyId: bigint;
  groupId: bigint;
  scheme: Scheme;
  status: KeyStatus;
  /** Degree t of the sharing polynomial; t + 1 colluders could steal the key. */
  degree: number;
  epoch: bigint;
  /** Ethereum address of an ECDSA key, null otherwise. */
  ethAddress: string | null;
  commitmentDigest: string;
  /** 33-byte compressed public key (hex), null while requested. */
  publicKey: string | null;
}

/** One key's new sharing after a membership change, with its group signature. */
export interface KeyReshare {
  keyId: bigint;
  epoch: bigint;
  degree: number;
  commitmentDigest: BytesLike;
  signerKeyId: bigint;
  signature: BytesLike;
}

/** Where an event was emitted; (blockNumber, logIndex) orders events totally. */
export interface EventMeta {
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

export type RegistryEvent = (
  | { name: "MemberAdded"; operator: string; peerId: string; multiaddrs: string[] }
  | { name: "MemberRemoved"; operator: string }
  | { name: "MemberUpdated"; operator: string; multiaddrs: string[] }
  | { name: "GroupCreated"; groupId: bigint; members: string[]; memberSetHash: string }
  | { name: "KeyRequested"; keyId: bigint; groupId: bigint; scheme: Scheme; degree: number }
  | {
      name: "KeyPublished";
      keyId: bigint;
      groupId: bigint;
      scheme: Scheme;
      publicKey: string;
      ethAddress: string | null;
      commitmentDigest: string;
    }
  | {
      name: "EpochAdvanced";
      keyId: bigint;
      groupId: bigint;
      epoch: bigint;
      degree: number;
      commitmentDigest: string;
    }
  | { name: "MembershipChangeRequested"; groupId: bigint; members: string[]; memberSetHash: string }
  | { name: "MembershipChanged"; groupId: bigint; members: string[]; memberSetHash: string }
  | { name: "KeyRetired"; keyId: bigint; groupId: bigint }
  | { name: "RoleGranted"; role: string; account: string; sender: string }
  | { name: "RoleRevoked"; role: string; account: string; sender: string }
  | { name: "RoleAdminChanged"; role: string; previousAdminRole: string; newAdminRole: string }
) & { meta: EventMeta };

export type RegistryEventName = RegistryEvent["name"];
