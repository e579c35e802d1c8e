/**
 * DKG messages (specs/protocols.md §1, §1.1) and who sends what to whom:
 *
 *   round 1  deal        broadcast  φ_{i,0..degree} = a_{i,k}·G and a Schnorr PoK of a_{i,0} bound to sid
 *   round 2  echo        broadcast  echo digest of every round-1 deal (echo.ts)
 *   round 3  share       private    y_{i→ℓ} = f_i(ℓ) to each ℓ (or a reveal after a failed echo check)
 *   round 4  complaints  broadcast  the dealers whose share failed the Feldman check or never came
 *   round 5  echo        broadcast  echo digest of every complaint list
 *   round 6  answers     broadcast  an accused dealer's shares for its complainers, in the clear
 *                                   (sent only when some dealer stands accused; or a reveal)
 *   round 7  echo        broadcast  echo digest of every answers message
 *   round 8  reveal      broadcast  only after a failed round-7 check
 *
 * Public packages travel; the dealer's polynomial f_i (its secret package) never leaves the member.
 */
import type { Point } from "../../crypto/secp256k1.js";
import type { SchnorrProof } from "../../crypto/proofs/schnorr-pok.js";
import type { EchoMessage, RevealMessage } from "../../protocol/echo.js";

export const DKG_PROTOCOL = "dkg";

export const DKG_ROUND = {
  deal: 1,
  dealEcho: 2,
  shares: 3,
  complaints: 4,
  complaintEcho: 5,
  answers: 6,
  answerEcho: 7,
  answerReveal: 8,
} as const;

/** Round 1: the dealer's public package. */
export interface DealMessage {
  readonly kind: "deal";
  /** φ_{i,k} for k = 0..degree (degree + 1 points). */
  readonly commitments: readonly Point[];
  /** Proof of knowledge of a_{i,0} (the discrete log of φ_{i,0}), bound to sid and the dealer id. */
  readonly proof: SchnorrProof;
}

/** Round 3: y_{i→ℓ}, private to ℓ. */
export interface ShareMessage {
  readonly kind: "share";
  readonly share: bigint;
}

/** Round 4: dealers the sender accuses, ascending (possibly none). */
export interface ComplaintsMessage {
  readonly kind: "complaints";
  readonly accused: readonly number[];
}

export interface Answer {
  readonly complainer: number;
  readonly share: bigint;
}

/** Round 6: the sender's shares for the members that accused it, ascending by complainer. */
export interface AnswersMessage {
  readonly kind: "answers";
  readonly answers: readonly Answer[];
}

export type DkgMessage =
  DealMessage | ShareMessage | ComplaintsMessage | AnswersMessage | EchoMessage | RevealMessage;
