/**
 * Presigning round 2, "P2" (specs/ecdsa.md §1.4 steps 3–5).
 *
 * Receives R_j and w_j from every member of S, then per presignature:
 *   - C1: the R_j lie on one degree-t polynomial (OpenExp); R = its value at 0; abort if R = O;
 *   - w = Σ λ_j^S(0)·w_j (degree-2t opening, no redundancy: checked later by C3); abort if w = 0;
 *   - W_j = a_j·R (constant-time: a_j is secret), sent to all of S in round 3 together with a hash of
 *     every round-2 value held here, so that members who were shown different R_j or w_j (equivocation)
 *     notice before anyone outputs a presignature.
 *
 * Blame: none of these failures is attributable. With exactly 2t+1 points, the R_j form a Reed–Solomon
 * codeword of distance t+1: any error pattern of ≤ t members is detected, but a vector with errors
 * from t members may be as close to a codeword that blames honest members, so "who is off the
 * polynomial" proves nothing. w has no redundancy at all. Such aborts carry empty culprits; the signed
 * frames the runner keeps are the evidence for an out-of-band investigation.
 */
import { Fn, Transcript, mul, normalizePoints, type Point, type Rng } from "../../../crypto/index.js";
import { InvalidMessageError, ProtocolAbortError } from "../../../protocol/errors.js";
import { CollectingRound, type Transition } from "../../../protocol/round.js";
import {
  encodePresignMessage,
  samePresignMessage,
  type PresignMessage,
  type PresignOpen,
} from "./messages.js";
import { PRESIGN_PROTOCOL, type PresignContext } from "./params.js";
import type { Presignature } from "./presignature.js";
import { PresignAuthenticateRound } from "./round3.js";

/** This member's secret shares, per presignature, carried from round 1 to the output. */
export interface PresignSecrets {
  readonly a: bigint[];
  readonly d: bigint[];
  readonly e: bigint[];
}

/** H(session, (j, R_j list, w_j list) for every j ∈ S): equal at two members iff they saw the same. */
export function roundTwoView(ctx: PresignContext, opens: readonly PresignOpen[]): Uint8Array {
  const t = new Transcript("ecdsa-presign/view", ctx.sessionId);
  ctx.signers.forEach((j, k) => t.append("member", j).append("open", encodePresignMessage(opens[k])));
  return t.digest();
}

export class PresignOpenRound extends CollectingRound<PresignMessage, Presignature[]> {
  readonly protocol = PRESIGN_PROTOCOL;
  readonly number = 2;

  constructor(
    private readonly ctx: PresignContext,
    private readonly secrets: PresignSecrets,
    private readonly own: PresignOpen,
  ) {
    super(ctx.self, ctx.others);
  }

  protected validate(from: number, m: PresignMessage): void {
    if (m.kind !== "open") throw new InvalidMessageError(from, `presign round 2 expects open, got ${m.kind}`);
    if (m.R.length !== this.ctx.batch || m.w.length !== this.ctx.batch) {
      throw new InvalidMessageError(from, `presign open must carry ${this.ctx.batch} entries`);
    }
  }

  protected same(a: PresignMessage, b: PresignMessage): boolean {
    return samePresignMessage(a, b);
  }

  finalize(rng: Rng): Transition<PresignMessage, Presignature[]> {
    const { ctx, secrets } = this;
    const opens = ctx.signers.map((j) => (j === ctx.self ? this.own : (this.received.get(j) as PresignOpen)));
    const shares = Array.from({ length: ctx.batch }, (_, i) => opens.map((o) => o.R[i]));

    const bad = ctx.checkR.failing(shares, rng);
    if (bad.length > 0) {
      return abort(`C1: the R_j of presignature ${bad[0]} are not on one degree-${ctx.degree} polynomial`);
    }
    const opened = shares.map((points) => ctx.openR.at0(points));
    const identity = opened.findIndex((Ri) => Ri.is0());
    if (identity >= 0) return abort(`R of presignature ${identity} is the identity`);
    // Affine once for the whole batch (one inversion): r = R.x, the recovery parity and the stored
    // encoding all read R's affine coordinates later, and would otherwise invert per presignature.
    const R = normalizePoints(opened);
    const w: bigint[] = [];
    const W: Point[] = [];
    for (let i = 0; i < ctx.batch; i++) {
      const Ri = R[i];
      const wi = opens.reduce((acc, o, k) => Fn.add(acc, Fn.mul(ctx.lambdas[k], o.w[i])), 0n);
      if (wi === 0n) return abort(`w of presignature ${i} is zero`);
      const Wj = mul(Ri, secrets.a[i]);
      if (Wj.is0()) return abort("mask share is zero"); // probability 2^-256; W_j = O has no encoding
      w.push(wi);
      W.push(Wj);
    }
    const view = roundTwoView(ctx, opens);
    const message = { kind: "authenticate" as const, W, view };
    return {
      kind: "next",
      round: new PresignAuthenticateRound(ctx, secrets, { R, w, view, own: message }),
      outgoing: [{ to: "all", message }],
    };
  }
}

function abort(reason: string): Transition<PresignMessage, Presignature[]> {
  return { kind: "abort", error: new ProtocolAbortError(reason, []) };
}
