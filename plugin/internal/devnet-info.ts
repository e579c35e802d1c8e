/**
 * Connection info of a running local devnet: `<devnet.dataDir>/devnet.json`, written by
 * scripts/devnet/devnet.ts (`npx hardhat shardless devnet`). Every other task falls back to it when
 * `shardless.nodes` is empty, so the devnet needs no configuration.
 */
import path from "node:path";
import { z } from "zod";
import { DEVNET_INFO_FILE } from "./constants.js";
import { readJsonFile } from "./json-file.js";

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
  return readJsonFile(
    devnetInfoPath(dataDir),
    devnetInfoSchema,
    "is not a devnet connection file. Delete it and restart `npx hardhat shardless devnet`.",
  );
}

/** Node name of devnet member `index` (what `--node` takes). */
export const devnetNodeName = (index: number) => `member${index}`;
