/**
 * Online signing round 2, "S1" shares (specs/ecdsa.md §1.5 step 2): the one online round.
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
import { Fn, bytesEqual } from "../../../crypto/index.js";
import { ParameterError } from "../../../protocol/errors.js";
import type { Start } from "../../../protocol/round.js";
import { assertSigners } from "../presign/params.js";
import { presignaturePublic, type Presignature } from "../presign/presignature.js";
import { SignCombineRound, type EcdsaSignature } from "./combine.js";
import type { SignMessage } from "./messages.js";
import { assertSignRequest, digestScalar, type SignRequest } from "./request.js";

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

/** Sends this member's share to all of S and waits for theirs; the result is the verified signature. */
export function startSignShare(p: SignShareParams): Start<SignMessage, EcdsaSignature> {
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
  // The combine round keeps only public data: the secret shares stay with the caller (and the store).
  const round = new SignCombineRound(presig.self, presignaturePublic(presig), request.digest, s);
  return { round, outgoing: [{ to: "all", message: { kind: "share", s } }] };
}
