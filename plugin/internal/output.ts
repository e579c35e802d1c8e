/**
 * How tasks print: the result goes to stdout (one JSON document with `--json`, readable lines otherwise);
 * progress goes to stderr, so `--json` output stays machine-readable.
 */
export interface TaskOutput {
  readonly json: boolean;
  result(value: unknown, human: () => string[]): void;
  progress(line: string): void;
}

export function consoleOutput(json: boolean): TaskOutput {
  return {
    json,
    result(value, human) {
      if (json) console.log(toJson(value));
      else for (const line of human()) console.log(line);
    },
    progress(line) {
      console.error(line);
    },
  };
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** Runs long work, printing a start line, a reminder every `everyMs`, and the time it took. */
export async function withProgress<T>(
  out: TaskOutput,
  label: string,
  work: () => Promise<T>,
  everyMs = 10_000,
): Promise<T> {
  const started = Date.now();
  out.progress(`${label}...`);
  const timer = setInterval(() => {
    out.progress(`  still working (${Math.round((Date.now() - started) / 1000)} s)`);
  }, everyMs);
  timer.unref();
  try {
    const result = await work();
    out.progress(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}

/** UTF-8 text of bytes when it is printable, else undefined. */
export function printableText(bytes: Uint8Array): string | undefined {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  // eslint-disable-next-line no-control-regex
  return /^[^\u0000-\u0008\u000e-\u001f\u007f\ufffd]*$/.test(text) ? text : undefined;
}
