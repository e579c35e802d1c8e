/**
 * Presigning round 3, "P3" (specs/ecdsa.md §1.4 step 6).
 *
 * Receives W_j and the round-2 view hash from every member of S, then per presignature:
 *   - equal views: every member saw the same R_j and w_j (an equivocation in round 2 aborts here,
 *     before any output, at every member that compares);
 *   - C2 + C3 in one check: the points (w·G at 0, W_j at j ∈ S) lie on one degree-t polynomial, i.e.
 *     the W_j are consistent and their value at 0, W = a·k·G, equals w·G (patent claim 3);
 *   - r = R.x mod n; a presignature with r = 0, or with R.x ≥ n (no Ethereum recovery id), is dropped
 *     from the batch (probability ~2^-128 each);
 *   - ρ_j = a_j·w⁻¹ (share of k⁻¹, degree t), σ_j = ρ_j·x_j (share of k⁻¹·x, degree 2t).
 *
 * Equivocation on W_j (this round has no echo after it) cannot produce a wrong presignature: with
 * exactly 2t+1 points the t+1 honest W_j pin the polynomial, so a member shown a wrong W_j fails C2 and
 * aborts, while members shown the right ones hold a correct presignature. That presignature can never
 * sign: the aborted member refuses the request at agreement, before anyone consumes or releases a share.
 *
 * Blame: as in round 2, nothing is attributable with exactly 2t+1 points (a wrong w_j, a dealer's
 * non-zero "zero-sharing" or bad a-shares all look the same: W ≠ w·G). A view mismatch means someone
 * equivocated or lied about its view, and only the runner's signed frames can tell which.
 */
import { CURVE_ORDER, Fn, affineX, bytesEqual, mod, type Point, type Rng } from "../../../crypto/index.js";
import { InvalidMessageError, ProtocolAbortError } from "../../../protocol/errors.js";
import { CollectingRound, type Transition } from "../../../protocol/round.js";
import { VIEW_BYTES, samePresignMessage, type PresignAuthenticate, type PresignMessage } from "./messages.js";
import { PRESIGN_PROTOCOL, type PresignContext } from "./params.js";
import type { Presignature } from "./presignature.js";
import type { PresignSecrets } from "./round2.js";

export interface RoundTwoResult {
  readonly R: readonly Point[];
  readonly w: readonly bigint[];
  readonly view: Uint8Array;
  readonly own: PresignAuthenticate;
}

export class PresignAuthenticateRound extends CollectingRound<PresignMessage, Presignature[]> {
  readonly protocol = PRESIGN_PROTOCOL;
  readonly number = 3;

  constructor(
    private readonly ctx: PresignContext,
    private readonly secrets: PresignSecrets,
    private readonly opened: RoundTwoResult,
  ) {
    super(ctx.self, ctx.others);
  }

  protected validate(from: number, m: PresignMessage): void {
    if (m.kind !== "authenticate") {
      throw new InvalidMessageError(from, `presign round 3 expects authenticate, got ${m.kind}`);
    }
    if (m.W.length !== this.ctx.batch) {
      throw new InvalidMessageError(from, `presign authenticate must carry ${this.ctx.batch} entries`);
    }
    if (m.view.length !== VIEW_BYTES) throw new InvalidMessageError(from, "presign view must be 32 bytes");
  }

  protected same(a: PresignMessage, b: PresignMessage): boolean {
    return samePresignMessage(a, b);
  }

  finalize(rng: Rng): Transition<PresignMessage, Presignature[]> {
    const { ctx, secrets, opened } = this;
    const messages = ctx.signers.map((j) =>
      j === ctx.self ? opened.own : (this.received.get(j) as PresignAuthenticate),
    );
    if (messages.some((m) => !bytesEqual(m.view, opened.view))) {
      return abort("members saw different round-2 values (equivocation)");
    }
    const shares = Array.from({ length: ctx.batch }, (_, i) => messages.map((m) => m.W[i]));
    const bad = ctx.checkW.failing(shares, rng, opened.w);
    if (bad.length > 0) {
      return abort(`C2/C3: the W_j of presignature ${bad[0]} do not interpolate to w·G`);
    }

    const wInverse = Fn.invertBatch([...opened.w]);
    const out: Presignature[] = [];
    for (let i = 0; i < ctx.batch; i++) {
      const R = opened.R[i];
      const x = affineX(R);
      if (x >= CURVE_ORDER || mod(x) === 0n) continue; // §1.4 step 6 / §1.8: unusable, drop
      const rho = Fn.mul(secrets.a[i], wInverse[i]);
      out.push({
        presigId: ctx.presigIds[i],
        keyId: ctx.keyId,
        epoch: ctx.epoch,
        signers: ctx.signers,
        self: ctx.self,
        publicKey: ctx.publicKey,
        R,
        r: mod(x),
        rho,
        sigma: Fn.mul(rho, ctx.secretShare),
        d: secrets.d[i],
        e: secrets.e[i],
      });
    }
    return { kind: "done", result: out, outgoing: [] };
  }
}

function abort(reason: string): Transition<PresignMessage, Presignature[]> {
  return { kind: "abort", error: new ProtocolAbortError(reason, []) };
}
