/**
 * Canonical wire encoding of FROST messages. Every message opens with a version and the protocol id:
 *
 *   version u8 (=1) ‖ protocolId u8 (=4, frost) ‖ type u8 ‖ …
 *   type 1 commitment       ‖ sessionId 32 ‖ D 33 ‖ E 33
 *   type 2 sign-request     ‖ sessionId 32 ‖ variant u8 (0 rfc9591, 1 bip340) ‖ requestId (u32 len ‖ utf-8)
 *                           ‖ message (u32 len ‖ bytes) ‖ count u16 ‖ count × (member u16 ‖ D 33 ‖ E 33)
 *   type 3 signature-share  ‖ sessionId 32 ‖ z 32
 *   type 4 commitment batch ‖ keyId (u32 len ‖ utf-8) ‖ epoch u64 ‖ member u16 ‖ coordinator u16 ‖ count u16
 *                           ‖ count × (D ‖ E)
 *
 * Decoding is strict (codec.ts): caps checked before allocation, points on the curve and not the
 * identity, scalars below n, no trailing bytes. The round number tells `decode` which type to expect.
 */
import { ByteReader, ByteWriter, decodeWith } from "../../protocol/codec.js";
import { DecodeError, InvalidMessageError, ShardlessError } from "../../protocol/errors.js";
import { PROTOCOL_IDS, type MessageCodec } from "../../protocol/round.js";
import { SESSION_ID_BYTES } from "../../protocol/frame.js";
import {
  FROST_ROUND,
  FROST_WIRE_VERSION,
  MAX_COMMITMENT_BATCH,
  MAX_REQUEST_ID_BYTES,
  MAX_SIGN_MESSAGE_BYTES,
  MAX_SIGNERS,
} from "./constants.js";
import type { FrostMessage, NonceCommitmentBatch } from "./messages.js";
import { FROST_VARIANTS } from "./suite.js";

const TYPE = { commitment: 1, "sign-request": 2, "signature-share": 3, batch: 4 } as const;
const ROUND_OF_TYPE: Record<number, number> = {
  1: FROST_ROUND.commit,
  2: FROST_ROUND.sign,
  3: FROST_ROUND.share,
};

function header(type: number): ByteWriter {
  return new ByteWriter().u8(FROST_WIRE_VERSION).u8(PROTOCOL_IDS.frost).u8(type);
}

function readHeader(r: ByteReader): number {
  const version = r.u8();
  if (version !== FROST_WIRE_VERSION) throw new DecodeError(`unsupported FROST message version ${version}`);
  const protocolId = r.u8();
  if (protocolId !== PROTOCOL_IDS.frost)
    throw new DecodeError(`not a FROST message (protocol id ${protocolId})`);
  return r.u8();
}

export function encodeFrostMessage(m: FrostMessage): Uint8Array {
  const w = header(TYPE[m.type]).fixed(m.sessionId, SESSION_ID_BYTES);
  switch (m.type) {
    case "commitment":
      return w.point(m.hiding).point(m.binding).finish();
    case "sign-request": {
      w.u8(FROST_VARIANTS.indexOf(m.variant)).string(m.requestId).bytes(m.message).u16(m.commitments.length);
      for (const c of m.commitments) w.u16(c.member).point(c.hiding).point(c.binding);
      return w.finish();
    }
    case "signature-share":
      return w.scalar(m.share).finish();
  }
}

/** Decodes a message announced for `round`; DecodeError on anything malformed or of another round. */
export function decodeFrostMessage(round: number, bytes: Uint8Array): FrostMessage {
  return decodeWith(bytes, (r) => {
    const type = readHeader(r);
    if (ROUND_OF_TYPE[type] === undefined) throw new DecodeError(`unknown FROST message type ${type}`);
    if (ROUND_OF_TYPE[type] !== round)
      throw new DecodeError(`FROST message type ${type} does not belong to round ${round}`);
    const sessionId = r.fixed(SESSION_ID_BYTES, "session id");
    if (type === TYPE.commitment)
      return { type: "commitment", sessionId, hiding: r.point(), binding: r.point() };
    if (type === TYPE["signature-share"]) return { type: "signature-share", sessionId, share: r.scalar() };
    const variant = FROST_VARIANTS[r.u8()];
    if (variant === undefined) throw new DecodeError("unknown FROST variant");
    const requestId = r.string(MAX_REQUEST_ID_BYTES);
    const message = r.bytes(MAX_SIGN_MESSAGE_BYTES);
    const count = r.u16();
    if (count > MAX_SIGNERS) throw new DecodeError(`commitment list of ${count} exceeds ${MAX_SIGNERS}`);
    const commitments = Array.from({ length: count }, () => ({
      member: r.u16(),
      hiding: r.point(),
      binding: r.point(),
    }));
    return { type: "sign-request", sessionId, variant, requestId, message, commitments };
  });
}

/** The FROST MessageCodec for the runner and the in-memory simulator. */
export const frostCodec: MessageCodec<FrostMessage> = {
  protocolId: PROTOCOL_IDS.frost,
  encode: encodeFrostMessage,
  decode: decodeFrostMessage,
};

/**
 * Decodes bytes received from `sender` for `round`. A malformed message becomes an InvalidMessageError
 * naming the sender (the authenticated frame proves it sent those bytes), with the DecodeError as cause.
 */
export function parseFrostMessage(sender: number, round: number, bytes: Uint8Array): FrostMessage {
  try {
    return decodeFrostMessage(round, bytes);
  } catch (cause) {
    if (cause instanceof ShardlessError && !(cause instanceof DecodeError)) throw cause;
    throw new InvalidMessageError(
      sender,
      `malformed FROST round ${round} message from member ${sender}`,
      true,
      { cause },
    );
  }
}

export function encodeCommitmentBatch(b: NonceCommitmentBatch): Uint8Array {
  const w = header(TYPE.batch)
    .string(b.keyId)
    .u64(b.epoch)
    .u16(b.member)
    .u16(b.coordinator)
    .u16(b.commitments.length);
  for (const c of b.commitments) w.point(c.hiding).point(c.binding);
  return w.finish();
}

export function decodeCommitmentBatch(bytes: Uint8Array): NonceCommitmentBatch {
  return decodeWith(bytes, (r) => {
    const type = readHeader(r);
    if (type !== TYPE.batch) throw new DecodeError(`expected a FROST commitment batch, got type ${type}`);
    const keyId = r.string(256);
    const epoch = r.u64();
    const member = r.u16();
    const coordinator = r.u16();
    const count = r.u16();
    if (count > MAX_COMMITMENT_BATCH)
      throw new DecodeError(`batch of ${count} exceeds ${MAX_COMMITMENT_BATCH}`);
    const commitments = Array.from({ length: count }, () => ({ hiding: r.point(), binding: r.point() }));
    return { keyId, epoch, member, coordinator, commitments };
  });
}
