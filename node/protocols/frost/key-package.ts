/**
 * Adapter from our key material (protocol/key-share.ts: KeyShare/KeyPublic, made by our DKG, refresh or
 * reshare) to noble's FROST key packages (`FrostPublic`: signers {min, max}, serialised Feldman
 * commitments, verifying shares keyed by Identifier; `FrostSecret`: identifier and signing share).
 * Member id i becomes noble's `Identifier.fromNumber(i)` (RFC 9591 small-integer identifiers).
 *
 * BIP-340 keys (specs/protocols.md §7.3). Signatures verify under the x-only key x(Y), i.e. under the
 * even-y point ±Y. When Y has odd y, every share s_i and every commitment and verifying share is
 * negated, exactly as ZF frost-secp256k1-tr and noble's Taproot suite (`adjustPublic`/`adjustSecret`)
 * do. We apply that normalisation here, once per key, instead of letting noble redo it on every
 * `signShare`/`verifyShare` call (which decompresses and negates every verifying share each time);
 * noble's hooks then see an even key and leave it alone. A test checks that shares made this way verify
 * under noble's own normalisation of the raw key.
 *
 * No Taproot tweak: we do NOT apply BIP-341's TapTweak (ZF and noble tweak their *own* DKG output with
 * an empty merkle root; our DKG is not theirs). The published key must be the registry's key, and
 * contracts/lib/GroupSignature.sol verifies plain BIP-340 over the x-only key; a tweaked key
 * Q = P + H_TapTweak(P)·G would differ from the key the registry records and the members proved they
 * hold. Bitcoin Taproot key-path spending (the only reason to tweak) is not a Shardless use case; it
 * could be added later as an explicit per-request option.
 */
import { Fn, encodePoint, encodeScalar, hasOddY, mulBase, type Point } from "../../crypto/index.js";
import { ParameterError } from "../../protocol/errors.js";
import { quorum, type KeyPublic, type KeyShare } from "../../protocol/key-share.js";
import type { SigningCommitment } from "./nonces.js";
import {
  memberIdentifier,
  type FrostVariant,
  type NobleCommitment,
  type NobleFrostPublic,
  type NobleFrostSecret,
} from "./suite.js";

/** Members needed to sign with a FROST key: degree + 1. */
export function frostQuorum(key: KeyPublic): number {
  return quorum("schnorr", key.degree);
}

/** Throws ParameterError unless `key` is a FROST ("schnorr") key noble can sign with. */
export function assertFrostKey(key: KeyPublic): void {
  if (key.scheme !== "schnorr") {
    throw new ParameterError(`FROST signs only with schnorr keys, not ${key.scheme} keys`);
  }
  if (key.degree < 1 || key.participants.length < key.degree + 1) {
    throw new ParameterError(
      `key ${key.keyId}: degree ${key.degree} with ${key.participants.length} members`,
    );
  }
  if (key.commitments.length !== key.degree + 1 || !key.commitments[0].equals(key.publicKey)) {
    throw new ParameterError(`key ${key.keyId}: commitments do not match degree and public key`);
  }
  for (const id of key.participants) {
    if (!key.verificationShares.has(id))
      throw new ParameterError(`key ${key.keyId}: no verifying share of ${id}`);
  }
}

/** Whether `variant` signs with the negated sharing of `key` (BIP-340 with an odd-y group key). */
export function negatesKey(key: KeyPublic, variant: FrostVariant): boolean {
  return variant === "bip340" && hasOddY(key.publicKey);
}

// Memo tables keyed by immutable key objects: they cache pure results (a package, a passed check) and
// change no behaviour, so rounds stay pure.
const publicPackages = new WeakMap<KeyPublic, Partial<Record<FrostVariant, NobleFrostPublic>>>();

/** noble's public key package for `key` under `variant` (cached per KeyPublic object; it is immutable). */
export function frostPublicPackage(key: KeyPublic, variant: FrostVariant): NobleFrostPublic {
  const cached = publicPackages.get(key)?.[variant];
  if (cached) return cached;
  assertFrostKey(key);
  const negate = negatesKey(key, variant);
  const ser = (P: Point) => encodePoint(negate ? P.negate() : P);
  const verifyingShares: Record<string, Uint8Array> = {};
  for (const id of key.participants)
    verifyingShares[memberIdentifier(id)] = ser(key.verificationShares.get(id)!);
  const pkg: NobleFrostPublic = {
    signers: { min: frostQuorum(key), max: key.participants.length },
    commitments: key.commitments.map(ser),
    verifyingShares,
  };
  publicPackages.set(key, { ...publicPackages.get(key), [variant]: pkg });
  return pkg;
}

/** KeyShare objects whose secret share was checked against their verifying share. */
const checkedShares = new WeakSet<KeyShare>();

/**
 * noble's secret package for `share` under `variant` (negated with the key for BIP-340 and odd y). The
 * first time it sees a KeyShare object it checks s_i·G = Y_i, so a corrupt or mismatched share fails
 * here with a ParameterError instead of producing signature shares that the coordinator would blame.
 * The result holds the secret share: keep it local and short-lived (callers wipe it).
 */
export function frostSecretPackage(share: KeyShare, variant: FrostVariant): NobleFrostSecret {
  if (!checkedShares.has(share)) {
    assertFrostKey(share.public);
    const Y = share.public.verificationShares.get(share.self);
    if (!Y || !mulBase(share.secretShare).equals(Y)) {
      throw new ParameterError(
        `key ${share.public.keyId}: secret share does not match verifying share of ${share.self}`,
      );
    }
    checkedShares.add(share);
  }
  const s = negatesKey(share.public, variant) ? Fn.neg(share.secretShare) : share.secretShare;
  return { identifier: memberIdentifier(share.self), signingShare: encodeScalar(s) };
}

/** noble's commitment-list entries for B. */
export function nobleCommitmentList(commitments: readonly SigningCommitment[]): NobleCommitment[] {
  return commitments.map((c) => ({
    identifier: memberIdentifier(c.member),
    hiding: encodePoint(c.hiding),
    binding: encodePoint(c.binding),
  }));
}
