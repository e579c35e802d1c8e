import "hardhat/types/config";
import "hardhat/types/hre";
import "hardhat/types/network";
import type {} from "@nomicfoundation/hardhat-ethers";
import type { ShardlessConfig, ShardlessUserConfig } from "./internal/config.js";
import type { ShardlessNetworkRuntime, ShardlessRuntime } from "./internal/runtime.js";

declare module "hardhat/types/config" {
  interface HardhatUserConfig {
    shardless?: ShardlessUserConfig;
  }
  interface HardhatConfig {
    shardless: ShardlessConfig;
  }
}

declare module "hardhat/types/hre" {
  interface HardhatRuntimeEnvironment {
    shardless: ShardlessRuntime;
  }
}

declare module "hardhat/types/network" {
  // The type parameter must match Hardhat's declaration to merge with it.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface NetworkConnection<ChainTypeT extends ChainType | string = DefaultChainType> {
    shardless: ShardlessNetworkRuntime;
  }
}
