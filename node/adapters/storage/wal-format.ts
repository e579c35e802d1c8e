/**
 * The share store's write-ahead-log format: sealing records and scanning a segment's bytes. Pure (no
 * I/O); how the store writes, replays and checkpoints segments is in wal.ts, the crash rules in
 * file-store.ts. All integers are big-endian.
 *
 * Segment file `wal/<number as 16 hex digits>.wal`, preallocated with zeros, records from offset 0:
 *
 *   record    = bodyLength u32 ‖ seq u32 ‖ crc32(bodyLength ‖ seq) u32 ‖ body
 *   body      = nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16)            (node/crypto/aead.ts)
 *   AAD       = "shardless/share-store/wal/v1" ‖ 0x00 ‖ storeId(16) ‖ segment u64 ‖ seq u32
 *   plaintext = op u8 ‖ …
 *       op 0  segment header (seq 0 only, nothing else)
 *       op 1  put:    keyLength u16 ‖ key ‖ value
 *       op 2  delete: keyLength u16 ‖ key
 *
 * `seq` counts records within a segment from 0 (the header). The AAD binds store, segment and position,
 * so a record moved to another place, segment or store fails authentication, and the clear `seq` names
 * a reordered or missing record. The crc only protects the length field, so that a flipped length bit
 * is not mistaken for a torn tail. The log ends at an all-zero header followed by zeros only, or at EOF.
 */
import { crc32 } from "node:zlib";
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, aeadOpen, aeadSeal } from "../../crypto/aead.js";
import { utf8ToBytes } from "../../crypto/hash.js";
import type { Rng } from "../../crypto/rng.js";
import { ByteWriter } from "../../protocol/codec.js";
import { ParameterError } from "../../protocol/errors.js";
import { StoreCorruptError } from "./errors.js";
import { assertStoreKey } from "./keys.js";

export const WAL_AAD_LABEL = "shardless/share-store/wal/v1";
export const RECORD_HEADER_BYTES = 12;
/** Largest value a put may store (a record must fit a sane in-memory buffer on replay). */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;
const MAX_KEY_BYTES = 0xffff;
const MIN_BODY_BYTES = AEAD_NONCE_BYTES + 1 + AEAD_TAG_BYTES;
const MAX_BODY_BYTES = AEAD_NONCE_BYTES + 3 + MAX_KEY_BYTES + MAX_VALUE_BYTES + AEAD_TAG_BYTES;
/** The header record every segment starts with (seq 0, op 0). */
export const SEGMENT_HEADER_RECORD_BYTES = RECORD_HEADER_BYTES + MIN_BODY_BYTES;
const SEGMENT_NAME = /^([0-9a-f]{16})\.wal$/;
/** StoreCorruptError.key for log damage. */
export const WAL_KEY = "(wal)";

const OP_SEGMENT = 0;
const OP_PUT = 1;
const OP_DELETE = 2;

/** One logged operation. */
export type WalOp =
  | { readonly op: "put"; readonly key: string; readonly value: Uint8Array }
  | { readonly op: "delete"; readonly key: string };

/** What a record is sealed under: the store's data key and id, and the segment it lives in. */
export interface SegmentContext {
  readonly dataKey: Uint8Array;
  readonly storeId: Uint8Array;
  readonly segment: number;
}

export function segmentName(segment: number): string {
  if (!Number.isSafeInteger(segment) || segment < 0) throw new ParameterError("segment out of range");
  return `${segment.toString(16).padStart(16, "0")}.wal`;
}

/** The segment number of a file name, or null if the name is not a segment's. */
export function parseSegmentName(name: string): number | null {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return null;
  const n = Number.parseInt(m[1], 16);
  return Number.isSafeInteger(n) ? n : null;
}

function aad(storeId: Uint8Array, segment: number, seq: number): Uint8Array {
  const label = utf8ToBytes(WAL_AAD_LABEL + "\0");
  return new ByteWriter()
    .fixed(label, label.length)
    .fixed(storeId, storeId.length)
    .u64(segment)
    .u32(seq)
    .finish();
}

function headerCrc(bodyLength: number, seq: number): number {
  return crc32(new ByteWriter().u32(bodyLength).u32(seq).finish());
}

/** Bytes a record for `op` takes on disk (decides segment rotation before sealing). */
export function recordSize(key: string, value: Uint8Array | null): number {
  return RECORD_HEADER_BYTES + MIN_BODY_BYTES + 2 + key.length + (value?.length ?? 0);
}

/** Seals record `seq` of a segment: the header record (`op` null, seq 0) or a put/delete. */
export function sealRecord(ctx: SegmentContext, seq: number, op: WalOp | null, rng: Rng): Uint8Array {
  let plaintext: Uint8Array;
  if (op === null) {
    plaintext = Uint8Array.of(OP_SEGMENT);
  } else {
    const key = utf8ToBytes(op.key);
    const value = op.op === "put" ? op.value : new Uint8Array(0);
    if (key.length > MAX_KEY_BYTES) throw new ParameterError("store key too long");
    if (value.length > MAX_VALUE_BYTES) throw new ParameterError("value larger than 16 MiB");
    plaintext = new ByteWriter()
      .u8(op.op === "put" ? OP_PUT : OP_DELETE)
      .u16(key.length)
      .fixed(key, key.length)
      .fixed(value, value.length)
      .finish();
  }
  const body = aeadSeal(ctx.dataKey, plaintext, aad(ctx.storeId, ctx.segment, seq), rng);
  plaintext.fill(0);
  return new ByteWriter()
    .u32(body.length)
    .u32(seq)
    .u32(headerCrc(body.length, seq))
    .fixed(body, body.length)
    .finish();
}

/** What a scan found: the operations in order, where the log ends, and a torn tail if there was one. */
export interface SegmentScan {
  readonly ops: WalOp[];
  /** Offset just past the last good record (where a torn tail is cut). */
  readonly end: number;
  /** The last record was cut short or fails authentication, with nothing but zeros after it. */
  readonly torn: { readonly offset: number; readonly reason: string } | null;
}

function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

const zeroFrom = (bytes: Uint8Array, from: number) => isZero(bytes, from, bytes.length);

/**
 * Reads every record of a segment. A damaged LAST record (incomplete, failing its header check or
 * authentication, with only zeros or EOF after it) is reported as `torn`; any other damage throws
 * StoreCorruptError naming `file` and the record: nothing is ever skipped.
 */
export function scanSegment(bytes: Uint8Array, ctx: SegmentContext, file: string): SegmentScan {
  const corrupt = (seq: number, offset: number, reason: string) =>
    new StoreCorruptError(WAL_KEY, file, `record ${seq} at offset ${offset}: ${reason}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ops: WalOp[] = [];
  let offset = 0;
  for (let seq = 0; ; seq++) {
    const torn = (reason: string): SegmentScan => {
      if (seq === 0) throw corrupt(seq, offset, `segment header ${reason}`); // written before the segment is used
      return { ops, end: offset, torn: { offset, reason } };
    };
    // The end: EOF, or an all-zero header with nothing but zeros after it (the preallocated space).
    const headerEnd = Math.min(bytes.length, offset + RECORD_HEADER_BYTES);
    if (offset === bytes.length || (isZero(bytes, offset, headerEnd) && zeroFrom(bytes, headerEnd))) {
      if (seq === 0) throw corrupt(seq, offset, "segment has no header");
      return { ops, end: offset, torn: null };
    }
    if (bytes.length - offset < RECORD_HEADER_BYTES) return torn("incomplete record header");
    const bodyLength = dv.getUint32(offset);
    const seqField = dv.getUint32(offset + 4);
    if (dv.getUint32(offset + 8) !== headerCrc(bodyLength, seqField)) {
      if (zeroFrom(bytes, offset + RECORD_HEADER_BYTES)) return torn("damaged record header");
      throw corrupt(seq, offset, "damaged record header");
    }
    if (seqField !== seq) {
      throw corrupt(
        seq,
        offset,
        `sequence ${seqField} where ${seq} was expected (reordered, missing or moved)`,
      );
    }
    if (bodyLength < MIN_BODY_BYTES || bodyLength > MAX_BODY_BYTES) {
      throw corrupt(seq, offset, "record length out of range");
    }
    const end = offset + RECORD_HEADER_BYTES + bodyLength;
    if (end > bytes.length) return torn("incomplete record");
    let plaintext: Uint8Array;
    try {
      plaintext = aeadOpen(
        ctx.dataKey,
        bytes.subarray(offset + RECORD_HEADER_BYTES, end),
        aad(ctx.storeId, ctx.segment, seq),
      );
    } catch (cause) {
      if (zeroFrom(bytes, end)) return torn("record fails authentication");
      throw new StoreCorruptError(
        WAL_KEY,
        file,
        `record ${seq} at offset ${offset}: authentication failed (damaged, moved or from another store)`,
        { cause },
      );
    }
    const op = decodeOp(plaintext, seq);
    plaintext.fill(0); // values were copied out
    if (typeof op === "string") throw corrupt(seq, offset, op);
    if (op !== null) ops.push(op);
    offset = end;
  }
}

/** The operation a record's plaintext holds, null for the segment header, or why it is malformed. */
function decodeOp(plaintext: Uint8Array, seq: number): WalOp | null | string {
  const code = plaintext[0];
  if (seq === 0) return code === OP_SEGMENT && plaintext.length === 1 ? null : "bad segment header";
  if (code !== OP_PUT && code !== OP_DELETE) return `unknown op ${code}`;
  if (plaintext.length < 3) return "truncated operation";
  const keyLength = (plaintext[1] << 8) | plaintext[2];
  if (plaintext.length < 3 + keyLength) return "truncated key";
  let key: string;
  try {
    key = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      plaintext.subarray(3, 3 + keyLength),
    );
    assertStoreKey(key);
  } catch {
    return "invalid store key";
  }
  if (code === OP_DELETE)
    return plaintext.length === 3 + keyLength ? { op: "delete", key } : "delete with a value";
  return { op: "put", key, value: plaintext.slice(3 + keyLength) };
}
