/**
 * specs/protocols.md §5 step 2 with the cheater-catching check (helpers, round 3, after a passed echo
 * check): helper j checks δ_{i→j}·G == Δ_{i→j} for the piece from each helper i. All good: σ_j =
 * Σ_i δ_{i→j} goes privately to r (round 4). Otherwise it aborts naming the senders of bad pieces and
 * sends r a complaint instead (never a σ built from bad pieces).
 */
import type { Rng } from "../../crypto/rng.js";
import { Fn, mulBase } from "../../crypto/secp256k1.js";
import { InvalidMessageError, ProtocolAbortError } from "../../protocol/errors.js";
import type { Transition } from "../../protocol/round.js";
import { CodecRound } from "../lifecycle/codec-round.js";
import type { RecoveryContext } from "./context.js";
import { recoverCodec, type RecoverCommit, type RecoverMessage, type RecoverPiece } from "./messages.js";
import type { RecoveryResult } from "./result.js";

export class HelperPieceRound extends CodecRound<RecoverMessage, RecoveryResult> {
  readonly protocol = "recover";
  readonly number = 3;

  constructor(
    private readonly ctx: RecoveryContext,
    private readonly commits: ReadonlyMap<number, RecoverCommit>,
    private readonly ownPiece: bigint,
  ) {
    super(
      ctx.self,
      ctx.session.helpers.filter((id) => id !== ctx.self),
      recoverCodec,
    );
  }

  protected validate(from: number, m: RecoverMessage): void {
    if (m.kind !== "piece") throw new InvalidMessageError(from, "recover round 3 expects a piece");
  }

  finalize(_rng: Rng): Transition<RecoverMessage, RecoveryResult> {
    const { helpers, target } = this.ctx.session;
    const pieces = this.received as Map<number, RecoverPiece>;
    const index = helpers.indexOf(this.self);
    const accused = [...pieces]
      .filter(([from, p]) => !mulBase(p.piece).equals(this.commits.get(from)!.deltas[index]))
      .map(([from]) => from)
      .sort((a, b) => a - b);
    if (accused.length > 0) {
      return {
        kind: "abort",
        error: new ProtocolAbortError("helpers sent pieces that do not match their broadcast", accused),
        outgoing: [{ to: target, message: { kind: "complaint", accused } }],
      };
    }
    const sigma = [...pieces.values()].reduce((acc, p) => Fn.add(acc, p.piece), this.ownPiece);
    return {
      kind: "done",
      result: { role: "helper", target },
      outgoing: [{ to: target, message: { kind: "sum", sigma } }],
    };
  }
}
