/** The runner layer: drives protocol sessions over ports. */
export * from "./ports.js";
export * from "./errors.js";
export { Runner, type RunnerOptions, type SessionTraffic } from "./runner.js";
export type { RunOptions, SessionContext } from "./session.js";
