/**
 * The wire frame: what travels between members for every protocol message (the libp2p adapter sends one
 * frame per length-prefixed message; the in-memory transport passes the same bytes).
 *
 *   version u8 (=1) ‖ protocolId u8 ‖ sessionId 32 B ‖ round u8 ‖ from u16 ‖ to u16 (0 = broadcast)
 *   ‖ payload (u32 length ‖ bytes) ‖ signature (u8 length ‖ bytes; 0 = unsigned)
 *
 * The signature (by the sender's long-term identity key, added by the runner) covers every byte before
 * it, so a signed frame is evidence of what its sender said in which session and round.
 */
import { ByteReader, ByteWriter, MAX_FRAME_BYTES } from "./codec.js";
import { DecodeError, ParameterError } from "./errors.js";

export const FRAME_VERSION = 1;
export const SESSION_ID_BYTES = 32;
export const BROADCAST = 0;

export interface Frame {
  readonly protocolId: number;
  readonly sessionId: Uint8Array;
  readonly round: number;
  readonly from: number;
  /** Recipient member id, or 0 (BROADCAST) for a message sent to every participant. */
  readonly to: number;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

/** The bytes a frame's signature covers. */
export function frameSigningBytes(f: Omit<Frame, "signature">): Uint8Array {
  if (f.sessionId.length !== SESSION_ID_BYTES) throw new ParameterError("sessionId expected 32 bytes");
  return new ByteWriter()
    .u8(FRAME_VERSION)
    .u8(f.protocolId)
    .fixed(f.sessionId, SESSION_ID_BYTES)
    .u8(f.round)
    .u16(f.from)
    .u16(f.to)
    .bytes(f.payload)
    .finish();
}

export function encodeFrame(f: Frame): Uint8Array {
  if (f.signature.length > 255) throw new ParameterError("signature too long");
  const head = frameSigningBytes(f);
  const out = new Uint8Array(head.length + 1 + f.signature.length);
  out.set(head, 0);
  out[head.length] = f.signature.length;
  out.set(f.signature, head.length + 1);
  if (out.length > MAX_FRAME_BYTES) throw new ParameterError("frame exceeds MAX_FRAME_BYTES");
  return out;
}

/** Strict decoding; never trusts a length field. Throws DecodeError. */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length > MAX_FRAME_BYTES) throw new DecodeError("frame exceeds MAX_FRAME_BYTES");
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== FRAME_VERSION) throw new DecodeError(`unsupported frame version ${version}`);
  const protocolId = r.u8();
  const sessionId = r.fixed(SESSION_ID_BYTES, "session id");
  const round = r.u8();
  const from = r.u16();
  const to = r.u16();
  const payload = r.bytes(MAX_FRAME_BYTES);
  const sigLen = r.u8();
  const signature = r.fixed(sigLen, "signature");
  r.end();
  if (from === 0) throw new DecodeError("sender id 0");
  if (round === 0) throw new DecodeError("round 0");
  return { protocolId, sessionId, round, from, to, payload, signature };
}
