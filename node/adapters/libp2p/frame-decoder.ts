/**
 * Length-prefixed framing of the `/shardless/1` stream: each frame is `varint(length) ‖ bytes`
 * (unsigned LEB128, minimal encoding, the same prefix as libp2p's lpStream / it-length-prefixed).
 *
 * The decoder is incremental and synchronous: the stream handler feeds it whatever chunks arrive and gets
 * back the complete frames. The length is checked against the cap *before* anything is allocated, so a
 * peer cannot make us buffer more than one capped frame per stream. Any violation throws a
 * FrameRejectedError (a DecodeError); the stream cannot be resynchronised after that, so the caller
 * resets it.
 */
import { DecodeError, ParameterError } from "../../protocol/errors.js";
import { MAX_FRAME_SIZE } from "./constants.js";

/** Why a stream's framing was rejected (a metric label). */
export type FrameRejectReason = "oversized" | "bad-length" | "empty";

export class FrameRejectedError extends DecodeError {
  constructor(
    readonly reason: FrameRejectReason,
    message: string,
  ) {
    super(message);
  }
}

/** Chunks as libp2p streams yield them: a Uint8Array or a Uint8ArrayList (iterable of Uint8Array). */
export type Chunk = Uint8Array | Iterable<Uint8Array>;

function maxPrefixBytes(maxFrameBytes: number): number {
  let n = 1;
  while (2 ** (7 * n) <= maxFrameBytes) n++;
  return n;
}

export function encodeLengthPrefixed(frame: Uint8Array, maxFrameBytes = MAX_FRAME_SIZE): Uint8Array {
  if (frame.length === 0) throw new ParameterError("empty frame");
  if (frame.length > maxFrameBytes) throw new ParameterError(`frame of ${frame.length} bytes exceeds cap`);
  const prefix: number[] = [];
  let n = frame.length;
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  prefix.push(n);
  const out = new Uint8Array(prefix.length + frame.length);
  out.set(prefix, 0);
  out.set(frame, prefix.length);
  return out;
}

export class LengthPrefixedFrameDecoder {
  private readonly maxPrefix: number;
  // Length-prefix state.
  private length = 0;
  private prefixBytes = 0;
  // Body state (non-null while a frame's bytes are being collected).
  private body: Uint8Array | null = null;
  private filled = 0;
  private failed: FrameRejectedError | null = null;

  constructor(readonly maxFrameBytes = MAX_FRAME_SIZE) {
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1) {
      throw new ParameterError("`maxFrameBytes` expected a positive integer");
    }
    this.maxPrefix = maxPrefixBytes(maxFrameBytes);
  }

  /** Feeds one chunk; returns the frames it completed. After a rejection every call rethrows it. */
  push(chunk: Chunk): Uint8Array[] {
    if (this.failed) throw this.failed;
    const frames: Uint8Array[] = [];
    try {
      if (chunk instanceof Uint8Array) this.consume(chunk, frames);
      else for (const part of chunk) this.consume(part, frames);
    } catch (err) {
      if (err instanceof FrameRejectedError) this.failed = err;
      throw err;
    }
    return frames;
  }

  /** True if no partial frame is pending (a clean place for the stream to end). */
  get idle(): boolean {
    return this.body === null && this.prefixBytes === 0;
  }

  private consume(buf: Uint8Array, frames: Uint8Array[]): void {
    let i = 0;
    while (i < buf.length) {
      if (this.body === null) {
        const b = buf[i++];
        this.length += (b & 0x7f) * 2 ** (7 * this.prefixBytes);
        this.prefixBytes++;
        if (b & 0x80) {
          if (this.prefixBytes >= this.maxPrefix)
            throw new FrameRejectedError("bad-length", "length prefix too long");
          continue;
        }
        if (b === 0 && this.prefixBytes > 1)
          throw new FrameRejectedError("bad-length", "non-minimal length prefix");
        const length = this.length;
        this.length = 0;
        this.prefixBytes = 0;
        if (length === 0) throw new FrameRejectedError("empty", "empty frame");
        if (length > this.maxFrameBytes) {
          throw new FrameRejectedError(
            "oversized",
            `frame of ${length} bytes exceeds cap ${this.maxFrameBytes}`,
          );
        }
        this.body = new Uint8Array(length);
        this.filled = 0;
      } else {
        const take = Math.min(this.body.length - this.filled, buf.length - i);
        this.body.set(buf.subarray(i, i + take), this.filled);
        this.filled += take;
        i += take;
        if (this.filled === this.body.length) {
          frames.push(this.body);
          this.body = null;
        }
      }
    }
  }
}

export interface FrameReaderHooks {
  /** A complete frame (the bytes after the length prefix). */
  onFrame(frame: Uint8Array): void;
  /** The framing was violated (a FrameRejectedError) or a hook threw; no further input is read. */
  onReject(err: Error): void;
}

/**
 * The per-chunk function of a stream handler: decodes frames and hands them to `onFrame`. It never throws
 * (libp2p dispatches stream data through EventTarget, where a throwing listener becomes an uncaught
 * exception); after the first rejection it ignores the rest of the stream.
 */
export function frameReader(maxFrameBytes: number, hooks: FrameReaderHooks): (chunk: Chunk) => void {
  const decoder = new LengthPrefixedFrameDecoder(maxFrameBytes);
  let dead = false;
  return (chunk) => {
    if (dead) return;
    try {
      for (const frame of decoder.push(chunk)) hooks.onFrame(frame);
    } catch (err) {
      dead = true;
      try {
        hooks.onReject(err instanceof Error ? err : new Error(String(err)));
      } catch {
        // The reject hook itself must not take the process down either.
      }
    }
  };
}
