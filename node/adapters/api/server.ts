/**
 * The member node's HTTP JSON API (docs/api.md) on node:http. It authenticates (bearer token, compared
 * in constant time), validates paths and bodies against ./schemas.ts, deduplicates by requestId
 * (./idempotency.ts), dispatches to NodeServices, and turns every failure into the typed JSON error of
 * the contract (./errors.ts). Malformed input never takes the server down (DESIGN.md §4.8).
 *
 * Logs carry method, route pattern, status, duration and requestId; never headers or bodies (tokens,
 * typed data and plaintexts must stay out of logs).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { z } from "zod";
import { sha256, utf8ToBytes } from "../../crypto/hash.js";
import { ParameterError } from "../../protocol/errors.js";
import { silentLogger, systemClock, type Clock, type Logger } from "../../runner/ports.js";
import { ApiError, toApiError } from "./errors.js";
import {
  Idempotency,
  MemoryIdempotencyStore,
  requestFingerprint,
  type IdempotencyStore,
} from "./idempotency.js";
import { ROUTES, matchRoute, split, type Params } from "./routes.js";
import { idSchema } from "./schemas.js";
import type { NodeServices } from "./services.js";

export interface ApiServerOptions {
  services: NodeServices;
  /** Bearer token every /v1 request must present. At least 16 characters. */
  token: string;
  /** @default "127.0.0.1" (loopback: bind elsewhere only on a private interface) */
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Larger bodies get 400 BAD_REQUEST. @default 1_048_576 */
  maxBodyBytes?: number;
  /** Where finished results are kept for retries. @default a bounded in-memory store */
  idempotencyStore?: IdempotencyStore;
  /** Prometheus text for /metrics. @default none (empty body) */
  metrics?: () => string | Promise<string>;
  /** @default silentLogger */
  logger?: Logger;
  /** @default systemClock */
  clock?: Clock;
  /** Told about every answered request: route pattern, HTTP status, seconds (metrics). */
  onRequest?: (route: string, status: number, seconds: number) => void;
}

export const MIN_TOKEN_LENGTH = 16;
const DEFAULT_MAX_BODY = 1_048_576;

/**
 * An authenticated request refused for its declared body length is still read to its end (and thrown
 * away) when that length is at most this: closing the connection while the client still sends makes the
 * kernel reset it, and the client then sees a broken pipe instead of the 400 that says why. Larger
 * bodies, chunked ones and unauthenticated ones get the 400 and a closed connection at once.
 */
const DRAIN_LIMIT_BYTES = 8 * 1_048_576;
const JSON_TYPE = "application/json; charset=utf-8";

export class ApiServer {
  private readonly tokenDigest: Uint8Array;
  private readonly idempotency: Idempotency;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly maxBodyBytes: number;
  private server?: http.Server;
  private boundUrl?: string;

  constructor(private readonly opts: ApiServerOptions) {
    if (typeof opts.token !== "string" || opts.token.length < MIN_TOKEN_LENGTH) {
      throw new ParameterError(`API token must be at least ${MIN_TOKEN_LENGTH} characters`);
    }
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
      throw new ParameterError(`API port must be an integer in 0..65535, got ${String(opts.port)}`);
    }
    // Comparing digests keeps the comparison constant-time even when lengths differ.
    this.tokenDigest = sha256(utf8ToBytes(opts.token));
    this.logger = (opts.logger ?? silentLogger).child({ component: "api" });
    this.clock = opts.clock ?? systemClock;
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.idempotency = new Idempotency(
      opts.idempotencyStore ?? new MemoryIdempotencyStore({ clock: this.clock }),
      this.logger,
      this.clock,
    );
  }

  /** Starts listening; resolves with the bound URL (e.g. http://127.0.0.1:7001). */
  async start(): Promise<string> {
    if (this.server) throw new ParameterError("API server already started");
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.requestTimeout = 30_000; // time to receive a request, not to answer it (DKG may be slow)
    server.headersTimeout = 10_000;
    this.server = server;
    const host = this.opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.opts.port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { address, port } = server.address() as AddressInfo;
    this.boundUrl = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
    this.logger.info({ url: this.boundUrl }, "api listening");
    return this.boundUrl;
  }

  get url(): string {
    if (!this.boundUrl) throw new ParameterError("API server not started");
    return this.boundUrl;
  }

  /** Stops accepting connections and closes idle ones; in-flight requests and their records finish first. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.boundUrl = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    await this.idempotency.drain(); // results answered just now: their records are written before we stop
  }

  /** The request handler (exported for embedding the API in another server). */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = this.clock.now();
    let routeName = "unmatched";
    let requestId: string | undefined;
    let drainable = false;
    try {
      const path = requestPath(req.url);
      const method = req.method ?? "GET";
      if (method === "GET" && path === "/healthz") {
        routeName = "/healthz";
        const health = await this.opts.services.health();
        return send(res, health.ok ? 200 : 503, health);
      }
      if (method === "GET" && path === "/metrics") {
        routeName = "/metrics";
        const text = this.opts.metrics ? await this.opts.metrics() : "";
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
        res.end(text);
        return;
      }
      const segments = split(path);
      // Authenticate before revealing which routes exist and before reading any body.
      if (!this.authorized(req.headers.authorization)) {
        throw new ApiError("UNAUTHORIZED", "missing or wrong bearer token");
      }
      const { route, params, pathMatched } = matchRoute(ROUTES, method, segments);
      if (!route || !params) {
        const message = pathMatched ? `${method} not allowed on ${path}` : "unknown route";
        throw new ApiError("NOT_FOUND", message, [], { method, path });
      }
      routeName = `${route.method} ${route.pattern}`;
      const decoded = decodeParams(params);
      if (route.method === "GET") {
        return send(res, 200, await route.run(this.opts.services, decoded, undefined));
      }

      drainable = Number(req.headers["content-length"]) <= DRAIN_LIMIT_BYTES;
      const body = parseBody(await readBody(req, this.maxBodyBytes), route.body!);
      requestId = body.requestId;
      const fingerprint = requestFingerprint(routeName, decoded, body);
      const result = await this.idempotency.run(body.requestId, fingerprint, () =>
        route.run(this.opts.services, decoded, body),
      );
      return send(res, 200, result);
    } catch (err) {
      const incident = randomBytes(6).toString("hex");
      const apiErr = toApiError(err, incident);
      if (apiErr.code === "INTERNAL") {
        this.logger.error(
          { incident, route: routeName, requestId, err: describeError(err) },
          "api request failed with an internal error",
        );
      }
      // A request refused before its body was read: the connection is closed rather than drained,
      // unless it is an authenticated body of bounded declared length (Node reads and drops the rest).
      if (!req.complete && !drainable) res.setHeader("connection", "close");
      send(res, apiErr.status, apiErr.toBody());
    } finally {
      const ms = this.clock.now() - started;
      this.logger.info(
        {
          method: req.method,
          route: routeName,
          status: res.statusCode,
          ms,
          requestId,
        },
        "api request",
      );
      this.opts.onRequest?.(routeName, res.statusCode, ms / 1000);
    }
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Bearer ([^\s]+)$/.exec(header ?? "");
    const given = sha256(utf8ToBytes(match?.[1] ?? ""));
    return timingSafeEqual(given, this.tokenDigest) && match !== null;
  }
}

/** Convenience: `await createApiServer(opts).start()`. */
export function createApiServer(opts: ApiServerOptions): ApiServer {
  return new ApiServer(opts);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch {
    status = 500;
    text = JSON.stringify(new ApiError("INTERNAL", "result could not be serialised").toBody());
  }
  res.writeHead(status, { "content-type": JSON_TYPE, "cache-control": "no-store" });
  res.end(text);
}

/** The path of an origin-form request target ("/v1/keys/1?x" → "/v1/keys/1"). */
function requestPath(target: string | undefined): string {
  if (!target?.startsWith("/")) throw badRequest("path", "request target must be an absolute path");
  try {
    return new URL(target, "http://localhost").pathname;
  } catch {
    throw badRequest("path", "request target is not a valid path");
  }
}

function decodeParams(params: Params): Params {
  const out: Params = {};
  for (const [name, raw] of Object.entries(params)) {
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      throw badRequest(name, `${name} is not valid percent-encoding`);
    }
    const parsed = idSchema.safeParse(value);
    if (!parsed.success) throw badRequest(name, parsed.error.issues[0]!.message);
    out[name] = parsed.data;
  }
  return out;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => badRequest("body", `body exceeds ${limit} bytes`, { limit });
  if (Number(req.headers["content-length"] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
    });
  });
}

function parseBody<B>(raw: Buffer, schema: z.ZodType<B, z.ZodTypeDef, unknown>): B {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"), (key, value: unknown) => {
      // JSON.parse makes "__proto__" an own key; copying it later would swap an object's prototype.
      if (key === "__proto__") throw new SyntaxError("forbidden key");
      return value;
    });
  } catch {
    // The parser's message quotes the body, which may hold secrets: report only the field.
    throw badRequest("body", "body is not valid JSON");
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw badRequest("body", "body must be a JSON object");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: issueField(i), message: i.message }));
    throw badRequest(issues[0]!.field, `invalid ${issues[0]!.field}: ${issues[0]!.message}`, { issues });
  }
  return parsed.data;
}

function issueField(issue: z.ZodIssue): string {
  const path = issue.path.join(".");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    return path ? `${path}.${key}` : key;
  }
  return path || "body";
}

function badRequest(field: string, message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError("BAD_REQUEST", message, [], { field, ...extra });
}

function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { name: err.name, stack: err.stack };
  return { type: typeof err };
}
