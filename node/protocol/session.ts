/**
 * Session ids: 32 bytes binding protocol, key, epoch, request id and participants (DESIGN.md §1). Every
 * transcript of a run starts with it, so no message or proof is valid in another session.
 */
import { Transcript } from "../crypto/transcript.js";

export interface SessionParams {
  readonly protocol: string;
  readonly keyId: string;
  readonly epoch: number;
  /** Unique per run: request id or an agreed fresh nonce (hex or text). */
  readonly requestId: string;
  readonly participants: readonly number[];
  /** Anything else the run depends on (degree, message digest, ...). */
  readonly extra?: Uint8Array;
}

export function deriveSessionId(p: SessionParams): Uint8Array {
  const t = new Transcript("session", new Uint8Array(0))
    .append("protocol", p.protocol)
    .append("keyId", p.keyId)
    .append("epoch", p.epoch)
    .append("requestId", p.requestId)
    .append(
      "participants",
      Uint8Array.from([...p.participants].sort((a, b) => a - b).flatMap((id) => [id >> 8, id & 0xff])),
    );
  if (p.extra) t.append("extra", p.extra);
  return t.digest();
}
