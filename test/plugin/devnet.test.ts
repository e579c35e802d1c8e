/**
 * `devnet` and `demo` tasks with a stand-in for scripts/devnet/devnet.ts (test/helpers/api-plugin.ts):
 * the fake-services API and Hardhat's in-process chain over HTTP. The real multi-process devnet is
 * exercised by the node's end-to-end tests.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { ProtocolAbortError } from "../../node/protocol/errors.js";
import { demo } from "../../plugin/internal/tasks/demo.js";
import { devnet } from "../../plugin/internal/tasks/devnet.js";
import type { TaskOutput } from "../../plugin/internal/output.js";
import type { StartDevnet } from "../../plugin/internal/devnet-types.js";
import { startFakeApi } from "../helpers/api-fake-services.js";
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

  it("runs the lifecycle on a throwaway devnet, prints a summary and stops it", async () => {
    const api = await startFakeApi();
    let fake: Awaited<ReturnType<typeof startFakeDevnet>> | undefined;
    let usedDir = "";
    const rec = recording(false);
    const summary = await demo(
      { json: false },
      {
        config: hre.config.shardless,
        out: rec.out,
        readArtifact: (name) => hre.artifacts.readArtifact(name),
        startDevnet: async (opts) => {
          usedDir = opts.dir;
          fake = await startFakeDevnet(hre, opts.dir, api);
          return fake;
        },
      },
    );
    assert.equal(summary.ok, true, JSON.stringify(summary));
    assert.deepEqual(
      summary.steps.map((s) => s.ok),
      Array(summary.steps.length).fill(true),
    );
    assert.ok(summary.steps.length >= 8);
    assert.equal(usedDir, path.join(dir, "dn") + "-demo", "never the devnet's own directory");
    assert.match(rec.stdout.join("\n"), /All steps passed/);
    assert.equal(fake!.stopped(), true);
    assert.equal(api.services.count("refresh"), 1);
    // The decryption named the on-chain payload whose reveal policy members check.
    const decrypt = api.services.calls.find((c) => c.method === "decrypt")!;
    assert.equal(decrypt.args[2], "tdh2");
    assert.equal((decrypt.args[4] as { id: bigint }).id, 1n);
  });

  it("stops at the first failing step, names it, and still tears the devnet down", async () => {
    const api = await startFakeApi();
    api.services.failNext("refresh", new ProtocolAbortError("bad refresh share", [2]));
    let fake: Awaited<ReturnType<typeof startFakeDevnet>> | undefined;
    const rec = recording(true);
    await assert.rejects(
      demo(
        { json: true },
        {
          config: hre.config.shardless,
          out: rec.out,
          readArtifact: (name) => hre.artifacts.readArtifact(name),
          startDevnet: async (opts) => (fake = await startFakeDevnet(hre, opts.dir, api)),
        },
      ),
      isCode("DEMO_FAILED"),
    );
    const summary = rec.value() as {
      ok: boolean;
      steps: { step: string; ok: boolean; error?: { code: string } }[];
    };
    assert.equal(summary.ok, false);
    const failed = summary.steps.at(-1)!;
    assert.match(failed.step, /refresh/);
    assert.equal(failed.error!.code, "PROTOCOL_ABORT");
    assert.equal(fake!.stopped(), true);
  });
});
