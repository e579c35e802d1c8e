/** Parsing of task arguments into typed values, with errors that say how to fix the command. */
import { getAddress, isAddress, isHexString } from "ethers";
import type { Hex } from "../../node/client/types.js";
import { ShardlessPluginError } from "./errors.js";

export function requireArg<T>(value: T | undefined, flag: string, hint = ""): T {
  if (value === undefined || value === "") {
    throw new ShardlessPluginError("BAD_ARGUMENT", `Missing ${flag}.${hint ? " " + hint : ""}`);
  }
  return value;
}

export function parseAddress(value: string, flag: string): Hex {
  if (!isAddress(value) || !value.startsWith("0x")) {
    throw new ShardlessPluginError("BAD_ARGUMENT", `${flag} expects a 0x-prefixed address, got "${value}".`);
  }
  return getAddress(value) as Hex;
}

export function parseAddressList(value: string, flag: string): Hex[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0)
    throw new ShardlessPluginError("BAD_ARGUMENT", `${flag} expects comma-separated addresses.`);
  return items.map((a) => parseAddress(a, flag));
}

export function parseHex(value: string, flag: string, bytes?: number): Hex {
  if (!isHexString(value, bytes)) {
    const size = bytes === undefined ? "" : ` of ${bytes} bytes`;
    throw new ShardlessPluginError("BAD_ARGUMENT", `${flag} expects 0x-prefixed hex${size}.`);
  }
  return value.toLowerCase() as Hex;
}

export function parsePositiveInt(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ShardlessPluginError("BAD_ARGUMENT", `${flag} expects a positive integer.`);
  }
  return value;
}
