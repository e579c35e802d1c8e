/**
 * A local Shardless devnet on one machine: Hardhat's JSON-RPC node on loopback, the registry deployed,
 * N member processes (`shardless-node`) with their own identity, operator key, encrypted share store and
 * API token, registered in the registry and grouped. Real processes, real TCP, real EVM.
 *
 * Used by `npm run demo`, `npx hardhat shardless devnet|demo`, the multi-process tests and the mesh
 * benchmark. `devnet.json` in the devnet directory tells other tools how to reach everything.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { ContractFactory, HDNodeWallet, JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { RegistryClient, ROLES } from "../../node/adapters/chain/registry-client.js";
import { loadOrCreateIdentity, peerIdOf } from "../../node/adapters/libp2p/identity.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const BIN = (name: string) => path.join(ROOT, "node_modules", ".bin", name);
/** Hardhat's well-known development mnemonic (accounts funded by `hardhat node`). Devnet only. */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";

export interface DevnetOptions {
  /** Members in the group. @default 3 */
  members?: number;
  /**
   * How many of the started members (the first ones) form the group; the others are registered members
   * outside it (e.g. to reshare to). @default members
   */
  groupMembers?: number;
  /** Where configs, keys, stores and logs go. Wiped first unless `keep`. */
  dir: string;
  /** Node log level. @default "info" */
  logLevel?: string;
  /** Progress lines (human readable). */
  onProgress?: (line: string) => void;
  /** Keep an existing directory (restart a stopped devnet's members with their stored shares). */
  keep?: boolean;
  /**
   * Let members release shares of label-less (eciesjs) ciphertexts of on-chain payloads (node.json
   * `decryption.allowUnlabelled`; see docs/security.md for the caveat). @default false
   */
  allowUnlabelled?: boolean;
  /** A business approval policy book given to every member (node.json `policyFile`). */
  policy?: unknown;
  /**
   * Fixed ports (loopback): Hardhat's JSON-RPC node on `rpc`, member i's API on `apiBase + i - 1` and its
   * libp2p on `p2pBase + i - 1`. Unset ones are picked free on every start. A fixed port already in use
   * fails the start before anything is spawned.
   */
  ports?: DevnetPorts;
}

export interface DevnetPorts {
  rpc?: number;
  apiBase?: number;
  p2pBase?: number;
}

export interface DevnetMember {
  readonly index: number;
  readonly operator: string;
  readonly peerId: string;
  readonly apiUrl: string;
  readonly token: string;
  readonly dir: string;
  readonly p2pPort: number;
}

export interface DevnetInfo {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly registry: string;
  readonly groupId: string;
  readonly admin: string;
  readonly members: readonly DevnetMember[];
}

export interface Devnet extends DevnetInfo {
  /** Stops one member process (SIGTERM, or SIGKILL with `kill`). */
  stopMember(index: number, opts?: { kill?: boolean }): Promise<void>;
  /** Starts a stopped member again with the same data directory. */
  startMember(index: number): Promise<void>;
  /** Funded dev account (for sending value to group addresses in demos and tests). */
  funder(): Wallet;
  stop(): Promise<void>;
}

/**
 * Ports picked for members come from below Linux's default ephemeral range (32768–60999): the port is
 * free when checked but bound only later by the member process, and a port from the ephemeral range can
 * be taken meanwhile by any outgoing connection on the machine (other tests' HTTP clients and libp2p
 * dials), which made a member exit at start with EADDRINUSE.
 */
const PICK_FROM = 20_000;
const PICK_TO = 32_000;

/** Ports this process handed out already (they may not be bound yet). */
const handedOut = new Set<number>();

async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = randomInt(PICK_FROM, PICK_TO);
    if (handedOut.has(port) || !(await isFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found in ${PICK_FROM}–${PICK_TO} after 50 tries`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Throws if something already listens on 127.0.0.1:`port` (`what` names the setting in the error). */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `port ${port} (${what}) is not available (${err.code}): stop what listens there or choose another port`,
        ),
      ),
    );
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
  });
}

/** The port for `what`: the fixed one (checked free), else a free one. */
async function portFor(fixed: number | undefined, what: string): Promise<number> {
  if (fixed === undefined) return freePort();
  await assertPortFree(fixed, what);
  return fixed;
}

function devWallet(i: number): HDNodeWallet {
  return HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
}

/** Waits for a line matching `pattern` on a child's stdout (also mirrored to `log`). */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const recent: string[] = []; // the last lines, quoted in the error: why a member did not start
    const timer = setTimeout(() => reject(new Error(`${what}: not ready after ${timeoutMs} ms`)), timeoutMs);
    const remember = (line: string) => {
      if (line.trim()) recent.push(line.slice(0, 400));
      if (recent.length > 3) recent.shift();
    };
    const onStderr = (d: Buffer) => d.toString().split("\n").forEach(remember);
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        remember(line);
        if (pattern.test(line)) {
          clearTimeout(timer);
          child.stdout?.off("data", onData);
          child.stderr?.off("data", onStderr);
          resolve(line);
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onStderr);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const last = recent.length ? `; last output:\n${recent.join("\n")}` : "";
      reject(new Error(`${what}: exited with code ${code} before it was ready (see its log)${last}`));
    });
  });
}

async function startHardhatNode(dir: string, port: number): Promise<ChildProcess> {
  const log = createWriteStream(path.join(dir, "hardhat-node.log"));
  const child = spawn(BIN("hardhat"), ["node", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`hardhat node exited (${child.exitCode}); see ${dir}/hardhat-node.log`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("hardhat node did not start within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  return child;
}

async function artifact(name: string): Promise<{ abi: unknown[]; bytecode: string }> {
  const file = path.join(ROOT, "artifacts", "contracts", `${name}.sol`, `${name}.json`);
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch {
    throw new Error(`artifact ${name} missing: run \`npx hardhat build\` first`);
  }
}

export async function startDevnet(opts: DevnetOptions): Promise<Devnet> {
  const n = opts.members ?? 3;
  const say = opts.onProgress ?? (() => {});
  const dir = path.resolve(opts.dir);
  const ports = opts.ports ?? {};
  const rpcPort = await portFor(ports.rpc, "chain RPC");
  // Every fixed port is checked before the directory is wiped or anything spawned: a clash (e.g. a
  // devnet already running) changes nothing.
  const memberPorts: { api: number; p2p: number }[] = [];
  for (let i = 1; i <= n; i++) {
    const p2p = await portFor(
      ports.p2pBase === undefined ? undefined : ports.p2pBase + i - 1,
      `member ${i} libp2p`,
    );
    const api = await portFor(
      ports.apiBase === undefined ? undefined : ports.apiBase + i - 1,
      `member ${i} API`,
    );
    memberPorts.push({ api, p2p });
  }
  if (!opts.keep) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });

  say(`starting Hardhat JSON-RPC node on 127.0.0.1:${rpcPort}`);
  const hardhat = await startHardhatNode(dir, rpcPort);
  const rpcUrl = `http://127.0.0.1:${rpcPort}`;
  const provider = new JsonRpcProvider(rpcUrl, undefined, {
    staticNetwork: true,
    polling: true,
    pollingInterval: 100,
  });
  const chainId = Number((await provider.getNetwork()).chainId);
  const admin = new NonceManager(devWallet(0).connect(provider));

  say("deploying ShardlessRegistry");
  const reg = await artifact("ShardlessRegistry");
  const factory = new ContractFactory(reg.abi as never, reg.bytecode, admin);
  const deployed = await factory.deploy(await admin.getAddress());
  await deployed.waitForDeployment();
  const registryAddress = await deployed.getAddress();
  const registry = new RegistryClient(registryAddress, admin);

  const members: DevnetMember[] = [];
  for (let i = 1; i <= n; i++) {
    const mdir = path.join(dir, `member-${i}`);
    await mkdir(mdir, { recursive: true });
    const identity = await loadOrCreateIdentity(path.join(mdir, "identity.key"));
    const peerId = peerIdOf(identity);
    const operatorWallet = devWallet(i);
    const { p2p: p2pPort, api: apiPort } = memberPorts[i - 1];
    const token = randomBytes(24).toString("hex");
    await writeFile(path.join(mdir, "operator.key"), operatorWallet.privateKey + "\n", { mode: 0o600 });
    await writeFile(path.join(mdir, "store.key"), randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
    await writeFile(path.join(mdir, "api.token"), token + "\n", { mode: 0o600 });
    if (opts.policy !== undefined) {
      await writeFile(path.join(mdir, "policy.json"), JSON.stringify(opts.policy, null, 2) + "\n");
    }
    const config = {
      identityKeyFile: "identity.key",
      listen: [`/ip4/127.0.0.1/tcp/${p2pPort}`],
      chain: { rpcUrl, registryAddress, confirmations: 1, chainId },
      operatorKeyFile: "operator.key",
      dataDir: "data",
      store: { keyFile: "store.key" },
      api: { listen: `127.0.0.1:${apiPort}`, tokenFile: "api.token" },
      logLevel: opts.logLevel ?? "info",
      decryption: { allowUnlabelled: opts.allowUnlabelled ?? false },
      ...(opts.policy !== undefined ? { policyFile: "policy.json" } : {}),
      timeouts: { roundMs: 15_000, sessionMs: 60_000 },
    };
    await writeFile(path.join(mdir, "node.json"), JSON.stringify(config, null, 2) + "\n");
    members.push({
      index: i,
      operator: operatorWallet.address,
      peerId,
      apiUrl: `http://127.0.0.1:${apiPort}`,
      token,
      dir: mdir,
      p2pPort,
    });
  }

  say(`registering ${n} members and a group in the registry`);
  for (const m of members) {
    await registry.addMember(m.operator, m.peerId, [`/ip4/127.0.0.1/tcp/${m.p2pPort}/p2p/${m.peerId}`]);
    await registry.grantRole(ROLES.REQUESTER, m.operator);
  }
  const grouped = members.slice(0, opts.groupMembers ?? n);
  const { groupId } = await registry.createGroup(grouped.map((m) => m.operator));

  const processes = new Map<number, ChildProcess>();
  const startMember = async (index: number) => {
    const m = members[index - 1];
    const log = createWriteStream(path.join(m.dir, "node.log"), { flags: "a" });
    const child = spawn(
      BIN("node"),
      [path.join(ROOT, "bin", "shardless-node.mjs"), "--config", path.join(m.dir, "node.json")],
      {
        cwd: m.dir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    processes.set(index, child);
    await waitForLine(child, /"event":"ready"/, 60_000, `member ${index}`);
  };
  say(`starting ${n} member processes`);
  try {
    await Promise.all(members.map((m) => startMember(m.index)));
  } catch (e) {
    // Leave nothing running behind a failed start.
    for (const child of processes.values()) child.kill("SIGKILL");
    hardhat.kill("SIGKILL");
    provider.destroy();
    throw e;
  }

  const info: DevnetInfo = {
    rpcUrl,
    chainId,
    registry: registryAddress,
    groupId: String(groupId),
    admin: await admin.getAddress(),
    members,
  };
  // Holds the members' API tokens: owner-only.
  await writeFile(path.join(dir, "devnet.json"), JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
  say(`devnet ready: group ${groupId}, registry ${registryAddress}`);

  const stopMember = async (index: number, o: { kill?: boolean } = {}) => {
    const child = processes.get(index);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(o.kill ? "SIGKILL" : "SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    processes.delete(index);
  };

  return {
    ...info,
    stopMember,
    startMember,
    funder: () => devWallet(0).connect(provider) as unknown as Wallet,
    async stop() {
      await Promise.all(members.map((m) => stopMember(m.index)));
      provider.destroy();
      if (hardhat.exitCode !== null || hardhat.signalCode !== null) return;
      const exited = new Promise((r) => hardhat.once("exit", r));
      hardhat.kill("SIGTERM");
      const timer = setTimeout(() => hardhat.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Reads devnet.json of a running devnet. */
export async function readDevnetInfo(dir: string): Promise<DevnetInfo> {
  return JSON.parse(await readFile(path.join(path.resolve(dir), "devnet.json"), "utf8"));
}
