/**
 * Store keys are slash-separated paths (`shares/<group>/<keyId>/<epoch>`). Each segment maps to a
 * directory or file name, so the alphabet is restricted: no traversal, no hidden files, and no suffix the
 * file store uses itself.
 */
import { ParameterError } from "../../protocol/errors.js";

export const MAX_KEY_LENGTH = 512;
export const MAX_KEY_DEPTH = 16;
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const RESERVED_SUFFIX = /\.(sealed|tmp)$/;

function checkSegment(seg: string, key: string): void {
  if (!SEGMENT.test(seg) || RESERVED_SUFFIX.test(seg)) {
    throw new ParameterError(`invalid store key ${JSON.stringify(key.slice(0, 80))}: bad segment`);
  }
}

/** Throws ParameterError unless `key` is a valid store key. */
export function assertStoreKey(key: string): void {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new ParameterError("store key expected a non-empty string of at most 512 characters");
  }
  const segments = key.split("/");
  if (segments.length > MAX_KEY_DEPTH) throw new ParameterError("store key nested too deeply");
  for (const seg of segments) checkSegment(seg, key);
}

/**
 * A list prefix is a string prefix of keys: "" (everything), "shares/" or "shares/g1/k". Every complete
 * segment must be valid; the last, partial one only needs the segment alphabet.
 */
export function assertStorePrefix(prefix: string): void {
  if (typeof prefix !== "string" || prefix.length > MAX_KEY_LENGTH) {
    throw new ParameterError("store prefix expected a string of at most 512 characters");
  }
  if (prefix === "") return;
  const segments = prefix.split("/");
  const last = segments.pop() as string;
  for (const seg of segments) checkSegment(seg, prefix);
  if (last !== "" && !/^[A-Za-z0-9_.-]+$/.test(last)) {
    throw new ParameterError(`invalid store prefix ${JSON.stringify(prefix.slice(0, 80))}`);
  }
}
