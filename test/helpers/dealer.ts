/**
 * TEST ONLY: a trusted dealer that makes key shares without a DKG, and secret reconstruction to check
 * results. Product code never does either (DESIGN.md invariant 1).
 */
import {
  G,
  evaluatePolynomial,
  feldmanCommit,
  interpolateScalar,
  mulBase,
  randomPolynomial,
  type Rng,
  defaultRng,
} from "../../node/crypto/index.js";
import type { KeyShare, Scheme } from "../../node/protocol/key-share.js";

export interface DealtKey {
  readonly secret: bigint;
  readonly shares: Map<number, KeyShare>;
}

export function dealKey(
  opts: {
    scheme?: Scheme;
    degree: number;
    participants: number[];
    keyId?: string;
    epoch?: number;
    secret?: bigint;
  },
  rng: Rng = defaultRng,
): DealtKey {
  const f = randomPolynomial(opts.degree, opts.secret, rng);
  const commitments = feldmanCommit(f);
  const participants = [...opts.participants].sort((a, b) => a - b);
  const secretShares = new Map(participants.map((id) => [id, evaluatePolynomial(f, id)]));
  const verificationShares = new Map(participants.map((id) => [id, mulBase(secretShares.get(id)!)]));
  const pub = {
    scheme: opts.scheme ?? "ecdsa",
    keyId: opts.keyId ?? "test-key",
    degree: opts.degree,
    epoch: opts.epoch ?? 0,
    participants,
    publicKey: commitments[0],
    commitments,
    verificationShares,
  };
  const shares = new Map(
    participants.map((id) => [id, { public: pub, self: id, secretShare: secretShares.get(id)! }]),
  );
  return { secret: f[0], shares };
}

/** Reconstructs the secret from degree+1 (or more) shares. TEST ONLY. */
export function reconstructSecret(shares: Iterable<{ self: number; secretShare: bigint }>): bigint {
  return interpolateScalar([...shares].map((s) => ({ x: s.self, y: s.secretShare })));
}

export { G };
