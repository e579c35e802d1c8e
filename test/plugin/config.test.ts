import { describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { HardhatError } from "@nomicfoundation/hardhat-errors";
import { configVariable } from "hardhat/config";
import type { HardhatUserConfig } from "hardhat/config";
import { validateShardlessUserConfig } from "../../plugin/internal/config.js";
import { DEVNET_DEFAULTS } from "../../plugin/internal/config.js";
import { PROJECT_ROOT, pluginHre } from "../helpers/api-plugin.js";

const URL = "http://127.0.0.1:7101";

const paths = async (shardless: unknown) =>
  (await validateShardlessUserConfig({ shardless } as HardhatUserConfig)).map((e) => e.path.join("."));

describe("plugin config validation (HHE15 errors name the field)", () => {
  const bad: { name: string; shardless: unknown; path: string }[] = [
    { name: "section is not an object", shardless: 3, path: "shardless" },
    { name: "unknown top-level field", shardless: { threshold: 2 }, path: "shardless" },
    { name: "node url missing", shardless: { nodes: [{ tokenEnv: "X" }] }, path: "shardless.nodes.0.url" },
    {
      name: "node url not a URL",
      shardless: { nodes: [{ url: "localhost:7101" }] },
      path: "shardless.nodes.0.url",
    },
    {
      name: "node url not http",
      shardless: { nodes: [{ url: "ftp://127.0.0.1" }] },
      path: "shardless.nodes.0.url",
    },
    {
      name: "two token sources",
      shardless: { nodes: [{ url: URL, tokenFile: "t", tokenEnv: "T" }] },
      path: "shardless.nodes.0.token",
    },
    {
      name: "bad env var name",
      shardless: { nodes: [{ url: URL, tokenEnv: "1-bad" }] },
      path: "shardless.nodes.0.tokenEnv",
    },
    {
      name: "token of wrong type",
      shardless: { nodes: [{ url: URL, token: 42 }] },
      path: "shardless.nodes.0.token",
    },
    {
      name: "duplicate node names",
      shardless: {
        nodes: [
          { url: URL, name: "a" },
          { url: URL, name: "a" },
        ],
      },
      path: "shardless.nodes.1.name",
    },
    {
      name: "unknown node field",
      shardless: { nodes: [{ url: URL, secret: "x" }] },
      path: "shardless.nodes.0",
    },
    {
      name: "registry address malformed",
      shardless: { registry: { localhost: "0x1234" } },
      path: "shardless.registry.localhost",
    },
    { name: "default key with spaces", shardless: { defaultKey: "my key" }, path: "shardless.defaultKey" },
    {
      name: "devnet degree >= members",
      shardless: { devnet: { members: 3, degree: 3 } },
      path: "shardless.devnet.degree",
    },
    {
      name: "devnet default members with degree 3",
      shardless: { devnet: { degree: 3 } },
      path: "shardless.devnet.degree",
    },
    { name: "devnet one member", shardless: { devnet: { members: 1 } }, path: "shardless.devnet.members" },
    {
      name: "devnet port out of range",
      shardless: { devnet: { apiBasePort: 70000 } },
      path: "shardless.devnet.apiBasePort",
    },
    {
      name: "devnet fractional port",
      shardless: { devnet: { chainPort: 8545.5 } },
      path: "shardless.devnet.chainPort",
    },
    {
      name: "devnet API ports overlap the libp2p ports (member 3 of 3 would share a port)",
      shardless: { devnet: { members: 3, apiBasePort: 9000, p2pBasePort: 9002 } },
      path: "shardless.devnet.p2pBasePort",
    },
    {
      name: "devnet chain port inside the API port range",
      shardless: { devnet: { chainPort: 9001, apiBasePort: 9000 } },
      path: "shardless.devnet.apiBasePort",
    },
    {
      name: "devnet API port range past 65535",
      shardless: { devnet: { members: 4, apiBasePort: 65533 } },
      path: "shardless.devnet.apiBasePort",
    },
  ];
  for (const c of bad) {
    it(c.name, async () => {
      assert.ok((await paths(c.shardless)).includes(c.path), `${c.path} in ${await paths(c.shardless)}`);
    });
  }

  it("accepts a full valid section and an absent one", async () => {
    assert.deepEqual(await paths(undefined), []);
    assert.deepEqual(
      await paths({
        nodes: [
          { url: URL, name: "alice", tokenFile: "tokens/alice" },
          { url: "https://node.example:443/", tokenEnv: "BOB_TOKEN" },
          { url: URL, token: configVariable("CAROL_TOKEN") },
          { url: URL },
        ],
        registry: { localhost: "0x5FbDB2315678afecb367f032d93F642f64180aa3" },
        defaultGroup: "1",
        defaultKey: "1",
        defaultEncryptionKey: "2",
        devnet: {
          members: 5,
          degree: 2,
          chainPort: 9545,
          apiBasePort: 8101,
          p2pBasePort: 8201,
          dataDir: "tmp/devnet",
        },
      }),
      [],
    );
  });

  it("a fresh HRE with a bad section rejects with HHE15", async () => {
    await assert.rejects(
      pluginHre({ nodes: [{ url: "not a url" }] } as never),
      (e: unknown) => HardhatError.isHardhatError(e) && e.number === 15,
    );
  });
});

describe("plugin config defaults (resolved after next())", () => {
  it("an absent section resolves to no nodes, no registry and the devnet defaults (ephemeral ports)", async () => {
    const hre = await pluginHre(undefined);
    const c = hre.config.shardless;
    assert.deepEqual(c.nodes, []);
    assert.deepEqual(c.registry, {});
    assert.equal(c.defaultKey, undefined);
    assert.deepEqual(c.devnet, { ...DEVNET_DEFAULTS, dataDir: path.join(PROJECT_ROOT, ".shardless/devnet") });
    assert.deepEqual(
      [c.devnet.chainPort, c.devnet.apiBasePort, c.devnet.p2pBasePort],
      [undefined, undefined, undefined],
    );
  });

  it("names nodes, resolves token sources, checksums registries, keeps other hardhat config", async () => {
    const hre = await pluginHre({
      nodes: [
        { url: URL + "/", tokenFile: "tokens/a" },
        { url: URL, name: "bob", tokenEnv: "BOB_TOKEN" },
        { url: URL, token: configVariable("CAROL_TOKEN") },
        { url: URL },
      ],
      registry: { localhost: "0x5fbdb2315678afecb367f032d93f642f64180aa3" },
      defaultKey: "7",
      devnet: {
        members: 5,
        degree: 2,
        dataDir: "tmp/dn",
        policyFile: "policies/devnet.json",
        chainPort: 9545,
      },
    });
    const c = hre.config.shardless;
    assert.deepEqual(
      c.nodes.map((n) => n.name),
      ["node1", "bob", "node3", "node4"],
    );
    assert.equal(c.nodes[0]!.url, URL, "trailing slash removed");
    assert.deepEqual(c.nodes[0]!.token, { kind: "file", path: path.join(PROJECT_ROOT, "tokens/a") });
    assert.deepEqual(c.nodes[1]!.token, { kind: "env", name: "BOB_TOKEN" });
    assert.equal(c.nodes[2]!.token.kind, "variable");
    assert.deepEqual(c.nodes[3]!.token, { kind: "env", name: "SHARDLESS_API_TOKEN" });
    assert.equal(c.registry.localhost, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    assert.equal(c.defaultEncryptionKey, "7", "falls back to defaultKey");
    assert.deepEqual(c.devnet, {
      ...DEVNET_DEFAULTS,
      members: 5,
      degree: 2,
      dataDir: path.join(PROJECT_ROOT, "tmp/dn"),
      policyFile: path.join(PROJECT_ROOT, "policies/devnet.json"),
      chainPort: 9545,
    });
    assert.ok(hre.config.networks.default, "other plugins' resolution is kept");
  });
});
