/**
 * Chaum–Pedersen proof that log_{B1} X1 = log_{B2} X2 (= x), used for decryption shares
 * (specs/protocols.md §2, §3.1). Prover: random k, A1 = k·B1, A2 = k·B2, c = challenge(A1, A2),
 * z = k + c·x. Verifier: A1 = z·B1 − c·X1, A2 = z·B2 − c·X2, and c must match.
 *
 * The default challenge hashes a session-bound transcript over (B1, X1, B2, X2, A1, A2). Specs that fix
 * their own hash input (TDH2's H4) pass `challenge` explicitly.
 */
import { defaultRng, type Rng } from "../rng.js";
import { Fn, mul, mulPublic, randomScalar, type Point } from "../secp256k1.js";
import type { Transcript } from "../transcript.js";

export interface DleqStatement {
  readonly B1: Point;
  readonly X1: Point;
  readonly B2: Point;
  readonly X2: Point;
}

export interface DleqProof {
  readonly c: bigint;
  readonly z: bigint;
}

export type DleqChallenge = (A1: Point, A2: Point) => bigint;

/** Challenge over a transcript: the caller binds session, prover id and context in `transcript`. */
export function transcriptChallenge(statement: DleqStatement, transcript: () => Transcript): DleqChallenge {
  return (A1, A2) =>
    transcript()
      .append("B1", statement.B1)
      .append("X1", statement.X1)
      .append("B2", statement.B2)
      .append("X2", statement.X2)
      .append("A1", A1)
      .append("A2", A2)
      .challenge();
}

export function proveDleq(
  x: bigint,
  statement: DleqStatement,
  challenge: DleqChallenge,
  rng: Rng = defaultRng,
): DleqProof {
  const k = randomScalar(rng);
  const A1 = mul(statement.B1, k);
  const A2 = mul(statement.B2, k);
  const c = challenge(A1, A2);
  return { c, z: Fn.add(k, Fn.mul(c, x)) };
}

export function verifyDleq(statement: DleqStatement, proof: DleqProof, challenge: DleqChallenge): boolean {
  const { B1, X1, B2, X2 } = statement;
  if ([B1, X1, B2, X2].some((P) => P.is0())) return false;
  const A1 = mulPublic(B1, proof.z).subtract(mulPublic(X1, proof.c));
  const A2 = mulPublic(B2, proof.z).subtract(mulPublic(X2, proof.c));
  if (A1.is0() || A2.is0()) return false;
  return challenge(A1, A2) === proof.c;
}
