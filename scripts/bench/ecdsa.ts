/**
 * `npm run bench -- ecdsa [--quick]`: threshold ECDSA (specs/ecdsa.md) in-process, all members in one
 * process, messages through the wire codecs:
 *   - presigning throughput, batched: one thread running every member, and two worker threads (each
 *     running whole sessions of all members) to use both cores;
 *   - online signing latency: request hash (S0) + every signer's share (S1) + combine, verify, recover;
 *   - bytes each member sends per presignature, and each non-combiner per signature;
 *   - baseline, same run: single-key noble sign + verify of one digest.
 * "presig per CPU-s" divides the single-thread run's presignatures by its CPU time (all members): what
 * one idle core does, and a figure less skewed than wall clock when other processes share the machine.
 * Not a test: nothing here asserts timings.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import {
  ecdsaSignSingle,
  ecdsaVerify,
  encodeScalar,
  mulBase,
  randomScalar,
  seededRng,
  sha256,
  utf8ToBytes,
} from "../../node/crypto/index.js";
import {
  combineSignatureShares,
  encodeSignMessage,
  presignCodec,
  presignSessionId,
  signRequestHash,
  signatureShare,
  startPresign,
  type PresignMessage,
  type Presignature,
} from "../../node/protocols/ecdsa/index.js";
import type { MessageCodec, Start } from "../../node/protocol/round.js";
import type { KeyShare } from "../../node/protocol/key-share.js";
import { dealKey } from "../../test/helpers/dealer.js";
import { simulate } from "../../test/helpers/simulate.js";
import { machineLine, median, p99, printTable } from "./table.js";

interface Config {
  readonly n: number;
  readonly degree: number;
  /** Presignatures per session. */
  readonly batch: number;
  /** Timed sessions (after one warm-up session of `warmup` presignatures). */
  readonly sessions: number;
  readonly warmup: number;
  /** Online signing samples. */
  readonly samples: number;
}

const CONFIGS: Config[] = [
  { n: 3, degree: 1, batch: 100, sessions: 3, warmup: 20, samples: 300 },
  { n: 5, degree: 2, batch: 50, sessions: 2, warmup: 10, samples: 200 },
  { n: 7, degree: 3, batch: 50, sessions: 1, warmup: 5, samples: 200 },
  { n: 21, degree: 10, batch: 8, sessions: 1, warmup: 1, samples: 100 },
];

const QUICK: Config[] = CONFIGS.map((c) => ({
  ...c,
  batch: Math.max(2, c.batch / 10),
  sessions: 1,
  warmup: 1,
  samples: 20,
}));

function keyFor(n: number, degree: number): Map<number, KeyShare> {
  const participants = Array.from({ length: n }, (_, i) => i + 1);
  return dealKey({ degree, participants, keyId: `bench-${n}-${degree}` }, seededRng(`bench-${n}`)).shares;
}

/**
 * The presigning codec as the runner uses it: a broadcast is encoded once (one frame for all peers,
 * node/runner/session.ts) and decoded by every recipient. simulate() encodes per recipient, so remember
 * each message object's bytes; decoding (with its point checks) still happens once per recipient.
 */
function encodeOnce(codec: MessageCodec<PresignMessage>): MessageCodec<PresignMessage> {
  const encoded = new WeakMap<PresignMessage, Uint8Array>();
  return {
    ...codec,
    encode: (m) => {
      let bytes = encoded.get(m);
      if (!bytes) encoded.set(m, (bytes = codec.encode(m)));
      return bytes;
    },
  };
}

/** One presigning session of all 2t+1 members in this thread; returns outputs and bytes sent. */
function presignSession(shares: Map<number, KeyShare>, degree: number, batch: number, requestId: string) {
  const signers = Array.from({ length: 2 * degree + 1 }, (_, i) => i + 1);
  const keyId = shares.get(1)!.public.keyId;
  const sessionId = presignSessionId({ keyId, epoch: 0, signers, batch, requestId });
  const starts = new Map<number, Start<PresignMessage, Presignature[]>>();
  for (const id of signers)
    starts.set(id, startPresign({ share: shares.get(id)!, signers, batch, sessionId }));
  const sim = simulate(starts, { codec: encodeOnce(presignCodec) });
  const out = new Map<number, Presignature[]>();
  for (const [id, o] of sim.outcomes) {
    if (o.kind !== "done") throw new Error(`presigning failed at member ${id}: ${o.kind}`);
    out.set(id, o.result);
  }
  const bytes = [...sim.bytesSent.values()].reduce((a, b) => a + b, 0) / signers.length;
  return { out, bytesPerMember: bytes };
}

/** Times `sessions` sessions of `batch`; returns presignatures per second (this thread only). */
function timedPresigning(c: Config, shares: Map<number, KeyShare>, tag: string) {
  presignSession(shares, c.degree, c.warmup, `${tag}-warmup`);
  let last: ReturnType<typeof presignSession> | undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < c.sessions; k++) last = presignSession(shares, c.degree, c.batch, `${tag}-${k}`);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    perSecond: (c.batch * c.sessions * 1000) / ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    last: last!,
  };
}

// ---- worker side: runs whole sessions (all members) and reports elapsed time --------------------

if (!isMainThread && (workerData as { ecdsaBench?: Config })?.ecdsaBench) {
  const c = (workerData as { ecdsaBench: Config; worker: number }).ecdsaBench;
  const worker = (workerData as { worker: number }).worker;
  const shares = keyFor(c.n, c.degree);
  presignSession(shares, c.degree, c.warmup, `w${worker}-warmup`);
  parentPort!.postMessage({ ready: true });
  parentPort!.once("message", () => {
    for (let k = 0; k < c.sessions; k++) presignSession(shares, c.degree, c.batch, `w${worker}-${k}`);
    parentPort!.postMessage({ done: true });
  });
}

/** Two workers, each running `sessions` sessions; presignatures per second over both. */
async function parallelPresigning(c: Config, workers: number): Promise<number> {
  const pool = Array.from(
    { length: workers },
    (_, worker) => new Worker(new URL(import.meta.url), { workerData: { ecdsaBench: c, worker } }),
  );
  const next = (w: Worker) =>
    new Promise<void>((resolve, reject) => {
      w.once("message", () => resolve());
      w.once("error", reject);
    });
  await Promise.all(pool.map(next));
  const t0 = performance.now();
  const finished = pool.map(next);
  for (const w of pool) w.postMessage("go");
  await Promise.all(finished);
  const ms = performance.now() - t0;
  await Promise.all(pool.map((w) => w.terminate()));
  return (workers * c.batch * c.sessions * 1000) / ms;
}

/** Online signing: S0 hash at every signer + every share + combine and verification at the combiner. */
function onlineLatency(c: Config, presigs: Map<number, Presignature[]>): number[] {
  const signers = [...presigs.keys()];
  const count = presigs.get(signers[0])!.length;
  const digests = Array.from({ length: count }, (_, i) => sha256(utf8ToBytes(`bench message ${i}`)));
  const samples: number[] = [];
  // Each (presignature, digest) pair is fixed: repeating it recomputes the same shares and signature.
  for (let k = 0; k < c.samples + 5; k++) {
    const i = k % count;
    const first = presigs.get(signers[0])![i];
    const t0 = performance.now();
    for (const id of signers) {
      const p = presigs.get(id)![i];
      signRequestHash({
        keyId: p.keyId,
        epoch: p.epoch,
        presigId: p.presigId,
        signers: p.signers,
        combiner: p.signers[0],
        digest: digests[i],
      });
    }
    const shares = new Map(signers.map((id) => [id, signatureShare(presigs.get(id)![i], digests[i])]));
    combineSignatureShares(first, digests[i], shares);
    if (k >= 5) samples.push(performance.now() - t0);
  }
  return samples;
}

function baseline(samples: number): number[] {
  const sk = encodeScalar(randomScalar(seededRng("baseline")));
  const pk = mulBase(randomScalar(seededRng("baseline")));
  const out: number[] = [];
  for (let k = 0; k < samples + 20; k++) {
    const digest = sha256(utf8ToBytes(`baseline ${k}`));
    const t0 = performance.now();
    const sig = ecdsaSignSingle(digest, sk);
    const ok = ecdsaVerify(
      BigInt("0x" + Buffer.from(sig.subarray(1, 33)).toString("hex")),
      BigInt("0x" + Buffer.from(sig.subarray(33, 65)).toString("hex")),
      digest,
      pk,
    );
    if (k >= 20) out.push(performance.now() - t0);
    if (!ok) throw new Error("baseline signature does not verify");
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const configs = args.includes("--quick") ? QUICK : CONFIGS;
  const load = () => os.loadavg()[0].toFixed(1);
  console.log(
    `${machineLine()}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${load()}`,
  );
  const base = baseline(300);
  const baseMedian = median(base);
  const agreeBytes = encodeSignMessage({ kind: "agree", requestHash: new Uint8Array(32) }).length;
  const shareBytes = encodeSignMessage({ kind: "share", s: 1n }).length;

  const presignRows: unknown[][] = [];
  const signRows: unknown[][] = [];
  for (const c of configs) {
    const shares = keyFor(c.n, c.degree);
    const single = timedPresigning(c, shares, `bench-${c.n}`);
    const parallel = await parallelPresigning(c, 2);
    const members = 2 * c.degree + 1;
    presignRows.push([
      `(${c.n}, ${c.degree})`,
      members,
      c.batch,
      single.perSecond,
      parallel,
      (c.batch * c.sessions * 1000) / single.cpuMs,
      single.cpuMs / (c.batch * c.sessions * members),
      Math.round(single.last.bytesPerMember / c.batch),
    ]);
    const latency = onlineLatency(c, single.last.out);
    signRows.push([
      `(${c.n}, ${c.degree})`,
      median(latency),
      p99(latency),
      median(latency) / baseMedian,
      // A signer other than the combiner: its echo to the other 2t − 1 of them, its share to the combiner.
      agreeBytes * (members - 2) + shareBytes,
    ]);
  }
  console.log(`load average at the end: ${load()} (other processes on this machine skew wall-clock figures)`);
  printTable(
    "Presigning (all members in-process; bytes = sent by one member per presignature)",
    [
      "(n, t)",
      "signers",
      "batch",
      "presig/s 1 thread",
      "presig/s 2 workers",
      "presig per CPU-s",
      "CPU ms/presig/member",
      "bytes/presig",
    ],
    presignRows,
  );
  printTable(
    `Online signing (S0 hashes + all shares + combine + verification against the presignature's R) vs single-key sign+verify (median ${baseMedian.toFixed(3)} ms, p99 ${p99(base).toFixed(3)} ms)`,
    ["(n, t)", "median ms", "p99 ms", "× baseline", "bytes/signature/non-combiner"],
    signRows,
  );
}
