/**
 * Consistent ("echo") broadcast over authenticated point-to-point links — specs/protocols.md §1.1.
 *
 * Building blocks any protocol with a broadcast round (DKG, refresh, reshare) composes:
 *
 *   broadcast round r   every member sends m_i to all (signed frames, attached by the runner)
 *   echo round r+1      every member sends h = echoDigest(sid, protocol, r, m_1..m_n) (own included)
 *   round r+2           all digests equal mine → the protocol continues (its round r+2 is wrapped in a
 *                       RevealGuard); otherwise I send a RevealMessage instead: my own m, the signed
 *                       frames of round r and of the echo round I received, and wait in a RevealRound.
 *                       Whoever sees a reveal in round r+2 aborts: no output after a failed check.
 *
 * Blame (`judgeEcho`, pure): two different validly signed payloads from one sender for one sid + round
 * (round r or the echo round) → EquivocationError naming it; a revealer whose revealed frames do not
 * hash to the digest it sent me, whose reveal is incomplete or carries a forged frame, or whose digest
 * differs from mine while it did not reveal (an honest member that sees a different digest always
 * reveals) is named too. More than one culprit → ProtocolAbortError listing all.
 *
 * Usage from a protocol's broadcast round `finalize`:
 *
 *   const view = collectBroadcast(adapter, this.number, this.self, ownMessage, this.received, this.frames);
 *   return startEcho(ctx, adapter, view, (rng) => continuation(rng));   // continuation: round r+2
 *
 * Requirements: every member of `ctx.members` sends in round r; the round-r messages carry the signed
 * frames (the runner always attaches them; without frames a reveal is incomplete and blames its sender);
 * the protocol's codec is canonical (decode∘encode is the identity), so digests over `adapter.encode`
 * equal digests over the wire payloads; the codec decodes round r+1 as an echo message and round r+2
 * as either its own message or a reveal (see writeEcho/readEcho, writeReveal/readReveal).
 */
import { bytesEqual, sha256 } from "../crypto/hash.js";
import type { Rng } from "../crypto/rng.js";
import { ByteReader, ByteWriter, MAX_FRAME_BYTES } from "./codec.js";
import {
  DecodeError,
  EquivocationError,
  InvalidMessageError,
  ParameterError,
  ProtocolAbortError,
  type ShardlessError,
} from "./errors.js";
import { decodeFrame, type Frame } from "./frame.js";
import type { Round, SignedFrame, Transition } from "./round.js";

export const ECHO_DIGEST_BYTES = 32;
/** Upper bound on members in one session (assertGroupParameters allows 64). */
export const MAX_ECHO_MEMBERS = 64;

/** Checks that `frame` carries a valid signature by member `sender`. Injected by the runner; pure. */
export type VerifyFrame = (sender: number, frame: SignedFrame) => boolean;

/** Session facts the echo layer needs. */
export interface EchoContext {
  /** Protocol name bound into the digest, e.g. "dkg". */
  readonly protocol: string;
  /** Wire protocol id (PROTOCOL_IDS): revealed frames must carry it. */
  readonly protocolId: number;
  readonly sessionId: Uint8Array;
  readonly self: number;
  /** Every participant, self included. */
  readonly members: readonly number[];
  readonly verifyFrame: VerifyFrame;
}

/** Round r+1 message: the digest of everything received in round r. */
export interface EchoMessage {
  readonly kind: "echo";
  readonly digest: Uint8Array;
}

/** A frame someone else signed, passed on as evidence. */
export interface RevealedFrame {
  readonly sender: number;
  readonly frame: SignedFrame;
}

/** Round r+2 message on mismatch: what I sent and the signed frames I received in rounds r and r+1. */
export interface RevealMessage {
  readonly kind: "reveal";
  /** My own round-r payload (authenticated by the frame carrying this reveal). */
  readonly own: Uint8Array;
  /** Signed round-r frames I received, one per other member, ascending sender. */
  readonly frames: readonly RevealedFrame[];
  /** Signed echo-round frames I received, ascending sender. */
  readonly echoFrames: readonly RevealedFrame[];
}

export type EchoLayerMessage = EchoMessage | RevealMessage;

/** How the echo layer travels inside a protocol's message union. */
export interface EchoAdapter<M> {
  /** Wraps an echo-layer message into the protocol's type (identity if the union contains it). */
  lift(m: EchoLayerMessage): M;
  /** The echo-layer message inside `m`, or undefined for one of the protocol's own messages. */
  lower(m: M): EchoLayerMessage | undefined;
  /** The protocol codec's canonical encoding (the frame payload). */
  encode(m: M): Uint8Array;
}

/**
 * Optional round capability used by the runner: at its soft deadline the runner calls `expire()`, the
 * round records the members it still waits for as absent, and `ready()` becomes true. Pure.
 * (Belongs with the round contract; kept here until round.ts adopts it.)
 */
export interface Expirable {
  expire(): void;
}

export function isExpirable(round: object): round is Expirable {
  return typeof (round as Partial<Expirable>).expire === "function";
}

// ---- digest ------------------------------------------------------------------------------------

/**
 * h = SHA-256("echo" ‖ sid ‖ protocol ‖ round ‖ n ‖ (sender ‖ len ‖ payload) for each sender ascending),
 * own payload included. Strings and payloads are u32-length-prefixed, ids u16, round u8.
 */
export function echoDigest(
  sessionId: Uint8Array,
  protocol: string,
  round: number,
  payloads: ReadonlyMap<number, Uint8Array>,
): Uint8Array {
  const w = new ByteWriter().string("echo").fixed(sessionId, 32).string(protocol).u8(round);
  const senders = [...payloads.keys()].sort((a, b) => a - b);
  w.u16(senders.length);
  for (const id of senders) w.u16(id).bytes(payloads.get(id)!);
  return sha256(w.finish());
}

/** Everything one member holds after broadcast round `round`. */
export interface BroadcastView {
  readonly round: number;
  /** Payload of every member, own included. */
  readonly payloads: ReadonlyMap<number, Uint8Array>;
  /** Signed frames received (others only). */
  readonly frames: ReadonlyMap<number, SignedFrame>;
}

/** Builds the view of a finished broadcast round from its stored messages (own message included). */
export function collectBroadcast<M>(
  adapter: EchoAdapter<M>,
  round: number,
  self: number,
  own: M,
  received: ReadonlyMap<number, M>,
  frames: ReadonlyMap<number, SignedFrame>,
): BroadcastView {
  const payloads = new Map<number, Uint8Array>([[self, adapter.encode(own)]]);
  for (const [id, m] of received) payloads.set(id, adapter.encode(m));
  return { round, payloads, frames: new Map(frames) };
}

export function viewDigest(ctx: EchoContext, view: BroadcastView): Uint8Array {
  return echoDigest(ctx.sessionId, ctx.protocol, view.round, view.payloads);
}

// ---- codec pieces (embed in the protocol's codec after its kind tag) ------------------------------

export function writeEcho(w: ByteWriter, m: EchoMessage): ByteWriter {
  return w.fixed(m.digest, ECHO_DIGEST_BYTES);
}

export function readEcho(r: ByteReader): EchoMessage {
  return { kind: "echo", digest: r.fixed(ECHO_DIGEST_BYTES, "echo digest") };
}

function writeFrames(w: ByteWriter, list: readonly RevealedFrame[]): void {
  w.u16(list.length);
  for (const { sender, frame } of list) w.u16(sender).bytes(frame.bytes).bytes(frame.signature);
}

function readFrames(r: ByteReader): RevealedFrame[] {
  const count = r.u16();
  if (count > MAX_ECHO_MEMBERS) throw new DecodeError(`reveal of ${count} frames exceeds cap`);
  const out: RevealedFrame[] = [];
  for (let k = 0; k < count; k++) {
    const sender = r.u16();
    if (k > 0 && sender <= out[k - 1].sender) throw new DecodeError("revealed frames not ascending");
    out.push({ sender, frame: { bytes: r.bytes(MAX_FRAME_BYTES), signature: r.bytes(255) } });
  }
  return out;
}

export function writeReveal(w: ByteWriter, m: RevealMessage): ByteWriter {
  w.bytes(m.own);
  writeFrames(w, m.frames);
  writeFrames(w, m.echoFrames);
  return w;
}

export function readReveal(r: ByteReader): RevealMessage {
  const own = r.bytes(MAX_FRAME_BYTES);
  return { kind: "reveal", own, frames: readFrames(r), echoFrames: readFrames(r) };
}

// ---- evidence checks -----------------------------------------------------------------------------

/** Decodes a revealed frame and checks header and signature; returns its payload or a reason. */
function openRevealed(
  ctx: EchoContext,
  round: number,
  item: RevealedFrame,
): { payload: Uint8Array } | { reason: string } {
  let f: Frame;
  try {
    const { bytes, signature } = item.frame;
    const full = new Uint8Array(bytes.length + 1 + signature.length);
    full.set(bytes, 0);
    full[bytes.length] = signature.length;
    full.set(signature, bytes.length + 1);
    f = decodeFrame(full);
  } catch {
    return { reason: `undecodable frame of ${item.sender}` };
  }
  if (
    f.protocolId !== ctx.protocolId ||
    !bytesEqual(f.sessionId, ctx.sessionId) ||
    f.round !== round ||
    f.from !== item.sender
  ) {
    return { reason: `frame of ${item.sender} is not from this session and round` };
  }
  if (!ctx.verifyFrame(item.sender, item.frame)) return { reason: `forged frame of ${item.sender}` };
  return { payload: f.payload };
}

/** A reveal after its frames were checked (done once, at receive). */
export interface CheckedReveal {
  readonly own: Uint8Array;
  /** Round-r payloads by sender (others). */
  readonly payloads: ReadonlyMap<number, Uint8Array>;
  /** Echo-round payloads by sender. */
  readonly echoPayloads: ReadonlyMap<number, Uint8Array>;
  /** Why this reveal itself proves its sender faulty, if it does. */
  readonly fault?: string;
}

/** Checks every frame in a reveal by `revealer`. Never throws for bad evidence: it records a fault. */
export function checkReveal(
  ctx: EchoContext,
  broadcastRound: number,
  revealer: number,
  m: RevealMessage,
): CheckedReveal {
  const payloads = new Map<number, Uint8Array>();
  const echoPayloads = new Map<number, Uint8Array>();
  let fault: string | undefined;
  const others = ctx.members.filter((id) => id !== revealer);
  const take = (list: readonly RevealedFrame[], round: number, into: Map<number, Uint8Array>) => {
    for (const item of list) {
      if (!others.includes(item.sender)) {
        fault ??= `reveal carries a frame of ${item.sender}`;
        continue;
      }
      const opened = openRevealed(ctx, round, item);
      if ("reason" in opened) fault ??= opened.reason;
      else into.set(item.sender, opened.payload);
    }
  };
  take(m.frames, broadcastRound, payloads);
  take(m.echoFrames, broadcastRound + 1, echoPayloads);
  if (!fault && others.some((id) => !payloads.has(id))) fault = "incomplete reveal";
  return { own: m.own, payloads, echoPayloads, fault };
}

/** What `judgeEcho` weighs. */
export interface EchoEvidence {
  readonly ctx: EchoContext;
  readonly view: BroadcastView;
  readonly myDigest: Uint8Array;
  /** Echo digests received, by sender. */
  readonly digests: ReadonlyMap<number, Uint8Array>;
  /** Encoded echo messages received (payload bytes), by sender, to compare with revealed echo frames. */
  readonly echoPayloads: ReadonlyMap<number, Uint8Array>;
  /** Checked reveals received in round r+2, by revealer. */
  readonly reveals: ReadonlyMap<number, CheckedReveal>;
  /** Members that sent a round-r+2 protocol message instead of a reveal, or sent nothing. */
  readonly nonRevealers: readonly number[];
}

/**
 * Names who provably broke the echo broadcast (see the file header). Always returns an error: it is
 * only called once a mismatch or a reveal was seen, and no output may follow.
 */
export function judgeEcho(e: EchoEvidence): ShardlessError {
  const { ctx, view } = e;
  const equivocators = new Set<number>();
  const other = new Set<number>();
  // Distinct payloads per sender, for round r and the echo round.
  const seen = [new Map<number, Uint8Array[]>(), new Map<number, Uint8Array[]>()];
  const note = (slot: 0 | 1, sender: number, payload: Uint8Array) => {
    const list = seen[slot].get(sender) ?? [];
    if (!list.some((p) => bytesEqual(p, payload))) list.push(payload);
    seen[slot].set(sender, list);
  };
  for (const [id, p] of view.payloads) note(0, id, p);
  for (const [id, p] of e.echoPayloads) note(1, id, p);
  for (const [k, rv] of e.reveals) {
    note(0, k, rv.own);
    for (const [id, p] of rv.payloads) note(0, id, p);
    for (const [id, p] of rv.echoPayloads) note(1, id, p);
  }
  for (const slot of seen) for (const [id, list] of slot) if (list.length > 1) equivocators.add(id);

  for (const [k, rv] of e.reveals) {
    if (rv.fault) {
      other.add(k);
      continue;
    }
    const claimed = new Map(rv.payloads).set(k, rv.own);
    const digest = e.digests.get(k);
    if (!digest || !bytesEqual(echoDigest(ctx.sessionId, ctx.protocol, view.round, claimed), digest)) {
      other.add(k); // its reveal contradicts the digest it sent me
    }
  }
  for (const k of e.nonRevealers) {
    const digest = e.digests.get(k);
    if (digest && !bytesEqual(digest, e.myDigest)) other.add(k);
  }
  other.delete(ctx.self);
  equivocators.delete(ctx.self);
  const culprits = [...new Set([...equivocators, ...other])].sort((a, b) => a - b);
  if (culprits.length === 1 && equivocators.has(culprits[0])) return new EquivocationError(culprits[0]);
  if (culprits.length > 0) {
    const cause = equivocators.size > 0 ? new EquivocationError(Math.min(...equivocators)) : undefined;
    return new ProtocolAbortError(
      `${ctx.protocol} echo broadcast of round ${view.round} failed`,
      culprits,
      cause ? { cause } : undefined,
    );
  }
  return new ProtocolAbortError(
    `${ctx.protocol} echo broadcast of round ${view.round} failed, culprit unknown`,
  );
}

// ---- rounds --------------------------------------------------------------------------------------

/** Shared state of one echo check: my view, my digest, digests received. */
class EchoState<M> {
  readonly myDigest: Uint8Array;
  readonly digests = new Map<number, Uint8Array>();
  readonly echoPayloads = new Map<number, Uint8Array>();
  readonly echoFrames = new Map<number, SignedFrame>();

  constructor(
    readonly ctx: EchoContext,
    readonly adapter: EchoAdapter<M>,
    readonly view: BroadcastView,
  ) {
    this.myDigest = viewDigest(ctx, view);
  }

  reveal(): RevealMessage {
    const others = (frames: ReadonlyMap<number, SignedFrame>) =>
      [...frames.entries()]
        .filter(([id]) => id !== this.ctx.self)
        .sort(([a], [b]) => a - b)
        .map(([sender, frame]) => ({ sender, frame }));
    return {
      kind: "reveal",
      own: this.view.payloads.get(this.ctx.self)!,
      frames: others(this.view.frames),
      echoFrames: others(this.echoFrames),
    };
  }

  judge(reveals: ReadonlyMap<number, CheckedReveal>, nonRevealers: readonly number[]): ShardlessError {
    return judgeEcho({
      ctx: this.ctx,
      view: this.view,
      myDigest: this.myDigest,
      digests: this.digests,
      echoPayloads: this.echoPayloads,
      reveals,
      nonRevealers,
    });
  }
}

function others(ctx: EchoContext): number[] {
  return ctx.members.filter((id) => id !== ctx.self);
}

/**
 * Round r+1: collects every member's digest. All equal to mine → `onAgree(rng)` (the protocol's round
 * r+2, wrapped in a RevealGuard, or its result); otherwise → RevealRound with my reveal sent to all.
 */
export class EchoRound<M, R> implements Round<M, R> {
  readonly number: number;
  readonly expected: readonly number[];
  private readonly state: EchoState<M>;

  constructor(
    ctx: EchoContext,
    adapter: EchoAdapter<M>,
    view: BroadcastView,
    private readonly onAgree: (rng: Rng) => Transition<M, R>,
  ) {
    this.state = new EchoState(ctx, adapter, view);
    this.number = view.round + 1;
    this.expected = others(ctx);
  }

  get protocol(): string {
    return this.state.ctx.protocol;
  }
  get self(): number {
    return this.state.ctx.self;
  }
  /** My digest (sent to everyone when this round starts). */
  get digest(): Uint8Array {
    return this.state.myDigest;
  }

  receive(from: number, message: M, frame?: SignedFrame): void {
    if (!this.expected.includes(from)) {
      throw new InvalidMessageError(from, `echo round expects no message from ${from}`, false);
    }
    const m = this.state.adapter.lower(message);
    if (m?.kind !== "echo" || m.digest.length !== ECHO_DIGEST_BYTES) {
      throw new InvalidMessageError(from, `member ${from} sent no echo digest in the echo round`);
    }
    const prior = this.state.digests.get(from);
    if (prior) {
      if (bytesEqual(prior, m.digest)) return;
      throw new InvalidMessageError(from, `member ${from} sent two different echo digests`);
    }
    this.state.digests.set(from, m.digest);
    this.state.echoPayloads.set(from, this.state.adapter.encode(message));
    if (frame) this.state.echoFrames.set(from, frame);
  }

  ready(): boolean {
    return this.expected.every((id) => this.state.digests.has(id));
  }

  missing(): number[] {
    return this.expected.filter((id) => !this.state.digests.has(id));
  }

  finalize(rng: Rng): Transition<M, R> {
    const agreed = [...this.state.digests.values()].every((d) => bytesEqual(d, this.state.myDigest));
    if (!agreed) {
      const round = new RevealRound<M, R>(this.state, this.number + 1);
      return {
        kind: "next",
        round,
        outgoing: [{ to: "all", message: this.state.adapter.lift(this.state.reveal()) }],
      };
    }
    const next = this.onAgree(rng);
    if (next.kind !== "next") return next;
    if (next.round.number !== this.number + 1) {
      throw new ParameterError(`round after echo must be number ${this.number + 1}`);
    }
    return { kind: "next", round: new RevealGuard(this.state, next.round), outgoing: next.outgoing };
  }
}

/**
 * Opens an echo check after broadcast round `view.round`: the transition to the EchoRound and the
 * digest to send to everyone. `onAgree` runs only if every digest matches.
 */
export function startEcho<M, R>(
  ctx: EchoContext,
  adapter: EchoAdapter<M>,
  view: BroadcastView,
  onAgree: (rng: Rng) => Transition<M, R>,
): Transition<M, R> {
  const round = new EchoRound<M, R>(ctx, adapter, view, onAgree);
  const echo: EchoMessage = { kind: "echo", digest: round.digest };
  return { kind: "next", round, outgoing: [{ to: "all", message: adapter.lift(echo) }] };
}

/** Collects round r+2 responses in abort mode; shared by RevealRound and a tripped RevealGuard. */
class RevealCollector<M> {
  readonly reveals = new Map<number, CheckedReveal>();
  readonly passed = new Set<number>();
  expired = false;

  constructor(private readonly state: EchoState<M>) {}

  /** True if `message` was a reveal (handled), false if it is a protocol message. */
  take(from: number, message: M): boolean {
    const m = this.state.adapter.lower(message);
    if (m?.kind === "echo") throw new InvalidMessageError(from, `member ${from} sent an echo digest late`);
    if (m?.kind !== "reveal") return false;
    if (this.reveals.has(from)) return true;
    this.reveals.set(from, checkReveal(this.state.ctx, this.state.view.round, from, m));
    this.passed.delete(from);
    return true;
  }

  abort(expected: readonly number[]): Transition<M, never> {
    const nonRevealers = expected.filter((id) => !this.reveals.has(id));
    return { kind: "abort", error: this.state.judge(this.reveals, nonRevealers) };
  }
}

/** Round r+2 after a failed echo check: waits for every member's reveal (or protocol message), then aborts. */
export class RevealRound<M, R> implements Round<M, R> {
  readonly expected: readonly number[];
  private readonly collector: RevealCollector<M>;

  constructor(
    private readonly state: EchoState<M>,
    readonly number: number,
  ) {
    this.expected = others(state.ctx);
    this.collector = new RevealCollector(state);
  }

  get protocol(): string {
    return this.state.ctx.protocol;
  }
  get self(): number {
    return this.state.ctx.self;
  }

  receive(from: number, message: M): void {
    if (!this.expected.includes(from)) {
      throw new InvalidMessageError(from, `reveal round expects no message from ${from}`, false);
    }
    if (!this.collector.take(from, message) && !this.collector.reveals.has(from)) {
      this.collector.passed.add(from); // it passed its echo check and went on
    }
  }

  ready(): boolean {
    return this.collector.expired || this.missing().length === 0;
  }

  missing(): number[] {
    return this.expected.filter((id) => !this.collector.reveals.has(id) && !this.collector.passed.has(id));
  }

  expire(): void {
    this.collector.expired = true;
  }

  finalize(): Transition<M, R> {
    return this.collector.abort(this.expected);
  }
}

/**
 * Wraps the protocol's round r+2 after a passed echo check. A reveal from anyone means someone saw a
 * mismatch: the guard waits until every member answered (reveal or protocol message), then aborts
 * naming whom the reveals prove guilty. Without reveals it is the inner round.
 */
export class RevealGuard<M, R> implements Round<M, R> {
  private readonly collector: RevealCollector<M>;

  constructor(
    private readonly state: EchoState<M>,
    readonly inner: Round<M, R>,
  ) {
    this.collector = new RevealCollector(state);
  }

  get protocol(): string {
    return this.inner.protocol;
  }
  get number(): number {
    return this.inner.number;
  }
  get self(): number {
    return this.inner.self;
  }
  get expected(): readonly number[] {
    return this.inner.expected;
  }
  private get tripped(): boolean {
    return this.collector.reveals.size > 0;
  }

  receive(from: number, message: M, frame?: SignedFrame): void {
    if (this.collector.take(from, message)) return;
    this.inner.receive(from, message, frame);
  }

  ready(): boolean {
    if (!this.tripped) return this.inner.ready();
    return this.collector.expired || this.missing().length === 0;
  }

  missing(): number[] {
    const waiting = this.inner.missing();
    return this.tripped ? waiting.filter((id) => !this.collector.reveals.has(id)) : waiting;
  }

  /** Tripped: stop waiting and judge what arrived. Otherwise: the inner round's deadline, if it has one. */
  expire(): void {
    if (this.tripped) this.collector.expired = true;
    else if (isExpirable(this.inner)) this.inner.expire();
  }

  finalize(rng: Rng): Transition<M, R> {
    if (!this.tripped) return this.inner.finalize(rng);
    // No reveal of my own: members that saw a mismatch already hold what they need to name the
    // culprit (see judgeEcho), and an abort's messages would belong to a later round.
    return this.collector.abort(this.expected);
  }
}
