/** What every task function receives: the resolved config, the runtime and the output. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";
import type { ShardlessConfig } from "./config.js";
import { consoleOutput, type TaskOutput } from "./output.js";
import type { ShardlessRuntime } from "./runtime.js";

export interface TaskContext {
  config: ShardlessConfig;
  runtime: ShardlessRuntime;
  out: TaskOutput;
}

/** Tasks that touch the chain also get a connection factory (the `--network` of the command). */
export interface ChainTaskContext extends TaskContext {
  connect(): Promise<NetworkConnection>;
  readRegistryAbi(): Promise<readonly unknown[]>;
}

export function taskContext(hre: HardhatRuntimeEnvironment, json: boolean): TaskContext {
  return { config: hre.config.shardless, runtime: hre.shardless, out: consoleOutput(json) };
}

export function chainTaskContext(hre: HardhatRuntimeEnvironment, json: boolean): ChainTaskContext {
  return {
    ...taskContext(hre, json),
    connect: () => hre.network.create(),
    readRegistryAbi: async () => (await hre.artifacts.readArtifact("ShardlessRegistry")).abi,
  };
}
