/**
 * specs/protocols.md §6 "Checks by new party j'", the public ones (3 and 4), and the new public package.
 * They run on echo-agreed broadcasts, so every participant (dealers too) reaches the same verdict.
 */
import { bytesEqual } from "../../crypto/hash.js";
import { mulPublic, type Point } from "../../crypto/secp256k1.js";
import { sumCommitments } from "../../crypto/vss.js";
import { evaluateAt } from "../lifecycle/commitments.js";
import type { KeyPublic } from "../../protocol/key-share.js";
import type { ReshareDeal, ReshareMessage } from "./messages.js";
import { dealerCoefficient, type ReshareSession } from "./session.js";

/**
 * Members whose round-1 broadcast fails a public check: a different old package, or (check 4) a dealer
 * whose V_{i,0} ≠ λ_i^S·Y_i — it did not deal w_i = λ_i^S·s_i. Check 4 pins the culprit where the sum
 * check 3 alone (tss-lib) would only say that somebody cheated.
 */
export function badBroadcasts(
  session: ReshareSession,
  round1: ReadonlyMap<number, ReshareMessage>,
): number[] {
  const bad: number[] = [];
  for (const [id, m] of round1) {
    const digest = (m as ReshareDeal).oldPackageDigest;
    if (!bytesEqual(digest, session.oldPackageDigest)) bad.push(id);
    else if (m.kind === "deal" && !m.commitments[0].equals(expectedConstant(session, id))) bad.push(id);
  }
  return bad.sort((a, b) => a - b);
}

/** λ_i^S·Y_i (Y at the dealer's old id), the image of w_i. */
export function expectedConstant(session: ReshareSession, dealer: number): Point {
  const Y = session.oldPublic.verificationShares.get(session.oldIds.get(dealer)!)!;
  return mulPublic(Y, dealerCoefficient(session, dealer));
}

export function dealsOf(round1: ReadonlyMap<number, ReshareMessage>): Map<number, ReshareDeal> {
  return new Map([...round1].flatMap(([id, m]) => (m.kind === "deal" ? [[id, m] as const] : [])));
}

/**
 * Output package: C'_k = Σ_{i∈S} V_{i,k}, Y'_ℓ = Σ_k ℓ^k·C'_k for every ℓ ∈ N, epoch e+1, degree t'.
 * Returns null if check 3 fails (Σ_i V_{i,0} ≠ Y), which after check 4 means the old package itself is
 * inconsistent.
 */
export function newPackage(
  session: ReshareSession,
  deals: ReadonlyMap<number, ReshareDeal>,
): KeyPublic | null {
  const old = session.oldPublic;
  const commitments = sumCommitments(session.dealers.map((i) => deals.get(i)!.commitments));
  if (!commitments[0].equals(old.publicKey)) return null;
  return {
    scheme: old.scheme,
    keyId: old.keyId,
    degree: session.newDegree,
    epoch: old.epoch + 1,
    participants: session.newParticipants,
    publicKey: old.publicKey,
    commitments,
    verificationShares: new Map(session.newParticipants.map((l) => [l, evaluateAt(commitments, l)] as const)),
  };
}
