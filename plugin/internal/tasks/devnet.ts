import { readFile } from "node:fs/promises";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { devnetPortClashes, type ShardlessDevnetConfig } from "../config.js";
import { devnetInfoPath, devnetNodeName } from "../devnet-info.js";
import type { DevnetHandle, StartDevnet } from "../devnet-types.js";
import { ShardlessPluginError } from "../errors.js";
import { taskContext, type TaskContext } from "../task-context.js";

export interface DevnetArgs {
  members: number;
  keep: boolean;
  json: boolean;
}

export interface DevnetSummary {
  rpcUrl: string;
  chainId: number;
  registry: string;
  groupId: string;
  admin: string;
  /** Where the other tasks find the devnet (tokens included: keep it private). */
  infoFile: string;
  members: { name: string; index: number; operator: string; peerId: string; apiUrl: string }[];
}

export function devnetSummary(dn: DevnetHandle, dataDir: string): DevnetSummary {
  return {
    rpcUrl: dn.rpcUrl,
    chainId: dn.chainId,
    registry: dn.registry,
    groupId: dn.groupId,
    admin: dn.admin,
    infoFile: devnetInfoPath(dataDir),
    members: dn.members.map((m) => ({
      name: devnetNodeName(m.index),
      index: m.index,
      operator: m.operator,
      peerId: m.peerId,
      apiUrl: m.apiUrl,
    })),
  };
}

/** The configured fixed ports, when any, as startDevnet takes them. */
export function devnetStartOptions(devnet: ShardlessDevnetConfig): Pick<Parameters<StartDevnet>[0], "ports"> {
  const ports = { rpc: devnet.chainPort, apiBase: devnet.apiBasePort, p2pBase: devnet.p2pBasePort };
  const fixed = Object.fromEntries(Object.entries(ports).filter(([, v]) => v !== undefined));
  return Object.keys(fixed).length > 0 ? { ports: fixed } : {};
}

/** `shardless.devnet.policyFile` parsed (the members validate it when they start). */
async function readPolicyBook(file: string | undefined): Promise<unknown> {
  if (file === undefined) return undefined;
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `Cannot read the devnet policy book ${file} as JSON (${(err as NodeJS.ErrnoException).code ?? (err as Error).name}). ` +
        "Fix `shardless.devnet.policyFile` in hardhat.config.ts (see docs/configuration.md#approval-policy-book).",
    );
  }
}

/** Resolves on Ctrl-C or SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
}

/** Starts the devnet, prints how to reach it, stays up until `untilStopped` resolves, then stops it. */
export async function devnet(
  args: DevnetArgs,
  ctx: Pick<TaskContext, "config" | "out"> & { startDevnet: StartDevnet; untilStopped: () => Promise<void> },
): Promise<DevnetSummary> {
  const members = args.members > 0 ? args.members : ctx.config.devnet.members;
  if (members < 2) throw new ShardlessPluginError("BAD_ARGUMENT", "--members must be at least 2.");
  // The config checked its fixed port ranges for its own member count; --members may stretch them.
  const clash = devnetPortClashes(ctx.config.devnet, members)[0];
  if (clash) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `${clash.message}: move \`shardless.devnet.${clash.path[0]}\` or start fewer members.`,
    );
  }
  const dataDir = ctx.config.devnet.dataDir;
  const policy = await readPolicyBook(ctx.config.devnet.policyFile);
  let dn: DevnetHandle;
  try {
    dn = await ctx.startDevnet({
      members,
      dir: dataDir,
      keep: args.keep,
      onProgress: (l) => ctx.out.progress(l),
      ...devnetStartOptions(ctx.config.devnet),
      ...(policy !== undefined ? { policy } : {}),
    });
  } catch (err) {
    throw new ShardlessPluginError(
      "DEVNET",
      `The devnet did not start: ${(err as Error).message}. Logs are under ${dataDir}; ` +
        "run `npx hardhat build` first if contracts are missing.",
    );
  }
  try {
    const summary = devnetSummary(dn, dataDir);
    ctx.out.result(summary, () => [
      `Devnet ready: ${summary.members.length} members in group ${summary.groupId}`,
      `  chain    ${summary.rpcUrl} (chain id ${summary.chainId})`,
      `  registry ${summary.registry}`,
      ...summary.members.map((m) => `  ${m.name}  ${m.operator}  ${m.apiUrl}  ${m.peerId}`),
      `Other shardless tasks use it automatically (connection info: ${summary.infoFile}).`,
      `For chain tasks (send, deploy, group create), add a network with url ${summary.rpcUrl} and pass --network.`,
      "Press Ctrl-C to stop.",
    ]);
    await ctx.untilStopped();
    return summary;
  } finally {
    ctx.out.progress("Stopping the devnet...");
    await dn.stop();
  }
}

export default async (args: DevnetArgs, hre: HardhatRuntimeEnvironment) => {
  const { startDevnet } = await import("../../../scripts/devnet/devnet.js");
  return devnet(args, {
    ...taskContext(hre, args.json),
    startDevnet,
    untilStopped: untilSignal,
  });
};
