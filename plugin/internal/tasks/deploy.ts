import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { parseAddress } from "../args.js";
import { ShardlessPluginError } from "../errors.js";
import { withProgress } from "../output.js";
import { revertReason } from "../registry.js";
import { chainTaskContext, type ChainTaskContext } from "../task-context.js";

export interface DeployArgs {
  admin?: string;
  json: boolean;
}

export interface DeployResult {
  network: string;
  chainId: string;
  address: string;
  admin: string;
  deployer: string;
  blockNumber: number;
  transactionHash: string;
}

/** scripts/deploy.ts's deployRegistry, passed in so the task stays testable. */
export type DeployRegistry = (
  ethers: HardhatEthers,
  admin?: string,
) => Promise<{
  address: string;
  admin: string;
  deployer: string;
  chainId: bigint;
  blockNumber: number;
  transactionHash: string;
}>;

export async function deploy(
  args: DeployArgs,
  ctx: Pick<ChainTaskContext, "out" | "connect"> & { deployRegistry: DeployRegistry },
): Promise<DeployResult> {
  const admin = args.admin === undefined ? undefined : parseAddress(args.admin, "--admin");
  const connection = await ctx.connect();
  try {
    const deployed = await withProgress(
      ctx.out,
      `Deploying ShardlessRegistry on ${connection.networkName}`,
      async () => {
        try {
          return await ctx.deployRegistry(connection.ethers, admin);
        } catch (err) {
          throw new ShardlessPluginError(
            "CHAIN",
            `Deployment failed: ${revertReason(err)}. Check that the network is up and its first account is funded ` +
              "(and that contracts are compiled: `npx hardhat build`).",
          );
        }
      },
    );
    const result: DeployResult = {
      network: connection.networkName,
      chainId: deployed.chainId.toString(),
      address: deployed.address,
      admin: deployed.admin,
      deployer: deployed.deployer,
      blockNumber: deployed.blockNumber,
      transactionHash: deployed.transactionHash,
    };
    ctx.out.result(result, () => [
      `ShardlessRegistry deployed at ${result.address} on ${result.network} (chain ${result.chainId}), admin ${result.admin}`,
      `Next: add \`shardless: { registry: { ${JSON.stringify(result.network)}: "${result.address}" } }\` to hardhat.config.ts,`,
      `      then create a group with \`npx hardhat shardless group create --network ${result.network}\`.`,
    ]);
    return result;
  } finally {
    await connection.close();
  }
}

export default async (args: DeployArgs, hre: HardhatRuntimeEnvironment) => {
  const { deployRegistry } = await import("../../../scripts/deploy.js");
  return deploy(args, { ...chainTaskContext(hre, args.json), deployRegistry });
};
