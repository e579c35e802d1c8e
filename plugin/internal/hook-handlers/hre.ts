import type { HardhatRuntimeEnvironmentHooks } from "hardhat/types/hooks";
import { createShardlessRuntime } from "../runtime.js";

export default async (): Promise<Partial<HardhatRuntimeEnvironmentHooks>> => ({
  async created(_context, hre) {
    hre.shardless = createShardlessRuntime(hre.config.shardless);
  },
});
