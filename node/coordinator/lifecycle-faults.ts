/**
 * TEST-ONLY fault injection for the crash-safety tests of the refresh transition
 * (test/e2e/lifecycle-crash.test.ts; docs/operations.md "Refresh"). With
 * SHARDLESS_TEST_CRASH_AFTER=<step> in its environment, the node kills itself with SIGKILL right after
 * that step, as a power cut would, so a test can restart it and check that it converges. The variable is
 * read once at start (node.ts); never set it in production.
 */
import { ConfigError } from "../config.js";
import type { Logger } from "../runner/ports.js";

export const CRASH_ENV = "SHARDLESS_TEST_CRASH_AFTER";

/**
 * pending-stored:     the new share is stored as pending; our ACK was not sent.
 * certificate-stored: the ACK certificate is stored and the new share committed locally; the registry
 *                     has not advanced.
 * registry-advanced:  the registry shows the new epoch; the old share is not erased yet.
 */
export const CRASH_STEPS = ["pending-stored", "certificate-stored", "registry-advanced"] as const;
export type CrashStep = (typeof CRASH_STEPS)[number];

/** Called by the lifecycle at each step; does nothing unless the hook is armed for that step. */
export type CrashPoint = (step: CrashStep) => void;

export const noCrash: CrashPoint = () => {};

export function crashPointFromEnv(env: Record<string, string | undefined>, logger: Logger): CrashPoint {
  const armed = env[CRASH_ENV];
  if (armed === undefined || armed === "") return noCrash;
  if (!(CRASH_STEPS as readonly string[]).includes(armed)) {
    throw new ConfigError([{ path: CRASH_ENV, message: `expected one of ${CRASH_STEPS.join(", ")}` }]);
  }
  logger.warn({ event: "test-crash-armed", step: armed }, "TEST-ONLY crash hook armed");
  return (step) => {
    if (step !== armed) return;
    logger.warn({ event: "test-crash", step }, "TEST-ONLY crash hook: killing this process");
    process.kill(process.pid, "SIGKILL");
  };
}
