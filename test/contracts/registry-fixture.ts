/**
 * Shared set-up for the registry tests (not a test file): a registry with six admitted members, a
 * requester, and group 1 = members 1..3. Also record-signing helpers built on the chain adapter's
 * off-chain digest (registry-client.test.ts checks it equals the contract's view).
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { id, keccak256, toUtf8Bytes, type Contract } from "ethers";
import { memberSetHash, recordDigest } from "../../node/adapters/chain/record.js";
import { fixture, mined } from "./helpers.js";
import type { TestKey } from "./group-keys.js";

export const Scheme = { Ecdsa: 0, Schnorr: 1, Encryption: 2 } as const;
export const KeyStatus = { None: 0, Requested: 1, Active: 2, Retired: 3 } as const;
export const MemberStatus = { None: 0, Active: 1, Removed: 2 } as const;
export const ADMIN_ROLE = id("ADMIN_ROLE");
export const REQUESTER_ROLE = id("REQUESTER_ROLE");
export const DEFAULT_ADMIN_ROLE = "0x" + "00".repeat(32);

export const peerIdOf = (i: number) => `12D3KooWShardlessTestMember${i}`;
export const multiaddrOf = (i: number) => `/ip4/10.0.0.${i}/tcp/4001`;
export const commitment = (label: string) => keccak256(toUtf8Bytes(`commitment:${label}`));

export interface RegistryWorld {
  registry: Contract;
  admin: HardhatEthersSigner;
  requester: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  /** Admitted members; `ops[0..2]` form group 1. */
  ops: HardhatEthersSigner[];
  group1: string[];
}

export function registryFixture(ethers: HardhatEthers): () => Promise<RegistryWorld> {
  return fixture(ethers, async () => {
    const [admin, requester, outsider, ...rest] = await ethers.getSigners();
    const ops = rest.slice(0, 6);
    const registry = (await ethers.deployContract("ShardlessRegistry", [admin.address])) as unknown as Contract;
    for (const [i, op] of ops.entries()) await mined(registry.addMember(op.address, peerIdOf(i + 1), [multiaddrOf(i + 1)]));
    const group1 = ops.slice(0, 3).map((o) => o.address);
    await mined(registry.createGroup(group1));
    await mined(registry.grantRole(REQUESTER_ROLE, requester.address));
    return { registry, admin, requester, outsider, ops, group1 };
  });
}

export interface RecordFields {
  groupId: bigint;
  keyId: bigint;
  epoch: bigint;
  publicKey: string;
  commitmentDigest: string;
  members: readonly string[];
  degree: number;
}

/** The record digest for `registry` on the current chain. */
export async function digestFor(registry: Contract, fields: RecordFields, chainId?: bigint): Promise<string> {
  const provider = registry.runner!.provider!;
  return recordDigest(
    { chainId: chainId ?? (await provider.getNetwork()).chainId, registry: await registry.getAddress() },
    { ...fields, memberSetHash: memberSetHash(fields.members) },
  );
}

/** Requests a key of `key.scheme` for `groupId` and returns its id. */
export async function requestKey(registry: Contract, groupId: bigint, key: TestKey, degree = 1): Promise<bigint> {
  await mined(registry.requestKey(groupId, Scheme[schemeKey(key)], degree));
  return (await registry.keyCount()) as bigint;
}

export interface PublishOptions {
  /** Who signs the record (default: the key itself). */
  signer?: TestKey;
  signerKeyId?: bigint;
  commitmentDigest?: string;
  /** Member submitting the transaction (default: the group's first member). */
  from?: HardhatEthersSigner;
}

/** The publication arguments of `key` as `keyId`, signed per the options, read from on-chain state. */
export async function publicationArgs(
  registry: Contract,
  keyId: bigint,
  key: TestKey,
  options: PublishOptions = {},
): Promise<[bigint, string, string, bigint, string]> {
  const info = await registry.getKey(keyId);
  const members: string[] = [...(await registry.groupMembers(info.groupId))];
  const commitmentDigest = options.commitmentDigest ?? commitment(`${keyId}:0`);
  const digest = await digestFor(registry, {
    groupId: info.groupId,
    keyId,
    epoch: 0n,
    publicKey: key.publicKey,
    commitmentDigest,
    members,
    degree: Number(info.degree),
  });
  const signer = options.signer ?? key;
  return [keyId, key.publicKey, commitmentDigest, options.signerKeyId ?? keyId, signer.sign(digest)];
}

/** Requests and publishes `key` in `groupId` from `from`; returns the key id. */
export async function requestAndPublish(
  world: RegistryWorld,
  groupId: bigint,
  key: TestKey,
  degree = 1,
  options: PublishOptions = {},
): Promise<bigint> {
  const keyId = await requestKey(world.registry, groupId, key, degree);
  const args = await publicationArgs(world.registry, keyId, key, options);
  const from = options.from ?? world.ops[0];
  await mined((world.registry.connect(from) as Contract).publishKey(...args));
  return keyId;
}

function schemeKey(key: TestKey): keyof typeof Scheme {
  return key.scheme === "ecdsa" ? "Ecdsa" : key.scheme === "schnorr" ? "Schnorr" : "Encryption";
}
