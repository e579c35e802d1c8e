/**
 * TEST ONLY: helpers for the multi-process tests (test/e2e) and the mesh benchmark: a devnet in a temp
 * directory with one API client per member, polling until the mesh is fully connected, raw API calls
 * (for bodies and headers the client does not produce), Hardhat JSON-RPC time travel, and the
 * SealedBidAuction example deployed with a group key as its reveal authority.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { AbiCoder, ContractFactory, ZeroAddress, type Contract, type Signer } from "ethers";
import { startDevnet, type Devnet } from "../../scripts/devnet/devnet.js";
import { ShardlessClient } from "../../node/client/api-client.js";
import type { Hex } from "../../node/client/types.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** Generous: a DKG or a signature racing a killed member waits out a 15 s round timeout and retries. */
export const E2E_API_TIMEOUT_MS = 120_000;

export interface E2eDevnet {
  readonly devnet: Devnet;
  /** clients[i] talks to member i + 1. */
  readonly clients: ShardlessClient[];
  /** Stops every process and removes the temp directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a devnet of `members` processes in a fresh temp dir and waits until every member sees all others. */
export async function startE2eDevnet(
  members: number,
  opts: { prefix?: string; onProgress?: (line: string) => void; policy?: unknown } = {},
): Promise<E2eDevnet> {
  const dir = await mkdtemp(path.join(tmpdir(), opts.prefix ?? "shardless-e2e-"));
  let devnet: Devnet;
  try {
    devnet = await startDevnet({
      members,
      dir,
      logLevel: "info",
      onProgress: opts.onProgress,
      policy: opts.policy,
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const clients = devnet.members.map(
    (m) => new ShardlessClient({ url: m.apiUrl, token: m.token, timeoutMs: E2E_API_TIMEOUT_MS }),
  );
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      try {
        await devnet.stop();
      } finally {
        // SHARDLESS_E2E_KEEP=1 keeps configs, stores and node logs for a post-mortem.
        if (process.env.SHARDLESS_E2E_KEEP) console.error(`devnet kept in ${dir}`);
        else await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    })());
  try {
    await waitForMesh(clients, devnet.members.length);
  } catch (e) {
    await stop();
    throw e;
  }
  return { devnet, clients, stop };
}

/** Polls `probe` every `intervalMs` until it returns true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  probe: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await probe();
    } catch {
      ok = false; // e.g. a node that is still starting answers nothing
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Which member ids of the devnet's group `client`'s node sees online (itself included). */
export async function onlineIds(client: ShardlessClient, groupId: string): Promise<number[]> {
  const status = await client.status();
  const group = status.groups.find((g) => g.groupId === groupId);
  return (group?.members ?? []).filter((m) => m.online).map((m) => m.id);
}

/** Waits until every listed client sees exactly `expected` member ids online in the group. */
export async function waitForOnline(
  clients: readonly ShardlessClient[],
  groupId: string,
  expected: readonly number[],
  timeoutMs = 30_000,
): Promise<void> {
  const want = JSON.stringify([...expected].sort((a, b) => a - b));
  await waitUntil(
    async () => {
      const seen = await Promise.all(clients.map((c) => onlineIds(c, groupId)));
      return seen.every((ids) => JSON.stringify(ids) === want);
    },
    `members ${want} online at every node`,
    timeoutMs,
  );
}

/** Waits until every node has an open connection to every other (the status' peer list). */
export async function waitForMesh(clients: readonly ShardlessClient[], n: number): Promise<void> {
  await waitUntil(
    async () => {
      const all = await Promise.all(clients.map((c) => c.status()));
      return all.every((s) => s.peers.length === n - 1 && s.peers.every((p) => p.connected));
    },
    `a full mesh of ${n} members`,
    60_000,
  );
}

export interface RawResponse {
  readonly status: number;
  readonly json: unknown;
}

/** An API request with an exact body and headers (what a misbehaving or foreign client would send). */
export async function rawApi(
  baseUrl: string,
  method: "GET" | "POST",
  route: string,
  opts: { token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(baseUrl + route, {
    method,
    headers,
    body: opts.body,
    signal: AbortSignal.timeout(E2E_API_TIMEOUT_MS),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** The `error.code` of an API error body, or undefined. */
export function errorCode(r: RawResponse): string | undefined {
  return (r.json as { error?: { code?: string } } | undefined)?.error?.code;
}

/** One JSON-RPC call to the devnet's Hardhat node (time travel: evm_increaseTime, evm_mine). */
export async function rpc(rpcUrl: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const json = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (json.error) throw new Error(`${method}: ${json.error.message}`);
  return json.result;
}

/** Moves the chain's clock forward by `seconds` and mines a block at the new time. */
export async function advanceTime(rpcUrl: string, seconds: number): Promise<void> {
  await rpc(rpcUrl, "evm_increaseTime", [seconds]);
  await rpc(rpcUrl, "evm_mine");
}

export async function latestTimestamp(rpcUrl: string): Promise<number> {
  const block = (await rpc(rpcUrl, "eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  return Number(BigInt(block.timestamp));
}

async function artifact(source: string, name: string): Promise<{ abi: unknown[]; bytecode: string }> {
  const file = path.join(ROOT, "artifacts", "contracts", source, `${name}.json`);
  return JSON.parse(await readFile(file, "utf8"));
}

/** IConfidentialPayloads.AuthorityScheme.Schnorr */
const AUTHORITY_SCHNORR = 1;

/**
 * Deploys contracts/examples/SealedBidAuction.sol with a group schnorr key (its BIP-340 x-only key) as
 * reveal authority; bidding closes `biddingSeconds` after the latest block, reveals `revealSeconds` after.
 */
export async function deploySealedBidAuction(
  deployer: Signer,
  rpcUrl: string,
  authorityXOnly: Hex,
  biddingSeconds: number,
  revealSeconds: number,
): Promise<Contract> {
  const { abi, bytecode } = await artifact("examples/SealedBidAuction.sol", "SealedBidAuction");
  const now = await latestTimestamp(rpcUrl);
  const factory = new ContractFactory(abi as never, bytecode, deployer);
  const authority = { scheme: AUTHORITY_SCHNORR, signer: ZeroAddress, px: BigInt(authorityXOnly) };
  const auction = await factory.deploy(authority, now + biddingSeconds, now + revealSeconds);
  await auction.waitForDeployment();
  return auction as unknown as Contract;
}

/** A bid's plaintext: abi.encode(uint256 amount) (ISealedBidAuction). */
export const bidPlaintext = (amount: bigint): Hex =>
  AbiCoder.defaultAbiCoder().encode(["uint256"], [amount]) as Hex;
