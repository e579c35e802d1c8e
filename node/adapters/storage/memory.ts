/**
 * MemoryShareStore: the ShareStore port in memory, for tests and simulations. Same key rules and
 * semantics as FileShareStore (values are copied in and out, list is sorted), no persistence.
 */
import { ParameterError } from "../../protocol/errors.js";
import type { ShareStore } from "../../runner/ports.js";
import { assertStoreKey, assertStorePrefix } from "./keys.js";

export class MemoryShareStore implements ShareStore {
  private readonly entries = new Map<string, Uint8Array>();

  async put(key: string, value: Uint8Array): Promise<void> {
    assertStoreKey(key);
    if (!(value instanceof Uint8Array)) throw new ParameterError("`value` expected Uint8Array");
    this.entries.set(key, value.slice());
  }

  async get(key: string): Promise<Uint8Array | null> {
    assertStoreKey(key);
    return this.entries.get(key)?.slice() ?? null;
  }

  async delete(key: string): Promise<void> {
    assertStoreKey(key);
    this.entries.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    assertStorePrefix(prefix);
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
