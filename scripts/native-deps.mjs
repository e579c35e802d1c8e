// Root postinstall. Runs on the Node 22 that the `node` devDependency put first on PATH.
// npm on the system Node 20 skips Hardhat's native EDR package (its engines say node >= 22), so
// when it is missing we run npm once more, now on Node 22, to add it. The lockfile is untouched.
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";

if (Number(process.versions.node.split(".")[0]) < 22) {
  console.error(`[native-deps] need Node >= 22 from the "node" devDependency, got ${process.version}`);
  process.exit(1);
}
try {
  createRequire(import.meta.url)("@nomicfoundation/edr");
} catch {
  console.error("[native-deps] adding Hardhat's native EDR package on Node 22 …");
  const r = spawnSync(
    process.execPath,
    [process.env.npm_execpath, "install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund"],
    { stdio: "inherit" },
  );
  process.exit(r.status ?? 1);
}
