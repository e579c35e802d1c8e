/**
 * specs/protocols.md §4 "Complaints and disqualification" (rules of §1 Round 3) and "Compute pending
 * epoch e+1". Every input here was echo-checked, so every honest member computes the same QUAL and the
 * same package P^{e+1}. Dealer i is disqualified if more than `degree` members accused it (spec: "more
 * than t−1" with t = quorum), if it left a complaint unanswered, or if an answer fails the check. Then
 *   s'_self = s_self + Σ_{i∈QUAL} u_{i→self}            (a valid answer replaces a disputed sub-share)
 *   C'_k    = C_k + Σ_{i∈QUAL} ε_{i,k}  (k ≥ 1),  C'_0 = C_0 = Y
 *   Y'_m    = Y_m + Σ_{i∈QUAL} Σ_{k≥1} m^k·ε_{i,k}    for every member m
 * and the checks s'_self·G == Y'_self and that the new verification shares interpolate to the same Y.
 */
import { Fn, mulBase } from "../../crypto/secp256k1.js";
import { interpolatePoint } from "../../crypto/polynomial.js";
import { Transcript } from "../../crypto/transcript.js";
import { ProtocolAbortError, VerificationError } from "../../protocol/errors.js";
import type { KeyPublic } from "../../protocol/key-share.js";
import type { Transition } from "../../protocol/round.js";
import { evaluateAt } from "../lifecycle/commitments.js";
import type { EpochOutput } from "../lifecycle/pending.js";
import type { RefreshAnswer, RefreshMessage } from "./messages.js";
import type { RefreshContext } from "./session.js";
import type { DealtState } from "./state.js";
import { subShareValid } from "./zero-sharing.js";

/** Dealers disqualified by the agreed complaints and answers, ascending. */
export function disqualifiedDealers(
  ctx: RefreshContext,
  state: DealtState,
  complaints: ReadonlyMap<number, readonly number[]>,
  answers: ReadonlyMap<number, readonly RefreshAnswer[]>,
): number[] {
  return ctx.roster.filter((dealer) => {
    const accusers = [...complaints].filter(([, accused]) => accused.includes(dealer)).map(([j]) => j);
    if (accusers.length > ctx.degree) return true;
    const commitments = state.deals.get(dealer)!.commitments;
    return accusers.some((j) => {
      const answer = answers.get(dealer)?.find((a) => a.complainer === j);
      return !answer || !subShareValid(commitments, j, answer.subShare);
    });
  });
}

export function computeNewEpoch(
  ctx: RefreshContext,
  state: DealtState,
  complaints: ReadonlyMap<number, readonly number[]>,
  answers: ReadonlyMap<number, readonly RefreshAnswer[]>,
  digests: readonly Uint8Array[],
): Transition<RefreshMessage, EpochOutput> {
  const old = ctx.share.public;
  const disqualified = disqualifiedDealers(ctx, state, complaints, answers);
  const qual = ctx.roster.filter((id) => !disqualified.includes(id));
  // At least one honest dealer must remain, or the new shares would not be re-randomised.
  if (qual.length < ctx.degree + 1) {
    return {
      kind: "abort",
      error: new ProtocolAbortError("too few qualified dealers to refresh", disqualified),
    };
  }

  let secretShare = ctx.share.secretShare;
  for (const dealer of qual) {
    const answered = answers.get(dealer)?.find((a) => a.complainer === ctx.self);
    secretShare = Fn.add(secretShare, answered ? answered.subShare : state.received.get(dealer)!);
  }
  // C'_k = C_k + Σ_{i∈QUAL} ε_{i,k} for k ≥ 1 (C'_0 = Y), then Y'_m = Σ_k m^k·C'_k. This equals the
  // spec's Y'_m = Y_m + Σ_i Σ_k m^k·ε_{i,k} because the old package is consistent (Y_m = Σ_k m^k·C_k,
  // checked by refreshContext before the run): n evaluations instead of n·|QUAL|.
  const qualDeals = qual.map((id) => state.deals.get(id)!.commitments);
  const commitments = old.commitments.map((C, k) =>
    k === 0 ? C : qualDeals.reduce((acc, eps) => acc.add(eps[k - 1]), C),
  );
  const verificationShares = new Map(old.participants.map((m) => [m, evaluateAt(commitments, m)] as const));
  const pub: KeyPublic = { ...old, epoch: old.epoch + 1, commitments, verificationShares };

  // Guards against an implementation error: the checked sub-shares make both hold.
  const keyUnchanged = interpolatePoint(
    old.participants.slice(0, old.degree + 1).map((m) => ({ x: m, y: verificationShares.get(m)! })),
  ).equals(old.publicKey);
  if (!keyUnchanged || !mulBase(secretShare).equals(verificationShares.get(ctx.self)!)) {
    return {
      kind: "abort",
      error: new VerificationError("refreshed share or package failed its final check"),
    };
  }

  const transcript = new Transcript("refresh/transcript", ctx.sessionId);
  digests.forEach((d, k) => transcript.append(`echo-${k}`, d));
  return {
    kind: "done",
    outgoing: [],
    result: {
      protocol: "refresh",
      sessionId: ctx.sessionId,
      share: { public: pub, self: ctx.self, secretShare },
      transcriptDigest: transcript.digest(),
      roster: ctx.roster,
      culprits: disqualified,
    },
  };
}
