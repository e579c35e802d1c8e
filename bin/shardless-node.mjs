#!/usr/bin/env node
// Entry point of `shardless-node` (and `npx shardless-node`). The sources are TypeScript run through tsx,
// so there is no build step; Node 22 comes from the package's own `node` dependency.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../node/cli.ts");
process.exit(await main(process.argv.slice(2)));
