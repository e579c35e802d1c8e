/** Observability: structured logs (pino) and Prometheus metrics (prom-client). */
export * from "./logger.js";
export * from "./metrics.js";
