/**
 * Deploys contracts/ShardlessRegistry.sol and prints its address.
 *
 *   npx tsx scripts/deploy.ts [--network <name>] [--admin <address>] [--json]
 *   npx hardhat run scripts/deploy.ts [--network <name>]      (JSON output: SHARDLESS_DEPLOY_JSON=1)
 *
 * Without a network it deploys to Hardhat's in-process network (useful for a dry run; the chain is gone
 * when the process exits). `deployRegistry` is what the demo and the plugin call with their own `ethers`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { isAddress, type Contract } from "ethers";

export interface DeployedRegistry {
  address: string;
  admin: string;
  deployer: string;
  chainId: bigint;
  blockNumber: number;
  transactionHash: string;
}

/** Deploys the registry from the first signer, with `admin` (default: that signer) holding every role. */
export async function deployRegistry(
  ethers: HardhatEthers,
  admin?: string,
): Promise<DeployedRegistry & { contract: Contract }> {
  const [deployer] = await ethers.getSigners();
  if (!deployer) throw new Error("deployRegistry: the network has no signer");
  const adminAddress = admin ?? deployer.address;
  if (!isAddress(adminAddress)) throw new Error(`deployRegistry: invalid admin address ${adminAddress}`);
  const contract = (await ethers.deployContract(
    "ShardlessRegistry",
    [adminAddress],
    deployer,
  )) as unknown as Contract;
  const receipt = await contract.deploymentTransaction()!.wait();
  if (!receipt || receipt.status !== 1) throw new Error("deployRegistry: deployment failed");
  return {
    contract,
    address: await contract.getAddress(),
    admin: adminAddress,
    deployer: deployer.address,
    chainId: (await ethers.provider.getNetwork()).chainId,
    blockNumber: receipt.blockNumber,
    transactionHash: receipt.hash,
  };
}

interface CliOptions {
  network?: string;
  admin?: string;
  json: boolean;
}

export function parseArgs(args: readonly string[]): CliOptions {
  const options: CliOptions = { json: process.env.SHARDLESS_DEPLOY_JSON === "1" };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${arg} expects a value`);
      return v;
    };
    if (arg === "--json") options.json = true;
    else if (arg === "--network") options.network = value();
    else if (arg === "--admin") options.admin = value();
    else
      throw new Error(
        `unknown argument ${arg} (usage: deploy.ts [--network <name>] [--admin <address>] [--json])`,
      );
  }
  return options;
}

/** CLI entry: deploys on the chosen network (Hardhat's `--network` under `hardhat run`) and prints the result. */
export async function main(args: readonly string[]): Promise<DeployedRegistry> {
  const options = parseArgs(args);
  const { network } = await import("hardhat");
  const connection = options.network ? await network.create(options.network) : await network.create();
  try {
    const { contract: _contract, ...deployed } = await deployRegistry(connection.ethers, options.admin);
    if (options.json) {
      console.log(
        JSON.stringify({
          ...deployed,
          chainId: deployed.chainId.toString(),
          network: connection.networkName,
        }),
      );
    } else {
      console.log(
        `ShardlessRegistry deployed to ${deployed.address} on ${connection.networkName} (chain ${deployed.chainId}), admin ${deployed.admin}`,
      );
    }
    return deployed;
  } finally {
    await connection.close();
  }
}

/** True when this file is the script being run (directly with tsx/node, or by `hardhat run`). */
function isEntryPoint(): boolean {
  const self = fileURLToPath(import.meta.url);
  const argv = process.argv.slice(1).map((a) => path.resolve(a));
  return argv.includes(self);
}

if (isEntryPoint()) {
  const direct = path.resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url);
  main(direct ? process.argv.slice(2) : []).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
