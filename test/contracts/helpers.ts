/**
 * Helpers for the contract tests (not a test file): revert and event matchers (hardhat-chai-matchers is
 * not installed), chain snapshots, time travel.
 */
import assert from "node:assert/strict";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { Result, type ContractTransactionResponse, type Interface, type TransactionReceipt } from "ethers";
import { toChainError } from "../../node/adapters/chain/errors.js";

interface HasInterface {
  interface: Interface;
}

/** Converts ethers Results (and nested ones) to plain arrays so deepEqual compares values only. */
export function plain(value: unknown): unknown {
  if (value instanceof Result) return value.toArray().map(plain);
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/**
 * Awaits `promise`, asserts it reverted with the custom error `errorName` of `contract` (and `args`, if
 * given), and returns the decoded arguments.
 */
export async function expectRevert(
  promise: Promise<unknown>,
  contract: HasInterface,
  errorName: string,
  args?: readonly unknown[],
): Promise<readonly unknown[]> {
  let thrown: unknown = undefined;
  let threw = false;
  try {
    await promise;
  } catch (error) {
    thrown = error;
    threw = true;
  }
  assert.ok(threw, `expected a revert with ${errorName}, but the call succeeded`);
  const revert = toChainError(thrown, contract.interface, "call").revert;
  assert.ok(revert, `expected a revert with ${errorName}, got ${String(thrown)}`);
  assert.equal(revert.name, errorName, `expected ${errorName}, got ${revert.name}`);
  if (args) assert.deepEqual(plain(revert.args), plain(args));
  return revert.args;
}

/** Sends, waits and returns the receipt (asserting success). */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const receipt = await (await tx).wait();
  assert.ok(receipt && receipt.status === 1, "transaction failed");
  return receipt;
}

/** The decoded events `name` emitted by `contract` in `receipt`. */
export function eventsOf(receipt: TransactionReceipt, contract: HasInterface & { target: unknown }, name: string) {
  const address = String(contract.target).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => contract.interface.parseLog(log))
    .filter((parsed) => parsed !== null && parsed.name === name)
    .map((parsed) => plain(parsed!.args) as unknown[]);
}

/** Asserts `receipt` holds exactly one `name` event from `contract`, with `args` if given; returns its args. */
export function expectEvent(
  receipt: TransactionReceipt,
  contract: HasInterface & { target: unknown },
  name: string,
  args?: readonly unknown[],
): unknown[] {
  const found = eventsOf(receipt, contract, name);
  assert.equal(found.length, 1, `expected one ${name} event, got ${found.length}`);
  if (args) assert.deepEqual(found[0], plain(args));
  return found[0];
}

/**
 * Runs `build` once, then restores the chain to the state right after it on every later call (like
 * hardhat-network-helpers' loadFixture).
 */
export function fixture<T>(ethers: HardhatEthers, build: () => Promise<T>): () => Promise<T> {
  let snapshot: string | undefined;
  let value: T;
  return async () => {
    if (snapshot === undefined) value = await build();
    else await ethers.provider.send("evm_revert", [snapshot]);
    snapshot = await ethers.provider.send("evm_snapshot", []);
    return value;
  };
}

/** Advances the chain's clock by `seconds` and mines a block. */
export async function increaseTime(ethers: HardhatEthers, seconds: number): Promise<void> {
  await ethers.provider.send("evm_increaseTime", [seconds]);
  await ethers.provider.send("evm_mine", []);
}

export async function latestTimestamp(ethers: HardhatEthers): Promise<number> {
  const block = await ethers.provider.getBlock("latest");
  assert.ok(block);
  return block.timestamp;
}
