/**
 * Follows registry events with confirmations by polling `eth_getLogs`. Nodes act on registry events
 * (admit peers, run a DKG, erase old shares) only once they are `confirmations` deep, so a short reorg
 * cannot make a node act on an event that disappears. Delivery is in (block, logIndex) order and
 * at-least-once across a handler failure: a failed event is retried on the next poll, events before it
 * are not redelivered. Undecodable logs are reported and skipped (the node stays up).
 */
import type { Interface, Log, Provider } from "ethers";
import { systemClock, type Clock } from "../../runner/ports.js";
import { ParameterError } from "../../protocol/errors.js";
import { toChainError } from "./errors.js";
import { decodeRegistryLog } from "./events.js";
import type { RegistryEvent, RegistryEventName } from "./types.js";

export type RegistryEventHandler = (event: RegistryEvent) => void | Promise<void>;

export interface FollowOptions {
  /** First block to read (inclusive). */
  fromBlock: number;
  /**
   * Confirmations a log needs before delivery, counted like ethers' `wait(confirmations)`: 1 means
   * "mined"; a log in block b is delivered once the head is at least b + confirmations − 1.
   */
  confirmations: number;
  /** Only these events. @default all registry events */
  events?: readonly RegistryEventName[];
  /** Delay between polls when started with `start()`. @default 2000 */
  pollIntervalMs?: number;
  /** Largest block range per `eth_getLogs` request. @default 1000 */
  maxBlockRange?: number;
  /** Timers for `start()`. @default systemClock */
  clock?: Clock;
  /** Called with undecodable logs (ChainError CHAIN_BAD_EVENT), RPC failures and handler errors. */
  onError?: (error: unknown) => void;
}

export class RegistryFollower {
  readonly #provider: Provider;
  readonly #address: string;
  readonly #iface: Interface;
  readonly #handler: RegistryEventHandler;
  readonly #confirmations: number;
  readonly #topics: string[] | undefined;
  readonly #pollIntervalMs: number;
  readonly #maxBlockRange: number;
  readonly #clock: Clock;
  readonly #onError: (error: unknown) => void;
  #nextBlock: number;
  #lastDelivered: { block: number; index: number } | null = null;
  #timer: { cancel(): void } | null = null;
  #running = false;
  #inFlight: Promise<number> | null = null;

  constructor(
    provider: Provider,
    address: string,
    iface: Interface,
    handler: RegistryEventHandler,
    options: FollowOptions,
  ) {
    if (!Number.isInteger(options.fromBlock) || options.fromBlock < 0) {
      throw new ParameterError("fromBlock expected a non-negative integer");
    }
    if (!Number.isInteger(options.confirmations) || options.confirmations < 1) {
      throw new ParameterError("confirmations expected an integer >= 1");
    }
    const maxBlockRange = options.maxBlockRange ?? 1000;
    if (!Number.isInteger(maxBlockRange) || maxBlockRange < 1) {
      throw new ParameterError("maxBlockRange expected an integer >= 1");
    }
    this.#provider = provider;
    this.#address = address;
    this.#iface = iface;
    this.#handler = handler;
    this.#confirmations = options.confirmations;
    this.#topics = options.events?.map((name) => {
      const event = iface.getEvent(name);
      if (!event) throw new ParameterError(`events: unknown registry event ${name}`);
      return event.topicHash;
    });
    this.#pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.#maxBlockRange = maxBlockRange;
    this.#clock = options.clock ?? systemClock;
    this.#onError = options.onError ?? (() => {});
    this.#nextBlock = options.fromBlock;
  }

  /** The next block this follower will read; persist it to resume after a restart. */
  get nextBlock(): number {
    return this.#nextBlock;
  }

  /**
   * Reads every confirmed block not read yet and delivers its events. Resolves with the number of events
   * delivered; rejects with a ChainError if the RPC fails, or with the handler's error.
   */
  poll(): Promise<number> {
    // Never two passes at once: they would deliver the same logs twice.
    this.#inFlight ??= this.#pollOnce().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  /** Polls now and then every `pollIntervalMs` until `stop()`; errors go to `onError`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#tick();
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
    await this.#inFlight?.catch(() => {});
  }

  async #tick(): Promise<void> {
    try {
      await this.poll();
    } catch (error) {
      this.#onError(error);
    }
    if (this.#running) this.#timer = this.#clock.setTimeout(() => void this.#tick(), this.#pollIntervalMs);
  }

  async #pollOnce(): Promise<number> {
    let head: number;
    try {
      head = await this.#provider.getBlockNumber();
    } catch (error) {
      throw toChainError(error, this.#iface, "getBlockNumber");
    }
    const safeHead = head - this.#confirmations + 1;
    let delivered = 0;
    while (this.#nextBlock <= safeHead) {
      const toBlock = Math.min(safeHead, this.#nextBlock + this.#maxBlockRange - 1);
      const logs = await this.#getLogs(this.#nextBlock, toBlock);
      for (const log of logs) {
        if (log.removed || this.#alreadyDelivered(log)) continue;
        let event: RegistryEvent;
        try {
          event = decodeRegistryLog(this.#iface, log);
        } catch (error) {
          this.#onError(error);
          this.#markDelivered(log);
          continue;
        }
        await this.#handler(event);
        this.#markDelivered(log);
        delivered++;
      }
      this.#nextBlock = toBlock + 1;
    }
    return delivered;
  }

  async #getLogs(fromBlock: number, toBlock: number): Promise<Log[]> {
    try {
      const logs = await this.#provider.getLogs({
        address: this.#address,
        fromBlock,
        toBlock,
        topics: this.#topics ? [this.#topics] : undefined,
      });
      return [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    } catch (error) {
      throw toChainError(error, this.#iface, `getLogs ${fromBlock}..${toBlock}`);
    }
  }

  #alreadyDelivered(log: Log): boolean {
    const last = this.#lastDelivered;
    return (
      last !== null &&
      (log.blockNumber < last.block || (log.blockNumber === last.block && log.index <= last.index))
    );
  }

  #markDelivered(log: Log): void {
    this.#lastDelivered = { block: log.blockNumber, index: log.index };
  }
}
