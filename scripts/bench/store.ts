/**
 * `npm run bench -- store [--quick]`: latency of a durable 1 KiB FileShareStore.put — what a signer's
 * "presignature consumed" record and the API's idempotency record cost on the online signing path —
 * with the write-ahead log (both sync methods) and without it (the baseline, same run: one atomic file
 * write per put: temp file, fsync, rename, directory fsync), for one writer and 8 concurrent writers.
 * Keys cycle over 512 names per writer; segments fill up (1 MiB ≈ 950 records) and their checkpoints
 * (~512 atomic file writes each) run in the background during the timed puts: "segments sealed /
 * checkpointed" counts what happened inside the timed window.
 *
 * A second table measures the raw sync methods on this disk (append 1 KiB + fdatasync, or a write to a
 * file opened O_DSYNC; growing vs preallocated file), which chose the log's defaults, and the cost of
 * sealing one record (AES-256-GCM through node/crypto/aead.ts, no I/O).
 * Not a test: nothing here asserts timings.
 */
import { constants } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { FileShareStore, PassphraseKeyProvider, type WalOptions } from "../../node/adapters/storage/index.js";
import { sealRecord } from "../../node/adapters/storage/wal-format.js";
import { seededRng } from "../../node/crypto/index.js";
import { machineLine, median, p99, printTable } from "./table.js";

const VALUE_BYTES = 1024;
const KEYS_PER_WRITER = 512;

interface Mode {
  readonly name: string;
  readonly wal: false | WalOptions;
}

const MODES: Mode[] = [
  { name: "wal, O_DSYNC (default)", wal: { sync: "dsync" } },
  { name: "wal, fdatasync", wal: { sync: "fdatasync" } },
  { name: "no wal (baseline)", wal: false },
];

interface Run {
  readonly latencies: number[];
  readonly wallMs: number;
  readonly syncs: number | null;
  readonly sealed: number | null;
  readonly checkpoints: number | null;
}

async function runPuts(root: string, mode: Mode, writers: number, putsPerWriter: number): Promise<Run> {
  const dir = await mkdtemp(path.join(root, "store-"));
  const store = await FileShareStore.open({
    dir,
    keyProvider: new PassphraseKeyProvider({ passphrase: "bench", cost: { N: 1024, r: 8, p: 1 } }),
    wal: mode.wal,
  });
  const value = seededRng("store-bench")(VALUE_BYTES);
  const key = (w: number, i: number) => `bench/w${w}/${(i % KEYS_PER_WRITER).toString().padStart(4, "0")}`;
  try {
    for (let i = 0; i < 50; i++) await store.put(key(0, i), value); // warm-up: directories, JIT
    await store.whenIdle();
    const before = store.walStats();
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < putsPerWriter; i++) {
          const start = performance.now();
          await store.put(key(w, i), value);
          latencies.push(performance.now() - start);
        }
      }),
    );
    const wallMs = performance.now() - t0;
    const after = store.walStats();
    return {
      latencies,
      wallMs,
      syncs: before && after ? after.syncs - before.syncs : null,
      sealed: before && after ? after.sealedSegments - before.sealedSegments : null,
      checkpoints: before && after ? after.checkpoints - before.checkpoints : null,
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Appends `n` records of 1 KiB, each made durable on its own, to a fresh file. */
async function rawSync(root: string, method: "fdatasync" | "dsync", preallocate: boolean, n: number) {
  const file = path.join(root, `raw-${method}-${preallocate}`);
  const record = new Uint8Array(VALUE_BYTES + 100).fill(7);
  const flags = constants.O_WRONLY | constants.O_CREAT | (method === "dsync" ? (constants.O_DSYNC ?? 0) : 0);
  const fh = await open(file, flags, 0o600);
  const out: number[] = [];
  try {
    if (preallocate) {
      await fh.write(new Uint8Array(record.length * (n + 10)), 0, undefined, 0);
      await fh.sync();
    }
    for (let i = 0; i < n + 10; i++) {
      const t0 = performance.now();
      await fh.write(record, 0, record.length, i * record.length);
      if (method === "fdatasync") await fh.datasync();
      if (i >= 10) out.push(performance.now() - t0);
    }
  } finally {
    await fh.close();
    await rm(file, { force: true });
  }
  return out;
}

function sealOnly(n: number): number[] {
  const rng = seededRng("seal-bench");
  const ctx = { dataKey: rng(32), storeId: rng(16), segment: 1 };
  const op = { op: "put" as const, key: "ecdsa-presig/" + "ab".repeat(32), value: rng(VALUE_BYTES) };
  const out: number[] = [];
  for (let i = 0; i < n + 50; i++) {
    const t0 = performance.now();
    sealRecord(ctx, i + 1, op, rng);
    if (i >= 50) out.push(performance.now() - t0);
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const single = quick ? 200 : 2000;
  const perWriter = quick ? 25 : 250;
  console.log(
    `${machineLine()}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}, data in ${os.tmpdir()}`,
  );
  const root = await mkdtemp(path.join(os.tmpdir(), "shardless-bench-store-"));
  try {
    const rows: unknown[][] = [];
    for (const writers of [1, 8]) {
      for (const mode of MODES) {
        const r = await runPuts(root, mode, writers, writers === 1 ? single : perWriter);
        const puts = r.latencies.length;
        rows.push([
          mode.name,
          writers,
          puts,
          median(r.latencies),
          p99(r.latencies),
          Math.round((puts / r.wallMs) * 1000),
          r.syncs === null ? "—" : (r.syncs / puts).toFixed(2),
          r.sealed === null ? "—" : `${r.sealed} / ${r.checkpoints}`,
        ]);
      }
    }
    printTable(
      `Durable 1 KiB FileShareStore.put (ms per put; ${single} puts for 1 writer, ${perWriter} per writer for 8)`,
      ["store", "writers", "puts", "median", "p99", "puts/s", "syncs/put", "segments sealed / checkpointed"],
      rows,
    );

    const n = quick ? 100 : 1000;
    const raw: unknown[][] = [];
    for (const preallocate of [false, true]) {
      for (const method of ["fdatasync", "dsync"] as const) {
        const xs = await rawSync(root, method, preallocate, n);
        raw.push([
          method === "dsync" ? "write, file opened O_DSYNC" : "write + fdatasync",
          preallocate ? "preallocated" : "growing",
          median(xs),
          p99(xs),
        ]);
      }
    }
    const seal = sealOnly(n);
    raw.push(["seal one 1 KiB record (no I/O)", "—", median(seal), p99(seal)]);
    printTable(
      `Raw durable append of a 1 KiB record (ms; ${n} each)`,
      ["method", "file", "median", "p99"],
      raw,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
