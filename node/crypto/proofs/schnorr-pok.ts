/**
 * Schnorr proof of knowledge of x with X = x·G (specs/protocols.md §1 round 1 step 3), made
 * non-interactive with a challenge over a session-bound transcript: c = H(T ‖ X ‖ R), μ = k + c·x.
 * The caller's transcript must already bind the session id and the prover's id.
 */
import { ParameterError } from "../../protocol/errors.js";
import { defaultRng, type Rng } from "../rng.js";
import { Fn, G, msmPublic, mulBase, mulPublic, randomScalar, type Point } from "../secp256k1.js";
import { Transcript } from "../transcript.js";

export interface SchnorrProof {
  readonly R: Point;
  readonly mu: bigint;
}

function challenge(transcript: Transcript, X: Point, R: Point): bigint {
  return transcript.append("statement", X).append("commitment", R).challenge();
}

/** Proves knowledge of `secret` for X = secret·G. `transcript` is consumed (appended to). */
export function proveKnowledge(secret: bigint, transcript: Transcript, rng: Rng = defaultRng): SchnorrProof {
  if (secret === 0n) throw new ParameterError("`secret` must be non-zero");
  const X = mulBase(secret);
  const k = randomScalar(rng);
  const R = mulBase(k);
  const c = challenge(transcript, X, R);
  return { R, mu: Fn.add(k, Fn.mul(c, secret)) };
}

/** Checks R == μ·G − c·X with c recomputed. */
export function verifyKnowledge(X: Point, proof: SchnorrProof, transcript: Transcript): boolean {
  if (X.is0() || proof.R.is0()) return false;
  const c = challenge(transcript, X, proof.R);
  return mulPublic(G, proof.mu).subtract(mulPublic(X, c)).equals(proof.R);
}

export interface KnowledgeClaim {
  readonly X: Point;
  readonly proof: SchnorrProof;
  /** A fresh transcript for this claim (as for verifyKnowledge; it is consumed). */
  readonly transcript: Transcript;
}

/**
 * Verifies many proofs with one multi-scalar multiplication: Σ ρ_i·(μ_i·G − c_i·X_i − R_i) = O with
 * weights ρ_i hashed from every claim (deterministic, so every honest member reaches the same verdict; a
 * batch with a bad proof passes only with negligible probability (about 1/n per attempt), and the weights depend on the
 * whole batch, so they cannot be known before choosing it). Returns the indexes of the claims that fail:
 * [] when the batch verifies, otherwise each claim is checked alone to name the bad ones.
 */
export function verifyKnowledgeBatch(claims: readonly KnowledgeClaim[]): number[] {
  if (claims.length === 0) return [];
  if (claims.some((c) => c.X.is0() || c.proof.R.is0())) {
    return claims.flatMap((c, i) => (verifyKnowledge(c.X, c.proof, c.transcript) ? [] : [i]));
  }
  const challenges = claims.map((c) => challenge(c.transcript, c.X, c.proof.R));
  const weightInput = new Transcript("pok/batch", new Uint8Array(32));
  claims.forEach((c, i) =>
    weightInput.append("X", c.X).append("R", c.proof.R).append("mu", c.proof.mu).append("c", challenges[i]),
  );
  const seed = weightInput.digest();
  const weights = claims.map((_, i) => new Transcript("pok/batch-weight", seed).append("i", i).challenge());
  let muSum = 0n;
  const points: Point[] = [G];
  const scalars: bigint[] = [0n];
  claims.forEach((c, i) => {
    muSum = Fn.add(muSum, Fn.mul(weights[i], c.proof.mu));
    points.push(c.X, c.proof.R);
    scalars.push(Fn.neg(Fn.mul(weights[i], challenges[i])), Fn.neg(weights[i]));
  });
  scalars[0] = muSum;
  if (msmPublic(points, scalars).is0()) return [];
  // Name the culprits: recompute each alone (its transcript was consumed; rebuild from the challenge).
  return claims.flatMap((c, i) =>
    mulPublic(G, c.proof.mu).subtract(mulPublic(c.X, challenges[i])).equals(c.proof.R) ? [] : [i],
  );
}
