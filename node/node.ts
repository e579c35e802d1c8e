/**
 * The composition root (DESIGN.md §2): builds one member node from its configuration — identity, share
 * store, chain client, libp2p mesh, runner, coordinator and HTTP API — and wires them together. Nothing
 * else constructs adapters.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { JsonRpcProvider, NonceManager, Wallet, getAddress } from "ethers";
import { createApiServer, type ApiServer } from "./adapters/api/index.js";
import { RegistryClient } from "./adapters/chain/registry-client.js";
import type { RegistryFollower } from "./adapters/chain/follower.js";
import {
  Ed25519FrameAuthenticator,
  createLibp2pTransport,
  loadOrCreateIdentity,
  peerIdOf,
  type Libp2pTransport,
} from "./adapters/libp2p/index.js";
import { FileShareStore } from "./adapters/storage/index.js";
import { ConfigError, keyProviderFromConfig, type NodeConfig } from "./config.js";
import { ControlChannel } from "./coordinator/control-channel.js";
import { Coordinator } from "./coordinator/coordinator.js";
import { servedKey } from "./coordinator/keys-util.js";
import type { NodeContext } from "./coordinator/context.js";
import { GroupDirectory } from "./coordinator/groups.js";
import { Invitations } from "./coordinator/invites.js";
import { KeyRing } from "./coordinator/keyring.js";
import { Keygen } from "./coordinator/keygen.js";
import { PersistentIdempotencyStore } from "./coordinator/idempotency-store.js";
import { LifecycleService, RecoveryService } from "./coordinator/lifecycle.js";
import { crashPointFromEnv } from "./coordinator/lifecycle-faults.js";
import { ReshareService } from "./coordinator/reshare.js";
import { installSchemes } from "./coordinator/schemes.js";
import { SignGate } from "./coordinator/sign-gate.js";
import { readPolicyBook } from "./policy/approvals/policy.js";
import { AuditLog } from "./policy/audit-log.js";
import { createLogger, type NodeLogger } from "./observability/logger.js";
import { createMetrics } from "./observability/metrics.js";
import { Runner } from "./runner/runner.js";
import { systemClock } from "./runner/ports.js";

export interface ShardlessNode {
  readonly peerId: string;
  readonly operator: string;
  readonly apiUrl: string;
  readonly multiaddrs: string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: NodeLogger;
  env?: Record<string, string | undefined>;
}

async function readOperatorKey(file: string): Promise<string> {
  let text: string;
  try {
    text = (await readFile(file, "utf8")).trim();
  } catch (cause) {
    throw new ConfigError([{ path: "operatorKeyFile", message: `cannot read ${file}` }], { cause });
  }
  const hex = text.startsWith("0x") ? text : `0x${text}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    throw new ConfigError([{ path: "operatorKeyFile", message: "expected a 32-byte hex private key" }]);
  }
  return hex;
}

/** Reads the API token file, creating it (0600, 32 random bytes hex) on first start. */
async function apiToken(file: string): Promise<string> {
  try {
    const token = (await readFile(file, "utf8")).trim();
    if (token.length < 16) {
      throw new ConfigError([{ path: "api.tokenFile", message: "token must be at least 16 characters" }]);
    }
    return token;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    const token = randomBytes(32).toString("hex");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, token + "\n", { mode: 0o600 });
    return token;
  }
}

export async function startNode(config: NodeConfig, opts: StartOptions = {}): Promise<ShardlessNode> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics({ collectDefault: true });
  const clock = systemClock;

  const identity = await loadOrCreateIdentity(config.identityKeyFile);
  const peerId = peerIdOf(identity);
  const log = logger.child({ peerId });

  const provider = new JsonRpcProvider(config.chain.rpcUrl, undefined, {
    staticNetwork: true,
    polling: true,
  });
  const network = await provider.getNetwork().catch((cause: unknown) => {
    throw new ConfigError([{ path: "chain.rpcUrl", message: `cannot reach ${config.chain.rpcUrl}` }], {
      cause,
    });
  });
  if (config.chain.chainId !== undefined && BigInt(config.chain.chainId) !== network.chainId) {
    throw new ConfigError([
      {
        path: "chain.chainId",
        message: `expected chain ${config.chain.chainId}, node reports ${network.chainId}`,
      },
    ]);
  }
  const wallet = new Wallet(await readOperatorKey(config.operatorKeyFile), provider);
  const operator = getAddress(wallet.address);
  const registry = new RegistryClient(config.chain.registryAddress, new NonceManager(wallet));

  const store = await FileShareStore.open({
    dir: config.dataDir,
    keyProvider: await keyProviderFromConfig(config.store, opts.env ?? process.env),
    logger: log,
  });

  const transport: Libp2pTransport = await createLibp2pTransport({
    privateKey: identity,
    listen: config.listen,
    logger: log,
    metrics: metrics.mesh,
    dialTimeoutMs: config.timeouts.dialMs,
  });
  const auth = new Ed25519FrameAuthenticator({ privateKey: identity });
  const control = new ControlChannel(transport, auth, log);
  const runner = new Runner({
    transport: control.protocolTransport,
    auth,
    clock,
    logger: log,
    onRejected: (e) =>
      log.warn(
        {
          event: "frame-rejected",
          reason: e.reason,
          sender: e.detail.sender,
          round: e.detail.round,
          session: e.detail.sessionId?.slice(0, 16),
          cause: (e.cause as Error | undefined)?.name,
        },
        "frame rejected",
      ),
  });
  const groups = new GroupDirectory(registry, operator);
  const keys = new KeyRing(store);
  await keys.load();

  const ctx: NodeContext = {
    peerId,
    operator,
    chainId: network.chainId,
    registryAddress: getAddress(config.chain.registryAddress),
    registry,
    provider,
    confirmations: config.chain.confirmations,
    decryption: config.decryption,
    reshare: config.reshare,
    groups,
    keys,
    runner,
    auth,
    control,
    store,
    logger: log,
    metrics,
    clock,
    timeouts: config.timeouts,
    connectedPeers: () => transport.connectedPeers(),
  };
  const invitations = new Invitations(ctx);
  const policyBook = config.policyFile ? readPolicyBook(config.policyFile) : undefined;
  const audit = await AuditLog.open(config.auditLog);
  const gate = new SignGate(ctx, policyBook, audit);
  const schemes = installSchemes(ctx, invitations, { presignPoolDepth: config.presignPoolDepth, gate });
  const keygen = new Keygen(ctx, schemes.signRecord);
  const coordinator = new Coordinator(ctx, keygen);
  for (const s of schemes.services) coordinator.use(s);
  const lifecycle = new LifecycleService(
    ctx,
    invitations,
    schemes.signRecord,
    keygen,
    (id) => coordinator.keyStatus(id),
    {
      crash: crashPointFromEnv(opts.env ?? process.env, log),
      schedule: config.refresh,
      onSwitch: async (keyId, epoch) => schemes.onEpochAdvanced?.(keyId, epoch),
    },
  );
  const recovery = new RecoveryService(ctx, invitations);
  coordinator.use({
    refresh: (keyId, requestId) => lifecycle.refresh(keyId, requestId),
    recover: async (keyId, member, requestId) => {
      const result = await recovery.recover(keyId, member, requestId);
      schemes.onShareRecovered?.(keyId);
      return result;
    },
  });
  const reshare = new ReshareService(ctx, invitations, {
    signRecord: schemes.signRecord,
    keygen,
    groupStatus: (groupId) => coordinator.group(groupId),
    forgetPresignatures: (keyId) => schemes.onShareRecovered?.(keyId),
  });
  coordinator.use({ reshare: (...args) => reshare.reshare(...args) });
  coordinator.onMembershipChanged = async (groupId) => {
    for (const { keyId, epoch } of await reshare.onMembershipChanged(groupId)) {
      await coordinator.onEpochAdvanced(keyId, epoch); // the reshared share is installed: erase older epochs
    }
  };
  coordinator.onEpochAdvanced = async (keyId, epoch) => {
    const held = await lifecycle.onEpochAdvanced(keyId, epoch);
    // Registry ahead of the share held (a reshared share is installed on MembershipChanged): a pool
    // moved to an epoch it cannot presign for would refill forever, so it goes until the share arrives.
    if (held !== undefined && held < epoch) schemes.onShareRecovered?.(keyId);
    // Events replayed at start may be older than the epoch held: never move the pools back.
    await schemes.onEpochAdvanced?.(keyId, Math.max(epoch, held ?? epoch));
  };

  coordinator.onKeyPublished = (keyId) => schemes.onKeyPublished?.(keyId);

  const syncPeers = async () => {
    await transport.setPeers(groups.peers(peerId));
    schemes.onPeersChanged?.();
  };
  coordinator.onPeersChanged = () =>
    void syncPeers().catch((e: unknown) => log.warn({ error: String(e) }, "peer sync failed"));
  await groups.reload();
  await syncPeers();

  // Publish our current addresses if the registry lists others (dynamic ports, new host).
  try {
    const me = await registry.getMember(operator);
    const addrs =
      config.announce.length > 0 ? config.announce.map((a) => `${a}/p2p/${peerId}`) : transport.multiaddrs();
    if (
      me.status === "active" &&
      JSON.stringify([...me.multiaddrs].sort()) !== JSON.stringify([...addrs].sort())
    ) {
      await registry.updateMultiaddrs(addrs);
      log.info({ multiaddrs: addrs }, "multiaddrs updated in the registry");
    }
  } catch (e) {
    log.warn(
      { error: e instanceof Error ? e.message : String(e) },
      "could not update multiaddrs in the registry",
    );
  }

  const follower: RegistryFollower = registry.follow(
    (event) => {
      lifecycle.observe(event);
      return coordinator.onRegistryEvent(event);
    },
    {
      fromBlock: 0,
      confirmations: config.chain.confirmations,
      pollIntervalMs: config.chain.pollIntervalMs,
      onError: (e) =>
        log.warn({ error: e instanceof Error ? e.message : String(e) }, "registry follower error"),
    },
  );
  await follower.poll();
  follower.start();
  await lifecycle.start(); // converge keys whose refresh was interrupted while this node was down

  const api: ApiServer = createApiServer({
    services: coordinator,
    token: await apiToken(config.api.tokenFile),
    host: config.api.host,
    port: config.api.port,
    logger: log,
    metrics: () => metrics.expose(),
    idempotencyStore: new PersistentIdempotencyStore(store, { logger: log }),
    onRequest: (route, status, seconds) => metrics.recordApiRequest(route, status, seconds),
  });
  await schemes.start?.(); // before the API: a first sign request finds the restored presignatures
  const apiUrl = await api.start();
  // Presignature pool depth per key, for /metrics.
  const gauges = setInterval(() => {
    for (const held of keys.all()) {
      const keyId = held.share.public.keyId;
      if (!servedKey(ctx, keyId)) continue; // its group just dropped this member: no status any more
      const depth = coordinator.keyStatus(keyId).presignatures;
      if (depth !== undefined) metrics.setPresignPoolDepth(keyId, depth);
    }
  }, 1_000);
  gauges.unref();
  log.info({ apiUrl, operator, multiaddrs: transport.multiaddrs() }, "shardless node ready");

  let stopped = false;
  return {
    peerId,
    operator,
    apiUrl,
    multiaddrs: transport.multiaddrs(),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(gauges);
      lifecycle.stop();
      await api.stop(); // requests in flight finish first, then the pools they used are saved
      await schemes.stop?.();
      await follower.stop();
      runner.close();
      await transport.stop();
      await store.close();
      await audit.close();
      provider.destroy();
      log.info({}, "shardless node stopped");
    },
  };
}
