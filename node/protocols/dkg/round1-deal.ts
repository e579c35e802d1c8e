/**
 * DKG round 1 — specs/protocols.md §1 "Round 1 (broadcast)": each member samples f_i of our `degree`,
 * broadcasts φ_{i,k} = a_{i,k}·G and a proof of knowledge of a_{i,0} bound to the session id, through
 * the echo broadcast of §1.1 (round 2). The content of a deal (commitment count, proof) is judged only
 * after the echo check, when every honest member provably holds the same deal, so that all of them
 * disqualify the same dealers (round2-deal-echo.ts).
 */
import { feldmanCommit } from "../../crypto/vss.js";
import { proveKnowledge } from "../../crypto/proofs/schnorr-pok.js";
import { randomPolynomial } from "../../crypto/polynomial.js";
import { defaultRng, type Rng } from "../../crypto/rng.js";
import { bytesEqual } from "../../crypto/hash.js";
import { collectBroadcast, startEcho } from "../../protocol/echo.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import { CollectingRound, type Start, type Transition } from "../../protocol/round.js";
import { dkgCodec, dkgEchoAdapter } from "./codec.js";
import { dkgContext, pokTranscript, type DkgContext, type DkgParams } from "./context.js";
import { DKG_PROTOCOL, DKG_ROUND, type DealMessage, type DkgMessage } from "./messages.js";
import type { DkgOutput } from "./output.js";
import { afterDealEcho } from "./round2-deal-echo.js";
import type { DealerSecret } from "./state.js";

/**
 * Starts this member's DKG: validates the parameters (ParameterError), deals, and returns the first
 * round with the deal to broadcast. Drive it with the runner (or test/helpers/simulate.ts).
 */
export function startDkg(params: DkgParams, rng: Rng = defaultRng): Start<DkgMessage, DkgOutput> {
  const ctx = dkgContext(params);
  const polynomial = randomPolynomial(ctx.degree, undefined, rng);
  const deal: DealMessage = {
    kind: "deal",
    commitments: feldmanCommit(polynomial),
    proof: proveKnowledge(polynomial[0], pokTranscript(ctx, ctx.self), rng),
  };
  return { round: new DealRound(ctx, { polynomial }, deal), outgoing: [{ to: "all", message: deal }] };
}

export class DealRound extends CollectingRound<DkgMessage, DkgOutput> {
  readonly protocol = DKG_PROTOCOL;
  readonly number = DKG_ROUND.deal;

  constructor(
    private readonly ctx: DkgContext,
    private readonly secret: DealerSecret,
    private readonly own: DealMessage,
  ) {
    super(ctx.self, ctx.others);
  }

  protected validate(from: number, m: DkgMessage): void {
    if (m.kind !== "deal") throw new InvalidMessageError(from, `dkg round 1 expects a deal, got ${m.kind}`);
  }

  protected same(a: DkgMessage, b: DkgMessage): boolean {
    return bytesEqual(dkgCodec.encode(a), dkgCodec.encode(b));
  }

  finalize(): Transition<DkgMessage, DkgOutput> {
    const deals = new Map<number, DealMessage>([[this.self, this.own]]);
    for (const [id, m] of this.received) deals.set(id, m as DealMessage);
    const view = collectBroadcast(
      dkgEchoAdapter,
      this.number,
      this.self,
      this.own,
      this.received,
      this.frames,
    );
    return startEcho(this.ctx.echo, dkgEchoAdapter, view, () =>
      afterDealEcho({ ctx: this.ctx, secret: this.secret, deals, disqualified: new Map() }),
    );
  }
}
