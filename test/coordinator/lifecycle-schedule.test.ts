/**
 * Scheduled refresh (node/coordinator/lifecycle-schedule.ts and node.json `refresh`): the period of a
 * key, when it is due, and that only the lowest participant triggers it, only with everyone online.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../node/config.js";
import { crashPointFromEnv, CRASH_ENV } from "../../node/coordinator/lifecycle-faults.js";
import { refreshDue, refreshPeriod } from "../../node/coordinator/lifecycle-schedule.js";
import { silentLogger } from "../../node/runner/ports.js";

const minimal = () => ({
  listen: ["/ip4/0.0.0.0/tcp/7001"],
  chain: { rpcUrl: "http://127.0.0.1:8545", registryAddress: "0x5fbdb2315678afecb367f032d93f642f64180aa3" },
  operatorKeyFile: "operator.key",
  store: { passphraseEnv: "SHARDLESS_PASS" },
});

const base = { period: 10, lastEpochBlock: 100, self: 1, participants: [1, 2, 3], online: [1, 2, 3] };

describe("scheduled refresh", () => {
  it("per-key period overrides the default; 0 or nothing means on demand only", () => {
    const schedule = { everyBlocks: 50, keys: { "7": { everyBlocks: 5 }, "8": { everyBlocks: 0 } } };
    assert.equal(refreshPeriod(schedule, "7"), 5);
    assert.equal(refreshPeriod(schedule, "8"), undefined);
    assert.equal(refreshPeriod(schedule, "9"), 50);
    assert.equal(refreshPeriod({}, "9"), undefined);
  });

  it("due once the height reaches the last epoch block + period, not before", () => {
    assert.equal(refreshDue({ ...base, height: 109 }), false);
    assert.equal(refreshDue({ ...base, height: 110 }), true);
    assert.equal(refreshDue({ ...base, height: 110, lastEpochBlock: undefined }), false);
    assert.equal(refreshDue({ ...base, height: 110, period: undefined }), false);
  });

  it("only the lowest participant triggers, and only with every participant online", () => {
    assert.equal(refreshDue({ ...base, height: 200, self: 2 }), false);
    assert.equal(refreshDue({ ...base, height: 200, online: [1, 2] }), false);
    assert.equal(refreshDue({ ...base, height: 200, self: 2, participants: [2, 3], online: [2, 3] }), true);
  });

  it("node.json: refresh.everyBlocks and refresh.keys parse; bad values are field errors", () => {
    const c = parseConfig(
      { ...minimal(), refresh: { everyBlocks: 100, keys: { "3": { everyBlocks: 0 } } } },
      "/x",
    );
    assert.deepEqual(c.refresh, { everyBlocks: 100, keys: { "3": { everyBlocks: 0 } } });
    assert.deepEqual(parseConfig(minimal(), "/x").refresh, { keys: {} });
    for (const refresh of [{ everyBlocks: 0 }, { keys: { abc: { everyBlocks: 1 } } }, { every: 3 }]) {
      assert.throws(
        () => parseConfig({ ...minimal(), refresh }, "/x"),
        (e: unknown) => e instanceof ConfigError && e.issues.every((i) => i.path.startsWith("refresh")),
      );
    }
  });

  it("the TEST-ONLY crash hook is off unless set, and refuses an unknown step", () => {
    assert.doesNotThrow(() => crashPointFromEnv({}, silentLogger)("pending-stored"));
    assert.throws(() => crashPointFromEnv({ [CRASH_ENV]: "typo" }, silentLogger), ConfigError);
    // Armed for another step: the other steps pass through.
    assert.doesNotThrow(() =>
      crashPointFromEnv({ [CRASH_ENV]: "registry-advanced" }, silentLogger)("pending-stored"),
    );
  });
});
