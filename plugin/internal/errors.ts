/**
 * Errors the plugin shows to users. Each has a stable `code` (tests match on it) and a message that ends
 * with what to do next. Hardhat prints HardhatPluginError messages without a stack trace.
 */
import { HardhatPluginError } from "hardhat/plugins";
import { ShardlessApiError } from "../../node/client/api-client.js";
import { PLUGIN_ID } from "./constants.js";

export type PluginErrorCode =
  | "NO_NODES"
  | "UNKNOWN_NODE"
  | "TOKEN_UNAVAILABLE"
  | "NO_KEY"
  | "NO_GROUP"
  | "NO_REGISTRY"
  | "BAD_ARGUMENT"
  | "WRONG_SCHEME"
  | "NOT_AVAILABLE"
  | "CHAIN"
  // API error codes (docs/api.md) and client-side ones (UNREACHABLE, BAD_RESPONSE, VERIFICATION)
  | string;

export class ShardlessPluginError extends HardhatPluginError {
  constructor(
    readonly code: PluginErrorCode,
    message: string,
    readonly culprits: readonly number[] = [],
    readonly details: Record<string, unknown> = {},
    cause?: Error,
  ) {
    super(PLUGIN_ID, message, cause);
    this.name = "ShardlessPluginError";
  }
}

/** What to do next, per API error code. */
const NEXT_STEP: Record<string, string> = {
  UNREACHABLE:
    "Is the node running? Check its URL in `shardless.nodes` (hardhat.config.ts), or start a local devnet with `npx hardhat shardless devnet`.",
  UNAUTHORIZED:
    "The node refused the API token: check the node's token source in `shardless.nodes` (token, tokenFile or tokenEnv).",
  BAD_REQUEST: "Check the arguments (run the task with `--help`).",
  NOT_FOUND: "List groups and keys with `npx hardhat shardless status`.",
  CONFLICT:
    "That request id was already used for another request: retry without `--request-id` or pick a new one.",
  POLICY: "A policy refused the request: check the contract's reveal conditions or the group's approvals.",
  UNAVAILABLE: "Not enough members are online for this key's quorum: see `npx hardhat shardless status`.",
  PROTOCOL_ABORT:
    "The protocol aborted; the culprits (if any) are listed. Retry; if it persists, check those members.",
  TIMEOUT:
    "A round timed out; the members that did not answer are listed. Check that they are running, then retry.",
  INTERNAL: "The node hit a bug: look for the incident id in that node's log.",
  VERIFICATION: "The node returned a result that failed verification: do not trust that node; report it.",
  BAD_RESPONSE: "The URL does not look like a Shardless node API: check `shardless.nodes`.",
};

/** Turns client errors into plugin errors with a next step; other errors pass through unchanged. */
export function explainError(err: unknown, nodeName?: string): unknown {
  if (!(err instanceof ShardlessApiError)) return err;
  const where = nodeName ? `node ${nodeName}: ` : "";
  const culprits = err.culprits.length > 0 ? ` (culprits: members ${err.culprits.join(", ")})` : "";
  const missing = Array.isArray(err.details.missing)
    ? ` (missing: members ${err.details.missing.join(", ")})`
    : "";
  const next = NEXT_STEP[err.code] ?? "";
  return new ShardlessPluginError(
    err.code,
    `${where}${err.message}${culprits}${missing}. ${next}`.trim(),
    err.culprits,
    err.details,
    err,
  );
}
