/**
 * Refresh triggers across real member processes (issue 8): two concurrent refresh requests never refresh
 * twice (the second coordinator's invites are declined), and a scheduled refresh (node.json
 * `refresh.keys.<id>.everyBlocks`) runs once the chain passes the key's last epoch block + N — triggered
 * by the lowest member id only.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ShardlessApiError } from "../../node/client/api-client.js";
import type { KeyStatus } from "../../node/client/types.js";
import { rpc, waitForMesh, waitUntil } from "../helpers/e2e-devnet.js";
import { everyMemberAt, signsAt, startLifecycleNet, type LifecycleNet } from "../helpers/lifecycle-e2e.js";

const PERIOD = 20;

describe("lifecycle e2e: concurrent and scheduled refresh", () => {
  let lc: LifecycleNet;
  let key: KeyStatus;
  const registryEpoch = () => lc.epoch(key.keyId);
  const signs = (byte: number, epoch: number) => signsAt(lc.net.clients[1], key, byte, epoch);

  before(async () => {
    lc = await startLifecycleNet("shardless-refresh-schedule-");
    key = await lc.net.clients[0].keygen(lc.net.devnet.groupId, "ecdsa", 1);
  });
  after(async () => {
    await lc?.stop();
  });

  it("two coordinators refresh at once: at most one refresh happens, the other is declined", async () => {
    const outcomes = await Promise.allSettled([
      lc.net.clients[0].refresh(key.keyId),
      lc.net.clients[1].refresh(key.keyId),
    ]);
    const succeeded = outcomes.filter((o) => o.status === "fulfilled");
    assert.ok(succeeded.length <= 1, "never two refreshes of one epoch");
    for (const o of outcomes) {
      if (o.status === "rejected") assert.equal((o.reason as ShardlessApiError).code, "PROTOCOL_ABORT");
    }
    assert.equal(await registryEpoch(), succeeded.length);
    await everyMemberAt(lc.net, key.keyId, succeeded.length);
    await signs(0x51, succeeded.length);
  });

  it(`scheduled every ${PERIOD} blocks: the lowest member refreshes once the chain passes the period`, async () => {
    const before = await registryEpoch();
    // Every member gets the schedule; only member 1 (lowest id, all online) may trigger it.
    await Promise.all(lc.net.devnet.members.map((m) => lc.net.devnet.stopMember(m.index)));
    for (const m of lc.net.devnet.members) {
      const file = path.join(m.dir, "node.json");
      const config = JSON.parse(await readFile(file, "utf8"));
      config.refresh = { keys: { [key.keyId]: { everyBlocks: PERIOD } } };
      await writeFile(file, JSON.stringify(config, null, 2) + "\n");
    }
    await Promise.all(lc.net.devnet.members.map((m) => lc.net.devnet.startMember(m.index)));
    await waitForMesh(lc.net.clients, 3);
    // A few ticks with all members online: not due yet (fewer than PERIOD blocks since the last epoch).
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(await registryEpoch(), before);

    await rpc(lc.net.devnet.rpcUrl, "hardhat_mine", [`0x${PERIOD.toString(16)}`]);
    await waitUntil(async () => (await registryEpoch()) === before + 1, "the scheduled refresh", 60_000);
    await everyMemberAt(lc.net, key.keyId, before + 1);
    await signs(0x52, before + 1);
    // The advance mined one block: the next refresh is PERIOD blocks away, so the epoch stays.
    assert.equal(await registryEpoch(), before + 1);

    const triggers = await Promise.all(
      lc.net.devnet.members.map(async (m) => {
        const log = await readFile(path.join(m.dir, "node.log"), "utf8");
        return log.split("\n").filter((l) => l.includes('"event":"refresh-scheduled"')).length;
      }),
    );
    assert.ok(triggers[0] >= 1, "member 1 triggered the refresh");
    assert.deepEqual(triggers.slice(1), [0, 0], "members 2 and 3 never trigger it");
  });
});
