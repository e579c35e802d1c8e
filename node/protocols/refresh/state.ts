/** What a refresh member has gathered once the sub-shares are in (passed explicitly between rounds). */
import type { RefreshDeal } from "./messages.js";

export interface DealtState {
  /** Every member's echo-agreed zero-sharing commitments, own included. */
  readonly deals: ReadonlyMap<number, RefreshDeal>;
  /** u_{self→j} for every roster member. Secret. */
  readonly dealt: ReadonlyMap<number, bigint>;
  /** u_{i→self} as received from every dealer (own included), disputed ones too. Secret. */
  readonly received: ReadonlyMap<number, bigint>;
}
