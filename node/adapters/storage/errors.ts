/**
 * Share-store errors, in the ShardlessError family (stable `code`, no secret in any message). None
 * blames a member: disk damage and wrong keys are local problems.
 */
import { ShardlessError } from "../../protocol/errors.js";

/**
 * A stored file (or the store header, or a write-ahead-log segment) exists but is damaged: truncated,
 * bit-flipped, swapped with another key's file or record, or from another store. Names the key and file;
 * the file is left untouched.
 */
export class StoreCorruptError extends ShardlessError {
  readonly code = "STORE_CORRUPT";
  constructor(
    /** The store key, "(header)" for store.json, or "(wal)" for a write-ahead-log segment. */
    readonly key: string,
    /** The file on disk. */
    readonly file: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`share store file ${file} (key ${key}) is corrupt: ${reason}`, [], options);
  }
}

/** The passphrase or key file does not open this store (or its header was tampered with). */
export class StoreKeyError extends ShardlessError {
  readonly code = "STORE_KEY";
}

/** Another live process holds the store's lock (two nodes on one data dir would reuse presignatures). */
export class StoreLockedError extends ShardlessError {
  readonly code = "STORE_LOCKED";
}

/**
 * A write to the write-ahead log (or a checkpoint of it) failed with an I/O error. The store then refuses
 * all further work, reads included: the outcome of the failed write on disk is unknown (an fsync error
 * cannot be retried safely), so the node must restart, which replays what the log holds.
 */
export class StoreWriteError extends ShardlessError {
  readonly code = "STORE_WRITE";
}
