/**
 * The round contract every protocol implements (DESIGN.md §2, layer 2). A protocol is a chain of pure
 * rounds:
 *   - `receive(from, message)` validates one incoming message and stores it. A bad message throws a
 *     typed error (InvalidMessageError naming the sender) and leaves the round's state unchanged.
 *   - `ready()` says whether the round has everything it needs; `missing()` who it still waits for.
 *   - `finalize(rng)` returns the next round with the messages to send, the result, or an abort naming
 *     the culprits. Randomness comes only from `rng`.
 * No async, I/O, clock or global state inside a round: the runner (runner/) does all of that.
 */
import type { Rng } from "../crypto/rng.js";
import { InvalidMessageError, type ShardlessError } from "./errors.js";

/** A member id (1..n) for a private message, or "all" for the same message to every other participant. */
export type Recipient = number | "all";

export interface Outgoing<M> {
  readonly to: Recipient;
  readonly message: M;
}

export type Transition<M, R> =
  | { readonly kind: "next"; readonly round: Round<M, R>; readonly outgoing: readonly Outgoing<M>[] }
  | { readonly kind: "done"; readonly result: R; readonly outgoing: readonly Outgoing<M>[] }
  | { readonly kind: "abort"; readonly error: ShardlessError; readonly outgoing?: readonly Outgoing<M>[] };

/**
 * Evidence that a message really came from its sender: the exact signed wire frame. The runner attaches
 * it; protocols that must prove equivocation (echo broadcast) keep it. In-memory unit tests may omit it.
 */
export interface SignedFrame {
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
}

export interface Round<M, R> {
  /** Protocol name, e.g. "dkg". */
  readonly protocol: string;
  /** 1-based round number; messages carry it on the wire. */
  readonly number: number;
  /** This member's id. */
  readonly self: number;
  /** Members this round expects a message from (never includes self). */
  readonly expected: readonly number[];
  receive(from: number, message: M, frame?: SignedFrame): void;
  ready(): boolean;
  missing(): number[];
  finalize(rng: Rng): Transition<M, R>;
}

/** The first step of a protocol: a round to wait in and the messages that open it. */
export interface Start<M, R> {
  readonly round: Round<M, R>;
  readonly outgoing: readonly Outgoing<M>[];
}

/** How a protocol's messages travel: one encode/decode pair per protocol; decode is strict. */
export interface MessageCodec<M> {
  /** Wire protocol id (one byte), see PROTOCOL_IDS. */
  readonly protocolId: number;
  encode(message: M): Uint8Array;
  /** Decodes a message announced for `round`; throws DecodeError on anything malformed. */
  decode(round: number, bytes: Uint8Array): M;
}

/** Wire protocol ids (one byte in every frame). Never reuse a number. */
export const PROTOCOL_IDS = {
  control: 0,
  dkg: 1,
  ecdsaPresign: 2,
  ecdsaSign: 3,
  frost: 4,
  decrypt: 5,
  refresh: 6,
  recover: 7,
  reshare: 8,
} as const;

/**
 * A reusable base for rounds that wait for one message from each expected member: stores messages in a
 * map, rejects duplicates (an identical resend is ignored; different content from the same sender is an
 * InvalidMessageError) and senders it does not expect. Subclasses implement `validate` (throw to
 * reject, no side effects) and `finalize`.
 */
export abstract class CollectingRound<M, R> implements Round<M, R> {
  abstract readonly protocol: string;
  abstract readonly number: number;
  protected readonly received = new Map<number, M>();
  protected readonly frames = new Map<number, SignedFrame>();

  constructor(
    readonly self: number,
    readonly expected: readonly number[],
  ) {}

  /** Throws a typed error if `message` from `from` is invalid. Must not change state. */
  protected abstract validate(from: number, message: M): void;
  /** Equality used to tell an identical resend from equivocation. */
  protected abstract same(a: M, b: M): boolean;

  receive(from: number, message: M, frame?: SignedFrame): void {
    if (!this.expected.includes(from)) {
      throw new UnexpectedSenderError(
        from,
        `${this.protocol} round ${this.number} expects no message from ${from}`,
      );
    }
    const prior = this.received.get(from);
    if (prior !== undefined) {
      if (this.same(prior, message)) return;
      throw new DuplicateMessageError(from, `member ${from} sent two different messages in one round`);
    }
    this.validate(from, message);
    this.received.set(from, message);
    if (frame) this.frames.set(from, frame);
  }

  ready(): boolean {
    return this.expected.every((id) => this.received.has(id));
  }

  missing(): number[] {
    return this.expected.filter((id) => !this.received.has(id));
  }

  abstract finalize(rng: Rng): Transition<M, R>;
}

/** A message from someone the round does not expect (not a participant, or itself). Not provable. */
export class UnexpectedSenderError extends InvalidMessageError {
  constructor(sender: number, message: string) {
    super(sender, message, false);
  }
}

/** A second, different message from one sender in one round (equivocation towards us). */
export class DuplicateMessageError extends InvalidMessageError {
  constructor(sender: number, message: string) {
    super(sender, message, true);
  }
}
