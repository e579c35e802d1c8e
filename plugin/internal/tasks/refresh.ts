import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { KeyStatus } from "../../../node/client/types.js";
import { keyIdOr } from "../defaults.js";
import { keyLines } from "../format.js";
import { withProgress } from "../output.js";
import { taskContext, type TaskContext } from "../task-context.js";
import { callNode } from "./shared.js";

export interface RefreshArgs {
  key?: string;
  requestId?: string;
  node?: string;
  json: boolean;
}

export async function refresh(args: RefreshArgs, ctx: TaskContext): Promise<KeyStatus> {
  const keyId = keyIdOr(args.key, ctx.config.defaultKey, "defaultKey");
  const key = await withProgress(ctx.out, `Refreshing the shares of key ${keyId}`, () =>
    callNode(ctx.runtime, args.node, (c) => c.refresh(keyId, args.requestId)),
  );
  ctx.out.result(key, () => [
    ...keyLines(key),
    `Shares re-randomised: epoch ${key.epoch}, same public key; old shares are useless now.`,
  ]);
  return key;
}

export default async (args: RefreshArgs, hre: HardhatRuntimeEnvironment) =>
  refresh(args, taskContext(hre, args.json));
