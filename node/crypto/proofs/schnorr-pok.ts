/**
 * Schnorr proof of knowledge of x with X = x·G (specs/protocols.md §1 round 1 step 3), made
 * non-interactive with a challenge over a session-bound transcript: c = H(T ‖ X ‖ R), μ = k + c·x.
 * The caller's transcript must already bind the session id and the prover's id.
 */
import { ParameterError } from "../../protocol/errors.js";
import { defaultRng, type Rng } from "../rng.js";
import { Fn, G, mulBase, mulPublic, randomScalar, type Point } from "../secp256k1.js";
import type { Transcript } from "../transcript.js";

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
