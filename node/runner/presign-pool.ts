/**
 * Per-key presignature pool (specs/ecdsa.md §1.4–1.5; DESIGN.md §3 "Sign"): keeps up to `depth` ready
 * presignatures for one key, refilling in the background by running presigning sessions through an
 * injected `presign(batchSize, epoch)` function (the runner's real session, or a fake in tests).
 *
 *   - `take()` is synchronous and FIFO: signing never waits for presigning while the pool is not empty;
 *     `acquire()` waits only when it is empty.
 *   - Every presignature taken is gone from the pool for good (single use, §1.7); whether it then
 *     signs or aborts, it is never handed out again.
 *   - `setEpoch(e)` drops every presignature of an older epoch (they were made with the old shares) and
 *     discards results of sessions still running for an old epoch when they arrive.
 *   - A failed session, or one that produced nothing, is retried after a back-off (`retryDelayMs`,
 *     doubling up to `maxRetryDelayMs`).
 *   - A refill yields to signing: at the low-water mark it starts only once no presignature was taken
 *     for `quietMs` (presigning a batch keeps every member's CPU busy for tens of ms, which a signature
 *     arriving meanwhile would wait out), unless the pool is down to half that mark or someone waits.
 * The pool holds only what the coordinator needs (ids, epochs, public data); members keep their secret
 * shares in their PresignatureStore.
 */
import { ParameterError, ShardlessError } from "../protocol/errors.js";
import { silentLogger, systemClock, type Clock, type Logger } from "./ports.js";

export interface PooledPresignature {
  readonly presigId: string;
  readonly epoch: number;
}

export interface PresignPoolOptions<P extends PooledPresignature> {
  /** Runs one presigning session at `epoch`; resolves with the presignatures it produced. */
  readonly presign: (batchSize: number, epoch: number) => Promise<readonly P[]>;
  /** Target number of ready presignatures. */
  readonly depth: number;
  /** Presignatures requested per session (the last session of a refill may ask for fewer). */
  readonly batchSize: number;
  /** The key's current epoch. */
  readonly epoch: number;
  /** Refill starts when at most this many remain (then goes on up to depth). @default depth − 1 */
  readonly lowWater?: number;
  /**
   * A refill above half the low-water mark waits until no presignature was taken for this long.
   * @default 25
   */
  readonly quietMs?: number;
  /** @default 500 */
  readonly retryDelayMs?: number;
  /** @default 30000 */
  readonly maxRetryDelayMs?: number;
  /** Told about presignatures the pool throws away (epoch change, stop), so members can erase them. */
  readonly onDrop?: (dropped: readonly P[]) => void;
  /**
   * Presignatures ready from the start (those a previous process kept at `stop({ keep: true })`); any of
   * another epoch than `epoch`, or beyond `depth`, is dropped at once.
   */
  readonly ready?: readonly P[];
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
}

interface Waiter<P> {
  resolve(p: P): void;
  reject(e: unknown): void;
}

/** `acquire` on a pool that is stopped (or stops while waiting). */
export class PoolStoppedError extends ShardlessError {
  readonly code = "POOL_STOPPED";
}

export class PresignPool<P extends PooledPresignature> {
  private readonly queue: P[] = [];
  private readonly waiters: Waiter<P>[] = [];
  private currentEpoch: number;
  private running = false;
  /** A refill started (at the low-water mark) and goes on until the pool is full. */
  private refilling = false;
  private inFlight: Promise<void> | null = null;
  private retryTimer: { cancel(): void } | null = null;
  /** A refill deferred until signing has been quiet for `quietMs`. */
  private quietTimer: { cancel(): void } | null = null;
  private lastTake = -Infinity;
  private retryDelay: number;
  private idleWaiters: (() => void)[] = [];
  /** The last presigning failure (cleared by the next success). */
  lastError: unknown = null;

  constructor(private readonly opts: PresignPoolOptions<P>) {
    if (!Number.isInteger(opts.depth) || opts.depth < 1)
      throw new ParameterError("`depth` expected integer >= 1");
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new ParameterError("`batchSize` expected integer >= 1");
    }
    if (typeof opts.presign !== "function") throw new ParameterError("`presign` expected function");
    this.currentEpoch = opts.epoch;
    this.retryDelay = opts.retryDelayMs ?? 500;
    const ready = opts.ready ?? [];
    const usable = ready.filter((p) => p.epoch === opts.epoch).slice(0, opts.depth);
    this.queue.push(...usable);
    this.drop(ready.filter((p) => !usable.includes(p)));
  }

  private get lowWater(): number {
    return this.opts.lowWater ?? this.opts.depth - 1;
  }

  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }
  private get logger(): Logger {
    return this.opts.logger ?? silentLogger;
  }

  /** Ready presignatures. */
  get size(): number {
    return this.queue.length;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  /** Starts background refilling. */
  start(): void {
    this.running = true;
    this.pump();
  }

  /**
   * Stops refilling, fails pending `acquire` calls and drops what is ready — or, with `keep`, hands it
   * back instead (unused, not dropped: for a process that stops and offers them to its next start).
   * Does not wait for a running session (it may hang on an unreachable peer): its results are dropped
   * when they arrive.
   */
  stop(opts: { readonly keep?: boolean } = {}): P[] {
    this.running = false;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.quietTimer?.cancel();
    this.quietTimer = null;
    for (const w of this.waiters.splice(0)) w.reject(new PoolStoppedError("presignature pool stopped"));
    const ready = this.queue.splice(0);
    if (!opts.keep) this.drop(ready);
    this.notifyIdle();
    return opts.keep ? ready : [];
  }

  /** The oldest ready presignature, or undefined if none: never waits. */
  take(): P | undefined {
    const p = this.queue.shift();
    if (p !== undefined) {
      this.lastTake = this.clock.now();
      this.pump();
    }
    return p;
  }

  /** The oldest ready presignature; waits for the next refill only if the pool is empty. */
  acquire(): Promise<P> {
    const p = this.take();
    if (p !== undefined) return Promise.resolve(p);
    if (!this.running) return Promise.reject(new PoolStoppedError("presignature pool is not running"));
    return new Promise<P>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  /** Moves to a new epoch: drops all presignatures of older epochs and refills. Returns the dropped. */
  setEpoch(epoch: number): P[] {
    if (!Number.isSafeInteger(epoch) || epoch < this.currentEpoch) {
      throw new ParameterError(`epoch must not go back (at ${this.currentEpoch}, got ${epoch})`);
    }
    this.currentEpoch = epoch;
    const dropped = this.queue.filter((p) => p.epoch < epoch);
    this.queue.splice(0, this.queue.length, ...this.queue.filter((p) => p.epoch >= epoch));
    this.drop(dropped);
    this.retryDelay = this.opts.retryDelayMs ?? 500;
    this.pump();
    return dropped;
  }

  /** Resolves once nothing is running and the pool is full (or stopped). For tests and shutdown. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return (
      this.inFlight === null &&
      this.retryTimer === null &&
      this.quietTimer === null &&
      (!this.running ||
        this.deficit() === 0 ||
        (!this.refilling && this.waiters.length === 0 && this.queue.length > this.lowWater))
    );
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** How many more presignatures the pool wants (counting waiters, who take them immediately). */
  private deficit(): number {
    return Math.max(0, this.opts.depth + this.waiters.length - this.queue.length);
  }

  private drop(ps: readonly P[]): void {
    if (ps.length > 0) this.opts.onDrop?.(ps);
  }

  /** Starts one presigning session if the pool is short and none is running or waiting to retry. */
  private pump(): void {
    if (!this.running || this.inFlight || this.retryTimer) return;
    const urgent = this.waiters.length > 0 || this.queue.length <= Math.floor(this.lowWater / 2);
    if (this.quietTimer) {
      if (!urgent) return;
      this.quietTimer.cancel();
      this.quietTimer = null;
    }
    const want = this.deficit();
    if (want === 0) {
      this.refilling = false;
      return;
    }
    // Refill in batches once the pool is down to its low-water mark (or someone waits), then up to
    // depth: a presigning session after every signature would run beside every online signing.
    if (!this.refilling && this.waiters.length === 0 && this.queue.length > this.lowWater) return;
    if (!this.refilling && !urgent) {
      const wait = this.lastTake + (this.opts.quietMs ?? 25) - this.clock.now();
      if (wait > 0) {
        this.quietTimer = this.clock.setTimeout(() => {
          this.quietTimer = null;
          this.pump();
          this.notifyIdle();
        }, wait);
        return;
      }
    }
    this.refilling = true;
    const batch = Math.min(this.opts.batchSize, want);
    const epoch = this.currentEpoch;
    this.inFlight = Promise.resolve()
      .then(() => this.opts.presign(batch, epoch))
      .then(
        (made) => this.accept(made, epoch),
        (error) => this.fail(error),
      )
      .finally(() => {
        this.inFlight = null;
        this.pump();
        this.notifyIdle();
      });
  }

  private accept(made: readonly P[], epoch: number): void {
    // A session that made nothing is no progress: back off like a failure, or the pool would spin.
    if (made.length === 0) return this.fail(new ParameterError("presigning session produced nothing"));
    this.lastError = null;
    this.retryDelay = this.opts.retryDelayMs ?? 500;
    const fresh = made.filter((p) => p.epoch === this.currentEpoch && epoch === this.currentEpoch);
    this.drop(made.filter((p) => !fresh.includes(p)));
    if (!this.running) {
      this.drop(fresh);
      return;
    }
    for (const p of fresh) {
      const w = this.waiters.shift();
      if (w) w.resolve(p);
      else this.queue.push(p);
    }
  }

  private fail(error: unknown): void {
    this.lastError = error;
    this.logger.warn({ code: (error as { code?: string })?.code }, "presigning session failed; will retry");
    if (!this.running) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.opts.maxRetryDelayMs ?? 30_000);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.pump();
      this.notifyIdle();
    }, delay);
  }
}
