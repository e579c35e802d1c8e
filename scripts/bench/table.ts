/** Helpers for benchmark scripts: timing, statistics and a plain-text table. */
import { performance } from "node:perf_hooks";

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (q in 0..100). */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))];
}

export const p99 = (xs: readonly number[]) => percentile(xs, 99);

/** Runs `fn` `runs` times after `warmup` runs; returns wall-clock milliseconds per run. */
export async function timeIt(
  fn: () => unknown | Promise<unknown>,
  runs: number,
  warmup = 1,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** CPU milliseconds (user + system) spent by this process while `fn` runs. */
export async function cpuMs<T>(fn: () => T | Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, cpuMs: (c.user + c.system) / 1000 };
}

export const fmt = (x: number, digits = 2) =>
  Number.isFinite(x)
    ? x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 })
    : "—";

/** Prints an aligned plain-text table (also fine to paste in notes). */
export function printTable(
  title: string,
  headers: readonly string[],
  rows: readonly (readonly unknown[])[],
): void {
  const cells = [
    headers.map(String),
    ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : String(c)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => "| " + r.map((c, i) => c.padStart(widths[i])).join(" | ") + " |";
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of cells.slice(1)) console.log(line(r));
}

/** Machine facts printed above every benchmark, so figures can be compared. */
export function machineLine(): string {
  return `node ${process.version}, ${process.platform}/${process.arch}`;
}
