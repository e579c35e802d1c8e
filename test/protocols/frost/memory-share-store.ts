/**
 * TEST ONLY: an in-memory ShareStore (runner/ports.ts) whose `data` map plays the disk. It survives a
 * simulated crash (tests drop the objects that used it and build new ones on the same store), and it
 * can make the next puts fail as a crash during a write would: the old value stays.
 */
import type { ShareStore } from "../../../node/runner/ports.js";

export class MemoryShareStore implements ShareStore {
  readonly data = new Map<string, Uint8Array>();
  /** How many upcoming `put` calls crash before writing anything. */
  crashingPuts = 0;
  puts = 0;

  async put(key: string, value: Uint8Array): Promise<void> {
    if (this.crashingPuts > 0) {
      this.crashingPuts--;
      throw new Error(`simulated crash while writing ${key}`);
    }
    this.puts++;
    this.data.set(key, value.slice());
  }

  async get(key: string): Promise<Uint8Array | null> {
    return this.data.get(key)?.slice() ?? null;
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
