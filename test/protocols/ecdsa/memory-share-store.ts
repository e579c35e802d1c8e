/**
 * TEST ONLY: an in-memory ShareStore (the ports.ts contract: atomic put, sorted list) that survives a
 * simulated process restart (keep the instance, drop everything built on it) and can be told to fail
 * a write, to simulate a crash before the value became durable.
 */
import type { ShareStore } from "../../../node/runner/ports.js";

export class MemoryShareStore implements ShareStore {
  private readonly data = new Map<string, Uint8Array>();
  /** When set, the next `put` throws (nothing is written) and the flag clears. */
  failNextPut = false;
  puts = 0;

  async put(key: string, value: Uint8Array): Promise<void> {
    if (this.failNextPut) {
      this.failNextPut = false;
      throw new Error("simulated crash during put");
    }
    this.puts++;
    this.data.set(key, value.slice());
  }

  async get(key: string): Promise<Uint8Array | null> {
    const v = this.data.get(key);
    return v === undefined ? null : v.slice();
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
