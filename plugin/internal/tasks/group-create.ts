import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Contract, type InterfaceAbi } from "ethers";
import { parseAddressList } from "../args.js";
import { ShardlessPluginError } from "../errors.js";
import { withProgress } from "../output.js";
import { connectionRpcUrl, resolveRegistry, revertReason } from "../registry.js";
import { chainTaskContext, type ChainTaskContext } from "../task-context.js";

export interface GroupCreateArgs {
  members?: string;
  json: boolean;
}

export interface GroupCreateResult {
  network: string;
  registry: string;
  groupId: string;
  members: string[];
  memberSetHash: string;
  transactionHash: string;
}

export async function groupCreate(
  args: GroupCreateArgs,
  ctx: Pick<ChainTaskContext, "config" | "out" | "connect" | "readRegistryAbi">,
): Promise<GroupCreateResult> {
  const connection = await ctx.connect();
  try {
    const provider = connection.ethers.provider;
    const address = await resolveRegistry(ctx.config, {
      networkName: connection.networkName,
      rpcUrl: await connectionRpcUrl(connection.networkConfig),
      provider,
    });
    const [admin] = await connection.ethers.getSigners();
    if (!admin)
      throw new ShardlessPluginError(
        "CHAIN",
        `Network ${connection.networkName} has no account to send from.`,
      );
    const registry = new Contract(address, (await ctx.readRegistryAbi()) as InterfaceAbi, admin);
    const members =
      args.members !== undefined
        ? parseAddressList(args.members, "--members")
        : ((await registry.getFunction("activeMembers")()) as string[]).map(String);
    if (members.length < 2) {
      throw new ShardlessPluginError(
        "BAD_ARGUMENT",
        `A group needs at least 2 registered members; the registry has ${members.length}. ` +
          "Start the devnet (it registers its members) or register operators with the registry's addMember.",
      );
    }
    const receipt = await withProgress(
      ctx.out,
      `Creating a group of ${members.length} members in ${address}`,
      async () => {
        try {
          const tx = await registry.getFunction("createGroup")(members);
          return await tx.wait();
        } catch (err) {
          throw new ShardlessPluginError(
            "CHAIN",
            `The registry refused the group: ${revertReason(err)}. Members must be registered and distinct, ` +
              `and ${admin.address} needs the registry's admin role.`,
          );
        }
      },
    );
    const event = receipt.logs
      .map((log: { topics: string[]; data: string }) => registry.interface.parseLog(log))
      .find((parsed: { name: string } | null) => parsed?.name === "GroupCreated");
    if (!event) throw new ShardlessPluginError("CHAIN", "The transaction emitted no GroupCreated event.");
    const result: GroupCreateResult = {
      network: connection.networkName,
      registry: address,
      groupId: event.args.groupId.toString(),
      members: [...event.args.members].map(String),
      memberSetHash: event.args.memberSetHash,
      transactionHash: receipt.hash,
    };
    ctx.out.result(result, () => [
      `Group ${result.groupId} created in registry ${address} on ${result.network}:`,
      ...result.members.map((m, i) => `  member ${i + 1}  ${m}`),
      `Next: \`npx hardhat shardless keygen --group ${result.groupId} --scheme ecdsa\`.`,
    ]);
    return result;
  } finally {
    await connection.close();
  }
}

export default async (args: GroupCreateArgs, hre: HardhatRuntimeEnvironment) =>
  groupCreate(args, chainTaskContext(hre, args.json));
