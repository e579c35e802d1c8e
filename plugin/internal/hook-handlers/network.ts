import type { NetworkHooks } from "hardhat/types/hooks";
import { createNetworkRuntime, createShardlessRuntime } from "../runtime.js";

export default async (): Promise<Partial<NetworkHooks>> => ({
  async newConnection(context, next) {
    const connection = await next(context);
    // `ethers` is read when a signer is made, so the order of plugin hooks does not matter.
    connection.shardless = createNetworkRuntime(createShardlessRuntime(context.config.shardless), connection);
    return connection;
  },
});
