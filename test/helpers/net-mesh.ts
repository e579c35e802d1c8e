/**
 * TEST ONLY: helpers to run real libp2p mesh nodes (TCP on 127.0.0.1) inside one test process: temp
 * directories, identity files, full-mesh address books, a frame inbox with awaitable arrivals, counting
 * metric hooks and a polling `waitFor`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createLibp2pTransport,
  loadOrCreateIdentity,
  type FrameDropReason,
  type GateDirection,
  type Libp2pTransport,
  type Libp2pTransportInit,
  type MeshMetrics,
  type PeerAddress,
} from "../../node/adapters/libp2p/index.js";

export async function tempDir(prefix = "shardless-test-"): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Polls `cond` every 10 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Received {
  peer: string;
  frame: Uint8Array;
}

/** Collects every frame a transport delivers; `next` awaits the next one matching `match`. */
export class FrameInbox {
  readonly frames: Received[] = [];
  private waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];

  constructor(transport: { onFrame(h: (peer: string, frame: Uint8Array) => void): void }) {
    transport.onFrame((peer, frame) => {
      const r = { peer, frame };
      this.frames.push(r);
      const i = this.waiters.findIndex((w) => w.match(r));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(r);
    });
  }

  next(match: (r: Received) => boolean = () => true, timeoutMs = 5_000): Promise<Received> {
    const seen = this.frames.find(match);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for a frame")), timeoutMs);
      this.waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(r), 1);
          resolve(r);
        },
      });
    });
  }
}

/** MeshMetrics that count calls, keyed `reason/direction` and `direction`. */
export class CountingMetrics implements MeshMetrics {
  readonly rejected = new Map<string, number>();
  readonly denied = new Map<GateDirection, number>();
  connected = 0;
  frameRejected(reason: FrameDropReason, direction: "in" | "out"): void {
    const k = `${reason}/${direction}`;
    this.rejected.set(k, (this.rejected.get(k) ?? 0) + 1);
  }
  connectionDenied(direction: GateDirection): void {
    this.denied.set(direction, (this.denied.get(direction) ?? 0) + 1);
  }
  peersConnected(count: number): void {
    this.connected = count;
  }
}

export interface MeshNode {
  transport: Libp2pTransport;
  inbox: FrameInbox;
  metrics: CountingMetrics;
  identityFile: string;
}

/** Starts one node whose identity lives in `<dir>/<name>.key` (created on first use). */
export async function startNode(
  dir: string,
  name: string,
  init: Partial<Libp2pTransportInit> = {},
): Promise<MeshNode> {
  const identityFile = path.join(dir, `${name}.key`);
  const metrics = new CountingMetrics();
  const transport = await createLibp2pTransport({
    privateKey: await loadOrCreateIdentity(identityFile),
    backoff: { initialDelayMs: 20, maxDelayMs: 200 },
    dialTimeoutMs: 2_000,
    metrics,
    ...init,
  });
  return { transport, inbox: new FrameInbox(transport), metrics, identityFile };
}

export function addressOf(node: MeshNode): PeerAddress {
  return { peerId: node.transport.self, multiaddrs: node.transport.multiaddrs() };
}

/** Starts `n` nodes that all list each other (a full mesh); waits until every pair is connected. */
export async function startMesh(dir: string, n: number, prefix = "node"): Promise<MeshNode[]> {
  const nodes: MeshNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startNode(dir, `${prefix}${i + 1}`));
  const book = nodes.map(addressOf);
  await Promise.all(nodes.map((node) => node.transport.setPeers(book)));
  await waitFor(() => nodes.every((node) => node.transport.connectedPeers().length === n - 1), "full mesh");
  return nodes;
}

/** Stops nodes one after another (stopping both ends of a connection at once can wait on each other). */
export async function stopAll(nodes: readonly MeshNode[]): Promise<void> {
  for (const n of nodes) await n.transport.stop();
}

export const bytes = (...values: number[]) => Uint8Array.from(values);
