/**
 * DKG output — specs/protocols.md §1 "Output", over QUAL = members not disqualified:
 *   s_self = Σ_{i∈QUAL} y_{i→self},  Y = Σ_{i∈QUAL} φ_{i,0},  C_k = Σ_{i∈QUAL} φ_{i,k},
 *   Y_j = Σ_k j^k·C_k for every member j, and the check s_self·G == Y_self before release.
 * QUAL must hold at least degree + 1 dealers (spec: |QUAL| ≥ t), so at least one honest dealer is in it.
 * Every member, disqualified dealers included, still holds a share of the key: disqualification only
 * removes a dealer's polynomial. The dealer's polynomial and the received shares are dropped here (JS
 * cannot wipe bigints; no reference survives this function).
 */
import { Fn, mulBase } from "../../crypto/secp256k1.js";
import { sumCommitments } from "../../crypto/vss.js";
import { ProtocolAbortError, VerificationError } from "../../protocol/errors.js";
import type { KeyPublic, KeyShare } from "../../protocol/key-share.js";
import type { Transition } from "../../protocol/round.js";
import { feldmanEvaluate } from "../../crypto/vss.js";
import type { DkgMessage } from "./messages.js";
import type { ComplaintPhase, DisqualifyReason } from "./state.js";

/** What a DKG member gets: its share of the new key and who was disqualified (same at every member). */
export interface DkgOutput {
  readonly share: KeyShare;
  /** Disqualified dealers, ascending, with the reason (identical at every honest member). */
  readonly disqualified: ReadonlyMap<number, DisqualifyReason>;
}

export function finishDkg(phase: ComplaintPhase): Transition<DkgMessage, DkgOutput> {
  const { ctx } = phase;
  const culprits = [...phase.disqualified.keys()].sort((a, b) => a - b);
  const qual = ctx.members.filter((id) => !phase.disqualified.has(id));
  if (qual.length < ctx.degree + 1) {
    return {
      kind: "abort",
      error: new ProtocolAbortError(
        `dkg: only ${qual.length} qualified dealers, need ${ctx.degree + 1}`,
        culprits,
      ),
    };
  }
  let secretShare = 0n;
  for (const dealer of qual) secretShare = Fn.add(secretShare, phase.shares.get(dealer)!);
  const commitments = sumCommitments(qual.map((id) => phase.deals.get(id)!.commitments));
  const verificationShares = new Map(ctx.members.map((j) => [j, feldmanEvaluate(commitments, j)] as const));
  if (commitments[0].is0() || [...verificationShares.values()].some((Y) => Y.is0())) {
    return { kind: "abort", error: new ProtocolAbortError("dkg: degenerate group key", culprits) };
  }
  if (!mulBase(secretShare).equals(verificationShares.get(ctx.self)!)) {
    return {
      kind: "abort",
      error: new VerificationError("dkg: own share does not match the group commitments"),
    };
  }
  const pub: KeyPublic = {
    scheme: ctx.scheme,
    keyId: ctx.keyId,
    degree: ctx.degree,
    epoch: 0,
    participants: ctx.members,
    publicKey: commitments[0],
    commitments,
    verificationShares,
  };
  const disqualified = new Map(culprits.map((id) => [id, phase.disqualified.get(id)!] as const));
  return {
    kind: "done",
    result: { share: { public: pub, self: ctx.self, secretShare }, disqualified },
    outgoing: [],
  };
}
