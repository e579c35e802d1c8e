/**
 * specs/protocols.md §5, cheater-catching variant: the public checks on round 1, done identically by
 * every helper and by r once the echo check has shown everyone holds the same broadcasts.
 */
import { bytesEqual } from "../../crypto/hash.js";
import { mulPublic, sumPoints, type Point } from "../../crypto/secp256k1.js";
import type { RecoverCommit, RecoverMessage, RecoverRequest } from "./messages.js";
import { repairCoefficient, type RecoverySession } from "./session.js";

/** Σ_j Δ_{i→j} == ζ_i·Y_i: helper i split exactly ζ_i·s_i (its share is pinned by Y_i). */
export function commitSumHolds(session: RecoverySession, helper: number, commit: RecoverCommit): boolean {
  const Yi = session.public.verificationShares.get(helper)!;
  return sumPoints(commit.deltas).equals(mulPublic(Yi, repairCoefficient(session, helper)));
}

/**
 * Members whose round-1 broadcast is wrong for everyone to see: a package other than ours (stale epoch,
 * another key) or a Δ vector that does not sum to ζ_i·Y_i.
 */
export function badBroadcasts(
  session: RecoverySession,
  round1: ReadonlyMap<number, RecoverMessage>,
): number[] {
  const bad: number[] = [];
  for (const [id, m] of round1) {
    const { packageDigest } = m as RecoverCommit | RecoverRequest;
    if (!bytesEqual(packageDigest, session.packageDigest)) bad.push(id);
    else if (m.kind === "commit" && !commitSumHolds(session, id, m)) bad.push(id);
  }
  return bad.sort((a, b) => a - b);
}

/** The helpers' commits from a round-1 view. */
export function commitsOf(round1: ReadonlyMap<number, RecoverMessage>): Map<number, RecoverCommit> {
  return new Map([...round1].flatMap(([id, m]) => (m.kind === "commit" ? [[id, m] as const] : [])));
}

/** Σ_i Δ_{i→j}: the public image of the sum σ_j helper j must send to r. */
export function expectedSigmaImage(
  session: RecoverySession,
  commits: ReadonlyMap<number, RecoverCommit>,
  j: number,
): Point {
  const k = session.helpers.indexOf(j);
  return sumPoints([...commits.values()].map((c) => c.deltas[k]));
}
