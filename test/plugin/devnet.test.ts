/**
 * `devnet` and `demo` tasks with a stand-in for scripts/devnet/devnet.ts (test/helpers/api-plugin.ts):
 * the fake-services API and Hardhat's in-process chain over HTTP. The real multi-process devnet is
 * exercised by the node's end-to-end tests.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { PolicyError, ProtocolAbortError } from "../../node/protocol/errors.js";
import { demo, demoOptions } from "../../plugin/internal/tasks/demo.js";
import { devnet } from "../../plugin/internal/tasks/devnet.js";
import type { TaskOutput } from "../../plugin/internal/output.js";
import type { StartDevnet } from "../../plugin/internal/devnet-types.js";
import { startDevnet as realStartDevnet } from "../../scripts/devnet/devnet.js";
import { startFakeApi, type FakeApi } from "../helpers/api-fake-services.js";
import { captured, pluginHre, startFakeDevnet } from "../helpers/api-plugin.js";

const isCode = (code: string) => (e: unknown) => (e as { code?: string }).code === code;

function recording(json: boolean) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let value: unknown;
  const out: TaskOutput = {
    json,
    result(v, human) {
      value = v;
      stdout.push(...(json ? [JSON.stringify(v)] : human()));
    },
    progress: (l) => void stderr.push(l),
  };
  return { out, stdout, stderr, value: () => value };
}

describe("plugin task: devnet", () => {
  let dir: string;
  let hre: HardhatRuntimeEnvironment;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "shardless-devnet-"));
    hre = await pluginHre({ devnet: { dataDir: path.join(dir, "dn"), members: 4 } });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("starts, prints how to reach it (no tokens), serves the other tasks until stopped, then stops", async () => {
    const api = await startFakeApi();
    const rec = recording(true);
    let started: Parameters<StartDevnet>[0] | undefined;
    let fake: Awaited<ReturnType<typeof startFakeDevnet>> | undefined;
    let release!: () => void;
    const running = devnet(
      { members: 0, keep: false, json: true },
      {
        config: hre.config.shardless,
        out: rec.out,
        startDevnet: async (opts) => {
          started = opts;
          opts.onProgress?.("starting members");
          fake = await startFakeDevnet(hre, opts.dir, api);
          return fake;
        },
        untilStopped: () => new Promise<void>((r) => (release = r)),
      },
    );
    while (rec.value() === undefined) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(started, {
      members: 4,
      dir: path.join(dir, "dn"),
      keep: false,
      onProgress: started!.onProgress,
    });
    assert.deepEqual(rec.stderr, ["starting members"]);
    const printed = rec.stdout.join("\n");
    assert.ok(!printed.includes(api.token), "tokens are not printed");
    const summary = JSON.parse(printed);
    assert.equal(summary.members[0].name, "member1");
    assert.equal(summary.infoFile, path.join(dir, "dn", "devnet.json"));

    // While it runs, other tasks find it through devnet.json, including the registry of its chain.
    const status = await captured(() => hre.tasks.getTask(["shardless", "status"]).run({ json: true }));
    assert.equal(status.out.json().peerId, "12D3KooWFakeNodeForApiTests");
    const chainHre = await pluginHre(
      { devnet: { dataDir: path.join(dir, "dn") } },
      { networks: { devnet: { type: "http", url: summary.rpcUrl } } },
      { network: "devnet" },
    );
    const group = await captured(() =>
      chainHre.tasks.getTask(["shardless", "group", "create"]).run({ json: true }),
    );
    assert.equal(group.out.json().registry, summary.registry);
    assert.equal(group.out.json().members.length, 3);
    assert.equal(fake!.stopped(), false);
    release();
    await running;
    assert.equal(fake!.stopped(), true);
  });

  it("passes the configured fixed ports and policy book to startDevnet; an unreadable book is BAD_ARGUMENT", async () => {
    const policy = { version: 1, approverSets: {}, keys: {}, groups: {} };
    const policyFile = path.join(dir, "policy.json");
    await writeFile(policyFile, JSON.stringify(policy));
    const fixed = await pluginHre({
      devnet: { dataDir: path.join(dir, "fixed"), chainPort: 9545, apiBasePort: 9601, policyFile },
    });
    let started: Parameters<StartDevnet>[0] | undefined;
    // Records what the task asks for, then fails: nothing starts.
    const startDevnet: StartDevnet = async (opts) => {
      started = opts;
      throw new Error("stop here");
    };
    const start = (config: typeof fixed.config.shardless, members = 0) =>
      devnet(
        { members, keep: false, json: false },
        { config, out: recording(false).out, startDevnet, untilStopped: async () => {} },
      );
    await assert.rejects(start(fixed.config.shardless), isCode("DEVNET"));
    assert.deepEqual(started?.ports, { rpc: 9545, apiBase: 9601 }, "unset ports stay ephemeral");
    assert.deepEqual(started?.policy, policy);

    // --members 5 stretches the API range (9601-9605) over the chain port the config placed after 3 members.
    const stretched = await pluginHre({
      devnet: { dataDir: path.join(dir, "x"), chainPort: 9604, apiBasePort: 9601 },
    });
    await assert.rejects(start(stretched.config.shardless, 5), isCode("BAD_ARGUMENT"));
    const missing = await pluginHre({ devnet: { policyFile: path.join(dir, "nope.json") } });
    await assert.rejects(start(missing.config.shardless), isCode("BAD_ARGUMENT"));
  });

  it("a configured port already in use: DEVNET naming the port, before the directory is wiped", async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    const dataDir = path.join(dir, "busy");
    await mkdir(dataDir, { recursive: true });
    await writeFile(path.join(dataDir, "devnet.json"), "{}");
    try {
      const busyHre = await pluginHre({ devnet: { dataDir, chainPort: port } });
      await assert.rejects(
        devnet(
          { members: 0, keep: false, json: false },
          {
            config: busyHre.config.shardless,
            out: recording(false).out,
            startDevnet: realStartDevnet,
            untilStopped: async () => {},
          },
        ),
        (e: Error) => isCode("DEVNET")(e) && e.message.includes(`port ${port} (chain RPC) is not available`),
      );
      assert.equal(await readFile(path.join(dataDir, "devnet.json"), "utf8"), "{}", "nothing was wiped");
    } finally {
      busy.close();
    }
  });

  it("a devnet that fails to start is a DEVNET error with where to look", async () => {
    const rec = recording(false);
    await assert.rejects(
      devnet(
        { members: 3, keep: false, json: false },
        {
          config: hre.config.shardless,
          out: rec.out,
          startDevnet: async () => {
            throw new Error("hardhat node exited (1)");
          },
          untilStopped: async () => {},
        },
      ),
      isCode("DEVNET"),
    );
  });
});

describe("plugin task: demo", () => {
  let dir: string;
  let hre: HardhatRuntimeEnvironment;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "shardless-demo-"));
    hre = await pluginHre({ devnet: { dataDir: path.join(dir, "dn") } });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** The double reads no chain: it refuses the first decryption as members do before the deadline. */
  const beforeDeadline = (api: { services: { failNext(m: "decrypt", e: unknown): void } }) =>
    api.services.failNext("decrypt", new PolicyError("revealAllowed(1) is false"));

  /** Runs the demo on a fake devnet in `<dir>/<name>`, recording its output and what it started. */
  const runDemo = (api: FakeApi, name: string, json: boolean) => {
    const rec = recording(json);
    let fake: Awaited<ReturnType<typeof startFakeDevnet>> | undefined;
    let started: Parameters<StartDevnet>[0] | undefined;
    const summary = demo(
      { members: 3, degree: 1, dir: path.join(dir, name) },
      {
        out: rec.out,
        readArtifact: (artifact) => hre.artifacts.readArtifact(artifact),
        startDevnet: async (opts) => {
          started = opts;
          return (fake = await startFakeDevnet(hre, opts.dir, api));
        },
      },
    );
    return { summary, rec, fake: () => fake, started: () => started };
  };
  const lastStep = (rec: ReturnType<typeof recording>) =>
    (rec.value() as { steps: { step: string; ok: boolean; error?: { code: string } }[] }).steps.at(-1)!;

  it("demoOptions: its own directory (never the devnet's), members from --members or the config", () => {
    const devnetConfig = hre.config.shardless.devnet;
    assert.deepEqual(demoOptions({ members: 0 }, devnetConfig), {
      members: 3,
      degree: 1,
      dir: path.join(dir, "dn") + "-demo",
    });
    assert.deepEqual(demoOptions({ members: 5, dir: "/tmp/x" }, devnetConfig), {
      members: 5,
      degree: 1,
      dir: "/tmp/x",
    });
    assert.throws(() => demoOptions({ members: 1 }, devnetConfig), isCode("BAD_ARGUMENT"));
  });

  it("runs the lifecycle on a throwaway devnet, prints a summary and stops it", async () => {
    const api = await startFakeApi();
    beforeDeadline(api);
    const run = runDemo(api, "run", false);
    const summary = await run.summary;
    const [rec, fake, started] = [run.rec, run.fake(), run.started()];
    assert.equal(summary.ok, true, JSON.stringify(summary));
    assert.deepEqual(
      summary.steps.map((s) => s.ok),
      Array(summary.steps.length).fill(true),
    );
    assert.ok(summary.steps.length >= 15);
    assert.deepEqual(
      { members: started?.members, dir: started?.dir, allowUnlabelled: started?.allowUnlabelled },
      { members: 3, dir: path.join(dir, "run"), allowUnlabelled: true },
    );
    assert.match(rec.stdout.join("\n"), /All steps passed/);
    assert.equal(fake!.stopped(), true);
    assert.equal(api.services.count("refresh"), 1);
    // Each decryption named the on-chain payload whose reveal policy members check, in both formats.
    const decrypts = api.services.calls.filter((c) => c.method === "decrypt");
    assert.deepEqual(
      decrypts.map((c) => [c.args[2], (c.args[4] as { id: bigint }).id]),
      [
        ["tdh2", 1n], // refused: before the deadline
        ["tdh2", 1n],
        ["ecies", 2n],
      ],
    );
    assert.deepEqual(
      api.services.calls.filter((c) => c.method === "keygen").map((c) => c.args[1]),
      ["ecdsa", "schnorr", "encryption"],
    );
  });

  it("a group that decrypts before the deadline fails the demo (the double here ignores the policy)", async () => {
    const api = await startFakeApi();
    const run = runDemo(api, "run2", true);
    await assert.rejects(run.summary, isCode("DEMO_FAILED"));
    const failed = lastStep(run.rec);
    assert.match(failed.step, /before the deadline is refused/);
    assert.equal(failed.error!.code, "POLICY");
  });

  it("stops at the first failing step, names it, and still tears the devnet down", async () => {
    const api = await startFakeApi();
    beforeDeadline(api);
    api.services.failNext("refresh", new ProtocolAbortError("bad refresh share", [2]));
    const run = runDemo(api, "run3", true);
    await assert.rejects(run.summary, isCode("DEMO_FAILED"));
    assert.equal((run.rec.value() as { ok: boolean }).ok, false);
    const failed = lastStep(run.rec);
    assert.match(failed.step, /refresh/);
    assert.equal(failed.error!.code, "PROTOCOL_ABORT");
    assert.equal(run.fake()!.stopped(), true);
  });
});
