/**
 * Messages of the decrypt protocol (specs/protocols.md §2, §3.1) and their strict codec.
 *
 *   round 1, combiner → each asked member   request  { scheme, eciesFlags, requestId, payloadId?, ciphertext }
 *   round 2, member → combiner              share    { point, c, z }          (u_i / D_i and its DLEQ proof)
 *                                          refusal  { code, reason }         (policy said no, or invalid ciphertext)
 *
 * Bytes: request = 01 ‖ scheme u8 ‖ flags u8 ‖ requestId (u32 len ‖ utf-8, ≤ 128) ‖ hasPayloadId u8
 *   [‖ payloadId uint256] ‖ ciphertext (u32 len ‖ bytes, ≤ MAX_CIPHERTEXT_BYTES);
 *   share = 02 ‖ point 33 ‖ c 32 ‖ z 32; refusal = 03 ‖ code u8 ‖ reason (u32 len ‖ utf-8, ≤ 200).
 * Flags (ECIES only; 0 for TDH2): bit 0 = eciesjs isHkdfKeyCompressed, bit 1 = 12-byte nonce.
 */
import { ByteReader, ByteWriter, MAX_FRAME_BYTES, decodeWith } from "../../protocol/codec.js";
import { DecodeError, ParameterError } from "../../protocol/errors.js";
import { PROTOCOL_IDS, type MessageCodec } from "../../protocol/round.js";
import type { EciesOptions } from "../../crypto/ecies.js";
import type { Point } from "../../crypto/secp256k1.js";
import { DECRYPT_SCHEMES, type DecryptScheme } from "./schemes.js";

export const MAX_REQUEST_ID_CHARS = 128;
export const MAX_REFUSAL_REASON = 200;
/** A request must fit one wire frame with room for the frame header. */
export const MAX_CIPHERTEXT_BYTES = MAX_FRAME_BYTES - 1024;

export const REFUSAL_CODES = ["policy", "invalid-ciphertext"] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface DecryptRequestFields {
  readonly scheme: DecryptScheme;
  readonly ecies?: EciesOptions;
  readonly requestId: string;
  /** The on-chain payload id the requester points at (a pointer for the member's chain read, not a claim). */
  readonly payloadId?: bigint;
  readonly ciphertext: Uint8Array;
}

export type DecryptMessage =
  | ({ readonly type: "request" } & DecryptRequestFields)
  | { readonly type: "share"; readonly point: Point; readonly c: bigint; readonly z: bigint }
  | { readonly type: "refusal"; readonly code: RefusalCode; readonly reason: string };

const TAG = { request: 1, share: 2, refusal: 3 } as const;
const UINT256_MAX = (1n << 256n) - 1n;

export function eciesFlags(scheme: DecryptScheme, options: EciesOptions | undefined): number {
  if (scheme === "tdh2") {
    if (options !== undefined) throw new ParameterError("`ecies` options given for a TDH2 request");
    return 0;
  }
  const nonce = options?.nonceLength ?? 16;
  if (nonce !== 12 && nonce !== 16) throw new ParameterError("`nonceLength` expected 12 or 16");
  return (options?.hkdfKeyCompressed ? 1 : 0) | (nonce === 12 ? 2 : 0);
}

export function eciesOptionsFromFlags(flags: number): EciesOptions {
  return { hkdfKeyCompressed: (flags & 1) === 1, nonceLength: flags & 2 ? 12 : 16 };
}

/** The payload id as uint256 bytes (32), or no bytes when absent. */
export function payloadIdBytes(id: bigint | undefined): Uint8Array {
  if (id === undefined) return new Uint8Array(0);
  if (typeof id !== "bigint" || id < 0n || id > UINT256_MAX) {
    throw new ParameterError("`payloadId` expected a uint256 bigint");
  }
  const b = new Uint8Array(32);
  let x = id;
  for (let k = 31; k >= 0; k--, x >>= 8n) b[k] = Number(x & 0xffn);
  return b;
}

function writePayloadId(w: ByteWriter, id: bigint | undefined): void {
  if (id === undefined) w.u8(0);
  else w.u8(1).fixed(payloadIdBytes(id), 32);
}

function readPayloadId(r: ByteReader): bigint | undefined {
  const has = r.u8();
  if (has === 0) return undefined;
  if (has !== 1) throw new DecodeError("payloadId flag must be 0 or 1");
  let v = 0n;
  for (const byte of r.fixed(32, "payloadId")) v = (v << 8n) | BigInt(byte);
  return v;
}

/** Checks a request's fields against the wire limits (ParameterError). */
export function assertRequestFields(r: DecryptRequestFields): void {
  if (!DECRYPT_SCHEMES.includes(r.scheme)) throw new ParameterError("unknown decrypt scheme");
  if (
    typeof r.requestId !== "string" ||
    r.requestId.length === 0 ||
    r.requestId.length > MAX_REQUEST_ID_CHARS
  ) {
    throw new ParameterError(`\`requestId\` expected 1..${MAX_REQUEST_ID_CHARS} characters`);
  }
  if (!(r.ciphertext instanceof Uint8Array)) throw new ParameterError("`ciphertext` expected Uint8Array");
  if (r.ciphertext.length > MAX_CIPHERTEXT_BYTES) throw new ParameterError("`ciphertext` too large");
  eciesFlags(r.scheme, r.ecies);
  payloadIdBytes(r.payloadId);
}

export function encodeDecryptMessage(m: DecryptMessage): Uint8Array {
  const w = new ByteWriter();
  switch (m.type) {
    case "request": {
      assertRequestFields(m);
      w.u8(TAG.request)
        .u8(DECRYPT_SCHEMES.indexOf(m.scheme) + 1)
        .u8(eciesFlags(m.scheme, m.ecies));
      w.string(m.requestId);
      writePayloadId(w, m.payloadId);
      return w.bytes(m.ciphertext).finish();
    }
    case "share":
      return w.u8(TAG.share).point(m.point).scalar(m.c).scalar(m.z).finish();
    case "refusal":
      return w
        .u8(TAG.refusal)
        .u8(REFUSAL_CODES.indexOf(m.code) + 1)
        .string(m.reason.slice(0, MAX_REFUSAL_REASON))
        .finish();
  }
}

function readRequest(r: ByteReader): DecryptMessage {
  const scheme = DECRYPT_SCHEMES[r.u8() - 1];
  if (!scheme) throw new DecodeError("unknown decrypt scheme");
  const flags = r.u8();
  if (flags > 3 || (scheme === "tdh2" && flags !== 0)) throw new DecodeError("bad ECIES flags");
  const requestId = r.string(MAX_REQUEST_ID_CHARS * 4);
  if (requestId.length === 0 || requestId.length > MAX_REQUEST_ID_CHARS)
    throw new DecodeError("bad requestId");
  const payloadId = readPayloadId(r);
  const ciphertext = r.bytes(MAX_CIPHERTEXT_BYTES);
  return {
    type: "request",
    scheme,
    ...(scheme === "ecies" ? { ecies: eciesOptionsFromFlags(flags) } : {}),
    requestId,
    ...(payloadId === undefined ? {} : { payloadId }),
    ciphertext,
  };
}

/** Strict decoding of a round-`round` message: round 1 carries requests, round 2 shares or refusals. */
export function decodeDecryptMessage(round: number, bytes: Uint8Array): DecryptMessage {
  return decodeWith(bytes, (r) => {
    const tag = r.u8();
    if (round === 1 && tag === TAG.request) return readRequest(r);
    if (round === 2 && tag === TAG.share)
      return { type: "share", point: r.point(), c: r.scalar(), z: r.scalar() };
    if (round === 2 && tag === TAG.refusal) {
      const code = REFUSAL_CODES[r.u8() - 1];
      if (!code) throw new DecodeError("unknown refusal code");
      return { type: "refusal", code, reason: r.string(MAX_REFUSAL_REASON * 4) };
    }
    throw new DecodeError(`message tag ${tag} not expected in decrypt round ${round}`);
  });
}

export const decryptCodec: MessageCodec<DecryptMessage> = {
  protocolId: PROTOCOL_IDS.decrypt,
  encode: encodeDecryptMessage,
  decode: decodeDecryptMessage,
};
