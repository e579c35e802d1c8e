/** TEST-ONLY raw HTTP helpers for API server tests (no client library in between). */
import type { Logger } from "../../node/runner/ports.js";

export interface RawResponse {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  headers: Headers;
}

export async function raw(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string | Uint8Array; authorization?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  else if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await fetch(url + path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** A Logger that keeps every entry, to check what reaches the logs. */
export function recordingLogger(): Logger & { entries: { level: string; obj: object; msg?: string }[] } {
  const entries: { level: string; obj: object; msg?: string }[] = [];
  const make = (bindings: object): Logger => ({
    debug: (obj, msg) => entries.push({ level: "debug", obj: { ...bindings, ...obj }, msg }),
    info: (obj, msg) => entries.push({ level: "info", obj: { ...bindings, ...obj }, msg }),
    warn: (obj, msg) => entries.push({ level: "warn", obj: { ...bindings, ...obj }, msg }),
    error: (obj, msg) => entries.push({ level: "error", obj: { ...bindings, ...obj }, msg }),
    child: (b) => make({ ...bindings, ...b }),
  });
  return Object.assign(make({}), { entries });
}
