/**
 * `createLibp2pTransport(init)`: a started libp2p 3 node (TCP + Noise + Yamux) with the allowlist gater
 * and the `/shardless/1` mesh service, exposed as the runner's Transport port plus the address-book
 * controls the node composition needs (`setPeers`, `multiaddrs`, `stop`).
 */
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Ed25519PrivateKey, Libp2p } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import { ParameterError } from "../../protocol/errors.js";
import { silentLogger, type Transport } from "../../runner/ports.js";
import { allowlistGater, PeerAllowlist } from "./allowlist.js";
import { noiseOneWrite, yamuxWindowUpdatesAtHalf } from "./tuning.js";
import {
  noMeshMetrics,
  shardlessMesh,
  type PeerAddress,
  type ShardlessMesh,
  type ShardlessMeshInit,
} from "./mesh.js";

export interface Libp2pTransportInit extends Omit<ShardlessMeshInit, "allowlist"> {
  /** The member's identity key (identity.ts: loadOrCreateIdentity). */
  privateKey: Ed25519PrivateKey;
  /**
   * Multiaddrs to listen on.
   * @default ["/ip4/127.0.0.1/tcp/0"]
   */
  listen?: string[];
  /**
   * Peers admitted and dialled from the start (same as calling `setPeers` after creation).
   * @default []
   */
  peers?: PeerAddress[];
  /**
   * Cap on simultaneous connections (members plus transient refused ones).
   * @default 64
   */
  maxConnections?: number;
  /**
   * Time an inbound connection may take to finish Noise and Yamux, in ms.
   * @default 5_000
   */
  inboundUpgradeTimeoutMs?: number;
}

export interface Libp2pTransport extends Transport {
  /** Replaces the allowlist and address book (see ShardlessMesh.setPeers). */
  setPeers(peers: readonly PeerAddress[]): Promise<void>;
  /** Allowlisted peer ids, sorted. */
  allowedPeers(): string[];
  /** Addresses we listen on, each ending in `/p2p/<our peer id>` (what the registry should publish). */
  multiaddrs(): string[];
  /** Flushes outbound streams, closes connections and listeners. Idempotent. */
  stop(): Promise<void>;
  /** The underlying libp2p node (diagnostics and tests). */
  readonly libp2p: Libp2p<{ mesh: ShardlessMesh }>;
}

export async function createLibp2pTransport(init: Libp2pTransportInit): Promise<Libp2pTransport> {
  if (init.privateKey?.type !== "Ed25519") throw new ParameterError("`privateKey` expected an Ed25519 key");
  const allowlist = new PeerAllowlist();
  const log = (init.logger ?? silentLogger).child({ component: "libp2p" });
  const metrics = init.metrics ?? noMeshMetrics;
  const dialTimeout = init.dialTimeoutMs ?? 5_000;
  yamuxWindowUpdatesAtHalf();
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen ?? ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noiseOneWrite()],
    streamMuxers: [yamux()],
    connectionGater: allowlistGater(allowlist, (peer, direction) => {
      metrics.connectionDenied(direction);
      log.warn({ peer, direction }, "refused a connection from/to a peer not on the allowlist");
    }),
    connectionManager: {
      maxConnections: init.maxConnections ?? 64,
      dialTimeout,
      inboundUpgradeTimeout: init.inboundUpgradeTimeoutMs ?? 5_000,
    },
    services: { mesh: shardlessMesh({ ...init, allowlist }) },
  });
  const mesh = node.services.mesh;
  try {
    await mesh.setPeers(init.peers ?? []);
  } catch (err) {
    await node.stop();
    throw err;
  }
  let stopped: Promise<void> | null = null;
  log.info({ peerId: mesh.self, listen: node.getMultiaddrs().map(String) }, "libp2p transport started");
  return {
    self: mesh.self,
    libp2p: node,
    send: (peer, frame) => mesh.send(peer, frame),
    onFrame: (handler) => mesh.onFrame(handler),
    connectedPeers: () => mesh.connectedPeers(),
    onPeerDisconnect: (handler) => mesh.onPeerDisconnect(handler),
    setPeers: (peers) => mesh.setPeers(peers),
    allowedPeers: () => allowlist.list(),
    multiaddrs: () => node.getMultiaddrs().map(String),
    stop: () => (stopped ??= Promise.resolve(node.stop())),
  };
}
