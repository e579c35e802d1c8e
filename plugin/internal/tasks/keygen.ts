import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { SCHEMES, type Scheme } from "../../../node/protocol/key-share.js";
import type { KeyStatus } from "../../../node/client/types.js";
import { parsePositiveInt } from "../args.js";
import { ShardlessPluginError } from "../errors.js";
import { keyLines } from "../format.js";
import { withProgress } from "../output.js";
import { taskContext, type TaskContext } from "../task-context.js";
import { callNode, resolveGroupId } from "./shared.js";

export interface KeygenArgs {
  scheme: string;
  degree: number;
  group?: string;
  requestId?: string;
  node?: string;
  json: boolean;
}

export async function keygen(args: KeygenArgs, ctx: TaskContext): Promise<KeyStatus> {
  if (!(SCHEMES as readonly string[]).includes(args.scheme)) {
    throw new ShardlessPluginError("BAD_ARGUMENT", `--scheme must be one of ${SCHEMES.join(", ")}.`);
  }
  const scheme = args.scheme as Scheme;
  const degree = parsePositiveInt(args.degree, "--degree");
  const groupId = await resolveGroupId(args.group, ctx.config, ctx.runtime, args.node);
  const key = await withProgress(
    ctx.out,
    `Running the ${scheme} key generation (degree ${degree}) in group ${groupId}`,
    () => callNode(ctx.runtime, args.node, (c) => c.keygen(groupId, scheme, degree, args.requestId)),
  );
  ctx.out.result(key, () => [
    ...keyLines(key),
    `Next: use it with \`--key ${key.keyId}\`, or set \`shardless.${
      key.scheme === "encryption" ? "defaultEncryptionKey" : "defaultKey"
    }: "${key.keyId}"\` in hardhat.config.ts.`,
  ]);
  return key;
}

export default async (args: KeygenArgs, hre: HardhatRuntimeEnvironment) =>
  keygen(args, taskContext(hre, args.json));
