import type { ConfigHooks } from "hardhat/types/hooks";
import { resolveShardlessConfig, validateShardlessUserConfig } from "../config.js";

export default async (): Promise<Partial<ConfigHooks>> => ({
  validateUserConfig: validateShardlessUserConfig,
  async resolveUserConfig(userConfig, resolveConfigurationVariable, next) {
    const resolved = await next(userConfig, resolveConfigurationVariable);
    return {
      ...resolved,
      shardless: resolveShardlessConfig(
        userConfig.shardless,
        resolved.paths.root,
        resolveConfigurationVariable,
      ),
    };
  },
});
