/**
 * specs/protocols.md §4 step 4: "a party refuses to mix epochs (shares from different epochs do not
 * interpolate)". Shares of one key taken from two epochs are points on two unrelated polynomials:
 * combining them yields a wrong value, never the key. Every place that combines shares or public
 * packages of several members calls this guard first.
 */
import { bytesEqual } from "../../crypto/hash.js";
import { ParameterError } from "../../protocol/errors.js";
import { keyPublicDigest, type KeyPublic, type KeyShare } from "../../protocol/key-share.js";

/** Thrown when shares or packages of different epochs (or keys, or sharings) are used together. */
export class EpochMismatchError extends ParameterError {}

const publicOf = (x: KeyShare | KeyPublic): KeyPublic => ("secretShare" in x ? x.public : x);

/**
 * Throws EpochMismatchError unless every item belongs to the same key, the same epoch and the same
 * public package (same commitments and verification shares). Items may be KeyShares or KeyPublics.
 */
export function assertSameEpoch(items: readonly (KeyShare | KeyPublic)[]): void {
  if (items.length === 0) return;
  const first = publicOf(items[0]);
  const digest = keyPublicDigest(first);
  for (const item of items.slice(1)) {
    const p = publicOf(item);
    if (p.keyId !== first.keyId) throw new EpochMismatchError("shares of different keys");
    if (p.epoch !== first.epoch) {
      throw new EpochMismatchError(`shares of epochs ${first.epoch} and ${p.epoch} cannot be combined`);
    }
    if (!bytesEqual(keyPublicDigest(p), digest)) {
      throw new EpochMismatchError(`shares of epoch ${p.epoch} come from different public packages`);
    }
  }
}
