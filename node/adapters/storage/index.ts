/** Share storage adapters: the encrypted file store, its key providers, and an in-memory store for tests. */
export * from "./errors.js";
export * from "./keys.js";
export * from "./key-provider.js";
export * from "./file-store.js";
export * from "./memory.js";
