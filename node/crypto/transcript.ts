/**
 * Length-prefixed, session-bound transcripts. Every hash and proof in Shardless is computed over a
 * Transcript that starts with a protocol domain and the session id (DESIGN.md invariant 7), so no
 * proof or message is valid in another session. Encoding of each item: u32be(len(label)) ‖ label ‖
 * u32be(len(data)) ‖ data — unambiguous, so distinct item lists never hash alike.
 */
import { ParameterError } from "../protocol/errors.js";
import { sha256, utf8ToBytes, concatBytes } from "./hash.js";
import { encodePoint, encodeScalar, hashToScalar, type Point } from "./secp256k1.js";

/** Prefix of every Shardless hash_to_field DST. */
export const DST_PREFIX = "SHARDLESS-secp256k1-SHA256-v1/";

const u32 = (n: number) => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new ParameterError("u32 out of range");
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

export type TranscriptItem = Uint8Array | string | number | bigint | Point | readonly Point[];

export class Transcript {
  private readonly parts: Uint8Array[] = [];

  /** `domain` names the protocol and step (e.g. "dkg/pok"); `sessionId` binds the run. */
  constructor(
    readonly domain: string,
    sessionId: Uint8Array,
  ) {
    this.append("domain", domain);
    this.append("sid", sessionId);
  }

  /** Appends a labelled item: bytes, utf-8 string, u32 number, 32-byte scalar, point(s) (33 B each). */
  append(label: string, item: TranscriptItem): this {
    this.parts.push(u32(label.length), utf8ToBytes(label), ...encodeItem(item));
    return this;
  }

  bytes(): Uint8Array {
    return concatBytes(...this.parts);
  }

  /** SHA-256 of the transcript. */
  digest(): Uint8Array {
    return sha256(this.bytes());
  }

  /** A scalar challenge: RFC 9380 hash_to_field with DST = DST_PREFIX ‖ domain. */
  challenge(): bigint {
    return hashToScalar(this.bytes(), DST_PREFIX + this.domain);
  }
}

function encodeItem(item: TranscriptItem): Uint8Array[] {
  let data: Uint8Array;
  if (item instanceof Uint8Array) data = item;
  else if (typeof item === "string") data = utf8ToBytes(item);
  else if (typeof item === "number") data = u32(item);
  else if (typeof item === "bigint") data = encodeScalar(item);
  else if (Array.isArray(item)) data = concatBytes(...item.map((P: Point) => encodePoint(P)));
  else data = encodePoint(item as Point);
  return [u32(data.length), data];
}
