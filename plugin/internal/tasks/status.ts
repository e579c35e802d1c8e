import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NodeStatus } from "../../../node/client/types.js";
import { statusLines } from "../format.js";
import { taskContext, type TaskContext } from "../task-context.js";

export interface StatusArgs {
  node?: string;
  json: boolean;
}

export async function status(args: StatusArgs, ctx: TaskContext): Promise<NodeStatus> {
  const endpoints = await ctx.runtime.endpoints();
  const nodeName = args.node ?? endpoints[0]?.name ?? "";
  const s = await ctx.runtime.status(args.node);
  ctx.out.result(s, () => statusLines(s, nodeName));
  return s;
}

export default async (args: StatusArgs, hre: HardhatRuntimeEnvironment) =>
  status(args, taskContext(hre, args.json));
