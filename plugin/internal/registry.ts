/** Which registry contract a network uses: `shardless.registry.<network>`, else the running devnet's. */
import { getAddress, type Provider } from "ethers";
import type { ShardlessConfig } from "./config.js";
import { readDevnetInfo } from "./devnet-info.js";
import { ShardlessPluginError } from "./errors.js";

export interface RegistryLookup {
  networkName: string;
  /** The network's JSON-RPC URL when it is an http network (matched against the devnet's). */
  rpcUrl?: string;
  provider: Provider;
}

export async function resolveRegistry(config: ShardlessConfig, network: RegistryLookup): Promise<string> {
  const { networkName, provider } = network;
  let address = config.registry[networkName];
  if (address === undefined && network.rpcUrl !== undefined) {
    const devnet = await readDevnetInfo(config.devnet.dataDir);
    if (devnet && sameUrl(devnet.rpcUrl, network.rpcUrl)) address = getAddress(devnet.registry);
  }
  if (address === undefined) {
    throw new ShardlessPluginError(
      "NO_REGISTRY",
      `No Shardless registry known for network "${networkName}". Deploy one with ` +
        `\`npx hardhat shardless deploy --network ${networkName}\`, then set \`shardless.registry.${networkName}\` in hardhat.config.ts.`,
    );
  }
  if ((await provider.getCode(address)) === "0x") {
    throw new ShardlessPluginError(
      "NO_REGISTRY",
      `No contract at the registry address ${address} on network "${networkName}" (was the chain restarted?). ` +
        `Deploy again with \`npx hardhat shardless deploy --network ${networkName}\` and update \`shardless.registry\`.`,
    );
  }
  return address;
}

/** A readable reason for a failed registry call: the custom error name, if ethers decoded it. */
export function revertReason(err: unknown): string {
  const e = err as { revert?: { name?: string; args?: unknown[] }; shortMessage?: string; message?: string };
  if (e.revert?.name) return `${e.revert.name}(${(e.revert.args ?? []).map(String).join(", ")})`;
  return e.shortMessage ?? e.message ?? String(err);
}

function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => u.replace(/\/+$/, "").replace("//localhost:", "//127.0.0.1:");
  return norm(a) === norm(b);
}

/** The JSON-RPC URL of a Hardhat network connection, if it is an http network. */
export async function connectionRpcUrl(networkConfig: {
  type: string;
  url?: { getUrl(): Promise<string> };
}): Promise<string | undefined> {
  return networkConfig.type === "http" && networkConfig.url ? networkConfig.url.getUrl() : undefined;
}
