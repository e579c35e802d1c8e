/**
 * Structured JSON logs (pino) behind the runner's Logger port. Callers must never pass secret values;
 * as a safety net, fields whose names look secret are replaced by "[redacted]" at any depth up to four
 * levels (objects) and inside arrays of objects.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import type { Logger } from "../runner/ports.js";
import type { LogLevel } from "../config.js";

/** Field names redacted wherever they appear. */
export const REDACTED_FIELDS = [
  "share",
  "shares",
  "secret",
  "secretKey",
  "privateKey",
  "seed",
  "nonce",
  "nonces",
  "passphrase",
  "password",
  "token",
  "authorization",
] as const;

export const REDACTION_CENSOR = "[redacted]";

function redactPaths(fields: readonly string[]): string[] {
  return fields.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`, `*[*].${f}`, `*.*[*].${f}`]);
}

export interface LoggerOptions {
  /**
   * Minimum level written.
   * @default "info"
   */
  level?: LogLevel;
  /**
   * Bindings on every line (e.g. `{ member: 2, peerId }`).
   * @default {}
   */
  bindings?: Record<string, unknown>;
  /**
   * Where lines go.
   * @default stdout
   */
  destination?: DestinationStream;
  /**
   * Extra field names to redact, on top of REDACTED_FIELDS.
   * @default []
   */
  redact?: string[];
}

/** A pino logger; structurally the Logger port (`child` returns one too). */
export type NodeLogger = PinoLogger & Logger;

export function createLogger(options: LoggerOptions = {}): NodeLogger {
  return pino(
    {
      level: options.level ?? "info",
      base: { pid: process.pid, ...options.bindings },
      redact: {
        paths: redactPaths([...REDACTED_FIELDS, ...(options.redact ?? [])]),
        censor: REDACTION_CENSOR,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
