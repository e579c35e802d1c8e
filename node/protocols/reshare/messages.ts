/**
 * Messages of resharing (specs/protocols.md §6) and their strict codec. Members: dealers S ∪ new N.
 *   round 1  dealer i → all:   deal  {H(P^e), V_{i,0..t'}}  (broadcast)
 *            new-only j → all: join  {H(P^e)}               (broadcast: every member states the old package)
 *   round 2  all → all: echo digest of round 1 (node/protocol/echo.ts)
 *   round 3  dealer i → new j: piece {g_i(j)}                (private; or a reveal on echo mismatch)
 * (tss-lib's hash-commit round is not needed: check 4 pins V_{i,0} = λ_i^S·Y_i, so a dealer has no choice
 * to adapt.) The ACK round runs in the ACK session (lifecycle/). Encoding: tag u8 ‖ body.
 */
import type { Point } from "../../crypto/secp256k1.js";
import { ByteWriter, decodeWith } from "../../protocol/codec.js";
import type { EchoLayerMessage } from "../../protocol/echo.js";
import { PROTOCOL_IDS, type MessageCodec } from "../../protocol/round.js";
import { DIGEST_BYTES } from "../lifecycle/ack.js";
import { ECHO_TAG, REVEAL_TAG, isEchoLayer, readEchoLayer, writeEchoLayer } from "../lifecycle/echo-layer.js";
import { readTag } from "../lifecycle/wire.js";

/** Degree is below the member count (≤ 64): cap commitment vectors well above. */
const MAX_COMMITMENTS = 1024;

export interface ReshareDeal {
  readonly kind: "deal";
  /** H(P^e): the old package this dealer's share belongs to. */
  readonly oldPackageDigest: Uint8Array;
  /** V_{i,k} = g_{i,k}·G, k = 0..t'. */
  readonly commitments: readonly Point[];
}

export interface ReshareJoin {
  readonly kind: "join";
  readonly oldPackageDigest: Uint8Array;
}

export interface ResharePiece {
  readonly kind: "piece";
  /** g_i(j). Secret. */
  readonly piece: bigint;
}

export type ReshareMessage = ReshareDeal | ReshareJoin | ResharePiece | EchoLayerMessage;

const TAGS = { deal: 1, join: 2, piece: 3 } as const;
const ROUND_TAGS: Record<number, readonly number[]> = {
  1: [TAGS.deal, TAGS.join],
  2: [ECHO_TAG],
  3: [TAGS.piece, REVEAL_TAG],
};

export const reshareCodec: MessageCodec<ReshareMessage> = {
  protocolId: PROTOCOL_IDS.reshare,
  encode(m) {
    if (isEchoLayer(m)) return writeEchoLayer(new ByteWriter(), m).finish();
    const w = new ByteWriter().u8(TAGS[m.kind]);
    switch (m.kind) {
      case "deal":
        return w.fixed(m.oldPackageDigest, DIGEST_BYTES).points(m.commitments).finish();
      case "join":
        return w.fixed(m.oldPackageDigest, DIGEST_BYTES).finish();
      case "piece":
        return w.scalar(m.piece).finish();
    }
  },
  decode(round, bytes) {
    return decodeWith(bytes, (r): ReshareMessage => {
      const tag = readTag(r, round, ROUND_TAGS);
      switch (tag) {
        case TAGS.deal:
          return {
            kind: "deal",
            oldPackageDigest: r.fixed(DIGEST_BYTES),
            commitments: r.points(MAX_COMMITMENTS),
          };
        case TAGS.join:
          return { kind: "join", oldPackageDigest: r.fixed(DIGEST_BYTES) };
        case TAGS.piece:
          return { kind: "piece", piece: r.scalar() };
        default:
          return readEchoLayer(tag, r)!;
      }
    });
  },
};
