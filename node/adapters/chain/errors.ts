/**
 * Chain adapter errors. Same family as node/protocol/errors.ts (stable `code`, tests match on it). They
 * blame no member: a revert or an RPC failure is not proof of misbehaviour.
 */
import type { Interface } from "ethers";
import { ShardlessError } from "../../protocol/errors.js";

export type ChainErrorCode =
  /** A call or transaction reverted; `revert` holds the decoded custom error when the ABI knows it. */
  | "CHAIN_REVERTED"
  /** The RPC endpoint failed or timed out. */
  | "CHAIN_UNAVAILABLE"
  /** A log from the registry could not be decoded. */
  | "CHAIN_BAD_EVENT"
  /** A transaction was mined but its receipt lacks what it must contain (status 0, missing event). */
  | "CHAIN_BAD_RECEIPT"
  /** Anything else ethers reported (bad argument, unsupported operation...). */
  | "CHAIN_FAILED";

/** A decoded custom error, e.g. `{ name: "ShardlessRegistryStaleEpoch", args: [keyId, 3n, 2n] }`. */
export interface DecodedRevert {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly data: string;
}

export class ChainError extends ShardlessError {
  readonly code: ChainErrorCode;
  readonly revert?: DecodedRevert;
  constructor(code: ChainErrorCode, message: string, options?: ErrorOptions & { revert?: DecodedRevert }) {
    super(message, [], options);
    this.code = code;
    this.revert = options?.revert;
  }
}

const UNAVAILABLE = new Set(["NETWORK_ERROR", "SERVER_ERROR", "TIMEOUT", "ECONNREFUSED", "ECONNRESET"]);

/**
 * Finds revert data in an ethers or Hardhat error (it sits at different depths depending on the
 * provider). "0x" means a revert without data (e.g. calldata that fails ABI validation).
 */
function findRevertData(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== "object" || error === null) return undefined;
  const e = error as Record<string, unknown>;
  let empty: string | undefined;
  if (typeof e.data === "string" && /^0x([0-9a-fA-F]{2})*$/.test(e.data)) {
    if (e.data.length >= 10) return e.data;
    if (e.data === "0x") empty = "0x";
  }
  for (const key of ["error", "info", "cause", "data"]) {
    const found = findRevertData(e[key], depth + 1);
    if (found && found !== "0x") return found;
    empty ??= found;
  }
  return empty;
}

/** Converts whatever ethers or the provider threw into a ChainError, decoding custom errors with `iface`. */
export function toChainError(error: unknown, iface: Interface, action: string): ChainError {
  if (error instanceof ChainError) return error;
  const data = findRevertData(error);
  if (data === "0x")
    return new ChainError("CHAIN_REVERTED", `${action} reverted without data`, { cause: error });
  if (data) {
    const parsed = iface.parseError(data);
    const revert: DecodedRevert = parsed
      ? { name: parsed.name, args: [...parsed.args], data }
      : { name: "unknown", args: [], data };
    return new ChainError("CHAIN_REVERTED", `${action} reverted with ${revert.name}`, {
      cause: error,
      revert,
    });
  }
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === "CALL_EXCEPTION") {
    return new ChainError("CHAIN_REVERTED", `${action} reverted without data`, { cause: error });
  }
  if (typeof code === "string" && UNAVAILABLE.has(code)) {
    return new ChainError("CHAIN_UNAVAILABLE", `${action} failed: chain unavailable (${code})`, {
      cause: error,
    });
  }
  return new ChainError("CHAIN_FAILED", `${action} failed`, { cause: error });
}
