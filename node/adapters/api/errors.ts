/**
 * How failures become API error bodies (docs/api.md "Errors"). Every error the server answers with is an
 * `ApiError` with a stable code from the contract table; ShardlessError subclasses are mapped by their
 * `code`, and anything else becomes INTERNAL without its message (it may hold internals).
 */
import { ShardlessError, RoundTimeoutError } from "../../protocol/errors.js";
import type { ApiErrorBody } from "../../client/types.js";

export type ApiErrorCode =
  | "UNAUTHORIZED"
  | "BAD_REQUEST"
  | "NOT_FOUND"
  | "CONFLICT"
  | "POLICY"
  | "UNAVAILABLE"
  | "PROTOCOL_ABORT"
  | "TIMEOUT"
  | "INTERNAL";

export const API_STATUS: Record<ApiErrorCode, number> = {
  UNAUTHORIZED: 401,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  POLICY: 403,
  UNAVAILABLE: 503,
  PROTOCOL_ABORT: 502,
  TIMEOUT: 504,
  INTERNAL: 500,
};

/** An error as the API reports it: code, HTTP status, culprits and details. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly culprits: readonly number[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = API_STATUS[code];
  }

  toBody(): ApiErrorBody {
    const error: ApiErrorBody["error"] = { code: this.code, message: this.message };
    if (this.culprits.length > 0) error.culprits = [...this.culprits];
    if (Object.keys(this.details).length > 0) error.details = this.details;
    return { error };
  }
}

/**
 * Thrown by NodeServices when a group or key does not exist. Lives here until the protocol error family
 * grows an equivalent (no protocol needs it).
 */
export class NotFoundError extends ShardlessError {
  readonly code = "NOT_FOUND";
}

/** Thrown by NodeServices when too few members are online for the scheme's quorum. */
export class UnavailableError extends ShardlessError {
  readonly code = "UNAVAILABLE";
  constructor(
    message: string,
    /** Members online now and members needed: tells the caller what to wait for. */
    readonly online?: number,
    readonly needed?: number,
  ) {
    super(message);
  }
}

/** ShardlessError codes mapped to API codes; anything unlisted is a bug (INTERNAL). */
const CODE_MAP: Record<string, ApiErrorCode> = {
  PARAMETER: "BAD_REQUEST",
  DECODE: "BAD_REQUEST",
  INVALID_CIPHERTEXT: "BAD_REQUEST",
  NOT_FOUND: "NOT_FOUND",
  UNAVAILABLE: "UNAVAILABLE",
  PEER_UNREACHABLE: "UNAVAILABLE",
  // the node is shutting down
  POOL_STOPPED: "UNAVAILABLE",
  SESSION_CANCELLED: "UNAVAILABLE",
  POLICY: "POLICY",
  ROUND_TIMEOUT: "TIMEOUT",
  PROTOCOL_ABORT: "PROTOCOL_ABORT",
  INVALID_MESSAGE: "PROTOCOL_ABORT",
  EQUIVOCATION: "PROTOCOL_ABORT",
  VERIFICATION: "PROTOCOL_ABORT",
  CONSUMED: "PROTOCOL_ABORT",
  FRAME_REJECTED: "PROTOCOL_ABORT",
};

/**
 * Maps any thrown value to an ApiError. `incident` is a reference the caller logs beside the original
 * error, so an INTERNAL answer can be matched to the node log without revealing the cause.
 */
export function toApiError(err: unknown, incident: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ShardlessError) {
    const code = CODE_MAP[err.code];
    if (code === undefined) return internal(incident);
    const details: Record<string, unknown> = {};
    // The protocol-level code stays visible (e.g. EQUIVOCATION vs VERIFICATION under PROTOCOL_ABORT).
    if (err.code !== code) details.reason = err.code;
    if (err instanceof RoundTimeoutError) {
      details.round = err.round;
      details.missing = [...err.missing];
    }
    if (err instanceof UnavailableError) {
      if (err.online !== undefined) details.online = err.online;
      if (err.needed !== undefined) details.needed = err.needed;
    }
    // ShardlessError messages are secret-free by the family's contract, so they are passed through.
    return new ApiError(code, err.message, err.culprits, details);
  }
  return internal(incident);
}

function internal(incident: string): ApiError {
  return new ApiError("INTERNAL", `internal error; see the node log for incident ${incident}`, [], {
    incident,
  });
}
