/** Small strict-codec helpers shared by the refresh, recover and reshare codecs. */
import type { ByteReader } from "../../protocol/codec.js";
import { DecodeError } from "../../protocol/errors.js";

/** Member-id lists on the wire: u16s, strictly ascending, no 0 (one encoding per set). */
export function readAscendingIds(r: ByteReader, max: number): number[] {
  const ids = r.u16s(max);
  for (let k = 0; k < ids.length; k++) {
    if (ids[k] === 0 || (k > 0 && ids[k] <= ids[k - 1])) {
      throw new DecodeError("ids must be ascending, non-zero");
    }
  }
  return ids;
}

/** Reads a tag and checks it is allowed in `round`. */
export function readTag(
  r: ByteReader,
  round: number,
  allowed: Readonly<Record<number, readonly number[]>>,
): number {
  const tag = r.u8();
  if (!(allowed[round] ?? []).includes(tag)) throw new DecodeError(`tag ${tag} not valid in round ${round}`);
  return tag;
}
