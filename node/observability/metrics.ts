/**
 * Prometheus metrics (prom-client) for one node, on a registry of its own (several nodes can share a
 * process in tests). `expose()` returns the text exposition served at `/metrics`.
 *
 * Label values must be bounded: protocol ids, error *codes* (not messages), member ids. Never a
 * session id, peer id or request id.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { FrameDropReason, GateDirection, MeshMetrics } from "../adapters/libp2p/index.js";

export type SessionOutcome = "ok" | "abort" | "timeout" | "error";

/** Latency buckets in seconds: fine below 10 ms (online signing), coarse up to a minute (DKG). */
export const LATENCY_BUCKETS = [
  0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export interface MetricsOptions {
  /**
   * Metric name prefix.
   * @default "shardless_"
   */
  prefix?: string;
  /**
   * Also collect prom-client's process metrics (CPU, memory, event-loop lag).
   * @default false
   */
  collectDefault?: boolean;
}

export interface NodeMetrics {
  readonly registry: Registry;
  /** Content-Type for the `/metrics` response. */
  readonly contentType: string;
  /** A finished session: protocol id (e.g. "ecdsa-sign"), outcome and wall time. */
  recordSession(protocol: string, outcome: SessionOutcome, seconds: number): void;
  /** An aborted session: the error code and each provable culprit (member id), or "none". */
  recordAbort(protocol: string, reason: string, culprits: readonly number[]): void;
  /** Ready presignatures for one key (key label: a short key id). */
  setPresignPoolDepth(key: string, depth: number): void;
  /** One API request: route template (e.g. "/v1/keys/:id/sign"), HTTP status and wall time. */
  recordApiRequest(route: string, status: number, seconds: number): void;
  /** Hooks for the libp2p transport (frames rejected, connections denied, peers connected). */
  readonly mesh: MeshMetrics;
  /** The Prometheus text exposition. */
  expose(): Promise<string>;
}

export function createMetrics(options: MetricsOptions = {}): NodeMetrics {
  const prefix = options.prefix ?? "shardless_";
  const registry = new Registry();
  if (options.collectDefault) collectDefaultMetrics({ register: registry, prefix });
  const registers = [registry];

  const sessions = new Counter({
    name: `${prefix}sessions_total`,
    help: "Protocol sessions finished, by protocol and outcome",
    labelNames: ["protocol", "outcome"] as const,
    registers,
  });
  const sessionSeconds = new Histogram({
    name: `${prefix}session_duration_seconds`,
    help: "Wall time of protocol sessions, by protocol and outcome",
    labelNames: ["protocol", "outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const aborts = new Counter({
    name: `${prefix}aborts_total`,
    help: "Aborted sessions, by protocol, reason (error code) and culprit member id ('none' if unproven)",
    labelNames: ["protocol", "reason", "culprit"] as const,
    registers,
  });
  const peers = new Gauge({
    name: `${prefix}peers_connected`,
    help: "Allowlisted peers with an open libp2p connection",
    registers,
  });
  const poolDepth = new Gauge({
    name: `${prefix}presign_pool_depth`,
    help: "Ready ECDSA presignatures, by key",
    labelNames: ["key"] as const,
    registers,
  });
  const framesRejected = new Counter({
    name: `${prefix}frames_rejected_total`,
    help: "Frames refused or dropped by the mesh, by reason and direction",
    labelNames: ["reason", "direction"] as const,
    registers,
  });
  const denied = new Counter({
    name: `${prefix}connections_denied_total`,
    help: "Connections refused by the allowlist gater, by direction",
    labelNames: ["direction"] as const,
    registers,
  });
  const apiRequests = new Counter({
    name: `${prefix}api_requests_total`,
    help: "Local API requests, by route and status",
    labelNames: ["route", "status"] as const,
    registers,
  });
  const apiSeconds = new Histogram({
    name: `${prefix}api_request_duration_seconds`,
    help: "Local API request latency, by route",
    labelNames: ["route"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });

  const mesh: MeshMetrics = {
    frameRejected: (reason: FrameDropReason, direction: "in" | "out") =>
      framesRejected.inc({ reason, direction }),
    connectionDenied: (direction: GateDirection) => denied.inc({ direction }),
    peersConnected: (count: number) => peers.set(count),
  };

  return {
    registry,
    contentType: registry.contentType,
    mesh,
    recordSession(protocol, outcome, seconds) {
      sessions.inc({ protocol, outcome });
      sessionSeconds.observe({ protocol, outcome }, seconds);
    },
    recordAbort(protocol, reason, culprits) {
      if (culprits.length === 0) aborts.inc({ protocol, reason, culprit: "none" });
      for (const c of new Set(culprits)) aborts.inc({ protocol, reason, culprit: String(c) });
    },
    setPresignPoolDepth(key, depth) {
      poolDepth.set({ key }, depth);
    },
    recordApiRequest(route, status, seconds) {
      apiRequests.inc({ route, status: String(status) });
      apiSeconds.observe({ route }, seconds);
    },
    expose: () => registry.metrics(),
  };
}
