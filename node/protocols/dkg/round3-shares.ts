/**
 * DKG round 3 — specs/protocols.md §1 "Verification" and "Round 3" step 1: collect y_{i→self} from every
 * dealer still in, check y·G == Σ_k self^k·φ_{i,k}, and complain about every dealer whose share fails or
 * never arrives. A missing share is only known at the runner's soft deadline: the round is Expirable
 * (echo.ts) and `expire()` turns the dealers still missing into complaints, so a dealer that withholds
 * one share must answer it in public (round 6) or be disqualified, instead of stalling everyone.
 */
import { evaluatePolynomial } from "../../crypto/polynomial.js";
import type { Expirable } from "../../protocol/echo.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import { CollectingRound, type Transition } from "../../protocol/round.js";
import { feldmanVerify } from "../../crypto/vss.js";
import { DKG_PROTOCOL, DKG_ROUND, type DkgMessage } from "./messages.js";
import type { DkgOutput } from "./output.js";
import { ComplaintsRound } from "./round4-complaints.js";
import type { DealPhase } from "./state.js";

export class SharesRound extends CollectingRound<DkgMessage, DkgOutput> implements Expirable {
  readonly protocol = DKG_PROTOCOL;
  readonly number = DKG_ROUND.shares;
  private expired = false;

  constructor(private readonly phase: DealPhase) {
    // Shares of disqualified dealers do not matter: do not wait for them.
    super(
      phase.ctx.self,
      phase.ctx.others.filter((id) => !phase.disqualified.has(id)),
    );
  }

  protected validate(from: number, m: DkgMessage): void {
    if (m.kind !== "share") throw new InvalidMessageError(from, `dkg round 3 expects a share, got ${m.kind}`);
  }

  protected same(a: DkgMessage, b: DkgMessage): boolean {
    return a.kind === "share" && b.kind === "share" && a.share === b.share;
  }

  override ready(): boolean {
    return this.expired || super.ready();
  }

  /** Stops waiting: dealers still missing get a complaint. */
  expire(): void {
    this.expired = true;
  }

  finalize(): Transition<DkgMessage, DkgOutput> {
    const { ctx } = this.phase;
    const shares = new Map<number, bigint>([
      [ctx.self, evaluatePolynomial(this.phase.secret.polynomial, ctx.self)],
    ]);
    const accused: number[] = [];
    for (const dealer of this.expected) {
      const m = this.received.get(dealer);
      if (m?.kind === "share" && feldmanVerify(this.phase.deals.get(dealer)!.commitments, ctx.self, m.share))
        shares.set(dealer, m.share);
      else accused.push(dealer);
    }
    const own = { kind: "complaints", accused } as const;
    return {
      kind: "next",
      round: new ComplaintsRound({ ...this.phase, shares }, own),
      outgoing: [{ to: "all", message: own }],
    };
  }
}
