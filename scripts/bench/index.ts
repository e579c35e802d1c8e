/**
 * `npm run bench -- <name> [args]` runs scripts/bench/<name>.ts, whose `main(args)` prints its tables.
 * `npm run bench` with no name lists the benchmarks.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const here = import.meta.dirname;
const names = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !["index.ts", "table.ts"].includes(f))
  .map((f) => f.replace(/\.ts$/, ""))
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- <name>\navailable: ${names.join(", ")}`);
  process.exit(name ? 1 : 0);
}
const mod = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as {
  main: (args: string[]) => Promise<void>;
};
await mod.main(rest);
