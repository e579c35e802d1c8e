/**
 * Typed client of contracts/ShardlessRegistry.sol on ethers v6: every view and transaction, off-chain
 * record digests, and an event follower. Reverts surface as ChainError CHAIN_REVERTED with the decoded
 * custom error name (e.g. "ShardlessRegistryStaleEpoch"), never as raw ethers errors.
 */
import {
  Contract,
  Interface,
  ZeroAddress,
  ZeroHash,
  getBytes,
  hexlify,
  id,
  type BytesLike,
  type ContractRunner,
  type ContractTransactionReceipt,
  type Provider,
  type Result,
} from "ethers";
import { ParameterError } from "../../protocol/errors.js";
import { REGISTRY_ABI } from "./abi.js";
import { ChainError, toChainError } from "./errors.js";
import { decodeRegistryLog, schemeName } from "./events.js";
import { RegistryFollower, type FollowOptions, type RegistryEventHandler } from "./follower.js";
import { recordDigest, type KeyRecord } from "./record.js";
import {
  KEY_STATUSES,
  MEMBER_STATUSES,
  SCHEMES,
  type KeyInfo,
  type KeyReshare,
  type MemberInfo,
  type RegistryEvent,
  type Scheme,
} from "./types.js";

export const REGISTRY_INTERFACE = new Interface(REGISTRY_ABI);

/** Role ids, as the contract computes them. */
export const ROLES = {
  DEFAULT_ADMIN: ZeroHash,
  ADMIN: id("ADMIN_ROLE"),
  REQUESTER: id("REQUESTER_ROLE"),
} as const;

/** A mined transaction and the registry events it emitted. */
export interface TxResult {
  receipt: ContractTransactionReceipt;
  events: RegistryEvent[];
}

export interface RegistryClientOptions {
  /** Confirmations to wait for after sending a transaction. @default 1 */
  confirmations?: number;
}

/** Arguments of `publishKey`: the record is (key, epoch 0, publicKey, commitmentDigest, current members). */
export interface PublishKeyArgs {
  keyId: bigint;
  publicKey: BytesLike;
  commitmentDigest: BytesLike;
  /** The key itself for ECDSA/Schnorr keys; an active signing key of the group for encryption keys. */
  signerKeyId: bigint;
  signature: BytesLike;
}

/** Arguments of `advanceEpoch` (a refresh: same members, same degree). */
export interface AdvanceEpochArgs {
  keyId: bigint;
  epoch: bigint;
  commitmentDigest: BytesLike;
  signerKeyId: bigint;
  signature: BytesLike;
}

export class RegistryClient {
  readonly address: string;
  readonly contract: Contract;
  readonly #runner: ContractRunner;
  readonly #confirmations: number;

  constructor(address: string, runner: ContractRunner, options: RegistryClientOptions = {}) {
    const confirmations = options.confirmations ?? 1;
    if (!Number.isInteger(confirmations) || confirmations < 1) {
      throw new ParameterError("confirmations expected an integer >= 1");
    }
    this.address = address;
    this.#runner = runner;
    this.#confirmations = confirmations;
    this.contract = new Contract(address, REGISTRY_INTERFACE, runner);
  }

  /** The same registry through another signer or provider. */
  connect(runner: ContractRunner): RegistryClient {
    return new RegistryClient(this.address, runner, { confirmations: this.#confirmations });
  }

  get provider(): Provider {
    const provider = this.#runner.provider;
    if (!provider) throw new ParameterError("runner expected to have a provider");
    return provider;
  }

  // ------------------------------------------------------------------------------------------ views

  async chainId(): Promise<bigint> {
    try {
      return (await this.provider.getNetwork()).chainId;
    } catch (error) {
      throw toChainError(error, REGISTRY_INTERFACE, "getNetwork");
    }
  }

  async hasRole(role: string, account: string): Promise<boolean> {
    return this.#view<boolean>("hasRole", [role, account]);
  }

  async getMember(operator: string): Promise<MemberInfo> {
    const m = await this.#view<Result>("getMember", [operator]);
    return {
      operator: m.operator,
      peerId: m.peerId,
      multiaddrs: Array.from(m.multiaddrs as Iterable<string>),
      status: MEMBER_STATUSES[Number(m.status)],
    };
  }

  async activeMembers(): Promise<string[]> {
    return [...(await this.#view<Result>("activeMembers", []))];
  }

  async groupCount(): Promise<bigint> {
    return this.#view<bigint>("groupCount", []);
  }

  async keyCount(): Promise<bigint> {
    return this.#view<bigint>("keyCount", []);
  }

  async groupMembers(groupId: bigint): Promise<string[]> {
    return [...(await this.#view<Result>("groupMembers", [groupId]))];
  }

  async groupMemberSetHash(groupId: bigint): Promise<string> {
    return this.#view<string>("groupMemberSetHash", [groupId]);
  }

  /** Member index 1..n of `operator` in the group, or 0. */
  async memberIndex(groupId: bigint, operator: string): Promise<number> {
    return Number(await this.#view<bigint>("memberIndex", [groupId, operator]));
  }

  async pendingMembers(groupId: bigint): Promise<string[]> {
    return [...(await this.#view<Result>("pendingMembers", [groupId]))];
  }

  async groupKeys(groupId: bigint): Promise<bigint[]> {
    return [...(await this.#view<Result>("groupKeys", [groupId]))];
  }

  async getKey(keyId: bigint): Promise<KeyInfo> {
    const k = await this.#view<Result>("getKey", [keyId]);
    return {
      keyId: k.keyId,
      groupId: k.groupId,
      scheme: schemeName(k.scheme),
      status: KEY_STATUSES[Number(k.status)],
      degree: Number(k.degree),
      epoch: k.epoch,
      ethAddress: k.ethAddress === ZeroAddress ? null : k.ethAddress,
      commitmentDigest: k.commitmentDigest,
      publicKey: k.publicKey === "0x" ? null : k.publicKey,
    };
  }

  /** The key whose public key is exactly `publicKey`, or null. */
  async keyIdByPublicKey(publicKey: BytesLike): Promise<bigint | null> {
    const keyId = await this.#view<bigint>("keyIdByPublicKey", [hexlify(publicKey)]);
    return keyId === 0n ? null : keyId;
  }

  async currentEpoch(keyId: bigint): Promise<bigint> {
    return this.#view<bigint>("currentEpoch", [keyId]);
  }

  /** The contract's own record digest (use {@link computeRecordDigest} to avoid the round trip). */
  async recordDigest(record: KeyRecord): Promise<string> {
    return this.#view<string>("recordDigest", [
      record.groupId,
      record.keyId,
      record.epoch,
      hexlify(record.publicKey),
      hexlify(record.commitmentDigest),
      hexlify(record.memberSetHash),
      record.degree,
    ]);
  }

  /** The record digest computed locally for this registry and chain. */
  async computeRecordDigest(record: KeyRecord): Promise<string> {
    return recordDigest({ chainId: await this.chainId(), registry: this.address }, record);
  }

  // ----------------------------------------------------------------------------------- transactions

  async grantRole(role: string, account: string): Promise<TxResult> {
    return this.#send("grantRole", [role, account]);
  }

  async revokeRole(role: string, account: string): Promise<TxResult> {
    return this.#send("revokeRole", [role, account]);
  }

  async addMember(operator: string, peerId: string, multiaddrs: readonly string[]): Promise<TxResult> {
    return this.#send("addMember", [operator, peerId, [...multiaddrs]]);
  }

  async removeMember(operator: string): Promise<TxResult> {
    return this.#send("removeMember", [operator]);
  }

  /** Replaces the multiaddrs of the signer's own member record. */
  async updateMultiaddrs(multiaddrs: readonly string[]): Promise<TxResult> {
    return this.#send("updateMultiaddrs", [[...multiaddrs]]);
  }

  async createGroup(members: readonly string[]): Promise<TxResult & { groupId: bigint }> {
    const result = await this.#send("createGroup", [[...members]]);
    return { ...result, groupId: expectEvent(result, "GroupCreated").groupId };
  }

  async requestKey(groupId: bigint, scheme: Scheme, degree: number): Promise<TxResult & { keyId: bigint }> {
    const result = await this.#send("requestKey", [groupId, SCHEMES.indexOf(scheme), degree]);
    return { ...result, keyId: expectEvent(result, "KeyRequested").keyId };
  }

  async publishKey(args: PublishKeyArgs): Promise<TxResult> {
    return this.#send("publishKey", [
      args.keyId,
      hexlify(expectBytes(args.publicKey, 33, "publicKey")),
      hexlify(expectBytes(args.commitmentDigest, 32, "commitmentDigest")),
      args.signerKeyId,
      hexlify(args.signature),
    ]);
  }

  async advanceEpoch(args: AdvanceEpochArgs): Promise<TxResult> {
    return this.#send("advanceEpoch", [
      args.keyId,
      args.epoch,
      hexlify(expectBytes(args.commitmentDigest, 32, "commitmentDigest")),
      args.signerKeyId,
      hexlify(args.signature),
    ]);
  }

  async requestMembershipChange(groupId: bigint, members: readonly string[]): Promise<TxResult> {
    return this.#send("requestMembershipChange", [groupId, [...members]]);
  }

  async changeMembership(groupId: bigint, reshares: readonly KeyReshare[]): Promise<TxResult> {
    return this.#send("changeMembership", [
      groupId,
      reshares.map((r) => [
        r.keyId,
        r.epoch,
        r.degree,
        hexlify(expectBytes(r.commitmentDigest, 32, "commitmentDigest")),
        r.signerKeyId,
        hexlify(r.signature),
      ]),
    ]);
  }

  async retireKey(keyId: bigint): Promise<TxResult> {
    return this.#send("retireKey", [keyId]);
  }

  // ----------------------------------------------------------------------------------------- events

  /** A follower delivering this registry's events once `confirmations` deep; call `start()` or `poll()`. */
  follow(handler: RegistryEventHandler, options: FollowOptions): RegistryFollower {
    return new RegistryFollower(this.provider, this.address, REGISTRY_INTERFACE, handler, options);
  }

  // --------------------------------------------------------------------------------------- internal

  async #view<T>(name: string, args: unknown[]): Promise<T> {
    try {
      return (await this.contract.getFunction(name).staticCall(...args)) as T;
    } catch (error) {
      throw toChainError(error, REGISTRY_INTERFACE, name);
    }
  }

  async #send(name: string, args: unknown[]): Promise<TxResult> {
    let receipt: ContractTransactionReceipt | null;
    try {
      const tx = await this.contract.getFunction(name).send(...args);
      receipt = await tx.wait(this.#confirmations);
    } catch (error) {
      throw toChainError(error, REGISTRY_INTERFACE, name);
    }
    if (!receipt || receipt.status !== 1)
      throw new ChainError("CHAIN_BAD_RECEIPT", `${name}: transaction failed`);
    const events = receipt.logs
      .filter((log) => log.address.toLowerCase() === this.address.toLowerCase())
      .map((log) => decodeRegistryLog(REGISTRY_INTERFACE, log));
    return { receipt, events };
  }
}

function expectEvent<N extends RegistryEvent["name"]>(
  result: TxResult,
  name: N,
): Extract<RegistryEvent, { name: N }> {
  const event = result.events.find((e): e is Extract<RegistryEvent, { name: N }> => e.name === name);
  if (!event) throw new ChainError("CHAIN_BAD_RECEIPT", `receipt lacks a ${name} event`);
  return event;
}

/** Checks a byte string's length before it reaches the chain (cheaper than a revert). */
function expectBytes(value: BytesLike, length: number, name: string): Uint8Array {
  const bytes = getBytes(value, name);
  if (bytes.length !== length)
    throw new ParameterError(`${name} expected ${length} bytes, got ${bytes.length}`);
  return bytes;
}
