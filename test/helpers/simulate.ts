/**
 * TEST ONLY: drives pure protocol rounds of several members in memory, synchronously, with tamper hooks
 * (in the style of taurus internal/test/round.go). Messages are encoded and decoded through the
 * protocol's codec when one is given, so the wire format is exercised too.
 *
 *   const out = simulate(starts, { codec, tamper: ({ from, to, round, message }) => message });
 *
 * A tamper hook may return a replacement message, `null` to drop it, or the same message. A member in
 * `silent` sends nothing from the given round on.
 */
import { seededRng, type Rng } from "../../node/crypto/index.js";
import type { MessageCodec, Outgoing, Round, Start, Transition } from "../../node/protocol/round.js";
import type { ShardlessError } from "../../node/protocol/errors.js";

export interface Delivery<M> {
  readonly from: number;
  readonly to: number;
  readonly round: number;
  readonly message: M;
}

export interface SimulateOptions<M> {
  readonly codec?: MessageCodec<M>;
  readonly tamper?: (d: Delivery<M>) => M | null;
  /** member id → first round number from which it stays silent */
  readonly silent?: ReadonlyMap<number, number>;
  readonly rng?: (member: number) => Rng;
  readonly maxSteps?: number;
}

export type MemberOutcome<R> =
  | { kind: "done"; result: R }
  | { kind: "abort"; error: ShardlessError }
  | { kind: "stuck"; round: number; missing: number[] };

export interface SimulationResult<R> {
  readonly outcomes: Map<number, MemberOutcome<R>>;
  /** Errors thrown by receive() per receiving member (the round went on without that message). */
  readonly rejections: Map<number, unknown[]>;
  readonly bytesSent: Map<number, number>;
  readonly messagesSent: Map<number, number>;
}

export function simulate<M extends object, R>(
  starts: ReadonlyMap<number, Start<M, R>>,
  opts: SimulateOptions<M> = {},
): SimulationResult<R> {
  const ids = [...starts.keys()].sort((a, b) => a - b);
  const rounds = new Map<number, Round<M, R>>();
  const outcomes = new Map<number, MemberOutcome<R>>();
  const rejections = new Map<number, unknown[]>(ids.map((id) => [id, []]));
  const bytesSent = new Map<number, number>(ids.map((id) => [id, 0]));
  const messagesSent = new Map<number, number>(ids.map((id) => [id, 0]));
  const rngs = new Map(ids.map((id) => [id, opts.rng ? opts.rng(id) : seededRng(`simulate-${id}`)]));
  // queue of pending deliveries per recipient, keyed by round number
  const inbox = new Map<number, Delivery<M>[]>(ids.map((id) => [id, []]));

  const post = (from: number, roundNo: number, out: readonly Outgoing<M>[]) => {
    const silentFrom = opts.silent?.get(from);
    if (silentFrom !== undefined && roundNo >= silentFrom) return;
    for (const o of out) {
      const targets = o.to === "all" ? ids.filter((id) => id !== from) : [o.to];
      for (const to of targets) {
        let message: M | null = o.message;
        if (opts.tamper) message = opts.tamper({ from, to, round: roundNo, message });
        if (message === null) continue;
        if (opts.codec) {
          const bytes = opts.codec.encode(message);
          bytesSent.set(from, bytesSent.get(from)! + bytes.length);
          message = opts.codec.decode(roundNo, bytes);
        }
        messagesSent.set(from, messagesSent.get(from)! + 1);
        inbox.get(to)?.push({ from, to, round: roundNo, message });
      }
    }
  };

  for (const id of ids) {
    const s = starts.get(id)!;
    rounds.set(id, s.round);
    post(id, s.round.number, s.outgoing);
  }

  const apply = (id: number, t: Transition<M, R>, roundNo: number) => {
    if (t.kind === "next") {
      rounds.set(id, t.round);
      post(id, t.round.number, t.outgoing);
    } else if (t.kind === "done") {
      rounds.delete(id);
      outcomes.set(id, { kind: "done", result: t.result });
      post(id, roundNo + 1, t.outgoing);
    } else {
      rounds.delete(id);
      outcomes.set(id, { kind: "abort", error: t.error });
      if (t.outgoing) post(id, roundNo + 1, t.outgoing);
    }
  };

  const maxSteps = opts.maxSteps ?? 10_000;
  for (let step = 0; step < maxSteps; step++) {
    let progressed = false;
    for (const id of ids) {
      const round = rounds.get(id);
      if (!round) continue;
      const queue = inbox.get(id)!;
      const keep: Delivery<M>[] = [];
      for (const d of queue) {
        if (d.round < round.number) continue; // stale: the round has passed
        if (d.round > round.number) {
          keep.push(d); // early: hold until we reach that round
          continue;
        }
        try {
          round.receive(d.from, d.message);
        } catch (e) {
          rejections.get(id)!.push(e);
        }
        progressed = true;
      }
      inbox.set(id, keep);
      if (round.ready()) {
        apply(id, round.finalize(rngs.get(id)!), round.number);
        progressed = true;
      }
    }
    if (!progressed) break;
  }
  for (const [id, round] of rounds)
    outcomes.set(id, { kind: "stuck", round: round.number, missing: round.missing() });
  return { outcomes, rejections, bytesSent, messagesSent };
}

/** Results of members that finished; throws if any did not (with its outcome). */
export function results<R>(sim: SimulationResult<R>): Map<number, R> {
  const out = new Map<number, R>();
  for (const [id, o] of sim.outcomes) {
    if (o.kind !== "done")
      throw new Error(
        `member ${id} did not finish: ${JSON.stringify(o, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
      );
    out.set(id, o.result);
  }
  return out;
}
