// `npm test`: type check, lint and format check, compile the contracts, then every test file
// (test/**/*.test.ts) under node's test runner, two files at a time (one per core).
// Ends with a plain "N passed, N failed" line totalling everything it ran.
// `npm test -- test/crypto` runs only the test files under the given paths (no tsc/lint).
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const quick = args.length > 0;

function run(cmd, argv, { capture = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"] });
    let out = "";
    if (capture) {
      child.stdout.on("data", (d) => {
        process.stdout.write(d);
        out += d.toString();
      });
    }
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

function testFiles(paths) {
  const found = [];
  const walk = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) if (e !== "node_modules") walk(path.join(p, e));
    } else if (p.endsWith(".test.ts")) found.push(p);
  };
  for (const p of paths) walk(path.resolve(root, p));
  return found;
}

const steps = [];
async function step(name, cmd, argv) {
  const t0 = Date.now();
  console.log(`\n▶ ${name}`);
  const r = await run(cmd, argv);
  steps.push({ name, ok: r.code === 0, ms: Date.now() - t0 });
  return r.code === 0;
}

// Every step runs even if an earlier one failed, so one run reports everything; `steps` keeps outcomes.
if (!quick) {
  await step("type check (tsc --noEmit)", bin("tsc"), ["-p", ".", "--noEmit"]);
  await step("lint (eslint)", bin("eslint"), ["."]);
  await step("format (prettier --check)", bin("prettier"), ["--check", ".", "--log-level", "warn"]);
}
await step("compile contracts (hardhat build)", bin("hardhat"), ["build", "--quiet"]);

const files = testFiles(quick ? args : ["test"]);
console.log(`\n▶ tests: ${files.length} files`);
const t0 = Date.now();
const r = await run(
  bin("node"),
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  { capture: true },
);
const count = (key) => Number((r.out.match(new RegExp(`^ℹ ${key} (\\d+)$`, "m")) ?? [])[1] ?? 0);
const passed = count("pass");
const failed = count("fail") + count("cancelled");
const skipped = count("skipped") + count("todo");
steps.push({ name: "tests", ok: r.code === 0 && failed === 0 && passed > 0, ms: Date.now() - t0 });

console.log("\nSummary:");
for (const s of steps) console.log(`  ${s.ok ? "ok  " : "FAIL"} ${s.name} (${(s.ms / 1000).toFixed(1)} s)`);
const stepFailures = steps.filter((s) => !s.ok && s.name !== "tests").length;
console.log(`${passed} passed, ${failed + stepFailures} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(steps.every((s) => s.ok) ? 0 : 1);
