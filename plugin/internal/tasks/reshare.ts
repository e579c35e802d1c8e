import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { GroupStatus } from "../../../node/client/types.js";
import { parseAddressList, parsePositiveInt, requireArg } from "../args.js";
import { groupLines } from "../format.js";
import { withProgress } from "../output.js";
import { taskContext, type TaskContext } from "../task-context.js";
import { callNode, resolveGroupId } from "./shared.js";

export interface ReshareArgs {
  group?: string;
  members?: string;
  degree: number;
  requestId?: string;
  node?: string;
  json: boolean;
}

export async function reshare(args: ReshareArgs, ctx: TaskContext): Promise<GroupStatus> {
  const groupId = await resolveGroupId(args.group, ctx.config, ctx.runtime, args.node);
  const members = parseAddressList(requireArg(args.members, "--members <address,address,…>"), "--members");
  const degree = parsePositiveInt(args.degree, "--degree");
  const group = await withProgress(
    ctx.out,
    `Resharing the keys of group ${groupId} to ${members.length} members (degree ${degree})`,
    () => callNode(ctx.runtime, args.node, (c) => c.reshare(groupId, members, degree, args.requestId)),
  );
  ctx.out.result(group, () => [
    ...groupLines(group),
    "Same public keys; removed members' shares are useless now.",
  ]);
  return group;
}

export default async (args: ReshareArgs, hre: HardhatRuntimeEnvironment) =>
  reshare(args, taskContext(hre, args.json));
