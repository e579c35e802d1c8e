/**
 * `npm run demo`: the whole Shardless lifecycle on one machine, with real parts — Hardhat's JSON-RPC node,
 * the registry contract, member processes talking libp2p over TCP — then teardown. It runs the plugin's
 * `shardless demo` task (plugin/internal/tasks/demo.ts, the one implementation of the flow) in this
 * project's Hardhat runtime, after compiling the contracts.
 *
 * Options: --members N (default 3), --dir PATH (default .devnet/demo), --json (summary as JSON).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: { members: { type: "string", default: "3" }, dir: { type: "string" }, json: { type: "boolean" } },
});
const json = Boolean(values.json);
const t0 = Date.now();

if (!json) console.error("compiling contracts (offline solc)");
const build = spawnSync(path.join(ROOT, "node_modules", ".bin", "hardhat"), ["build", "--quiet"], {
  cwd: ROOT,
  stdio: json ? "ignore" : "inherit",
});
if (build.status !== 0) {
  console.error("demo: contract compilation failed");
  process.exit(1);
}

// This project's Hardhat runtime, whatever the working directory.
const { createHardhatRuntimeEnvironment } = await import("hardhat/hre");
const { default: config } = await import("../hardhat.config.js");
const hre = await createHardhatRuntimeEnvironment(config, {}, ROOT);
let failed = false;
try {
  await hre.tasks.getTask(["shardless", "demo"]).run({
    members: Number(values.members),
    dir: values.dir ?? path.join(ROOT, ".devnet", "demo"),
    json,
  });
} catch (e) {
  failed = true;
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
}
if (!json) console.error(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
