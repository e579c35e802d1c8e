/**
 * State handed from one DKG round to the next (explicitly, no shared mutable bag). Each phase extends
 * the previous one; maps are never mutated after a round hands them on.
 */
import type { DkgContext } from "./context.js";
import type { DealMessage } from "./messages.js";

/** The dealer's secret package: its polynomial f_i (coefficients a_{i,0..degree}). Never sent. */
export interface DealerSecret {
  readonly polynomial: readonly bigint[];
}

/** Why a dealer was disqualified (reported in the output, and in aborts). */
export type DisqualifyReason =
  "bad-commitments" | "bad-proof" | "too-many-complaints" | "unanswered-complaint" | "bad-answer";

/** After rounds 1–2: every member's deal (agreed by the echo check) and the dealers already out. */
export interface DealPhase {
  readonly ctx: DkgContext;
  readonly secret: DealerSecret;
  /** Deals by dealer, own included. */
  readonly deals: ReadonlyMap<number, DealMessage>;
  readonly disqualified: ReadonlyMap<number, DisqualifyReason>;
}

/** After round 3: the shares y_{i→self} that passed the Feldman check (own f(self) included). */
export interface SharePhase extends DealPhase {
  readonly shares: ReadonlyMap<number, bigint>;
}

/** After rounds 4–5: the agreed complaints, and the accused dealers that must answer. */
export interface ComplaintPhase extends SharePhase {
  /** Accused dealer → its complainers, ascending, for dealers still in. */
  readonly pending: ReadonlyMap<number, readonly number[]>;
}
