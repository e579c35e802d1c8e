/**
 * The runner (DESIGN.md §2, layer 3): drives protocol sessions over the Transport port.
 *
 *   const runner = new Runner({ transport, auth, clock, logger, onRejected });
 *   const share = await runner.run({ sessionId, codec, self, members, start, roundTimeoutMs });
 *
 * Per incoming frame: decode (frame.ts), route by session id, check that the sending peer is a member
 * and that the frame's `from` is that member, that it is addressed to us (or broadcast), that its
 * protocol id is the session's; drop exact duplicates; verify the signature; then pass it to the current
 * round, queue it if it is for a later round (bounded), or refuse it if its round has passed. Frames of
 * sessions that have not started here yet are buffered (bounded in count, bytes and age) and replayed
 * when `run` starts that session, so a member that starts slightly later still gets early frames.
 * Everything refused becomes a FrameRejectedError given to `onRejected` and the logger; the node stays
 * up and the session goes on (the round timeout names members that never sent a valid message).
 */
import { bytesToHex } from "../crypto/hash.js";
import { ParameterError, type ShardlessError } from "../protocol/errors.js";
import { decodeFrame, SESSION_ID_BYTES } from "../protocol/frame.js";
import { FrameRejectedError, SessionCancelledError, type FrameRejectReason } from "./errors.js";
import {
  systemClock,
  silentLogger,
  type Clock,
  type FrameAuthenticator,
  type Logger,
  type Transport,
} from "./ports.js";
import { SessionDriver, type InboundFrame, type RunOptions } from "./session.js";

export type { RunOptions, SessionContext } from "./session.js";

export interface RunnerOptions {
  readonly transport: Transport;
  readonly auth: FrameAuthenticator;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Called with every refused frame (typed); exceptions it throws are ignored. */
  readonly onRejected?: (e: FrameRejectedError) => void;
  /** Frames kept for sessions not started here yet. */
  readonly pending?: {
    /** @default 4096 */
    readonly maxFrames?: number;
    /** @default 16 MiB */
    readonly maxBytes?: number;
    /** How long a buffered frame waits for its session to start. @default 60_000 */
    readonly ttlMs?: number;
  };
  /**
   * Called once per unknown session id, when its first frame is buffered: lets the node decide to
   * start that session (e.g. a DKG a peer began). Exceptions it throws are ignored.
   */
  readonly onPendingSession?: (info: {
    readonly sessionId: Uint8Array;
    readonly protocolId: number;
    readonly peer: string;
  }) => void;
  /** Frames for later rounds queued per session. @default 1024 */
  readonly maxEarlyFrames?: number;
  /** Ended session ids remembered, to tell late frames from frames of future sessions. @default 4096 */
  readonly maxEndedSessions?: number;
  /**
   * How long a peer whose connection dropped may take to reconnect before the sessions waiting for it
   * stop waiting (see SessionDriver.peerLost). @default 1000
   */
  readonly peerLossGraceMs?: number;
}

/** Traffic of one finished or running session, as seen by this member. */
export interface SessionTraffic {
  readonly bytesSent: number;
  readonly framesSent: number;
}

interface Buffered extends InboundFrame {
  readonly at: number;
}

export class Runner {
  private readonly transport: Transport;
  private readonly auth: FrameAuthenticator;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly onRejected?: (e: FrameRejectedError) => void;
  private readonly onPendingSession?: RunnerOptions["onPendingSession"];
  private readonly sessions = new Map<string, SessionDriver<unknown, unknown>>();
  private readonly ended = new Set<string>();
  private readonly lastTraffic = new Map<string, SessionTraffic>();
  private readonly pending = new Map<string, Buffered[]>();
  private pendingFrames = 0;
  private pendingBytes = 0;
  private readonly limits: { maxFrames: number; maxBytes: number; ttlMs: number };
  private readonly maxEarlyFrames: number;
  private readonly maxEndedSessions: number;
  private readonly peerLossGraceMs: number;
  private closed = false;

  constructor(opts: RunnerOptions) {
    if (!opts?.transport) throw new ParameterError("`transport` required");
    if (!opts.auth) throw new ParameterError("`auth` required");
    this.transport = opts.transport;
    this.auth = opts.auth;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.onRejected = opts.onRejected;
    this.onPendingSession = opts.onPendingSession;
    this.limits = {
      maxFrames: opts.pending?.maxFrames ?? 4096,
      maxBytes: opts.pending?.maxBytes ?? 16 * 1024 * 1024,
      ttlMs: opts.pending?.ttlMs ?? 60_000,
    };
    this.maxEarlyFrames = opts.maxEarlyFrames ?? 1024;
    this.maxEndedSessions = opts.maxEndedSessions ?? 4096;
    this.transport.onFrame((peer, bytes) => this.onFrame(peer, bytes));
    this.peerLossGraceMs = opts.peerLossGraceMs ?? 1_000;
    // A dropped connection may come back at once (the mesh redials); only a peer still gone after the
    // grace period ends the sessions that wait for it.
    this.transport.onPeerDisconnect?.((peer) => {
      this.clock.setTimeout(() => {
        if (this.transport.connectedPeers().includes(peer)) return;
        for (const session of [...this.sessions.values()]) session.peerLost(peer);
      }, this.peerLossGraceMs);
    });
  }

  /**
   * Runs one session to its end: resolves with the protocol's result, or rejects with its abort error
   * (a ShardlessError: ProtocolAbortError/EquivocationError with culprits, RoundTimeoutError naming the
   * missing members, SessionCancelledError, or a ParameterError for bad options).
   */
  run<M, R>(opts: RunOptions<M, R>): Promise<R> {
    try {
      this.check(opts);
    } catch (e) {
      return Promise.reject(e as ShardlessError);
    }
    const hex = bytesToHex(opts.sessionId);
    const driver = new SessionDriver<M, R>(
      {
        transport: this.transport,
        auth: this.auth,
        clock: this.clock,
        logger: this.logger,
        reject: (e) => this.report(e),
        maxEarlyFrames: this.maxEarlyFrames,
      },
      opts,
      () => this.end(hex),
    );
    this.sessions.set(hex, driver as SessionDriver<unknown, unknown>);
    const buffered = this.takePending(hex);
    driver.begin(buffered);
    return driver.promise;
  }

  /** Bytes and frames this member sent in a session (kept until the session id is forgotten). */
  traffic(sessionId: Uint8Array): SessionTraffic | undefined {
    const d = this.sessions.get(bytesToHex(sessionId)) ?? this.lastTraffic.get(bytesToHex(sessionId));
    return d && { bytesSent: d.bytesSent, framesSent: d.framesSent };
  }

  /** Hex ids of the sessions running now. */
  activeSessions(): string[] {
    return [...this.sessions.keys()];
  }

  /** Cancels every running session and drops buffered frames. The transport handler stays installed. */
  close(): void {
    this.closed = true;
    for (const d of [...this.sessions.values()]) d.cancel(new SessionCancelledError("runner closed"));
    this.pending.clear();
    this.pendingFrames = 0;
    this.pendingBytes = 0;
  }

  private check<M, R>(opts: RunOptions<M, R>): void {
    if (this.closed) throw new ParameterError("runner is closed");
    if (!(opts.sessionId instanceof Uint8Array) || opts.sessionId.length !== SESSION_ID_BYTES) {
      throw new ParameterError("`sessionId` expected 32 bytes");
    }
    const hex = bytesToHex(opts.sessionId);
    if (this.sessions.has(hex) || this.ended.has(hex)) throw new ParameterError("session id already used");
    if (!opts.members?.has(opts.self)) throw new ParameterError("`members` must include `self`");
    if (opts.members.get(opts.self) !== this.transport.self) {
      throw new ParameterError("`members` maps `self` to another peer than this transport");
    }
    const peers = new Set(opts.members.values());
    if (peers.size !== opts.members.size) throw new ParameterError("two members share one peer id");
    for (const id of opts.members.keys()) {
      if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new ParameterError(`bad member id ${id}`);
    }
    if (!(opts.roundTimeoutMs > 0)) throw new ParameterError("`roundTimeoutMs` expected > 0");
    if (
      opts.expireAfterMs !== undefined &&
      !(opts.expireAfterMs > 0 && opts.expireAfterMs < opts.roundTimeoutMs)
    ) {
      throw new ParameterError("`expireAfterMs` expected in (0, roundTimeoutMs)");
    }
  }

  private onFrame(peer: string, bytes: Uint8Array): void {
    try {
      this.route(peer, bytes);
    } catch (e) {
      // Defensive: routing must never take the node down.
      this.logger.error({ peer, err: (e as Error)?.name }, "unexpected error routing a frame");
    }
  }

  private route(peer: string, raw: Uint8Array): void {
    let inbound: InboundFrame;
    try {
      inbound = { peer, raw, frame: decodeFrame(raw) };
    } catch (e) {
      return this.report(new FrameRejectedError("malformed", { peer }, { cause: e }));
    }
    const hex = bytesToHex(inbound.frame.sessionId);
    const session = this.sessions.get(hex);
    if (session) return session.handle(inbound);
    if (this.ended.has(hex)) return this.refuse("stale-session", inbound, hex);
    this.buffer(inbound, hex);
  }

  /** Keeps a frame for a session that may start here soon (bounded; oldest-first expiry). */
  private buffer(inbound: InboundFrame, hex: string): void {
    if (this.closed) return this.refuse("stale-session", inbound, hex);
    this.expirePending();
    const size = inbound.raw.length;
    if (this.pendingFrames + 1 > this.limits.maxFrames || this.pendingBytes + size > this.limits.maxBytes) {
      return this.refuse("pending-overflow", inbound, hex);
    }
    const list = this.pending.get(hex) ?? [];
    list.push({ ...inbound, at: this.clock.now() });
    this.pending.set(hex, list);
    this.pendingFrames++;
    this.pendingBytes += size;
    if (list.length === 1) {
      try {
        const { sessionId, protocolId } = inbound.frame;
        this.onPendingSession?.({ sessionId, protocolId, peer: inbound.peer });
      } catch {
        // the observer's failure must not break routing
      }
    }
  }

  private takePending(hex: string): InboundFrame[] {
    this.expirePending();
    const list = this.pending.get(hex) ?? [];
    this.pending.delete(hex);
    for (const f of list) {
      this.pendingFrames--;
      this.pendingBytes -= f.raw.length;
    }
    return list;
  }

  private expirePending(): void {
    const cutoff = this.clock.now() - this.limits.ttlMs;
    for (const [hex, list] of this.pending) {
      const keep = list.filter((f) => f.at >= cutoff);
      for (const f of list) {
        if (f.at >= cutoff) continue;
        this.pendingFrames--;
        this.pendingBytes -= f.raw.length;
        this.refuse("pending-expired", f, hex);
      }
      if (keep.length === 0) this.pending.delete(hex);
      else if (keep.length !== list.length) this.pending.set(hex, keep);
    }
  }

  private end(hex: string): void {
    const d = this.sessions.get(hex);
    if (d) this.lastTraffic.set(hex, { bytesSent: d.bytesSent, framesSent: d.framesSent });
    this.sessions.delete(hex);
    this.ended.add(hex);
    while (this.ended.size > this.maxEndedSessions) {
      const oldest = this.ended.values().next().value!;
      this.ended.delete(oldest);
      this.lastTraffic.delete(oldest);
    }
  }

  private refuse(reason: FrameRejectReason, f: InboundFrame, hex: string): void {
    this.report(
      new FrameRejectedError(reason, {
        peer: f.peer,
        sessionId: hex,
        sender: f.frame.from,
        round: f.frame.round,
      }),
    );
  }

  private report(e: FrameRejectedError): void {
    const level = e.reason === "duplicate" ? "debug" : "warn";
    this.logger[level]({ code: e.code, reason: e.reason, ...e.detail }, e.message);
    try {
      this.onRejected?.(e);
    } catch {
      // a faulty observer must not break routing
    }
  }
}
