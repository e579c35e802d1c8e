/**
 * `shardless-node --config node.json`: the validator / enterprise sidecar process.
 * Exit codes: 0 after a graceful stop, 2 for bad configuration (one message naming the field), 1 otherwise.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config.js";
import { startNode } from "./node.js";
import { ShardlessError } from "./protocol/errors.js";

const USAGE = `usage: shardless-node --config <node.json>

Runs one Shardless member: libp2p mesh, share store, registry follower and HTTP API.
See docs/configuration.md for node.json.`;

export async function main(argv: string[]): Promise<number> {
  let values: { config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.config) {
    console.error(`missing --config\n\n${USAGE}`);
    return 2;
  }
  let node;
  try {
    node = await startNode(await loadConfig(values.config));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`shardless-node: invalid configuration: ${e.message}`);
      return 2;
    }
    const code = e instanceof ShardlessError ? ` [${e.code}]` : "";
    console.error(`shardless-node: failed to start${code}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  // Machine-readable readiness line for supervisors and the devnet.
  console.log(
    JSON.stringify({ event: "ready", peerId: node.peerId, operator: node.operator, apiUrl: node.apiUrl }),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await node.stop();
  return 0;
}
