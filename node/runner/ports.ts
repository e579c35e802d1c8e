/**
 * Ports: what the runner needs from the outside world (DESIGN.md §2, layer 3). Adapters implement them
 * (adapters/libp2p, adapters/memory, adapters/storage, ...). Protocols never see these.
 */

/** Moves opaque frames between members, addressed by libp2p peer id (string). */
export interface Transport {
  /** This node's peer id. */
  readonly self: string;
  /** Sends one frame; rejects with a typed error if the peer is unreachable. Never throws synchronously. */
  send(peer: string, frame: Uint8Array): Promise<void>;
  /** Installs the single handler for incoming frames. The transport never calls it with its own frames. */
  onFrame(handler: (peer: string, frame: Uint8Array) => void): void;
  /** Peers with an open connection right now. */
  connectedPeers(): string[];
  /**
   * Installs the single handler told when the last connection to a peer closes: frames it had not sent
   * yet will not arrive, so sessions waiting for it can end at once instead of at their round timeout.
   */
  onPeerDisconnect?(handler: (peer: string) => void): void;
}

/** Signs outgoing frames with this node's long-term identity key and verifies peers' signatures. */
export interface FrameAuthenticator {
  sign(bytes: Uint8Array): Uint8Array;
  verify(peer: string, bytes: Uint8Array, signature: Uint8Array): boolean;
}

/** Time and timers (tests use a manual clock). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Structured logger (pino-compatible subset). Never pass secret values. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/**
 * Durable, atomic key-value storage for secret material (shares, presignatures, nonce state). Keys are
 * slash-separated paths such as `shares/<group>/<keyId>/<epoch>`. Implementations encrypt at rest and
 * write atomically and in order (the file store: a synced write-ahead log record, later checkpointed by
 * temp file, fsync, rename, directory fsync): after `put` resolves the value survives a crash, a crash
 * during `put` leaves the old value, and a crash never keeps a later write while losing an earlier one.
 */
export interface ShareStore {
  /**
   * `durable: false` (only for writes whose loss is harmless, e.g. erasing a used secret whose earlier
   * record is as safe): still atomic and in order, old or new value after a crash, but resolves without
   * waiting for a sync, so it does not queue behind the writes that must be on disk before a protocol step.
   */
  put(key: string, value: Uint8Array, opts?: { readonly durable?: boolean }): Promise<void>;
  /** null if absent; throws a typed error if present but corrupt (never silently returns garbage). */
  get(key: string): Promise<Uint8Array | null>;
  /** `durable: false` as for `put` (e.g. deleting a used secret whose earlier record is as safe). */
  delete(key: string, opts?: { readonly durable?: boolean }): Promise<void>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
}
