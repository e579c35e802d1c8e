/** Wire constants of the Shardless libp2p mesh (one protocol, length-prefixed frames, size caps). */
import { MAX_FRAME_BYTES } from "../../protocol/codec.js";

/** The one libp2p protocol members speak: a stream of varint length-prefixed frames. */
export const SHARDLESS_PROTOCOL = "/shardless/1";

/** Largest frame accepted or sent (the canonical codec's cap). */
export const MAX_FRAME_SIZE = MAX_FRAME_BYTES;

/** Longest varint length prefix a frame of MAX_FRAME_SIZE bytes can need (7 payload bits per byte). */
export const MAX_LENGTH_PREFIX_BYTES = Math.ceil(Math.log2(MAX_FRAME_SIZE + 1) / 7);
