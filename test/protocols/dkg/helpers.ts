/**
 * TEST ONLY helpers for the DKG: a pure in-memory run (`runDkgLocal`, over test/helpers/simulate.ts),
 * a networked run (`runDkgNetwork`: one Runner per member over the in-memory transport), a wrapper
 * that makes a member deviate (`deviate`), and checks every test applies to an output.
 */
import assert from "node:assert/strict";
import { seededRng, type Rng } from "../../../node/crypto/rng.js";
import { sha256, utf8ToBytes } from "../../../node/crypto/hash.js";
import { mulBase } from "../../../node/crypto/secp256k1.js";
import { echoDigest, isExpirable } from "../../../node/protocol/echo.js";
import { encodeKeyPublic, type Scheme } from "../../../node/protocol/key-share.js";
import type { Outgoing, Round, Start, Transition } from "../../../node/protocol/round.js";
import { dkgCodec, startDkg, type DkgMessage, type DkgOutput } from "../../../node/protocols/dkg/index.js";
import { simulate, type SimulateOptions, type SimulationResult } from "../../helpers/simulate.js";
import { reconstructSecret } from "../../helpers/dealer.js";
import { makeGroup, outcome, type Group } from "../../runner/harness.js";
import type { Clock } from "../../../node/runner/ports.js";

export const ids = (n: number) => Array.from({ length: n }, (_, k) => k + 1);
export const testSessionId = (name: string) => sha256(utf8ToBytes(`dkg-test/${name}`));

export interface LocalDkg {
  readonly n: number;
  readonly degree: number;
  readonly scheme?: Scheme;
  readonly sessionId?: Uint8Array;
  readonly seed?: string;
}

/** TEST ONLY: runs every member's rounds in memory (no frames: a failed echo check cannot name anyone). */
export function runDkgLocal(
  p: LocalDkg,
  opts: SimulateOptions<DkgMessage> & {
    starts?: (id: number, s: Start<DkgMessage, DkgOutput>) => Start<DkgMessage, DkgOutput>;
  } = {},
): SimulationResult<DkgOutput> {
  const members = ids(p.n);
  const seed = p.seed ?? "dkg";
  const sessionId = p.sessionId ?? testSessionId(seed);
  const starts = new Map(
    members.map((self) => {
      const s = startDkg(
        {
          scheme: p.scheme ?? "schnorr",
          keyId: "k1",
          degree: p.degree,
          sessionId,
          self,
          members,
          verifyFrame: () => false,
        },
        seededRng(`${seed}/${self}`),
      );
      return [self, opts.starts ? opts.starts(self, s) : s] as const;
    }),
  );
  return simulate(starts, { codec: dkgCodec, rng: (id) => seededRng(`${seed}/finalize/${id}`), ...opts });
}

/** Outputs of the members listed; fails with the outcome of any member that did not finish. */
export function outputsOf(
  sim: SimulationResult<DkgOutput>,
  members: readonly number[],
): Map<number, DkgOutput> {
  const out = new Map<number, DkgOutput>();
  for (const id of members) {
    const o = sim.outcomes.get(id)!;
    assert.equal(o.kind, "done", `member ${id}: ${o.kind} ${o.kind === "abort" ? o.error.message : ""}`);
    if (o.kind === "done") out.set(id, o.result);
  }
  return out;
}

/**
 * The checks every successful DKG must pass: identical public packages and disqualified sets, each
 * share matches its verification share, and every degree+1 subset (first and last) reconstructs the
 * secret of the group key. Returns the (test-only) reconstructed secret.
 */
export function assertConsistent(outputs: Map<number, DkgOutput>, degree: number): bigint {
  const list = [...outputs.values()];
  const pub = encodeKeyPublic(list[0].share.public);
  for (const o of list) {
    assert.deepEqual(encodeKeyPublic(o.share.public), pub, `member ${o.share.self} disagrees on the key`);
    assert.deepEqual([...o.disqualified], [...list[0].disqualified]);
    assert.equal(o.share.public.degree, degree);
    assert.ok(mulBase(o.share.secretShare).equals(o.share.public.verificationShares.get(o.share.self)!));
  }
  const shares = list.map((o) => o.share);
  const secret = reconstructSecret(shares.slice(0, degree + 1));
  assert.equal(reconstructSecret(shares.slice(-(degree + 1))), secret);
  assert.ok(mulBase(secret).equals(list[0].share.public.publicKey), "group key = reconstructed secret · G");
  return secret;
}

interface Hooks<M> {
  /** Replaces what the member sends when it enters `round`. */
  readonly send?: (round: number, outgoing: readonly Outgoing<M>[]) => readonly Outgoing<M>[];
  /** Replaces what the member's code is given (after it arrived in `round`). */
  readonly receive?: (round: number, from: number, m: M) => M;
}

/** Wraps a member's rounds, its first and every later one, with hooks on what goes in and out. */
function wrapRounds<M, R>(start: Start<M, R>, hooks: Hooks<M>): Start<M, R> {
  const send = hooks.send ?? ((_r, out) => out);
  const wrap = (inner: Round<M, R>): Round<M, R> => ({
    get protocol() {
      return inner.protocol;
    },
    get number() {
      return inner.number;
    },
    get self() {
      return inner.self;
    },
    get expected() {
      return inner.expected;
    },
    receive: (from, m, frame) =>
      inner.receive(from, hooks.receive ? hooks.receive(inner.number, from, m) : m, frame),
    ready: () => inner.ready(),
    missing: () => inner.missing(),
    ...(isExpirable(inner) ? { expire: () => inner.expire() } : {}),
    finalize(rng: Rng): Transition<M, R> {
      const t = inner.finalize(rng);
      if (t.kind !== "next") return t;
      return { kind: "next", round: wrap(t.round), outgoing: send(t.round.number, t.outgoing) };
    },
  });
  return { round: wrap(start.round), outgoing: send(start.round.number, start.outgoing) };
}

/** Rewrites what a member sends: `change(round, outgoing)` for its first round and every later one. */
export function deviate<M, R>(
  start: Start<M, R>,
  change: (round: number, outgoing: readonly Outgoing<M>[]) => readonly Outgoing<M>[],
): Start<M, R> {
  return wrapRounds(start, { send: change });
}

/**
 * A consistent liar: rewrites a member's broadcast messages (`rewrite(round, message)`) and sends echo
 * digests over what it really sent, so the lie passes everyone's echo check (all got the same lie) and
 * is judged on its content. Its own code keeps its honest view: others' digests are translated back.
 * Private messages are left alone (use the simulate tamper hook).
 */
export function lieInBroadcast(
  start: Start<DkgMessage, DkgOutput>,
  sessionId: Uint8Array,
  rewrite: (round: number, m: DkgMessage) => DkgMessage,
): Start<DkgMessage, DkgOutput> {
  const self = start.round.self;
  const sent = new Map<number, Uint8Array>(); // the lie, by round
  const kept = new Map<number, Uint8Array>(); // what the honest code believes it sent
  const received = new Map<number, Map<number, Uint8Array>>();
  const digestOver = (round: number, own: Uint8Array) =>
    echoDigest(sessionId, "dkg", round, new Map(received.get(round)).set(self, own));
  return wrapRounds(start, {
    send: (round, outgoing) =>
      outgoing.map((o) => {
        if (o.to !== "all") return o;
        if (o.message.kind === "echo" && sent.has(round - 1)) {
          return {
            ...o,
            message: { kind: "echo" as const, digest: digestOver(round - 1, sent.get(round - 1)!) },
          };
        }
        if (o.message.kind === "echo" || o.message.kind === "reveal") return o;
        const message = rewrite(round, o.message);
        kept.set(round, dkgCodec.encode(o.message));
        sent.set(round, dkgCodec.encode(message));
        return { ...o, message };
      }),
    receive: (round, from, m) => {
      const forRound = received.get(round) ?? new Map<number, Uint8Array>();
      received.set(round, forRound.set(from, dkgCodec.encode(m)));
      if (m.kind !== "echo" || !sent.has(round - 1)) return m;
      const lie = digestOver(round - 1, sent.get(round - 1)!);
      const matches = lie.every((b, i) => b === m.digest[i]);
      return matches ? { kind: "echo", digest: digestOver(round - 1, kept.get(round - 1)!) } : m;
    },
  });
}

export interface NetworkDkg {
  readonly n: number;
  readonly degree: number;
  readonly scheme?: Scheme;
  readonly name: string;
  readonly roundTimeoutMs?: number;
  readonly expireAfterMs?: number;
  readonly clock?: Clock;
  /** Makes member `id` deviate (wrap its start). */
  readonly cheat?: (id: number, s: Start<DkgMessage, DkgOutput>) => Start<DkgMessage, DkgOutput>;
  /** Members that do not start at all. */
  readonly absent?: readonly number[];
  readonly setup?: (group: Group) => void;
}

/** Runs a DKG with one Runner per member over one MemoryNetwork; returns every member's outcome. */
export async function runDkgNetwork(p: NetworkDkg) {
  const members = ids(p.n);
  const group = makeGroup(members, { clock: p.clock });
  p.setup?.(group);
  const sessionId = testSessionId(p.name);
  const runs = members
    .filter((id) => !p.absent?.includes(id))
    .map((self) => {
      const run = group.members.get(self)!.runner.run({
        sessionId,
        codec: dkgCodec,
        self,
        members: group.peers,
        roundTimeoutMs: p.roundTimeoutMs ?? 10_000,
        expireAfterMs: p.expireAfterMs,
        rng: seededRng(`${p.name}/run/${self}`),
        start: (ctx) => {
          const s = startDkg(
            { ...ctx, scheme: p.scheme ?? "schnorr", keyId: "k1", degree: p.degree },
            seededRng(`${p.name}/${self}`),
          );
          return p.cheat ? p.cheat(self, s) : s;
        },
      });
      return [self, outcome(run)] as const;
    });
  return { group, outcomes: new Map(runs) };
}
