/**
 * What a member holds for one key after DKG (or refresh/reshare): the public package, identical at every
 * member, and its own secret share. Naming: `degree` is t, the sharing polynomial's degree (t colluders
 * learn nothing, t+1 can reconstruct); the quorum to *use* the key depends on the scheme (see `quorum`).
 */
import { ByteReader, ByteWriter, decodeWith } from "./codec.js";
import { DecodeError, ParameterError } from "./errors.js";
import { sha256 } from "../crypto/hash.js";
import type { Point } from "../crypto/secp256k1.js";

export const SCHEMES = ["ecdsa", "schnorr", "encryption"] as const;
export type Scheme = (typeof SCHEMES)[number];

export interface KeyPublic {
  readonly scheme: Scheme;
  /** Registry key id (decimal string of the on-chain uint256), or any unique id in tests. */
  readonly keyId: string;
  readonly degree: number;
  readonly epoch: number;
  /** Ids (1..n) of the members holding shares, ascending. */
  readonly participants: readonly number[];
  /** The group public key Y = C_0. */
  readonly publicKey: Point;
  /** C_0..C_degree: Feldman commitments of the joint sharing polynomial. */
  readonly commitments: readonly Point[];
  /** Y_j = s_j·G for every participant j. */
  readonly verificationShares: ReadonlyMap<number, Point>;
}

export interface KeyShare {
  readonly public: KeyPublic;
  readonly self: number;
  readonly secretShare: bigint;
}

/** Members needed to use a key: 2t+1 for the honest-majority ECDSA, t+1 otherwise. */
export function quorum(scheme: Scheme, degree: number): number {
  return scheme === "ecdsa" ? 2 * degree + 1 : degree + 1;
}

/** Colluding members needed to steal the key: t+1 for every scheme. */
export function colludersToSteal(degree: number): number {
  return degree + 1;
}

/** Checks degree against the member count for a scheme; throws ParameterError with a clear reason. */
export function assertGroupParameters(scheme: Scheme, degree: number, members: number): void {
  if (!SCHEMES.includes(scheme)) throw new ParameterError(`unknown scheme ${String(scheme)}`);
  if (!Number.isInteger(members) || members < 2 || members > 64) {
    throw new ParameterError(`a group needs 2..64 members, got ${members}`);
  }
  if (!Number.isInteger(degree) || degree < 1 || degree >= members) {
    throw new ParameterError(`degree must satisfy 1 <= degree < members (${members}), got ${degree}`);
  }
  if (scheme === "ecdsa" && members < 2 * degree + 1) {
    throw new ParameterError(
      `ecdsa needs members >= 2*degree+1 (honest majority): degree ${degree} needs ${2 * degree + 1} members`,
    );
  }
}

function writePublic(w: ByteWriter, p: KeyPublic): ByteWriter {
  w.u8(SCHEMES.indexOf(p.scheme)).string(p.keyId).u16(p.degree).u64(p.epoch).u16s(p.participants);
  w.point(p.publicKey).points(p.commitments);
  for (const id of p.participants) {
    const Y = p.verificationShares.get(id);
    if (!Y) throw new ParameterError(`missing verification share of ${id}`);
    w.point(Y);
  }
  return w;
}

function readPublic(r: ByteReader): KeyPublic {
  const scheme = SCHEMES[r.u8()];
  if (!scheme) throw new DecodeError("unknown scheme");
  const keyId = r.string(256);
  const degree = r.u16();
  const epoch = r.u64();
  const participants = r.u16s(1024);
  const publicKey = r.point();
  const commitments = r.points(1024);
  const verificationShares = new Map(participants.map((id) => [id, r.point()] as const));
  if (commitments.length !== degree + 1 || !commitments[0].equals(publicKey)) {
    throw new DecodeError("commitments do not match degree / public key");
  }
  return { scheme, keyId, degree, epoch, participants, publicKey, commitments, verificationShares };
}

export function encodeKeyPublic(p: KeyPublic): Uint8Array {
  return writePublic(new ByteWriter(), p).finish();
}

export function decodeKeyPublic(bytes: Uint8Array): KeyPublic {
  return decodeWith(bytes, readPublic);
}

/** SHA-256 of the canonical public package: members compare it to agree on one sharing. */
export function keyPublicDigest(p: KeyPublic): Uint8Array {
  return sha256(encodeKeyPublic(p));
}

/** Serialises a share for the (encrypted) share store. The result is secret. */
export function encodeKeyShare(s: KeyShare): Uint8Array {
  return writePublic(new ByteWriter(), s.public).u16(s.self).scalar(s.secretShare).finish();
}

export function decodeKeyShare(bytes: Uint8Array): KeyShare {
  return decodeWith(bytes, (r) => {
    const pub = readPublic(r);
    const self = r.u16();
    const secretShare = r.scalar();
    if (!pub.participants.includes(self)) throw new DecodeError("share owner is not a participant");
    return { public: pub, self, secretShare };
  });
}

/** The registry's commitment digest of a sharing: SHA-256 over the encoded C_0..C_degree. */
export function commitmentDigest(p: KeyPublic): Uint8Array {
  const w = new ByteWriter().u64(p.epoch).u16(p.degree).points(p.commitments);
  return sha256(w.finish());
}

/**
 * The public key as the registry stores it: 33-byte compressed, except schnorr keys, which are BIP-340
 * x-only keys and are published with the even-y prefix 0x02 (the same x: signing negates the shares when
 * Y has odd y, per BIP-340 / RFC 9591's Taproot variant).
 */
export function registryPublicKey(p: KeyPublic): Uint8Array {
  const bytes = p.publicKey.toBytes(true);
  if (p.scheme === "schnorr") bytes[0] = 0x02;
  return bytes;
}
