/** Helpers shared by task functions. */
import type { ShardlessClient } from "../../../node/client/api-client.js";
import type { ShardlessConfig } from "../config.js";
import { ShardlessPluginError, explainError } from "../errors.js";
import type { ShardlessRuntime } from "../runtime.js";

/** Calls a node's API; API errors become plugin errors naming the node and the next step. */
export async function callNode<T>(
  runtime: ShardlessRuntime,
  node: string | undefined,
  fn: (client: ShardlessClient) => Promise<T>,
): Promise<T> {
  const name = node ?? (await runtime.endpoints())[0]?.name;
  const client = await runtime.client(node);
  try {
    return await fn(client);
  } catch (err) {
    throw explainError(err, name);
  }
}

/** The group to act on: --group, else `shardless.defaultGroup`, else the node's only group. */
export async function resolveGroupId(
  group: string | undefined,
  config: ShardlessConfig,
  runtime: ShardlessRuntime,
  node: string | undefined,
): Promise<string> {
  const id = group ?? config.defaultGroup;
  if (id !== undefined) return id;
  const groups = (await callNode(runtime, node, (c) => c.status())).groups.map((g) => g.groupId);
  if (groups.length === 1) return groups[0]!;
  throw new ShardlessPluginError(
    "NO_GROUP",
    groups.length === 0
      ? "The node has no group yet: create one with `npx hardhat shardless group create`."
      : `The node has several groups (${groups.join(", ")}): pass --group <id> or set \`shardless.defaultGroup\` in hardhat.config.ts.`,
  );
}
