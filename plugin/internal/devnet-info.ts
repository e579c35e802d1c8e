/**
 * Connection info of a running local devnet: `<devnet.dataDir>/devnet.json`, written by
 * scripts/devnet/devnet.ts (`npx hardhat shardless devnet`). Every other task falls back to it when
 * `shardless.nodes` is empty, so the devnet needs no configuration.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { DEVNET_INFO_FILE } from "./constants.js";
import { ShardlessPluginError } from "./errors.js";

/** The fields of scripts/devnet/devnet.ts's DevnetInfo that the plugin uses. */
const devnetInfoSchema = z.object({
  rpcUrl: z.string(),
  chainId: z.number().int(),
  registry: z.string(),
  groupId: z.string(),
  admin: z.string(),
  members: z.array(
    z.object({
      index: z.number().int(),
      operator: z.string(),
      peerId: z.string(),
      apiUrl: z.string(),
      token: z.string(),
    }),
  ),
});

export type DevnetInfoFile = z.infer<typeof devnetInfoSchema>;

export function devnetInfoPath(dataDir: string): string {
  return path.join(dataDir, DEVNET_INFO_FILE);
}

/** The devnet's connection info, or undefined when no devnet wrote one. */
export async function readDevnetInfo(dataDir: string): Promise<DevnetInfoFile | undefined> {
  const file = devnetInfoPath(dataDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = devnetInfoSchema.safeParse(json);
  if (!parsed.success) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `${file} is not a devnet connection file. Delete it and restart \`npx hardhat shardless devnet\`.`,
    );
  }
  return parsed.data;
}

/** Node name of devnet member `index` (what `--node` takes). */
export const devnetNodeName = (index: number) => `member${index}`;
