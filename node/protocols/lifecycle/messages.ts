/**
 * The ACK session's messages (specs/protocols.md §4 steps 2–3, §6 round 3): the ACK of a pending epoch
 * and the ABORT that cancels it, with their strict codec. The ACK session runs after the refresh or
 * reshare session, under its own session id (ackSessionId) so the runner can persist the pending epoch
 * between the two; frames carry the parent protocol's wire id.
 */
import { sha256 } from "../../crypto/hash.js";
import { ByteWriter, decodeWith } from "../../protocol/codec.js";
import type { MessageCodec } from "../../protocol/round.js";
import { readAbort, readAck, writeAbort, writeAck, type SignedAbort, type SignedAck } from "./ack.js";
import { readTag } from "./wire.js";

export interface AckMessage {
  readonly kind: "ack";
  readonly ack: SignedAck;
}

export interface AbortMessage {
  readonly kind: "abort";
  readonly abort: SignedAbort;
}

export type LifecycleMessage = AckMessage | AbortMessage;

/** The ACK session has one round. */
export const ACK_ROUND = 1;
const TAGS = { ack: 1, abort: 2 } as const;

/** Session id of the ACK session that follows the refresh/reshare session `sessionId`. */
export function ackSessionId(sessionId: Uint8Array): Uint8Array {
  return sha256(new ByteWriter().string("shardless/lifecycle/ack-session").bytes(sessionId).finish());
}

/** Codec of the ACK session; `protocolId` is the parent protocol's (refresh or reshare). */
export function lifecycleCodec(protocolId: number): MessageCodec<LifecycleMessage> {
  return {
    protocolId,
    encode(m) {
      const w = new ByteWriter().u8(TAGS[m.kind]);
      return (m.kind === "ack" ? writeAck(w, m.ack) : writeAbort(w, m.abort)).finish();
    },
    decode(round, bytes) {
      return decodeWith(bytes, (r): LifecycleMessage => {
        const tag = readTag(r, round, { [ACK_ROUND]: [TAGS.ack, TAGS.abort] });
        return tag === TAGS.ack ? { kind: "ack", ack: readAck(r) } : { kind: "abort", abort: readAbort(r) };
      });
    },
  };
}
