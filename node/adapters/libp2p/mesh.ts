/**
 * The Shardless mesh: a libp2p service (factory `(init) => (components) => service`, in the style of
 * js-libp2p's protocol-ping) that carries opaque frames between members over one protocol,
 * `/shardless/1`, and implements the runner's Transport port.
 *
 * - Framing: varint length-prefixed frames (frame-decoder.ts), capped at MAX_FRAME_BYTES; a violation
 *   resets the stream, is logged and counted, and never reaches the runner.
 * - Streams: one long-lived outbound stream per peer carries everything we send to it (opening a stream
 *   per message costs a multistream-select round trip: ~4x slower for small frames, see the report in
 *   test/adapters/libp2p-latency.ts). Inbound streams are read-only.
 * - Peers: `setPeers` replaces the allowlist and address book together (the node feeds it from registry
 *   events). Booked peers with addresses are kept connected: after a loss we redial with exponential
 *   backoff and jitter; removing a peer closes its connections.
 */
import type {
  AbortOptions,
  Connection,
  Libp2pEvents,
  PeerId,
  PeerStore,
  Startable,
  Stream,
  StreamHandler,
  StreamHandlerOptions,
  TypedEventTarget,
} from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { defaultRng, type Rng } from "../../crypto/rng.js";
import { ParameterError } from "../../protocol/errors.js";
import { silentLogger, type Logger, type Transport } from "../../runner/ports.js";
import type { GateDirection, PeerAllowlist } from "./allowlist.js";
import { backoffDelay, resolveBackoff, type BackoffPolicy } from "./backoff.js";
import { MAX_FRAME_SIZE, SHARDLESS_PROTOCOL } from "./constants.js";
import { PeerNotAllowedError, PeerUnreachableError } from "./errors.js";
import { encodeLengthPrefixed, FrameRejectedError, frameReader, type Chunk } from "./frame-decoder.js";

const P2P_CODE = 421;

/** A member as the registry describes it: its peer id and where to dial it (empty: it dials us). */
export interface PeerAddress {
  peerId: string;
  multiaddrs?: string[];
}

/** Why a frame was dropped (metric label). */
export type FrameDropReason = "oversized" | "bad-length" | "empty" | "no-handler" | "handler-error";

/** Hooks for the metrics registry (node/observability/metrics.ts provides one). */
export interface MeshMetrics {
  frameRejected(reason: FrameDropReason, direction: "in" | "out"): void;
  connectionDenied(direction: GateDirection): void;
  peersConnected(count: number): void;
}

export const noMeshMetrics: MeshMetrics = {
  frameRejected() {},
  connectionDenied() {},
  peersConnected() {},
};

export interface ShardlessMeshInit {
  /** The admission list, shared with the connection gater (allowlist.ts). */
  allowlist: PeerAllowlist;
  /**
   * Protocol id.
   * @default "/shardless/1"
   */
  protocol?: string;
  /**
   * Largest frame sent or accepted, in bytes.
   * @default MAX_FRAME_BYTES (4 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Time allowed to dial a peer and open the stream, in ms.
   * @default 5_000
   */
  dialTimeoutMs?: number;
  /**
   * Time a `send` may wait for the stream to drain when its buffer is full, in ms.
   * @default 5_000
   */
  sendTimeoutMs?: number;
  /**
   * Time `stop` waits for each outbound stream to flush and close, in ms.
   * @default 2_000
   */
  closeTimeoutMs?: number;
  /**
   * Concurrent inbound `/shardless/1` streams per connection (a peer needs one; the cap bounds the
   * memory a peer can pin at one capped frame per stream).
   * @default 4
   */
  maxInboundStreams?: number;
  /**
   * Redial schedule after a connection to a booked peer is lost.
   * @default { initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: 0.2 }
   */
  backoff?: BackoffPolicy;
  /**
   * Randomness for backoff jitter.
   * @default defaultRng (CSPRNG)
   */
  rng?: Rng;
  /**
   * Structured logger.
   * @default silentLogger
   */
  logger?: Logger;
  /**
   * Metric hooks.
   * @default noMeshMetrics
   */
  metrics?: MeshMetrics;
}

/** What the service needs from libp2p (a subset of its Components). */
export interface ShardlessMeshComponents {
  peerId: PeerId;
  events: TypedEventTarget<Libp2pEvents>;
  peerStore: Pick<PeerStore, "patch">;
  registrar: {
    handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>;
    unhandle(protocol: string, options?: AbortOptions): Promise<void>;
  };
  connectionManager: {
    openConnection(peer: PeerId, options?: AbortOptions): Promise<Connection>;
    getConnections(peer?: PeerId): Connection[];
    closeConnections(peer: PeerId, options?: AbortOptions): Promise<void>;
  };
}

/** A connection that lasted this long resets the backoff. */
const STABLE_CONNECTION_MS = 5_000;

interface Redial {
  /** Redials scheduled since the last stable connection (the backoff exponent). */
  attempt: number;
  /** When the current connection opened (undefined while disconnected). */
  connectedAt?: number;
  timer?: ReturnType<typeof setTimeout>;
}

export class ShardlessMesh implements Startable, Transport {
  readonly self: string;
  private readonly protocol: string;
  private readonly maxFrameBytes: number;
  private readonly dialTimeoutMs: number;
  private readonly sendTimeoutMs: number;
  private readonly closeTimeoutMs: number;
  private readonly maxInboundStreams: number;
  private readonly backoff: Required<BackoffPolicy>;
  private readonly rng: Rng;
  private readonly log: Logger;
  private readonly metrics: MeshMetrics;
  private readonly allowlist: PeerAllowlist;

  private handler: ((peer: string, frame: Uint8Array) => void) | null = null;
  private disconnectHandler: ((peer: string) => void) | null = null;
  private running = false;
  private stopping = false;
  private readonly peerIds = new Map<string, PeerId>();
  private readonly addresses = new Map<string, string[]>();
  private readonly ready = new Map<string, Stream>();
  private readonly opening = new Map<string, Promise<Stream>>();
  private readonly redials = new Map<string, Redial>();
  private readonly streams = new Set<Stream>();
  private peerUpdates: Promise<void> = Promise.resolve();

  constructor(
    private readonly components: ShardlessMeshComponents,
    init: ShardlessMeshInit,
  ) {
    this.self = components.peerId.toString();
    this.allowlist = init.allowlist;
    this.protocol = init.protocol ?? SHARDLESS_PROTOCOL;
    this.maxFrameBytes = init.maxFrameBytes ?? MAX_FRAME_SIZE;
    this.dialTimeoutMs = init.dialTimeoutMs ?? 5_000;
    this.sendTimeoutMs = init.sendTimeoutMs ?? 5_000;
    this.closeTimeoutMs = init.closeTimeoutMs ?? 2_000;
    this.maxInboundStreams = init.maxInboundStreams ?? 4;
    this.backoff = resolveBackoff(init.backoff);
    this.rng = init.rng ?? defaultRng;
    this.log = (init.logger ?? silentLogger).child({ component: "mesh" });
    this.metrics = init.metrics ?? noMeshMetrics;
  }

  readonly [Symbol.toStringTag] = "@shardless/mesh";

  async start(): Promise<void> {
    await this.components.registrar.handle(this.protocol, this.onInboundStream, {
      maxInboundStreams: this.maxInboundStreams,
    });
    this.components.events.addEventListener("peer:connect", this.onPeerConnect);
    this.components.events.addEventListener("peer:disconnect", this.peerDisconnected);
    this.running = true;
    this.stopping = false;
  }

  afterStart(): void {
    for (const peer of this.addresses.keys()) this.scheduleRedial(peer, true);
  }

  /** Flushes and closes our outbound streams before libp2p closes the connections. */
  async beforeStop(): Promise<void> {
    this.stopping = true;
    for (const r of this.redials.values()) clearTimeout(r.timer);
    this.redials.clear();
    const streams = [...this.ready.values()];
    this.ready.clear();
    await Promise.allSettled(
      streams.map((s) =>
        s.close({ signal: AbortSignal.timeout(this.closeTimeoutMs) }).catch((err: Error) => s.abort(err)),
      ),
    );
    await this.components.registrar.unhandle(this.protocol).catch(() => {});
  }

  stop(): void {
    this.components.events.removeEventListener("peer:connect", this.onPeerConnect);
    this.components.events.removeEventListener("peer:disconnect", this.peerDisconnected);
    for (const s of this.streams) s.abort(new Error("transport stopped"));
    this.streams.clear();
    this.running = false;
  }

  onFrame(handler: (peer: string, frame: Uint8Array) => void): void {
    this.handler = handler;
  }

  /** See Transport.onPeerDisconnect: called when the last connection to an allowed peer closes. */
  onPeerDisconnect(handler: (peer: string) => void): void {
    this.disconnectHandler = handler;
  }

  connectedPeers(): string[] {
    const peers = new Set<string>();
    for (const c of this.components.connectionManager.getConnections()) {
      const id = c.remotePeer.toString();
      if (c.status === "open" && this.allowlist.has(id)) peers.add(id);
    }
    return [...peers].sort();
  }

  /**
   * Replaces the allowlist and address book. Unlisted peers are disconnected; listed peers with
   * (new) addresses are dialled now and kept connected. Our own peer id is ignored. The whole list is
   * validated before anything changes (ParameterError); concurrent calls apply in call order.
   */
  setPeers(peers: readonly PeerAddress[]): Promise<void> {
    const run = this.peerUpdates.then(() => this.applyPeers(peers));
    this.peerUpdates = run.catch(() => {});
    return run;
  }

  private async applyPeers(peers: readonly PeerAddress[]): Promise<void> {
    const parsed = peers.filter((p) => p.peerId !== this.self).map((p) => this.parsePeer(p));
    const removed = this.allowlist.replace(parsed.map((p) => p.peerId));
    for (const peer of removed) await this.forget(peer);
    for (const { peerId, id, multiaddrs } of parsed) {
      this.peerIds.set(peerId, id);
      const before = this.addresses.get(peerId) ?? [];
      if (multiaddrs.length === 0) {
        this.addresses.delete(peerId);
        continue;
      }
      const strings = multiaddrs.map((m) => m.toString());
      if (before.join(" ") === strings.join(" ")) continue;
      this.addresses.set(peerId, strings);
      await this.components.peerStore.patch(id, { multiaddrs });
      if (this.running && !this.stopping) {
        // New addresses (e.g. the peer restarted on another port): redial now, forget old backoff.
        this.cancelRedial(peerId);
        this.scheduleRedial(peerId, true);
      }
    }
  }

  /** Sends one frame on the peer's long-lived stream, dialling if needed. Rejects with a typed error. */
  async send(peer: string, frame: Uint8Array): Promise<void> {
    if (!this.running || this.stopping) throw new PeerUnreachableError(peer, "transport is stopped");
    if (peer === this.self) throw new ParameterError("cannot send a frame to ourselves");
    if (!this.allowlist.has(peer)) throw new PeerNotAllowedError(peer);
    if (frame.length > this.maxFrameBytes || frame.length === 0) {
      this.metrics.frameRejected(frame.length === 0 ? "empty" : "oversized", "out");
      this.log.warn({ peer, bytes: frame.length }, "refusing to send a frame outside the size limits");
      throw new ParameterError(`frame of ${frame.length} bytes is outside 1..${this.maxFrameBytes}`);
    }
    const data = encodeLengthPrefixed(frame, this.maxFrameBytes);
    // A cached stream may have died since its last use; retry once on a fresh one if nothing was sent.
    for (let attempt = 0; ; attempt++) {
      let stream: Stream;
      try {
        stream = await this.outboundStream(peer);
      } catch (cause) {
        throw new PeerUnreachableError(peer, "cannot open a stream", { cause });
      }
      try {
        if (!stream.send(data)) await stream.onDrain({ signal: AbortSignal.timeout(this.sendTimeoutMs) });
        return;
      } catch (cause) {
        this.dropStream(peer, stream);
        const unsent = (cause as Error).name === "StreamStateError"; // closed before we wrote: nothing sent
        if (unsent && attempt === 0) continue;
        // Stuck or broken mid-write: reset it so buffered frames cannot arrive after later ones.
        stream.abort(cause as Error);
        throw new PeerUnreachableError(peer, "send failed", { cause });
      }
    }
  }

  // --- inbound ---------------------------------------------------------------------------------

  private readonly onInboundStream = (stream: Stream, connection: Connection): void => {
    const peer = connection.remotePeer.toString();
    if (!this.allowlist.has(peer)) {
      stream.abort(new PeerNotAllowedError(peer));
      return;
    }
    this.attachReader(stream, peer);
    // We never write on an inbound stream: close our side once the peer closes theirs.
    stream.addEventListener("remoteCloseWrite", () => void stream.close().catch(() => {}), { once: true });
  };

  /** Feeds every chunk the stream delivers to the peer's frame reader. */
  private attachReader(stream: Stream, peer: string): void {
    const read = this.streamReader(peer, (err) => this.rejectStream(peer, stream, err));
    this.streams.add(stream);
    stream.addEventListener("message", (evt) => read(evt.data));
    stream.addEventListener("close", () => this.streams.delete(stream), { once: true });
  }

  /**
   * The inbound path of one stream from `peer`, as a function of the chunks it delivers: length-prefix
   * decoding (caps enforced), then `deliver` to the runner. Never throws; a framing violation calls
   * `onReject` once (the caller resets the stream) and the rest of the input is ignored. Exposed so the
   * whole path can be fuzzed in process.
   */
  streamReader(peer: string, onReject: (err: Error) => void): (chunk: Chunk) => void {
    return frameReader(this.maxFrameBytes, { onFrame: (frame) => this.deliver(peer, frame), onReject });
  }

  private rejectStream(peer: string, stream: Stream, err: Error): void {
    const reason = err instanceof FrameRejectedError ? err.reason : "bad-length";
    this.metrics.frameRejected(reason, "in");
    this.log.warn(
      { peer, reason, code: (err as { code?: string }).code },
      "rejected a frame; resetting the stream",
    );
    stream.abort(err);
  }

  /** Hands one frame to the runner's handler; never throws (a failing handler is logged and counted). */
  deliver(peer: string, frame: Uint8Array): void {
    const handler = this.handler;
    if (handler === null) {
      this.metrics.frameRejected("no-handler", "in");
      this.log.debug({ peer }, "dropped a frame: no handler installed");
      return;
    }
    try {
      const result: unknown = handler(peer, frame);
      if (result instanceof Promise) result.catch((err: unknown) => this.handlerFailed(peer, err));
    } catch (err) {
      this.handlerFailed(peer, err);
    }
  }

  private handlerFailed(peer: string, err: unknown): void {
    this.metrics.frameRejected("handler-error", "in");
    const e = err as { name?: string; code?: string };
    this.log.error({ peer, error: e?.name, code: e?.code }, "frame handler threw");
  }

  // --- outbound --------------------------------------------------------------------------------

  private outboundStream(peer: string): Promise<Stream> {
    const ready = this.ready.get(peer);
    if (ready && ready.status === "open" && ready.writeStatus === "writable") return Promise.resolve(ready);
    if (ready) this.dropStream(peer, ready);
    let pending = this.opening.get(peer);
    if (!pending) {
      pending = this.openStream(peer).finally(() => this.opening.delete(peer));
      this.opening.set(peer, pending);
    }
    return pending;
  }

  private async openStream(peer: string): Promise<Stream> {
    const id = this.peerId(peer);
    const signal = AbortSignal.timeout(this.dialTimeoutMs);
    const connection = await this.components.connectionManager.openConnection(id, { signal });
    const stream = await connection.newStream(this.protocol, { signal });
    if (this.stopping || !this.allowlist.has(peer)) {
      stream.abort(new PeerNotAllowedError(peer));
      throw new PeerUnreachableError(peer, "peer removed or transport stopping");
    }
    this.attachReader(stream, peer); // peers should not write here, but a reply would be framed the same
    stream.addEventListener("close", () => this.dropStream(peer, stream), { once: true });
    this.ready.set(peer, stream);
    return stream;
  }

  private dropStream(peer: string, stream: Stream): void {
    if (this.ready.get(peer) === stream) this.ready.delete(peer);
  }

  // --- connectivity ----------------------------------------------------------------------------

  private readonly onPeerConnect = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString();
    if (this.allowlist.has(peer)) {
      // Stop redialling, but keep the attempt count until the connection proves stable (a peer that
      // accepts and then drops us must not be redialled at the initial rate forever).
      const r = this.redials.get(peer) ?? { attempt: 0 };
      clearTimeout(r.timer);
      r.timer = undefined;
      r.connectedAt = Date.now();
      this.redials.set(peer, r);
      this.log.info({ peer }, "peer connected");
    }
    this.metrics.peersConnected(this.connectedPeers().length);
  };

  private readonly peerDisconnected = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString();
    this.metrics.peersConnected(this.connectedPeers().length);
    if (this.allowlist.has(peer)) this.disconnectHandler?.(peer);
    const stream = this.ready.get(peer);
    if (stream) this.dropStream(peer, stream);
    const r = this.redials.get(peer);
    if (r?.connectedAt !== undefined && Date.now() - r.connectedAt >= STABLE_CONNECTION_MS) r.attempt = 0;
    if (r) r.connectedAt = undefined;
    if (this.running && !this.stopping && this.allowlist.has(peer) && this.addresses.has(peer)) {
      this.log.info({ peer }, "peer disconnected; will redial");
      this.scheduleRedial(peer, false);
    }
  };

  /** Schedules the next dial; each scheduled redial since the last stable connection backs off further. */
  private scheduleRedial(peer: string, immediate: boolean): void {
    const r = this.redials.get(peer) ?? { attempt: 0 };
    this.redials.set(peer, r);
    if (r.timer !== undefined) return;
    const delay = immediate ? 0 : backoffDelay(r.attempt++, this.backoff, this.rng);
    r.timer = setTimeout(() => {
      r.timer = undefined;
      void this.redial(peer, r);
    }, delay);
    r.timer.unref?.();
  }

  private async redial(peer: string, r: Redial): Promise<void> {
    if (!this.running || this.stopping || !this.allowlist.has(peer) || !this.addresses.has(peer)) return;
    try {
      await this.outboundStream(peer);
    } catch (err) {
      if (this.redials.get(peer) !== r || r.connectedAt !== undefined) return; // cancelled, or they dialled us
      this.log.debug({ peer, attempt: r.attempt, error: (err as Error).name }, "redial failed");
      this.scheduleRedial(peer, false);
    }
  }

  private cancelRedial(peer: string): void {
    const r = this.redials.get(peer);
    if (r) clearTimeout(r.timer);
    this.redials.delete(peer);
  }

  /** Drops everything we hold for a peer removed from the allowlist and closes its connections. */
  private async forget(peer: string): Promise<void> {
    this.cancelRedial(peer);
    this.addresses.delete(peer);
    const stream = this.ready.get(peer);
    if (stream) {
      this.dropStream(peer, stream);
      stream.abort(new PeerNotAllowedError(peer));
    }
    const id = this.peerIds.get(peer);
    this.peerIds.delete(peer);
    if (id && this.running) await this.components.connectionManager.closeConnections(id).catch(() => {});
    this.log.info({ peer }, "peer removed from the allowlist");
  }

  private peerId(peer: string): PeerId {
    let id = this.peerIds.get(peer);
    if (!id) {
      id = peerIdFromString(peer);
      this.peerIds.set(peer, id);
    }
    return id;
  }

  private parsePeer(p: PeerAddress): { peerId: string; id: PeerId; multiaddrs: Multiaddr[] } {
    let id: PeerId;
    try {
      id = peerIdFromString(p.peerId);
    } catch (cause) {
      throw new ParameterError(`invalid peer id ${JSON.stringify(String(p.peerId).slice(0, 80))}`, [], {
        cause,
      });
    }
    if (id.type !== "Ed25519") throw new ParameterError(`peer ${p.peerId}: expected an Ed25519 peer id`);
    const multiaddrs = (p.multiaddrs ?? []).map((s) => {
      let ma: Multiaddr;
      try {
        ma = multiaddr(s);
      } catch (cause) {
        throw new ParameterError(`peer ${p.peerId}: invalid multiaddr ${JSON.stringify(s)}`, [], { cause });
      }
      const p2p = ma.getComponents().find((c) => c.code === P2P_CODE);
      if (p2p && p2p.value !== p.peerId) {
        throw new ParameterError(`peer ${p.peerId}: multiaddr ${s} names another peer`);
      }
      return p2p ? ma.decapsulateCode(P2P_CODE) : ma;
    });
    return { peerId: id.toString(), id, multiaddrs };
  }
}

/** The libp2p service factory: `services: { mesh: shardlessMesh({ allowlist }) }`. */
export function shardlessMesh(
  init: ShardlessMeshInit,
): (components: ShardlessMeshComponents) => ShardlessMesh {
  return (components) => new ShardlessMesh(components, init);
}
