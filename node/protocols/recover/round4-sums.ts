/**
 * specs/protocols.md §5 step 3 (target r, round 4): collect σ_j from every helper and check
 *   - σ_j·G == Σ_i Δ_{i→j}, else helper j is named. The echo check of round 2 is what makes this pin
 *     the culprit: helper j checked δ_{i→j}·G == Δ_{i→j} against the very Δ's r holds;
 *   - s_r = Σ_j σ_j satisfies s_r·G == Y_r.
 * A helper's complaint stops the run (RecoveryDisputeError): no share from partial data.
 */
import type { Rng } from "../../crypto/rng.js";
import { Fn, mulBase } from "../../crypto/secp256k1.js";
import { InvalidMessageError, ProtocolAbortError, VerificationError } from "../../protocol/errors.js";
import type { Transition } from "../../protocol/round.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import { expectedSigmaImage } from "./checks.js";
import type { RecoveryContext } from "./context.js";
import { RecoveryDisputeError } from "./errors.js";
import { recoverCodec, type RecoverCommit, type RecoverMessage, type RecoverSum } from "./messages.js";
import type { RecoveryResult } from "./result.js";
import { enrollPublic } from "./session.js";

export class TargetSumRound extends CodecRound<RecoverMessage, RecoveryResult> {
  readonly protocol = "recover";
  readonly number = 4;

  constructor(
    private readonly ctx: RecoveryContext,
    private readonly commits: ReadonlyMap<number, RecoverCommit>,
  ) {
    super(ctx.self, ctx.session.helpers, recoverCodec);
  }

  protected validate(from: number, m: RecoverMessage): void {
    if (m.kind === "sum") return;
    if (m.kind !== "complaint") {
      throw new InvalidMessageError(from, "recover round 4 expects a sum or a complaint");
    }
    if (
      m.accused.length === 0 ||
      m.accused.some((id) => !this.ctx.session.helpers.includes(id) || id === from)
    ) {
      throw new InvalidMessageError(from, "complaint must name other helpers");
    }
  }

  finalize(_rng: Rng): Transition<RecoverMessage, RecoveryResult> {
    const { session } = this.ctx;
    const disputes = [...this.received].flatMap(([accuser, m]) =>
      m.kind === "complaint" ? m.accused.map((accused) => ({ accuser, accused })) : [],
    );
    if (disputes.length > 0) return { kind: "abort", error: new RecoveryDisputeError(disputes) };

    const sigmas = this.received as Map<number, RecoverSum>;
    const bad = [...sigmas]
      .filter(([j, m]) => !mulBase(m.sigma).equals(expectedSigmaImage(session, this.commits, j)))
      .map(([j]) => j)
      .sort((a, b) => a - b);
    if (bad.length > 0) {
      return { kind: "abort", error: new ProtocolAbortError("helpers sent wrong sums", bad) };
    }

    const secretShare = [...sigmas.values()].reduce((acc, m) => Fn.add(acc, m.sigma), 0n);
    if (!mulBase(secretShare).equals(session.targetVerificationShare)) {
      // Unreachable once the checks above passed; kept so no unchecked share is ever released.
      return { kind: "abort", error: new VerificationError("recovered share does not match Y_r") };
    }
    const pub = session.enrollment ? enrollPublic(session.public, session.target) : session.public;
    return {
      kind: "done",
      result: { role: "target", share: { public: pub, self: this.self, secretShare } },
      outgoing: [],
    };
  }
}
