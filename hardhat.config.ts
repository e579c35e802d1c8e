import path from "node:path";
import { defineConfig } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";
import shardless from "./plugin/index.js";

// Solidity compiles offline with the compiler shipped in the npm `solc` package (pinned to 0.8.28):
// Hardhat trusts `version`, so it must match the soljson build exactly.
export default defineConfig({
  plugins: [hardhatNodeTestRunner, hardhatEthers, shardless],
  solidity: {
    version: "0.8.28",
    path: path.resolve(import.meta.dirname, "node_modules/solc/soljson.js"),
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
  },
  paths: { sources: "./contracts", tests: { nodejs: "./test" } },
});
