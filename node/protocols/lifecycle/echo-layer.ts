/**
 * How refresh, recover and reshare carry the consistent-broadcast layer of node/protocol/echo.ts
 * (specs/protocols.md §1.1): its echo and reveal messages are members of each protocol's message union
 * as they are (discriminated by `kind`), under two shared wire tags.
 */
import type { ByteReader, ByteWriter } from "../../protocol/codec.js";
import {
  readEcho,
  readReveal,
  writeEcho,
  writeReveal,
  type EchoAdapter,
  type EchoContext,
  type EchoLayerMessage,
  type VerifyFrame,
} from "../../protocol/echo.js";
import type { MessageCodec } from "../../protocol/round.js";

/** Wire tags of echo digests and reveals (each protocol keeps its own tags below these). */
export const ECHO_TAG = 0x20;
export const REVEAL_TAG = 0x21;

export function isEchoLayer(m: { readonly kind: string }): m is EchoLayerMessage {
  return m.kind === "echo" || m.kind === "reveal";
}

export function writeEchoLayer(w: ByteWriter, m: EchoLayerMessage): ByteWriter {
  return m.kind === "echo" ? writeEcho(w.u8(ECHO_TAG), m) : writeReveal(w.u8(REVEAL_TAG), m);
}

/** Reads the body after `tag`; null if `tag` is not an echo-layer tag. */
export function readEchoLayer(tag: number, r: ByteReader): EchoLayerMessage | null {
  if (tag === ECHO_TAG) return readEcho(r);
  if (tag === REVEAL_TAG) return readReveal(r);
  return null;
}

export function echoAdapter<M extends { readonly kind: string }>(
  codec: MessageCodec<M | EchoLayerMessage>,
): EchoAdapter<M | EchoLayerMessage> {
  return {
    lift: (m) => m,
    lower: (m) => (isEchoLayer(m) ? m : undefined),
    encode: (m) => codec.encode(m),
  };
}

/** The echo context of one member in one session. */
export function echoContext(opts: {
  protocol: string;
  protocolId: number;
  sessionId: Uint8Array;
  self: number;
  members: readonly number[];
  verifyFrame: VerifyFrame;
}): EchoContext {
  return { ...opts, members: [...opts.members].sort((a, b) => a - b) };
}
