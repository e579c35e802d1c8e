/**
 * TEST ONLY: helpers of the key-lifecycle multi-process tests (test/e2e/lifecycle*.test.ts): a devnet
 * with a registry reader, restarting a member with the TEST-ONLY crash hook armed, waiting for a member
 * to die or for every member to reach an epoch.
 */
import assert from "node:assert/strict";
import { JsonRpcProvider, recoverAddress } from "ethers";
import { RegistryClient } from "../../node/adapters/chain/registry-client.js";
import type { ShardlessClient } from "../../node/client/api-client.js";
import type { Hex, KeyStatus } from "../../node/client/types.js";
import { CRASH_ENV, type CrashStep } from "../../node/coordinator/lifecycle-faults.js";
import { startE2eDevnet, waitForMesh, waitUntil, type E2eDevnet } from "./e2e-devnet.js";

export interface LifecycleNet {
  readonly net: E2eDevnet;
  readonly registry: RegistryClient;
  /** The registry's current epoch of `keyId`. */
  epoch(keyId: string): Promise<number>;
  stop(): Promise<void>;
}

/** A devnet of 3 members with a read-only registry client. */
export async function startLifecycleNet(prefix: string): Promise<LifecycleNet> {
  const net = await startE2eDevnet(3, { prefix });
  const provider = new JsonRpcProvider(net.devnet.rpcUrl, undefined, { staticNetwork: true });
  const registry = new RegistryClient(net.devnet.registry, provider);
  return {
    net,
    registry,
    epoch: async (keyId) => Number(await registry.currentEpoch(BigInt(keyId))),
    async stop() {
      provider.destroy();
      await net.stop();
    },
  };
}

/** A 32-byte digest of one repeated byte. */
export const digestOf = (byte: number) => `0x${byte.toString(16).padStart(2, "0").repeat(32)}` as Hex;

/** Restarts member `index` with the crash hook armed for `step` (only this spawn sees the variable). */
export async function startWithCrashHook(net: E2eDevnet, index: number, step: CrashStep): Promise<void> {
  await net.devnet.stopMember(index);
  process.env[CRASH_ENV] = step;
  try {
    await net.devnet.startMember(index);
  } finally {
    delete process.env[CRASH_ENV];
  }
  await waitForMesh(net.clients, net.clients.length);
}

/** Waits until member `index`'s API no longer answers (the crash hook killed it). */
export async function waitDead(net: E2eDevnet, index: number): Promise<void> {
  const client = net.clients[index - 1];
  const answers = () =>
    client.health().then(
      () => true,
      () => false,
    );
  await waitUntil(async () => !(await answers()), `member ${index} to be dead`);
}

/** Waits for member `index` to be dead, starts it again (hook disarmed) and waits for the mesh. */
export async function restartAfterCrash(net: E2eDevnet, index: number): Promise<void> {
  await waitDead(net, index);
  await net.devnet.stopMember(index);
  await net.devnet.startMember(index);
  await waitForMesh(net.clients, net.clients.length);
}

/** Waits until every member reports `keyId` at `epoch`. */
export async function everyMemberAt(net: E2eDevnet, keyId: string, epoch: number): Promise<void> {
  for (const client of net.clients) {
    await waitUntil(async () => (await client.key(keyId)).epoch === epoch, `every member at epoch ${epoch}`);
  }
}

/** Signs `digestOf(byte)` with an ecdsa key through `client`; checks the epoch and the address. */
export async function signsAt(client: ShardlessClient, key: KeyStatus, byte: number, epoch: number) {
  const sig = await client.sign(key.keyId, { kind: "digest", digest: digestOf(byte) });
  assert.equal(sig.epoch, epoch);
  assert.equal(recoverAddress(sig.digest, sig.signature), key.address);
}
