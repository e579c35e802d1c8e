/**
 * Messages of share recovery (specs/protocols.md §5) and their strict codec. Members: helpers H and the
 * target r. Who sends what:
 *   round 1  helper i → all: commit  {H(P), Δ_{i→j} for j ∈ H}      (broadcast)
 *            r        → all: request {H(P) r trusts}                (broadcast)
 *   round 2  everyone → all: echo digest of round 1 (node/protocol/echo.ts)
 *   round 3  helper i → helper j: piece {δ_{i→j}}                   (private; or a reveal on echo mismatch)
 *   round 4  helper j → r: sum {σ_j} (private) — or complaint {accused} if its checks failed
 * The runner carries private messages over the encrypted, authenticated member channel.
 * Encoding: tag u8 ‖ body; each round accepts only its tags.
 */
import type { Point } from "../../crypto/secp256k1.js";
import { ByteWriter, decodeWith } from "../../protocol/codec.js";
import type { EchoLayerMessage } from "../../protocol/echo.js";
import { PROTOCOL_IDS, type MessageCodec } from "../../protocol/round.js";
import { DIGEST_BYTES } from "../lifecycle/ack.js";
import { ECHO_TAG, REVEAL_TAG, isEchoLayer, readEchoLayer, writeEchoLayer } from "../lifecycle/echo-layer.js";
import { readAscendingIds, readTag } from "../lifecycle/wire.js";

/** Helpers are members of one group: at most 64 (assertGroupParameters); cap lists well above. */
const MAX_HELPERS = 1024;

export interface RecoverCommit {
  readonly kind: "commit";
  /** H(P): keyPublicDigest of the package the helper's share belongs to. */
  readonly packageDigest: Uint8Array;
  /** Δ_{i→j} = δ_{i→j}·G for every helper j, in ascending helper order. */
  readonly deltas: readonly Point[];
}

export interface RecoverRequest {
  readonly kind: "request";
  /** H(P) of the package r trusts (from the registry or cross-checked). */
  readonly packageDigest: Uint8Array;
}

export interface RecoverPiece {
  readonly kind: "piece";
  /** δ_{i→j}: one additive piece of ζ_i·s_i. Secret. */
  readonly piece: bigint;
}

export interface RecoverSum {
  readonly kind: "sum";
  /** σ_j = Σ_i δ_{i→j}. Secret (only r may see it). */
  readonly sigma: bigint;
}

export interface RecoverComplaint {
  readonly kind: "complaint";
  /** Helpers whose private piece failed this helper's check (ascending, non-empty). */
  readonly accused: readonly number[];
}

export type RecoverMessage =
  RecoverCommit | RecoverRequest | RecoverPiece | RecoverSum | RecoverComplaint | EchoLayerMessage;

const TAGS = { commit: 1, request: 2, piece: 3, sum: 4, complaint: 5 } as const;
const ROUND_TAGS: Record<number, readonly number[]> = {
  1: [TAGS.commit, TAGS.request],
  2: [ECHO_TAG],
  3: [TAGS.piece, REVEAL_TAG],
  4: [TAGS.sum, TAGS.complaint],
};

export const recoverCodec: MessageCodec<RecoverMessage> = {
  protocolId: PROTOCOL_IDS.recover,
  encode(m) {
    if (isEchoLayer(m)) return writeEchoLayer(new ByteWriter(), m).finish();
    const w = new ByteWriter().u8(TAGS[m.kind]);
    switch (m.kind) {
      case "commit":
        return w.fixed(m.packageDigest, DIGEST_BYTES).points(m.deltas).finish();
      case "request":
        return w.fixed(m.packageDigest, DIGEST_BYTES).finish();
      case "piece":
        return w.scalar(m.piece).finish();
      case "sum":
        return w.scalar(m.sigma).finish();
      case "complaint":
        return w.u16s(m.accused).finish();
    }
  },
  decode(round, bytes) {
    return decodeWith(bytes, (r): RecoverMessage => {
      const tag = readTag(r, round, ROUND_TAGS);
      switch (tag) {
        case TAGS.commit:
          return { kind: "commit", packageDigest: r.fixed(DIGEST_BYTES), deltas: r.points(MAX_HELPERS) };
        case TAGS.request:
          return { kind: "request", packageDigest: r.fixed(DIGEST_BYTES) };
        case TAGS.piece:
          return { kind: "piece", piece: r.scalar() };
        case TAGS.sum:
          return { kind: "sum", sigma: r.scalar() };
        case TAGS.complaint:
          return { kind: "complaint", accused: readAscendingIds(r, MAX_HELPERS) };
        default:
          return readEchoLayer(tag, r)!;
      }
    });
  },
};
