/**
 * The route table of docs/api.md: each route names its path pattern, whether it needs the token, how
 * its body is validated, and which NodeServices method answers it.
 */
import type { z } from "zod";
import type { NodeServices } from "./services.js";
import {
  decryptBodySchema,
  keygenBodySchema,
  recoverBodySchema,
  refreshBodySchema,
  reshareBodySchema,
  signBodySchema,
} from "./schemas.js";
import type { SignPayload } from "../../client/types.js";

export type Params = Record<string, string>;

export interface Route {
  method: "GET" | "POST";
  /** Segments; `:name` captures a path parameter validated as an id. */
  pattern: string;
  segments: string[];
  /** false only for /healthz and /metrics. */
  auth: boolean;
  /** POST routes: the body schema. Every POST body carries a `requestId` (idempotency). */
  body?: z.ZodType<{ requestId: string }, z.ZodTypeDef, unknown>;
  run(services: NodeServices, params: Params, body: unknown): Promise<unknown>;
}

function get(pattern: string, run: (s: NodeServices, p: Params) => Promise<unknown>): Route {
  return { method: "GET", pattern, segments: split(pattern), auth: true, run: (s, p) => run(s, p) };
}

function post<B extends { requestId: string }>(
  pattern: string,
  body: z.ZodType<B, z.ZodTypeDef, unknown>,
  run: (s: NodeServices, p: Params, b: B) => Promise<unknown>,
): Route {
  return {
    method: "POST",
    pattern,
    segments: split(pattern),
    auth: true,
    body,
    run: (s, p, b) => run(s, p, b as B),
  };
}

export function split(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}

/** The /v1 routes (health and metrics are served by the server itself). */
export const ROUTES: readonly Route[] = [
  get("/v1/status", (s) => s.status()),
  get("/v1/keys/:keyId", (s, p) => s.key(p.keyId)),
  post("/v1/groups/:groupId/keys", keygenBodySchema, (s, p, b) =>
    s.keygen(p.groupId, b.scheme, b.degree, b.requestId),
  ),
  post("/v1/keys/:keyId/sign", signBodySchema, (s, p, b) => {
    const { requestId, ...payload } = b;
    return s.sign(p.keyId, payload as SignPayload, requestId);
  }),
  post("/v1/keys/:keyId/decrypt", decryptBodySchema, (s, p, b) =>
    s.decrypt(p.keyId, b.ciphertext, b.format, b.requestId, { ...b.payload, id: BigInt(b.payload.id) }),
  ),
  post("/v1/keys/:keyId/refresh", refreshBodySchema, (s, p, b) => s.refresh(p.keyId, b.requestId)),
  post("/v1/keys/:keyId/recover", recoverBodySchema, (s, p, b) => s.recover(p.keyId, b.member, b.requestId)),
  post("/v1/groups/:groupId/reshare", reshareBodySchema, (s, p, b) =>
    s.reshare(p.groupId, b.members, b.degree, b.requestId),
  ),
];

/** Finds the route for a path: `route` if path and method match, `pathMatched` if only the path does. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  segments: string[],
): { route?: Route; params?: Params; pathMatched: boolean } {
  let pathMatched = false;
  for (const route of routes) {
    const params = matchSegments(route.segments, segments);
    if (!params) continue;
    pathMatched = true;
    if (route.method === method) return { route, params, pathMatched };
  }
  return { pathMatched };
}

function matchSegments(pattern: string[], actual: string[]): Params | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(":")) params[p.slice(1)] = actual[i]!;
    else if (p !== actual[i]) return undefined;
  }
  return params;
}
