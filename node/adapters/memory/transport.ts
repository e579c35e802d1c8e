/**
 * In-memory Transport (runner/ports.ts) for tests and in-process benchmarks: a MemoryNetwork connects any
 * number of peers; every frame is delivered asynchronously (never inside `send`), in order unless a
 * fault says otherwise. Faults (./faults.ts) rewrite deliveries: drop, delay, reorder, duplicate,
 * corrupt, equivocate; `crash(peer)` stops a peer sending and receiving.
 *
 *   const net = new MemoryNetwork();
 *   const a = net.transport("peer-a"), b = net.transport("peer-b");
 *   net.addFault(faults.drop({ from: "peer-a", to: "peer-b" }));
 */
import { ShardlessError } from "../../protocol/errors.js";
import type { Clock, Transport } from "../../runner/ports.js";

/** Real timers that keep the process alive while frames are in flight (systemClock's are unref'd). */
const liveClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

/** One frame on its way from one peer to another. */
export interface Delivery {
  readonly from: string;
  readonly to: string;
  readonly bytes: Uint8Array;
  /** Extra latency before delivery (ms, on the network's clock); 0 = next tick. */
  readonly delayMs: number;
}

/** A fault rewrites one delivery into any number of deliveries (none = dropped). */
export type Fault = (d: Delivery) => Delivery[];

/** The peer is unknown to the network or has crashed. */
export class PeerUnreachableError extends ShardlessError {
  readonly code = "PEER_UNREACHABLE";
  constructor(readonly peer: string) {
    super(`peer ${peer} is unreachable`);
  }
}

export interface MemoryNetworkOptions {
  /** Clock for delayed deliveries. @default real timers */
  readonly clock?: Clock;
}

/** Per-peer traffic counters (bytes and frames handed to `send`, before faults). */
export interface PeerTraffic {
  bytesSent: number;
  framesSent: number;
  framesReceived: number;
}

export class MemoryNetwork {
  private readonly clock: Clock;
  private readonly handlers = new Map<string, ((peer: string, frame: Uint8Array) => void) | undefined>();
  private readonly disconnectHandlers = new Map<string, (peer: string) => void>();
  private readonly crashed = new Set<string>();
  private faults: Fault[] = [];
  private immediate = 0;
  private idleWaiters: (() => void)[] = [];
  readonly traffic = new Map<string, PeerTraffic>();

  constructor(opts: MemoryNetworkOptions = {}) {
    this.clock = opts.clock ?? liveClock;
  }

  /** Creates (or returns) the transport of `peer`. */
  transport(peer: string): Transport {
    if (!this.handlers.has(peer)) {
      this.handlers.set(peer, undefined);
      this.traffic.set(peer, { bytesSent: 0, framesSent: 0, framesReceived: 0 });
    }
    return new MemoryTransport(this, peer);
  }

  /** Adds a fault (applied in insertion order); returns a function that removes it. */
  addFault(fault: Fault): () => void {
    this.faults.push(fault);
    return () => {
      this.faults = this.faults.filter((f) => f !== fault);
    };
  }

  /** Stops `peer`: its sends reject, frames to it are lost, and every other peer sees it disconnect. */
  crash(peer: string): void {
    if (this.crashed.has(peer)) return;
    this.crashed.add(peer);
    for (const [other, handler] of this.disconnectHandlers) {
      if (other !== peer && this.isUp(other)) this.nextTick(() => handler(peer));
    }
  }

  restart(peer: string): void {
    this.crashed.delete(peer);
  }

  isUp(peer: string): boolean {
    return this.handlers.has(peer) && !this.crashed.has(peer);
  }

  peers(): string[] {
    return [...this.handlers.keys()];
  }

  /** Resolves once no next-tick delivery is in flight (delayed deliveries wait for the clock). */
  settled(): Promise<void> {
    if (this.immediate === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** @internal */
  setHandler(peer: string, handler: (peer: string, frame: Uint8Array) => void): void {
    this.handlers.set(peer, handler);
  }

  /** @internal */
  setDisconnectHandler(peer: string, handler: (peer: string) => void): void {
    this.disconnectHandlers.set(peer, handler);
  }

  /** @internal */
  send(from: string, to: string, bytes: Uint8Array): Promise<void> {
    if (!this.isUp(from)) return Promise.reject(new PeerUnreachableError(from));
    if (!this.isUp(to)) return Promise.reject(new PeerUnreachableError(to));
    const t = this.traffic.get(from)!;
    t.bytesSent += bytes.length;
    t.framesSent++;
    let deliveries: Delivery[] = [{ from, to, bytes: bytes.slice(), delayMs: 0 }];
    for (const fault of this.faults) deliveries = deliveries.flatMap(fault);
    for (const d of deliveries) this.schedule(d);
    return Promise.resolve();
  }

  private schedule(d: Delivery): void {
    const deliver = () => {
      if (!this.isUp(d.to) || !this.isUp(d.from)) return;
      const handler = this.handlers.get(d.to);
      if (!handler) return;
      this.traffic.get(d.to)!.framesReceived++;
      handler(d.from, d.bytes);
    };
    if (d.delayMs > 0) {
      this.clock.setTimeout(deliver, d.delayMs);
      return;
    }
    this.nextTick(deliver);
  }

  /** Runs `fn` on a later tick; `settled()` waits for it. */
  private nextTick(fn: () => void): void {
    this.immediate++;
    setImmediate(() => {
      try {
        fn();
      } finally {
        if (--this.immediate === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      }
    });
  }
}

class MemoryTransport implements Transport {
  constructor(
    private readonly network: MemoryNetwork,
    readonly self: string,
  ) {}

  send(peer: string, frame: Uint8Array): Promise<void> {
    return this.network.send(this.self, peer, frame);
  }

  onFrame(handler: (peer: string, frame: Uint8Array) => void): void {
    this.network.setHandler(this.self, handler);
  }

  onPeerDisconnect(handler: (peer: string) => void): void {
    this.network.setDisconnectHandler(this.self, handler);
  }

  connectedPeers(): string[] {
    if (!this.network.isUp(this.self)) return [];
    return this.network.peers().filter((p) => p !== this.self && this.network.isUp(p));
  }
}
