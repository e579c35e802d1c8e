/** node.json: defaults, path resolution, and one ConfigError naming the field for each kind of mistake. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, keyProviderFromConfig, loadConfig, parseConfig } from "../../node/config.js";
import { KeyFileKeyProvider, PassphraseKeyProvider } from "../../node/adapters/storage/index.js";
import { tempDir } from "../helpers/net-mesh.js";

let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, remove: cleanup } = await tempDir("shardless-config-"));
});
after(() => cleanup());

const minimal = () => ({
  listen: ["/ip4/0.0.0.0/tcp/7001"],
  chain: { rpcUrl: "http://127.0.0.1:8545", registryAddress: "0x5fbdb2315678afecb367f032d93f642f64180aa3" },
  operatorKeyFile: "operator.key",
  store: { passphraseEnv: "SHARDLESS_PASS" },
});

/** The ConfigError's issues as `path: message` strings. */
function issues(raw: unknown): string[] {
  try {
    parseConfig(raw, "/etc/shardless");
  } catch (err) {
    assert.ok(err instanceof ConfigError && err.code === "CONFIG");
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail("expected a ConfigError");
}
const withField = (patch: (c: Record<string, unknown>) => void) => {
  const c = minimal() as Record<string, unknown>;
  patch(c);
  return c;
};

describe("node config: defaults and resolution", () => {
  it("applies documented defaults and resolves relative paths against the config directory", () => {
    const c = parseConfig(minimal(), "/etc/shardless");
    assert.equal(c.identityKeyFile, "/etc/shardless/identity.key");
    assert.equal(c.operatorKeyFile, "/etc/shardless/operator.key");
    assert.equal(c.dataDir, "/etc/shardless/data");
    assert.deepEqual(c.api, {
      listen: "127.0.0.1:7400",
      host: "127.0.0.1",
      port: 7400,
      tokenFile: "/etc/shardless/api.token",
    });
    assert.equal(c.logLevel, "info");
    assert.equal(c.presignPoolDepth, 16);
    assert.equal(c.chain.confirmations, 1);
    assert.equal(c.chain.pollIntervalMs, 250);
    assert.equal(c.chain.registryAddress, "0x5FbDB2315678afecb367f032d93F642f64180aa3", "checksummed");
    assert.deepEqual(c.timeouts, { roundMs: 10_000, sessionMs: 60_000, dialMs: 5_000, requestMs: 30_000 });
    assert.deepEqual(c.store, { kind: "passphraseEnv", passphraseEnv: "SHARDLESS_PASS" });
    assert.deepEqual(c.announce, []);
    assert.deepEqual(c.reshare, { allowDegreeDecrease: false }, "lowering a degree is opt-in");
  });

  it("keeps absolute paths; accepts IPv6 and hostname API addresses and port 0", () => {
    const c = parseConfig(
      withField((c) => {
        c.dataDir = "/var/lib/shardless";
        c.store = { keyFile: "secrets/store.key" };
        c.api = { listen: "[::1]:0" };
      }),
      "/etc/shardless",
    );
    assert.equal(c.dataDir, "/var/lib/shardless");
    assert.deepEqual(c.store, { kind: "keyFile", keyFile: "/etc/shardless/secrets/store.key" });
    assert.deepEqual([c.api.host, c.api.port], ["::1", 0]);
    assert.equal(
      parseConfig(
        withField((c) => (c.api = { listen: "localhost:8080" })),
        "/",
      ).api.host,
      "localhost",
    );
  });

  it("loadConfig reads the file and resolves against its directory", async () => {
    const file = path.join(dir, "node.json");
    await writeFile(file, JSON.stringify(minimal()));
    const c = await loadConfig(file);
    assert.equal(c.configFile, file);
    assert.equal(c.dataDir, path.join(dir, "data"));
  });
});

describe("node config: errors name the field", () => {
  it("api.listen: expected host:port", () => {
    for (const bad of ["127.0.0.1", "127.0.0.1:99999", ":80", "http://x:1", "a b:1"]) {
      assert.deepEqual(
        issues(withField((c) => (c.api = { listen: bad }))),
        ["api.listen: expected host:port"],
        bad,
      );
    }
  });

  it("listen: required, non-empty, TCP multiaddrs (index named)", () => {
    assert.deepEqual(issues(withField((c) => delete c.listen)), ["listen: required"]);
    assert.deepEqual(issues(withField((c) => (c.listen = []))), ["listen: expected at least one multiaddr"]);
    assert.deepEqual(issues(withField((c) => (c.listen = ["/ip4/0.0.0.0/tcp/1", "/ip4/1.2.3.4/udp/5"]))), [
      "listen[1]: expected a TCP multiaddr such as /ip4/0.0.0.0/tcp/7001",
    ]);
    assert.deepEqual(issues(withField((c) => (c.listen = ["garbage"]))).length, 1);
  });

  it("chain: URL, address and checksum, confirmations, poll interval", () => {
    assert.deepEqual(issues(withField((c) => delete c.chain)), ["chain: required"]);
    const chain = (patch: object) => withField((c) => (c.chain = { ...(c.chain as object), ...patch }));
    assert.deepEqual(issues(chain({ rpcUrl: "ftp://x" })), [
      "chain.rpcUrl: expected an http(s):// or ws(s):// URL",
    ]);
    assert.deepEqual(issues(chain({ registryAddress: "0x1234" })), [
      "chain.registryAddress: expected a 0x-prefixed 20-byte address",
    ]);
    assert.deepEqual(issues(chain({ registryAddress: "0x5FbDB2315678afecb367f032d93F642f64180aA3" })), [
      "chain.registryAddress: bad EIP-55 checksum",
    ]);
    // 0 would act on logs not yet mined; the registry follower counts "mined" as 1.
    assert.deepEqual(issues(chain({ confirmations: 0 })), ["chain.confirmations: expected >= 1"]);
    assert.deepEqual(issues(chain({ confirmations: 1.5 })), ["chain.confirmations: expected an integer"]);
    assert.deepEqual(issues(chain({ pollIntervalMs: 10 })), ["chain.pollIntervalMs: expected >= 50"]);
    assert.deepEqual(issues(chain({ pollIntervalMs: 60_001 })), ["chain.pollIntervalMs: expected <= 60000"]);
    assert.equal(parseConfig(chain({ pollIntervalMs: 2_000 }), "/etc/shardless").chain.pollIntervalMs, 2_000);
  });

  it("store: exactly one secret source", () => {
    const msg = "store: expected exactly one of passphraseEnv, passphraseFile, keyFile";
    assert.deepEqual(issues(withField((c) => (c.store = {}))), [msg]);
    assert.deepEqual(issues(withField((c) => (c.store = { passphraseEnv: "A", keyFile: "k" }))), [msg]);
    assert.deepEqual(issues(withField((c) => (c.store = { passphraseEnv: "1BAD" }))), [
      "store.passphraseEnv: expected an environment variable name",
    ]);
  });

  it("unknown fields (typos) are errors, at any depth", () => {
    assert.deepEqual(issues(withField((c) => (c.logLevle = "debug"))), [": unknown field(s) logLevle"]);
    assert.deepEqual(issues(withField((c) => (c.timeouts = { roundMS: 5 }))), [
      "timeouts: unknown field(s) roundMS",
    ]);
  });

  it("scalar fields: logLevel, presignPoolDepth, timeouts, file paths; several issues at once", () => {
    assert.deepEqual(issues(withField((c) => (c.logLevel = "loud"))), [
      "logLevel: expected one of fatal, error, warn, info, debug, trace, silent",
    ]);
    assert.deepEqual(issues(withField((c) => (c.presignPoolDepth = "8"))), [
      "presignPoolDepth: expected number, got string",
    ]);
    assert.deepEqual(issues(withField((c) => (c.timeouts = { roundMs: 0 }))), [
      "timeouts.roundMs: expected >= 1",
    ]);
    assert.deepEqual(issues(withField((c) => (c.operatorKeyFile = ""))), [
      "operatorKeyFile: must not be empty",
    ]);
    const many = issues(
      withField((c) => {
        c.dataDir = 5;
        c.api = { listen: "nope" };
      }),
    );
    assert.deepEqual(many.sort(), ["api.listen: expected host:port", "dataDir: expected string, got number"]);
    assert.deepEqual(issues([]), [": expected object, got array"]);
  });

  it("loadConfig: missing file and invalid JSON are ConfigErrors", async () => {
    await assert.rejects(loadConfig(path.join(dir, "absent.json")), ConfigError);
    const file = path.join(dir, "broken.json");
    await writeFile(file, "{ not json");
    await assert.rejects(
      loadConfig(file),
      (e: unknown) => e instanceof ConfigError && /not valid JSON/.test(e.issues[0].message),
    );
    await writeFile(file, JSON.stringify(withField((c) => (c.api = { listen: "x" }))));
    await assert.rejects(
      loadConfig(file),
      (e: unknown) => e instanceof ConfigError && e.issues[0].path === "api.listen",
    );
  });
});

describe("node config: store key provider", () => {
  it("reads the passphrase from the named environment variable or file; missing or empty is a ConfigError", async () => {
    const envStore = { kind: "passphraseEnv", passphraseEnv: "SHARDLESS_PASS" } as const;
    assert.ok(
      (await keyProviderFromConfig(envStore, { SHARDLESS_PASS: "pw" })) instanceof PassphraseKeyProvider,
    );
    await assert.rejects(keyProviderFromConfig(envStore, {}), (e: unknown) => {
      return e instanceof ConfigError && e.issues[0].path === "store.passphraseEnv";
    });
    const file = path.join(dir, "pass.txt");
    await writeFile(file, "secret\n");
    assert.ok(
      (await keyProviderFromConfig({ kind: "passphraseFile", passphraseFile: file })) instanceof
        PassphraseKeyProvider,
    );
    await writeFile(file, "\n");
    await assert.rejects(
      keyProviderFromConfig({ kind: "passphraseFile", passphraseFile: file }),
      ConfigError,
    );
    await assert.rejects(
      keyProviderFromConfig({ kind: "passphraseFile", passphraseFile: path.join(dir, "none") }),
      ConfigError,
    );
    assert.ok(
      (await keyProviderFromConfig({ kind: "keyFile", keyFile: file })) instanceof KeyFileKeyProvider,
    );
  });
});
