/**
 * Canonical binary codec. Every multi-byte integer is big-endian; variable-length fields carry a length
 * prefix that is checked against the bytes actually remaining *before* anything is allocated, and
 * against a per-field cap. `ByteReader.end()` rejects trailing bytes, so every value has exactly one
 * encoding. Points are 33-byte compressed (identity rejected); scalars 32 bytes (< n).
 */
import {
  decodePoint,
  decodeScalar,
  encodePoint,
  encodeScalar,
  POINT_BYTES,
  SCALAR_BYTES,
  type Point,
} from "../crypto/secp256k1.js";
import { DecodeError, ParameterError } from "./errors.js";

/** Hard caps (DESIGN: decoding never trusts a length field). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
export const MAX_LIST_ITEMS = 100_000;

export class ByteWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }
  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new ParameterError("u8 out of range");
    return this.push(Uint8Array.of(v));
  }
  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new ParameterError("u16 out of range");
    return this.push(Uint8Array.of(v >> 8, v & 0xff));
  }
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new ParameterError("u32 out of range");
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v);
    return this.push(b);
  }
  /** Unsigned integer up to 2^53 − 1 (epochs, counters), as 8 bytes. */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new ParameterError("u64 out of range");
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v));
    return this.push(b);
  }
  /** Fixed-length bytes (length known to the reader). */
  fixed(b: Uint8Array, length: number): this {
    if (b.length !== length) throw new ParameterError(`expected ${length} bytes`);
    return this.push(b);
  }
  /** u32 length prefix + bytes. */
  bytes(b: Uint8Array): this {
    return this.u32(b.length).push(b);
  }
  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }
  point(P: Point): this {
    return this.push(encodePoint(P));
  }
  scalar(s: bigint): this {
    return this.push(encodeScalar(s));
  }
  points(list: readonly Point[]): this {
    this.u32(list.length);
    for (const P of list) this.point(P);
    return this;
  }
  scalars(list: readonly bigint[]): this {
    this.u32(list.length);
    for (const s of list) this.scalar(s);
    return this;
  }
  u16s(list: readonly number[]): this {
    this.u32(list.length);
    for (const v of list) this.u16(v);
    return this;
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

export class ByteReader {
  private off = 0;
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.off;
  }
  private take(n: number, what: string): Uint8Array {
    if (n > this.remaining) throw new DecodeError(`truncated ${what}`);
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8(): number {
    return this.take(1, "u8")[0];
  }
  u16(): number {
    const b = this.take(2, "u16");
    return (b[0] << 8) | b[1];
  }
  u32(): number {
    const b = this.take(4, "u32");
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }
  u64(): number {
    const b = this.take(8, "u64");
    const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError("u64 above 2^53");
    return Number(v);
  }
  fixed(length: number, what = "bytes"): Uint8Array {
    return this.take(length, what).slice();
  }
  /** u32-prefixed bytes, at most `max` long. */
  bytes(max = MAX_FRAME_BYTES): Uint8Array {
    const n = this.u32();
    if (n > max) throw new DecodeError(`field of ${n} bytes exceeds cap ${max}`);
    return this.fixed(n);
  }
  string(max = 4096): string {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.bytes(max));
    } catch (cause) {
      if (cause instanceof DecodeError) throw cause;
      throw new DecodeError("invalid utf-8", [], { cause });
    }
  }
  point(): Point {
    return decodePoint(this.take(POINT_BYTES, "point"));
  }
  scalar(): bigint {
    return decodeScalar(this.take(SCALAR_BYTES, "scalar"));
  }
  private count(itemBytes: number, max: number): number {
    const n = this.u32();
    if (n > max || n > MAX_LIST_ITEMS) throw new DecodeError(`list of ${n} items exceeds cap`);
    if (n * itemBytes > this.remaining) throw new DecodeError("truncated list");
    return n;
  }
  points(max = MAX_LIST_ITEMS): Point[] {
    const n = this.count(POINT_BYTES, max);
    return Array.from({ length: n }, () => this.point());
  }
  scalars(max = MAX_LIST_ITEMS): bigint[] {
    const n = this.count(SCALAR_BYTES, max);
    return Array.from({ length: n }, () => this.scalar());
  }
  u16s(max = MAX_LIST_ITEMS): number[] {
    const n = this.count(2, max);
    return Array.from({ length: n }, () => this.u16());
  }
  /** Call when done: trailing bytes are an error (one canonical encoding per value). */
  end(): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes`);
  }
}

/** Decodes with `fn`, turning any non-Shardless failure into a DecodeError, and checks for trailing bytes. */
export function decodeWith<T>(bytes: Uint8Array, fn: (r: ByteReader) => T): T {
  const r = new ByteReader(bytes);
  const v = fn(r);
  r.end();
  return v;
}
