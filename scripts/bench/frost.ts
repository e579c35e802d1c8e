/**
 * `npm run bench -- frost [--runs N] [--variant bip340|rfc9591]`: FROST threshold Schnorr signing for
 * quorum-of-n in {3 of 5, 7 of 10, 21 of 30}, two rounds and one round with pre-published commitments,
 * beside single-key BIP-340 sign + verify (schnorrSignSingle + schnorrVerify) in the same run.
 *
 * Every member runs in this process, through the real rounds and the wire codec, and each member's work
 * is timed on its own, as process CPU time (so that other load on the machine does not distort it).
 * "latency" is the critical path with members working in parallel and a network of
 * zero delay: slowest signer's commit + coordinator's dispatch and own share + slowest signer's share +
 * coordinator's aggregation and verification. "CPU, all members" is the sum of everyone's work. The
 * one-round mode includes the durable nonce consumption through an in-memory ShareStore; generating and
 * publishing nonces happens before (offline) and is not timed. Keys come from the test dealer
 * (benchmarks only).
 */
import {
  keccak256,
  schnorrSignSingle,
  schnorrVerify,
  seededRng,
  utf8ToBytes,
  encodeScalar,
  schnorrPublicKey,
} from "../../node/crypto/index.js";
import type { KeyShare } from "../../node/protocol/key-share.js";
import type { Round, Start } from "../../node/protocol/round.js";
import {
  FROST_ROUND,
  decodeCommitmentBatch,
  encodeCommitmentBatch,
  frostCodec,
  startFrostCoordinator,
  startFrostSigner,
  verifyFrostSignature,
  type FrostMessage,
  type FrostResult,
  type FrostSessionParams,
  type FrostVariant,
} from "../../node/protocols/frost/index.js";
import { CommitmentBook, FrostNoncePool } from "../../node/runner/nonce-pool.js";
import { dealKey } from "../../test/helpers/dealer.js";
import { MemoryShareStore } from "../../test/protocols/frost/memory-share-store.js";
import { machineLine, median, p99, printTable } from "./table.js";

const GROUPS = [
  { quorum: 3, n: 5, runs: 100 },
  { quorum: 7, n: 10, runs: 50 },
  { quorum: 21, n: 30, runs: 20 },
] as const;

interface Run {
  latencyMs: number;
  cpuMs: number;
  signerBytes: number;
  coordinatorBytes: number;
}

type FrostRound = Round<FrostMessage, FrostResult>;

/** CPU milliseconds (user + system) of this process: robust on a shared machine, unlike wall time. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = cpuNow();
  const v = fn();
  return [v, cpuNow() - t0];
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = cpuNow();
  const v = await fn();
  return [v, cpuNow() - t0];
}

function expectNext(t: ReturnType<FrostRound["finalize"]>): {
  round: FrostRound;
  outgoing: Start<FrostMessage, FrostResult>["outgoing"];
} {
  if (t.kind !== "next") throw new Error(`expected another round, got ${t.kind}`);
  return t;
}

function checkDone(
  t: ReturnType<FrostRound["finalize"]>,
  shares: Map<number, KeyShare>,
  session: FrostSessionParams,
): void {
  if (t.kind !== "done" || t.result.role !== "coordinator") throw new Error(`signing failed: ${t.kind}`);
  const ok = verifyFrostSignature(
    session.variant,
    t.result.signature.signature,
    session.message,
    shares.get(1)!.public.publicKey,
  );
  if (!ok) throw new Error("signature does not verify");
}

/** Two rounds: commitments, then request and shares. */
function signTwoRounds(shares: Map<number, KeyShare>, session: FrostSessionParams, runNo: number): Run {
  const coordinator = session.coordinator;
  const others = session.signers.filter((id) => id !== coordinator);
  const rng = seededRng(`bench-${runNo}`);
  let cpu = 0;
  let signerBytes = 0;
  let coordinatorBytes = 0;

  // Phase 1 (signers, parallel): draw nonces, send commitments.
  let [coordStart, coordMs] = timed(() =>
    startFrostCoordinator({ key: shares.get(coordinator)!, session, rng }),
  );
  const signerRounds = new Map<number, FrostRound>();
  const commitments = new Map<number, Uint8Array>();
  let slowest1 = 0;
  for (const id of others) {
    const [, ms] = timed(() => {
      const start = startFrostSigner({ keyShare: shares.get(id)!, session, rng });
      signerRounds.set(id, expectNext(start.round.finalize(rng)).round);
      commitments.set(id, frostCodec.encode(start.outgoing[0].message));
    });
    slowest1 = Math.max(slowest1, ms);
    cpu += ms;
  }
  signerBytes += commitments.get(others[0])!.length;

  // Phase 2 (coordinator): collect commitments, send requests, compute its own share.
  const [requests, ms2] = timed(() => {
    for (const [id, bytes] of commitments)
      coordStart.round.receive(id, frostCodec.decode(FROST_ROUND.commit, bytes));
    const dispatch = expectNext(coordStart.round.finalize(rng));
    const out = new Map(dispatch.outgoing.map((o) => [o.to as number, frostCodec.encode(o.message)]));
    coordStart = { round: expectNext(dispatch.round.finalize(rng)).round, outgoing: [] };
    return out;
  });
  coordMs += ms2;
  for (const bytes of requests.values()) coordinatorBytes += bytes.length;

  // Phase 3 (signers, parallel): check the request, sign, erase nonces.
  const replies = new Map<number, Uint8Array>();
  let slowest3 = 0;
  for (const id of others) {
    const [, ms] = timed(() => {
      const round = signerRounds.get(id)!;
      round.receive(coordinator, frostCodec.decode(FROST_ROUND.sign, requests.get(id)!));
      const t = round.finalize(rng);
      if (t.kind !== "done") throw new Error("signer failed");
      replies.set(id, frostCodec.encode(t.outgoing[0].message));
    });
    slowest3 = Math.max(slowest3, ms);
    cpu += ms;
  }
  signerBytes += replies.get(others[0])!.length;

  // Phase 4 (coordinator): aggregate, name culprits if any, verify.
  const [, ms4] = timed(() => {
    for (const [id, bytes] of replies)
      coordStart.round.receive(id, frostCodec.decode(FROST_ROUND.share, bytes));
    checkDone(coordStart.round.finalize(rng), shares, session);
  });
  coordMs += ms4;
  cpu += coordMs;
  return { latencyMs: slowest1 + ms2 + slowest3 + ms4, cpuMs: cpu, signerBytes, coordinatorBytes };
}

interface Pools {
  pools: Map<number, FrostNoncePool>;
  book: CommitmentBook;
  batchBytesPerNonce: number;
}

/** Offline: every member pre-generates `count` nonce pairs for the coordinator (itself included). */
async function prepublish(shares: Map<number, KeyShare>, coordinator: number, count: number): Promise<Pools> {
  const pools = new Map<number, FrostNoncePool>();
  const book = new CommitmentBook(shares.get(coordinator)!.public, coordinator);
  let batchBytesPerNonce = 0;
  for (const [id, share] of shares) {
    const pool = new FrostNoncePool({ store: new MemoryShareStore(), keyShare: share });
    pools.set(id, pool);
    const batch = await pool.generate(count, { coordinator, rng: seededRng(`prepublish-${id}`) });
    if (id === coordinator) continue;
    const wire = encodeCommitmentBatch(batch);
    batchBytesPerNonce = wire.length / count;
    book.add(id, decodeCommitmentBatch(wire));
  }
  return { pools, book, batchBytesPerNonce };
}

/** One round: requests with pre-published commitments, shares back. */
async function signOneRound(
  shares: Map<number, KeyShare>,
  session: FrostSessionParams,
  p: Pools,
  runNo: number,
): Promise<Run> {
  const coordinator = session.coordinator;
  const others = session.signers.filter((id) => id !== coordinator);
  const rng = seededRng(`bench-pooled-${runNo}`);
  let cpu = 0;
  let coordinatorBytes = 0;

  const [[round, requests], ms1] = await timedAsync(async () => {
    const commitments = p.book.takeFor(others);
    const ownNonces = (await p.pools.get(coordinator)!.consumeNext()) ?? undefined;
    if (!commitments || !ownNonces) throw new Error("pool exhausted");
    const start = startFrostCoordinator({
      key: shares.get(coordinator)!,
      session,
      prepublished: { commitments, ownNonces },
    });
    const out = new Map(start.outgoing.map((o) => [o.to as number, frostCodec.encode(o.message)]));
    return [expectNext(start.round.finalize(rng)).round, out] as const;
  });
  for (const bytes of requests.values()) coordinatorBytes += bytes.length;

  const replies = new Map<number, Uint8Array>();
  let slowest = 0;
  for (const id of others) {
    const [, ms] = await timedAsync(async () => {
      const request = frostCodec.decode(FROST_ROUND.sign, requests.get(id)!);
      const { outgoing } = await p.pools.get(id)!.respond(coordinator, request);
      replies.set(id, frostCodec.encode(outgoing[0].message));
    });
    slowest = Math.max(slowest, ms);
    cpu += ms;
  }

  const [, ms3] = timed(() => {
    for (const [id, bytes] of replies) round.receive(id, frostCodec.decode(FROST_ROUND.share, bytes));
    checkDone(round.finalize(rng), shares, session);
  });
  cpu += ms1 + ms3;
  return {
    latencyMs: ms1 + slowest + ms3,
    cpuMs: cpu,
    signerBytes: replies.get(others[0])!.length,
    coordinatorBytes,
  };
}

function parseArgs(args: string[]): { runs?: number; variant: FrostVariant } {
  const get = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const runs = get("--runs") ? Number(get("--runs")) : undefined;
  const variant = (get("--variant") ?? "bip340") as FrostVariant;
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0))
    throw new Error("--runs expects a positive integer");
  if (variant !== "bip340" && variant !== "rfc9591") throw new Error("--variant expects bip340 or rfc9591");
  return { runs, variant };
}

export async function main(args: string[]): Promise<void> {
  const { runs: runsArg, variant } = parseArgs(args);
  console.log(`FROST (${variant}) signing, in-process; ${machineLine()}`);
  const message = keccak256(utf8ToBytes("shardless frost bench"));
  const rows: (string | number)[][] = [];

  // Baseline: single-key BIP-340 sign + verify, same process, same run.
  const sk = encodeScalar(12345678901234567890n);
  const pk = schnorrPublicKey(sk);
  const base: number[] = [];
  const auxRng = seededRng("aux");
  for (let i = 0; i < 200 + 20; i++) {
    const [, ms] = timed(() => {
      const sig = schnorrSignSingle(message, sk, auxRng(32));
      if (!schnorrVerify(sig, message, pk)) throw new Error("baseline failed");
    });
    if (i >= 20) base.push(ms);
  }
  rows.push([
    "1 of 1",
    "single-key BIP-340 sign+verify",
    "—",
    median(base),
    p99(base),
    median(base),
    "—",
    "—",
    "—",
  ]);

  for (const g of GROUPS) {
    const runs = runsArg ?? g.runs;
    const participants = Array.from({ length: g.n }, (_, i) => i + 1);
    const { shares } = dealKey(
      { scheme: "schnorr", degree: g.quorum - 1, participants, keyId: `bench-${g.n}` },
      seededRng(`bench-key-${g.n}`),
    );
    const signers = participants.slice(0, g.quorum);
    const session = (i: number, mode: string): FrostSessionParams => ({
      variant,
      requestId: `bench-${mode}-${i}`,
      coordinator: 1,
      signers,
      message,
    });
    const label = `${g.quorum} of ${g.n}`;

    const two: Run[] = [];
    for (let i = -1; i < runs; i++) {
      const r = signTwoRounds(shares, session(i, "two"), i);
      if (i >= 0) two.push(r);
    }
    const pools = await prepublish(shares, 1, runs + 1);
    const one: Run[] = [];
    for (let i = -1; i < runs; i++) {
      const r = await signOneRound(shares, session(i, "one"), pools, i);
      if (i >= 0) one.push(r);
    }
    for (const [mode, trips, rs, pre] of [
      ["two rounds", 2, two, "—"],
      ["one round, pre-published", 1, one, `${pools.batchBytesPerNonce.toFixed(0)} B/nonce`],
    ] as const) {
      rows.push([
        label,
        mode,
        trips,
        median(rs.map((r) => r.latencyMs)),
        p99(rs.map((r) => r.latencyMs)),
        median(rs.map((r) => r.cpuMs)),
        rs[0].signerBytes,
        rs[0].coordinatorBytes,
        pre,
      ]);
    }
  }
  printTable(
    "FROST signing latency (critical path, parallel members; CPU ms) vs single-key BIP-340",
    [
      "quorum of n",
      "mode",
      "round trips",
      "latency median ms",
      "latency p99 ms",
      "CPU all members median ms",
      "B sent / signer",
      "B sent / coordinator (all requests)",
      "pre-published",
    ],
    rows,
  );
  console.log(
    `\nruns per config: ${GROUPS.map((g) => `${g.quorum} of ${g.n}: ${runsArg ?? g.runs}`).join(", ")}` +
      " (one warm-up each); baseline: 200 runs. p99 is the nearest-rank 99th percentile of those runs.\n" +
      "latency here has no network delay: on a network add one RTT per round trip, which is what\n" +
      "pre-published commitments save (their CPU cost is the same; they move the commit step offline).",
  );
}
