/**
 * specs/protocols.md §5: the parameters every participant of one recovery agrees on beforehand, the
 * session id binding them, and the public facts derived from the package: ζ_i = λ_i^H(r) and the
 * target's verification share Y_r (stored, or Σ_k r^k·C_k for a brand-new id: enrollment).
 */
import { lagrangeCoefficient } from "../../crypto/polynomial.js";
import type { Point } from "../../crypto/secp256k1.js";
import { ByteWriter } from "../../protocol/codec.js";
import { ParameterError } from "../../protocol/errors.js";
import { assertGroupParameters, keyPublicDigest, type KeyPublic } from "../../protocol/key-share.js";
import { deriveSessionId } from "../../protocol/session.js";
import { evaluateAt } from "../lifecycle/commitments.js";

export interface RecoverySession {
  readonly sessionId: Uint8Array;
  readonly public: KeyPublic;
  readonly packageDigest: Uint8Array;
  /** H, ascending. */
  readonly helpers: readonly number[];
  /** r: a member that lost its share, or a new id (enrollment). */
  readonly target: number;
  /** True if r is not a participant of the package (a new member joins). */
  readonly enrollment: boolean;
  /** Y_r: the public image of the share r must end with. */
  readonly targetVerificationShare: Point;
}

export interface RecoveryParams {
  /** The helpers H; |H| ≥ degree + 1. */
  readonly helpers: readonly number[];
  readonly target: number;
  /** Agreed unique id of this run (request id or fresh nonce). */
  readonly requestId: string;
}

/** Checks the parameters against the package and derives the session. Throws ParameterError. */
export function recoverySession(pub: KeyPublic, params: RecoveryParams): RecoverySession {
  const helpers = [...params.helpers].sort((a, b) => a - b);
  const { target } = params;
  if (new Set(helpers).size !== helpers.length) throw new ParameterError("helpers repeated");
  if (!Number.isInteger(target) || target < 1 || target > 0xffff) throw new ParameterError("bad target id");
  if (helpers.includes(target)) throw new ParameterError("the target cannot help recover its own share");
  for (const h of helpers) {
    if (!pub.participants.includes(h)) throw new ParameterError(`helper ${h} holds no share of this key`);
  }
  // degree + 1 points fix the sharing polynomial; fewer cannot determine f(r).
  if (helpers.length < pub.degree + 1) {
    throw new ParameterError(`recovery needs at least degree + 1 = ${pub.degree + 1} helpers`);
  }
  const enrollment = !pub.participants.includes(target);
  if (enrollment) assertGroupParameters(pub.scheme, pub.degree, pub.participants.length + 1);
  const packageDigest = keyPublicDigest(pub);
  const targetVerificationShare = enrollment
    ? evaluateAt(pub.commitments, target)
    : pub.verificationShares.get(target)!;
  const sessionId = deriveSessionId({
    protocol: "recover",
    keyId: pub.keyId,
    epoch: pub.epoch,
    requestId: params.requestId,
    participants: [...helpers, target],
    extra: new ByteWriter().u16(target).fixed(packageDigest, 32).finish(),
  });
  return { sessionId, public: pub, packageDigest, helpers, target, enrollment, targetVerificationShare };
}

/** ζ_i = λ_i^H(r), so that Σ_{i∈H} ζ_i·s_i = f(r) = s_r. Non-zero because r ∉ H. */
export function repairCoefficient(session: RecoverySession, helper: number): bigint {
  return lagrangeCoefficient(helper, session.helpers, BigInt(session.target));
}

/**
 * The package r ends with. A lost member keeps the package unchanged. A new member is added to the
 * participants with Y_r = Σ_k r^k·C_k; every member can apply the same pure update (enrollPublic) once
 * the registry lists the new member, since it only uses public data.
 */
export function enrollPublic(pub: KeyPublic, id: number): KeyPublic {
  if (pub.participants.includes(id)) return pub;
  assertGroupParameters(pub.scheme, pub.degree, pub.participants.length + 1);
  const participants = [...pub.participants, id].sort((a, b) => a - b);
  const verificationShares = new Map(pub.verificationShares);
  verificationShares.set(id, evaluateAt(pub.commitments, id));
  return { ...pub, participants, verificationShares };
}
