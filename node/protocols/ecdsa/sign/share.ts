/**
 * Online signing round 2, "S1" shares (specs/ecdsa.md §1.5 step 2): the one online round. Every signer
 * sends its share only to the agreed combiner (§1.5 S1 "or only to a coordinator"; request.ts), which
 * combines and verifies (combine.ts); the others are done once their share is sent. Shares stay raw
 * (never pre-multiplied by λ_j: §1.7, NEAR's linearization attack).
 *
 * Precondition (enforced by the caller, node/runner/presignatures.ts): the request was agreed (agree.ts)
 * and this member's presignature store durably recorded the presignature as consumed FOR THIS DIGEST
 * before this function runs. That is why the entry point takes a `ConsumedPresignature`, which only the
 * store hands out, and checks that it was consumed for the request's digest.
 *
 * s_j = h·ρ_j + r·σ_j + d_j + h·e_j (patent-claim-4 form; d, e mask the share vector so it reveals
 * nothing beyond s). s_j is a deterministic function of (presignature, h): re-sending after a crash
 * can only repeat the same value, never a second different share.
 */
import { Fn, bytesEqual, type Rng } from "../../../crypto/index.js";
import { InvalidMessageError, ParameterError } from "../../../protocol/errors.js";
import { CollectingRound, type Start, type Transition } from "../../../protocol/round.js";
import { assertSigners } from "../presign/params.js";
import { presignaturePublic, type Presignature } from "../presign/presignature.js";
import { SignCombineRound, type EcdsaSignature } from "./combine.js";
import type { SignMessage } from "./messages.js";
import { SIGN_PROTOCOL, assertSignRequest, digestScalar, type SignRequest } from "./request.js";

/** A presignature as handed out by the store's `consume(presigId, digest)`. */
export interface ConsumedPresignature {
  readonly presignature: Presignature;
  /** The digest the store durably recorded the presignature as consumed for. */
  readonly consumedFor: Uint8Array;
}

export interface SignShareParams {
  readonly request: SignRequest;
  readonly consumed: ConsumedPresignature;
  /** The key's degree t. */
  readonly degree: number;
  /** The key's current epoch: presignatures of any other epoch are refused (§1.7, refresh). */
  readonly keyEpoch: number;
}

/** s_j for digest h. Secret until sent; callers must have consumed the presignature for `digest`. */
export function signatureShare(p: Presignature, digest: Uint8Array): bigint {
  const h = digestScalar(digest);
  return Fn.add(Fn.add(Fn.mul(h, p.rho), Fn.mul(p.r, p.sigma)), Fn.add(p.d, Fn.mul(h, p.e)));
}

/**
 * The combiner waits for the other shares and its result is the verified signature; any other signer
 * sends its share to the combiner and its result is null at once.
 */
export function startSignShare(p: SignShareParams): Start<SignMessage, EcdsaSignature | null> {
  const { request, consumed } = p;
  const presig = consumed.presignature;
  assertSignRequest(request, p.degree, presig);
  assertSigners(presig.signers, p.degree, presig.signers);
  if (!bytesEqual(consumed.consumedFor, request.digest)) {
    throw new ParameterError("presignature was consumed for a different digest");
  }
  if (presig.epoch !== p.keyEpoch) {
    throw new ParameterError(`presignature of epoch ${presig.epoch} cannot sign at epoch ${p.keyEpoch}`);
  }
  const s = signatureShare(presig, request.digest);
  if (presig.self !== request.combiner) {
    return {
      round: new ShareSentRound(presig.self),
      outgoing: [{ to: request.combiner, message: { kind: "share", s } }],
    };
  }
  // The combine round keeps only public data: the secret shares stay with the caller (and the store).
  return {
    round: new SignCombineRound(presig.self, presignaturePublic(presig), request.digest, s),
    outgoing: [],
  };
}

/** A non-combiner's share round: nothing to receive; it ends as soon as its share is sent. */
class ShareSentRound extends CollectingRound<SignMessage, EcdsaSignature | null> {
  readonly protocol = SIGN_PROTOCOL;
  readonly number = 2;

  constructor(self: number) {
    super(self, []);
  }

  protected validate(from: number): void {
    throw new InvalidMessageError(from, "only the combiner receives signature shares");
  }

  protected same(): boolean {
    return false;
  }

  finalize(_rng: Rng): Transition<SignMessage, EcdsaSignature | null> {
    return { kind: "done", result: null, outgoing: [] };
  }
}
