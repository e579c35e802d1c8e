import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatEther, parseEther } from "ethers";
import { ShardlessApiError } from "../../../node/client/api-client.js";
import { parseAddress, parseHex, requireArg } from "../args.js";
import { keyIdOr } from "../defaults.js";
import { ShardlessPluginError, explainError } from "../errors.js";
import { withProgress } from "../output.js";
import { chainTaskContext, type ChainTaskContext } from "../task-context.js";

export interface SendArgs {
  key?: string;
  to?: string;
  value: string;
  data: string;
  node?: string;
  json: boolean;
}

export interface SendResult {
  network: string;
  keyId: string;
  from: string;
  to: string;
  value: string;
  hash: string;
  blockNumber: number;
  status: number;
}

export async function send(
  args: SendArgs,
  ctx: Pick<ChainTaskContext, "config" | "out" | "connect">,
): Promise<SendResult> {
  const keyId = keyIdOr(args.key, ctx.config.defaultKey, "defaultKey");
  const to = parseAddress(requireArg(args.to, "--to <address>"), "--to");
  let value: bigint;
  try {
    value = parseEther(args.value);
  } catch {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `--value expects an amount in ether, e.g. 0.5, got "${args.value}".`,
    );
  }
  const data = parseHex(args.data, "--data");
  const connection = await ctx.connect();
  try {
    const signer = await connection.shardless.signer(keyId, { node: args.node });
    const from = await signer.getAddress().catch((err: unknown) => {
      throw explainError(err, args.node);
    });
    const receipt = await withProgress(
      ctx.out,
      `Sending ${formatEther(value)} ETH from group key ${keyId} (${from}) to ${to}`,
      async () => {
        try {
          const tx = await signer.sendTransaction({ to, value, data });
          const r = await tx.wait();
          if (!r) throw new ShardlessPluginError("CHAIN", `transaction ${tx.hash} has no receipt`);
          return r;
        } catch (err) {
          if (err instanceof ShardlessApiError) throw explainError(err, args.node);
          if (err instanceof ShardlessPluginError) throw err;
          const reason = ((err as { shortMessage?: string }).shortMessage ?? (err as Error).message).replace(
            /\.+$/,
            "",
          );
          throw new ShardlessPluginError(
            "CHAIN",
            `The chain refused the transaction: ${reason}. Check the group address's balance and the --to/--data arguments.`,
          );
        }
      },
    );
    const result: SendResult = {
      network: connection.networkName,
      keyId,
      from,
      to,
      value: value.toString(),
      hash: receipt.hash,
      blockNumber: receipt.blockNumber,
      status: receipt.status ?? 0,
    };
    ctx.out.result(result, () => [
      `Transaction ${receipt.hash} ${receipt.status === 1 ? "succeeded" : "REVERTED"} in block ${receipt.blockNumber} on ${connection.networkName}`,
      `  from ${from} (group key ${keyId}) to ${to}, ${formatEther(value)} ETH`,
    ]);
    return result;
  } finally {
    await connection.close();
  }
}

export default async (args: SendArgs, hre: HardhatRuntimeEnvironment) =>
  send(args, chainTaskContext(hre, args.json));
