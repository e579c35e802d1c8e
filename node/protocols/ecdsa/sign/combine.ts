/**
 * Combining signature shares (specs/ecdsa.md §1.5 step 3, C5; §1.8 low-s and recovery id).
 *
 *   s = Σ_{j∈S} λ_j^S(0)·s_j   (degree-2t opening: all 2t+1 shares, no redundancy); abort if s = 0;
 *   verify BEFORE returning (C5), in one check that covers verification and recovery: R is public from
 *   presigning, so check s⁻¹·h·G + s⁻¹·r·Y = R exactly (crypto `ecdsaVerifyWithNonce`). That is the point
 *   ECDSA verification rebuilds (it compares only R.x), so (r, s) verifies under Y; and since R itself
 *   is pinned, ecrecover with R's y-parity returns Y;
 *   low-s: if s > n/2 then s ← n − s, which flips the recovery parity ((r, n − s) verifies with −R);
 *   recovery = R.y parity (R.x < n is guaranteed by presigning), flipped by the low-s step.
 * Y's multiplication uses a cached window table, so the check costs ~0.8 ms instead of ~3 ms for a
 * recovery or a plain noble verify, on the online path of every signature.
 *
 * Only the combiner runs this round (§1.5 S1 "or only to a coordinator", NEAR's variant): the other
 * signers send their raw s_j to it alone (share.ts), so s_j travels to one member instead of 2t, and the
 * signature is checked once, by the member that releases it.
 *
 * Blame: a wrong s_j only shows as a signature that fails to verify; shares carry no proof and there is
 * no redundancy, so the abort names nobody (§1.6 "What you do not get"). The presignature stays
 * consumed: it is never used for another digest.
 */
import {
  CURVE_ORDER,
  Fn,
  affineX,
  ecdsaVerifyWithNonce,
  hasOddY,
  lagrangeCoefficients,
  type Rng,
} from "../../../crypto/index.js";
import {
  InvalidMessageError,
  ParameterError,
  ProtocolAbortError,
  VerificationError,
} from "../../../protocol/errors.js";
import { CollectingRound, type Transition } from "../../../protocol/round.js";
import type { PresignaturePublic } from "../presign/presignature.js";
import { sameSignMessage, type SignMessage, type SignShare } from "./messages.js";
import { SIGN_PROTOCOL } from "./request.js";

/** A verified, low-s ECDSA signature of the group key. */
export interface EcdsaSignature {
  readonly r: bigint;
  readonly s: bigint;
  /** Ethereum yParity / recovery id (0 or 1); ecrecover's v = 27 + recovery. */
  readonly recovery: 0 | 1;
  readonly digest: Uint8Array;
  readonly presigId: string;
}

const HALF_ORDER = CURVE_ORDER >> 1n;

/**
 * Combines one share per signer into a verified signature; throws VerificationError (nobody blamed)
 * if the result does not verify under the presignature's public key.
 */
export function combineSignatureShares(
  presig: PresignaturePublic,
  digest: Uint8Array,
  shares: ReadonlyMap<number, bigint>,
): EcdsaSignature {
  if (shares.size !== presig.signers.length || presig.signers.some((id) => !shares.has(id))) {
    throw new ParameterError("need exactly one share from every signer");
  }
  const lambdas = lagrangeCoefficients(presig.signers);
  let s = presig.signers.reduce((acc, id, k) => Fn.add(acc, Fn.mul(lambdas[k], shares.get(id)!)), 0n);
  if (s === 0n) throw new ProtocolAbortError("combined s is zero", []);
  if (affineX(presig.R) >= CURVE_ORDER) throw new VerificationError("R.x >= n: no recovery id");
  if (!ecdsaVerifyWithNonce(presig.R, s, digest, presig.publicKey)) {
    throw new VerificationError("combined signature does not verify: some signer sent a wrong share", []);
  }
  let recovery: 0 | 1 = hasOddY(presig.R) ? 1 : 0;
  if (s > HALF_ORDER) {
    s = CURVE_ORDER - s;
    recovery = recovery === 1 ? 0 : 1;
  }
  return { r: presig.r, s, recovery, digest: digest.slice(), presigId: presig.presigId };
}

/** The combiner's share round: collects the other 2t shares, combines, verifies. */
export class SignCombineRound extends CollectingRound<SignMessage, EcdsaSignature | null> {
  readonly protocol = SIGN_PROTOCOL;
  readonly number = 2;

  constructor(
    self: number,
    private readonly presig: PresignaturePublic,
    private readonly digest: Uint8Array,
    private readonly ownShare: bigint,
  ) {
    super(
      self,
      presig.signers.filter((id) => id !== self),
    );
  }

  protected validate(from: number, m: SignMessage): void {
    if (m.kind !== "share") throw new InvalidMessageError(from, `sign round 2 expects share, got ${m.kind}`);
  }

  protected same(a: SignMessage, b: SignMessage): boolean {
    return sameSignMessage(a, b);
  }

  finalize(_rng: Rng): Transition<SignMessage, EcdsaSignature | null> {
    const shares = new Map([[this.self, this.ownShare]]);
    for (const id of this.expected) shares.set(id, (this.received.get(id) as SignShare).s);
    try {
      return { kind: "done", result: combineSignatureShares(this.presig, this.digest, shares), outgoing: [] };
    } catch (error) {
      if (error instanceof VerificationError || error instanceof ProtocolAbortError) {
        return { kind: "abort", error };
      }
      throw error;
    }
  }
}
