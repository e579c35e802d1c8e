/**
 * Presigning round 1, "P1" (specs/ecdsa.md §1.4 steps 1–3).
 *
 * Start: for each presignature of the batch this member deals five random polynomials: k and a of
 * degree t (nonce and multiplicative mask), b, d, e of degree 2t with constant term 0 (zero-sharings),
 * and sends their evaluations at j to each P_j ∈ S, privately (the runner's channel must be
 * confidential). Nothing here can be checked on receipt: a dealer's bad shares only add an error the
 * later checks (C1–C3, final verification) catch.
 *
 * Finalize: sum the evaluations received (own included) into k_j, a_j, b_j, d_j, e_j; send
 * R_j = k_j·G (constant-time, k_j is secret) and w_j = a_j·k_j + b_j to all of S (round 2).
 */
import {
  Fn,
  bufferedRng,
  defaultRng,
  evaluatePolynomial,
  mulBaseWide,
  randomPolynomial,
  type Point,
  type Rng,
} from "../../../crypto/index.js";
import { InvalidMessageError, ProtocolAbortError } from "../../../protocol/errors.js";
import { CollectingRound, type Outgoing, type Start, type Transition } from "../../../protocol/round.js";
import { samePresignMessage, type PresignDeal, type PresignMessage } from "./messages.js";
import { PRESIGN_PROTOCOL, presignContext, type PresignContext, type PresignParams } from "./params.js";
import type { Presignature } from "./presignature.js";
import { PresignOpenRound, type PresignSecrets } from "./round2.js";

type Lists = { k: bigint[]; a: bigint[]; b: bigint[]; d: bigint[]; e: bigint[] };
const emptyLists = (): Lists => ({ k: [], a: [], b: [], d: [], e: [] });

/** Starts a presigning session at this member: deals round 1 and waits for the others' deals. */
export function startPresign(
  params: PresignParams,
  rng: Rng = defaultRng,
): Start<PresignMessage, Presignature[]> {
  const ctx = presignContext(params);
  const deals = new Map(ctx.signers.map((j) => [j, emptyLists()]));
  // Thousands of 48-byte draws per batch: fetch them from `rng` in large chunks (same byte stream).
  const draw = bufferedRng(rng, 16384);
  for (let i = 0; i < ctx.batch; i++) {
    const polys = {
      k: randomPolynomial(ctx.degree, undefined, draw),
      a: randomPolynomial(ctx.degree, undefined, draw),
      b: randomPolynomial(2 * ctx.degree, 0n, draw),
      d: randomPolynomial(2 * ctx.degree, 0n, draw),
      e: randomPolynomial(2 * ctx.degree, 0n, draw),
    };
    for (const [j, lists] of deals) {
      for (const f of ["k", "a", "b", "d", "e"] as const) lists[f].push(evaluatePolynomial(polys[f], j));
    }
  }
  const outgoing: Outgoing<PresignMessage>[] = ctx.others.map((j) => ({
    to: j,
    message: { kind: "deal", ...deals.get(j)! },
  }));
  return { round: new PresignDealRound(ctx, deals.get(ctx.self)!), outgoing };
}

export class PresignDealRound extends CollectingRound<PresignMessage, Presignature[]> {
  readonly protocol = PRESIGN_PROTOCOL;
  readonly number = 1;

  constructor(
    private readonly ctx: PresignContext,
    /** This member's evaluations of its own polynomials at itself. */
    private readonly ownDeal: Lists,
  ) {
    super(ctx.self, ctx.others);
  }

  protected validate(from: number, m: PresignMessage): void {
    if (m.kind !== "deal")
      throw new InvalidMessageError(from, `presign round 1 expects a deal, got ${m.kind}`);
    const n = this.ctx.batch;
    if ([m.k, m.a, m.b, m.d, m.e].some((l) => l.length !== n)) {
      throw new InvalidMessageError(from, `presign deal must carry ${n} entries per list`);
    }
  }

  protected same(a: PresignMessage, b: PresignMessage): boolean {
    return samePresignMessage(a, b);
  }

  finalize(_rng: Rng): Transition<PresignMessage, Presignature[]> {
    const { ctx } = this;
    const deals: PresignDeal[] = [
      { kind: "deal", ...this.ownDeal },
      ...ctx.others.map((j) => this.received.get(j) as PresignDeal),
    ];
    const sum = (f: keyof Lists, i: number) => deals.reduce((acc, m) => Fn.add(acc, m[f][i]), 0n);
    const secrets: PresignSecrets = { a: [], d: [], e: [] };
    const R: Point[] = [];
    const w: bigint[] = [];
    for (let i = 0; i < ctx.batch; i++) {
      const k = sum("k", i);
      const a = sum("a", i);
      secrets.a.push(a);
      secrets.d.push(sum("d", i));
      secrets.e.push(sum("e", i));
      const Rj = mulBaseWide(k); // constant-time (k_j is secret), wide fixed-base table
      // k_j = 0 cannot be forced by others (they never see the honest dealers' shares to us) and
      // happens by chance with probability 2^-256; R_j = O has no encoding, so stop cleanly.
      if (Rj.is0()) return { kind: "abort", error: new ProtocolAbortError("nonce share is zero") };
      R.push(Rj);
      w.push(Fn.add(Fn.mul(a, k), sum("b", i)));
    }
    const open = { kind: "open" as const, R, w };
    return {
      kind: "next",
      round: new PresignOpenRound(ctx, secrets, open),
      outgoing: [{ to: "all", message: open }],
    };
  }
}
