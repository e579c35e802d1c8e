/** TEST-ONLY helpers for plugin tests: a fresh HRE with the plugin, and console capture for task output. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { mock } from "node:test";
import {
  ContractFactory,
  JsonRpcProvider,
  NonceManager,
  Wallet,
  computeAddress,
  keccak256,
  toUtf8Bytes,
} from "ethers";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import type { HardhatUserConfig } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import shardlessPlugin from "../../plugin/index.js";
import type { ShardlessUserConfig } from "../../plugin/internal/config.js";
import type { DevnetHandle } from "../../plugin/internal/devnet-types.js";

export const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

/** Hardhat's first default account (public test key), used to fund and deploy in genesis configs. */
export const HARDHAT_ACCOUNT_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export async function pluginHre(
  shardless: ShardlessUserConfig | undefined,
  extra: Partial<HardhatUserConfig> = {},
  globalOptions: { network?: string } = {},
): Promise<HardhatRuntimeEnvironment> {
  return createHardhatRuntimeEnvironment(
    { plugins: [hardhatEthers, shardlessPlugin], ...(shardless ? { shardless } : {}), ...extra },
    globalOptions,
    PROJECT_ROOT,
  );
}

export interface Captured {
  stdout: string[];
  stderr: string[];
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  restore(): void;
}

/** Captures console.log (results) and console.error (progress) until restore(). */
export function captureConsole(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = mock.method(
    console,
    "log",
    (...args: unknown[]) => void stdout.push(args.map(String).join(" ")),
  );
  const err = mock.method(
    console,
    "error",
    (...args: unknown[]) => void stderr.push(args.map(String).join(" ")),
  );
  return {
    stdout,
    stderr,
    json: () => JSON.parse(stdout.join("\n")),
    restore() {
      log.mock.restore();
      err.mock.restore();
    },
  };
}

/** Runs `fn` with the console captured. */
export async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; out: Captured }> {
  const out = captureConsole();
  try {
    return { result: await fn(), out };
  } finally {
    out.restore();
  }
}

/**
 * A stand-in for scripts/devnet/devnet.ts's startDevnet: the fake-services API (one "member" per URL
 * would be the same double, so one member) and Hardhat's in-process chain served over HTTP, with the
 * registry deployed and three members registered. Writes devnet.json like the real devnet.
 */
export async function startFakeDevnet(
  hre: HardhatRuntimeEnvironment,
  dir: string,
  api: { url: string; token: string; stop(): Promise<void> },
): Promise<DevnetHandle & { stopped: () => boolean }> {
  const server = await hre.network.createServer("default", "127.0.0.1", 0);
  const { address, port } = await server.listen();
  const rpcUrl = `http://${address}:${port}`;
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, pollingInterval: 50 });
  const admin = new NonceManager(new Wallet(HARDHAT_ACCOUNT_0, provider));
  const artifact = await hre.artifacts.readArtifact("ShardlessRegistry");
  const registry = await new ContractFactory(artifact.abi, artifact.bytecode, admin).deploy(
    await admin.getAddress(),
  );
  await registry.waitForDeployment();
  const operators = [1, 2, 3].map((i) => computeAddress(keccak256(toUtf8Bytes(`operator ${i}`))));
  for (const [i, op] of operators.entries()) {
    await (await registry.getFunction("addMember")(op, `12D3KooWFakeDevnetPeer${i}`, [])).wait();
  }
  const info = {
    rpcUrl,
    chainId: 31337,
    registry: await registry.getAddress(),
    groupId: "1",
    admin: await admin.getAddress(),
    members: [
      {
        index: 1,
        operator: operators[0]!,
        peerId: "12D3KooWFakeDevnetPeer0",
        apiUrl: api.url,
        token: api.token,
      },
    ],
  };
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "devnet.json"), JSON.stringify(info));
  let stopped = false;
  return {
    ...info,
    funder: () => new Wallet(HARDHAT_ACCOUNT_0),
    async stop() {
      stopped = true;
      provider.destroy();
      await api.stop();
      await server.close();
    },
    stopped: () => stopped,
  };
}
