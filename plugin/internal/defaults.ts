/** The key a command acts on: the argument, else the configured default, else a clear error. */
import { ShardlessPluginError } from "./errors.js";

export function keyIdOr(key: string | undefined, fallback: string | undefined, setting: string): string {
  const id = key ?? fallback;
  if (id === undefined) {
    throw new ShardlessPluginError(
      "NO_KEY",
      `No key given. Pass --key <id> (see \`npx hardhat shardless status\`) or set \`shardless.${setting}\` in hardhat.config.ts.`,
    );
  }
  return id;
}
