/**
 * Online signing messages (specs/ecdsa.md §1.5) and their wire codec:
 *
 *   round 1  agree   P_j → the other non-combiners: H(request)        (32 bytes; agree.ts)
 *   round 2  share   P_j → combiner: s_j = h·ρ_j + r·σ_j + d_j + h·e_j (one scalar, NOT pre-multiplied
 *                                    by λ_j: the combiner interpolates, §1.5 note on linearization)
 *
 * Encoding: version u8 (=1) ‖ round u8 ‖ 32-byte body. The round byte must match the announced round.
 */
import { decodeWith, ByteWriter } from "../../../protocol/codec.js";
import { DecodeError } from "../../../protocol/errors.js";
import { PROTOCOL_IDS, type MessageCodec } from "../../../protocol/round.js";
import { bytesEqual } from "../../../crypto/index.js";

export const SIGN_CODEC_VERSION = 1;

export interface SignAgree {
  readonly kind: "agree";
  readonly requestHash: Uint8Array;
}

export interface SignShare {
  readonly kind: "share";
  readonly s: bigint;
}

export type SignMessage = SignAgree | SignShare;

export const SIGN_ROUND = { agree: 1, share: 2 } as const;

export function encodeSignMessage(m: SignMessage): Uint8Array {
  const w = new ByteWriter().u8(SIGN_CODEC_VERSION).u8(SIGN_ROUND[m.kind]);
  return (m.kind === "agree" ? w.fixed(m.requestHash, 32) : w.scalar(m.s)).finish();
}

export function decodeSignMessage(round: number, bytes: Uint8Array): SignMessage {
  return decodeWith(bytes, (r) => {
    const version = r.u8();
    if (version !== SIGN_CODEC_VERSION) throw new DecodeError(`sign: unsupported version ${version}`);
    const tag = r.u8();
    if (tag !== round) throw new DecodeError(`sign: message of round ${tag} announced as round ${round}`);
    if (tag === SIGN_ROUND.agree) return { kind: "agree", requestHash: r.fixed(32, "request hash") };
    if (tag === SIGN_ROUND.share) return { kind: "share", s: r.scalar() };
    throw new DecodeError(`sign: unknown round ${tag}`);
  });
}

export const signCodec: MessageCodec<SignMessage> = {
  protocolId: PROTOCOL_IDS.ecdsaSign,
  encode: encodeSignMessage,
  decode: decodeSignMessage,
};

export function sameSignMessage(x: SignMessage, y: SignMessage): boolean {
  if (x.kind === "agree" && y.kind === "agree") return bytesEqual(x.requestHash, y.requestHash);
  if (x.kind === "share" && y.kind === "share") return x.s === y.s;
  return false;
}
