/**
 * Presigning messages (specs/ecdsa.md §1.4) and their wire codec. Who sends what to whom, per
 * presignature of the batch (lists are in batch order):
 *
 *   round 1  deal          P_i → P_j privately: k_i(j), a_i(j), b_i(j), d_i(j), e_i(j)   (5 scalars)
 *   round 2  open          P_j → all of S:      R_j = k_j·G, w_j = a_j·k_j + b_j       (point, scalar)
 *   round 3  authenticate  P_j → all of S:      W_j = a_j·R                             (point)
 *                                               plus once: H(everything P_j received in round 2)
 *
 * Messages carry no ids of their own: the frame's session id (presignSessionId) binds keyId, epoch,
 * S, batch size and request id, and every presignature id is derived from it.
 *
 * Encoding: version u8 (=2) ‖ round u8 ‖ count u32 ‖ count fixed-size entries [‖ view 32 B]. The round
 * byte must match the round the frame announces; count is capped and must match the remaining bytes
 * exactly, so every message has one encoding. Points are UNCOMPRESSED (65 B, 04 ‖ x ‖ y; version 1
 * used 33-byte compressed points): every member decodes 2t points per presignature per round, and
 * decompression is a square root each (about 9% of presigning CPU at (3,1)), while checking that
 * (x, y) is on the curve is a few multiplications. Cost: 64 more bytes per point on the wire.
 */
import { ByteReader, ByteWriter, decodeWith } from "../../../protocol/codec.js";
import { DecodeError, ParameterError } from "../../../protocol/errors.js";
import { PROTOCOL_IDS, type MessageCodec } from "../../../protocol/round.js";
import {
  POINT_BYTES_UNCOMPRESSED,
  SCALAR_BYTES,
  decodePointUncompressed,
  encodePointUncompressed,
  type Point,
} from "../../../crypto/index.js";
import { PRESIGN_MAX_BATCH } from "./params.js";

export const PRESIGN_CODEC_VERSION = 2;
export const VIEW_BYTES = 32;

export interface PresignDeal {
  readonly kind: "deal";
  /** Evaluations at the recipient of this dealer's k, a (degree t) and b, d, e (degree 2t, f(0) = 0). */
  readonly k: readonly bigint[];
  readonly a: readonly bigint[];
  readonly b: readonly bigint[];
  readonly d: readonly bigint[];
  readonly e: readonly bigint[];
}

export interface PresignOpen {
  readonly kind: "open";
  readonly R: readonly Point[];
  readonly w: readonly bigint[];
}

export interface PresignAuthenticate {
  readonly kind: "authenticate";
  readonly W: readonly Point[];
  /** SHA-256 over the round-2 values this member holds from every member of S (equivocation check). */
  readonly view: Uint8Array;
}

export type PresignMessage = PresignDeal | PresignOpen | PresignAuthenticate;

export const PRESIGN_ROUND = { deal: 1, open: 2, authenticate: 3 } as const;

const ENTRY_BYTES = {
  deal: 5 * SCALAR_BYTES,
  open: POINT_BYTES_UNCOMPRESSED + SCALAR_BYTES,
  authenticate: POINT_BYTES_UNCOMPRESSED,
} as const;

function countOf(m: PresignMessage): number {
  const n = m.kind === "deal" ? m.k.length : m.kind === "open" ? m.R.length : m.W.length;
  const lists =
    m.kind === "deal" ? [m.a, m.b, m.d, m.e] : m.kind === "open" ? [m.w] : ([] as readonly unknown[][]);
  if (lists.some((l) => l.length !== n)) throw new ParameterError(`${m.kind}: lists differ in length`);
  if (n < 1 || n > PRESIGN_MAX_BATCH) throw new ParameterError(`${m.kind}: count out of range`);
  return n;
}

export function encodePresignMessage(m: PresignMessage): Uint8Array {
  const n = countOf(m);
  const w = new ByteWriter().u8(PRESIGN_CODEC_VERSION).u8(PRESIGN_ROUND[m.kind]).u32(n);
  for (let i = 0; i < n; i++) {
    if (m.kind === "deal") w.scalar(m.k[i]).scalar(m.a[i]).scalar(m.b[i]).scalar(m.d[i]).scalar(m.e[i]);
    else if (m.kind === "open")
      w.fixed(encodePointUncompressed(m.R[i]), POINT_BYTES_UNCOMPRESSED).scalar(m.w[i]);
    else w.fixed(encodePointUncompressed(m.W[i]), POINT_BYTES_UNCOMPRESSED);
  }
  if (m.kind === "authenticate") w.fixed(m.view, VIEW_BYTES);
  return w.finish();
}

function readCount(r: ByteReader, entryBytes: number, trailer: number): number {
  const n = r.u32();
  if (n < 1 || n > PRESIGN_MAX_BATCH) throw new DecodeError(`presign: count ${n} out of range`);
  if (r.remaining !== n * entryBytes + trailer) throw new DecodeError("presign: length does not match count");
  return n;
}

const readPoint = (r: ByteReader) => decodePointUncompressed(r.fixed(POINT_BYTES_UNCOMPRESSED, "point"));

export function decodePresignMessage(round: number, bytes: Uint8Array): PresignMessage {
  return decodeWith(bytes, (r) => {
    const version = r.u8();
    if (version !== PRESIGN_CODEC_VERSION) throw new DecodeError(`presign: unsupported version ${version}`);
    const tag = r.u8();
    if (tag !== round) throw new DecodeError(`presign: message of round ${tag} announced as round ${round}`);
    if (tag === PRESIGN_ROUND.deal) {
      const n = readCount(r, ENTRY_BYTES.deal, 0);
      const lists = {
        k: [] as bigint[],
        a: [] as bigint[],
        b: [] as bigint[],
        d: [] as bigint[],
        e: [] as bigint[],
      };
      for (let i = 0; i < n; i++) {
        lists.k.push(r.scalar());
        lists.a.push(r.scalar());
        lists.b.push(r.scalar());
        lists.d.push(r.scalar());
        lists.e.push(r.scalar());
      }
      return { kind: "deal", ...lists };
    }
    if (tag === PRESIGN_ROUND.open) {
      const n = readCount(r, ENTRY_BYTES.open, 0);
      const R: Point[] = [];
      const w: bigint[] = [];
      for (let i = 0; i < n; i++) {
        R.push(readPoint(r));
        w.push(r.scalar());
      }
      return { kind: "open", R, w };
    }
    if (tag === PRESIGN_ROUND.authenticate) {
      const n = readCount(r, ENTRY_BYTES.authenticate, VIEW_BYTES);
      const W = Array.from({ length: n }, () => readPoint(r));
      return { kind: "authenticate", W, view: r.fixed(VIEW_BYTES, "view") };
    }
    throw new DecodeError(`presign: unknown round ${tag}`);
  });
}

export const presignCodec: MessageCodec<PresignMessage> = {
  protocolId: PROTOCOL_IDS.ecdsaPresign,
  encode: encodePresignMessage,
  decode: decodePresignMessage,
};

const sameScalars = (x: readonly bigint[], y: readonly bigint[]) =>
  x.length === y.length && x.every((v, i) => v === y[i]);
const samePoints = (x: readonly Point[], y: readonly Point[]) =>
  x.length === y.length && x.every((P, i) => P.equals(y[i]));

/** Content equality (tells an identical resend from a second, different message). */
export function samePresignMessage(x: PresignMessage, y: PresignMessage): boolean {
  if (x.kind === "deal" && y.kind === "deal") {
    return (["k", "a", "b", "d", "e"] as const).every((f) => sameScalars(x[f], y[f]));
  }
  if (x.kind === "open" && y.kind === "open") return samePoints(x.R, y.R) && sameScalars(x.w, y.w);
  if (x.kind === "authenticate" && y.kind === "authenticate") {
    return samePoints(x.W, y.W) && x.view.length === y.view.length && x.view.every((v, i) => v === y.view[i]);
  }
  return false;
}
