import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { RecoverResult } from "../../../node/adapters/api/services.js";
import { parsePositiveInt } from "../args.js";
import { keyIdOr } from "../defaults.js";
import { withProgress } from "../output.js";
import { taskContext, type TaskContext } from "../task-context.js";
import { callNode } from "./shared.js";

export interface RecoverArgs {
  key?: string;
  member: number;
  requestId?: string;
  node?: string;
  json: boolean;
}

export async function recover(args: RecoverArgs, ctx: TaskContext): Promise<RecoverResult> {
  const keyId = keyIdOr(args.key, ctx.config.defaultKey, "defaultKey");
  const member = parsePositiveInt(args.member, "--member");
  const result = await withProgress(ctx.out, `Recovering member ${member}'s share of key ${keyId}`, () =>
    callNode(ctx.runtime, args.node, (c) => c.recover(keyId, member, args.requestId)),
  );
  ctx.out.result(result, () => [
    `Member ${result.member} holds its share of key ${result.keyId} again (epoch ${result.epoch}).`,
  ]);
  return result;
}

export default async (args: RecoverArgs, hre: HardhatRuntimeEnvironment) =>
  recover(args, taskContext(hre, args.json));
