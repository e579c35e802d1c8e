/**
 * Messages of proactive refresh (specs/protocols.md §4) and their strict codec. Members: the whole roster.
 *   round 1  i → all: deal       {ε_{i,1..t}}  (k ≥ 1 only: the k = 0 commitment is the identity and is
 *                                 never sent; a vector of any other length is rejected)
 *   round 2  all → all: echo digest of round 1 (node/protocol/echo.ts)
 *   round 3  i → j:   share      {u_{i→j} = δ_i(j)}  (private; or a reveal on echo mismatch)
 *   round 4  j → all: complaints {dealers whose share failed j's check}  (possibly empty)
 *   round 5  all → all: echo digest of round 4
 *   round 6  i → all: answers    {u_{i→j} in clear for every j that accused i}  (only if anyone complained)
 *   round 7  all → all: echo digest of round 6
 * Encoding: tag u8 ‖ body; each round accepts only its tags (reveals in rounds 3, 6 and 8).
 */
import type { Point } from "../../crypto/secp256k1.js";
import { ByteWriter, decodeWith } from "../../protocol/codec.js";
import { DecodeError } from "../../protocol/errors.js";
import type { EchoLayerMessage } from "../../protocol/echo.js";
import { PROTOCOL_IDS, type MessageCodec } from "../../protocol/round.js";
import { ECHO_TAG, REVEAL_TAG, isEchoLayer, readEchoLayer, writeEchoLayer } from "../lifecycle/echo-layer.js";
import { readAscendingIds, readTag } from "../lifecycle/wire.js";

const MAX_MEMBERS = 1024;

export interface RefreshDeal {
  readonly kind: "deal";
  /** ε_{i,k} = d_{i,k}·G for k = 1..degree (index 0 holds k = 1). */
  readonly commitments: readonly Point[];
}

export interface RefreshShare {
  readonly kind: "share";
  /** u_{i→j} = δ_i(j). Secret. */
  readonly subShare: bigint;
}

export interface RefreshComplaints {
  readonly kind: "complaints";
  /** Dealers whose sub-share failed the sender's check, ascending. */
  readonly accused: readonly number[];
}

export interface RefreshAnswer {
  readonly complainer: number;
  readonly subShare: bigint;
}

export interface RefreshAnswers {
  readonly kind: "answers";
  /** One per member that accused the sender, ascending by complainer. */
  readonly answers: readonly RefreshAnswer[];
}

export type RefreshMessage =
  RefreshDeal | RefreshShare | RefreshComplaints | RefreshAnswers | EchoLayerMessage;

const TAGS = { deal: 1, share: 2, complaints: 3, answers: 4 } as const;
const ROUND_TAGS: Record<number, readonly number[]> = {
  1: [TAGS.deal],
  2: [ECHO_TAG],
  3: [TAGS.share, REVEAL_TAG],
  4: [TAGS.complaints],
  5: [ECHO_TAG],
  6: [TAGS.answers, REVEAL_TAG],
  7: [ECHO_TAG],
  8: [REVEAL_TAG],
};

export const refreshCodec: MessageCodec<RefreshMessage> = {
  protocolId: PROTOCOL_IDS.refresh,
  encode(m) {
    if (isEchoLayer(m)) return writeEchoLayer(new ByteWriter(), m).finish();
    const w = new ByteWriter().u8(TAGS[m.kind]);
    switch (m.kind) {
      case "deal":
        return w.points(m.commitments).finish();
      case "share":
        return w.scalar(m.subShare).finish();
      case "complaints":
        return w.u16s(m.accused).finish();
      case "answers":
        w.u32(m.answers.length);
        for (const a of m.answers) w.u16(a.complainer).scalar(a.subShare);
        return w.finish();
    }
  },
  decode(round, bytes) {
    return decodeWith(bytes, (r): RefreshMessage => {
      const tag = readTag(r, round, ROUND_TAGS);
      switch (tag) {
        case TAGS.deal:
          return { kind: "deal", commitments: r.points(MAX_MEMBERS) };
        case TAGS.share:
          return { kind: "share", subShare: r.scalar() };
        case TAGS.complaints:
          return { kind: "complaints", accused: readAscendingIds(r, MAX_MEMBERS) };
        case TAGS.answers: {
          const count = r.u32();
          if (count > MAX_MEMBERS || count * 34 > r.remaining) throw new DecodeError("bad answer count");
          const answers: RefreshAnswer[] = [];
          for (let k = 0; k < count; k++) {
            const complainer = r.u16();
            if (complainer === 0 || (k > 0 && complainer <= answers[k - 1].complainer)) {
              throw new DecodeError("answers must be ascending by complainer");
            }
            answers.push({ complainer, subShare: r.scalar() });
          }
          return { kind: "answers", answers };
        }
        default:
          return readEchoLayer(tag, r)!;
      }
    });
  },
};
