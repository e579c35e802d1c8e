/**
 * FROST round 1, commitment: RFC 9591 §5.1; specs/protocols.md §7.2 "Round 1 (commit)".
 *
 * Signer i: draws a fresh nonce pair (d_i, e_i) (nonces.ts) and sends (D_i, E_i) to the coordinator. The
 * pair lives only in memory: a crash loses it, which can never cause reuse. `SignerCommitRound` waits for
 * nothing; it exists so that the commitment goes out stamped round 1 and the signer then waits in round 2.
 * Coordinator: collects one commitment from every other signer (drawing its own if it signs), then
 * builds the commitment list B and moves to round 2 (round2-sign.ts).
 * With pre-published commitments (runner/nonce-pool.ts) this round is skipped.
 */
import type { Rng } from "../../crypto/index.js";
import type { KeyShare } from "../../protocol/key-share.js";
import { CollectingRound, UnexpectedSenderError, type Round, type Transition } from "../../protocol/round.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import { FROST_ROUND } from "./constants.js";
import type { FrostMessage } from "./messages.js";
import type { NonceCommitment, SigningCommitment, SigningNonces } from "./nonces.js";
import type { FrostResult } from "./result.js";
import { dispatchSignRequests, SignerSignRound } from "./round2-sign.js";
import {
  assertSameSession,
  assertValidPoint,
  type CoordinatorContext,
  type FrostSession,
} from "./session.js";

export class SignerCommitRound implements Round<FrostMessage, FrostResult> {
  readonly protocol = "frost";
  readonly number = FROST_ROUND.commit;
  readonly expected: readonly number[] = [];

  constructor(
    private readonly share: KeyShare,
    private readonly session: FrostSession,
    private readonly nonces: SigningNonces,
  ) {}

  get self(): number {
    return this.share.self;
  }

  receive(from: number): void {
    throw new UnexpectedSenderError(from, `a FROST signer expects no round 1 message (from ${from})`);
  }

  ready(): boolean {
    return true;
  }

  missing(): number[] {
    return [];
  }

  finalize(): Transition<FrostMessage, FrostResult> {
    return { kind: "next", round: new SignerSignRound(this.share, this.session, this.nonces), outgoing: [] };
  }
}

/** The round 1 message of a signer. */
export function commitmentMessage(session: FrostSession, commitment: NonceCommitment): FrostMessage {
  return {
    type: "commitment",
    sessionId: session.sessionId,
    hiding: commitment.hiding,
    binding: commitment.binding,
  };
}

export class CoordinatorCommitRound extends CollectingRound<FrostMessage, FrostResult> {
  readonly protocol = "frost";
  readonly number = FROST_ROUND.commit;

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly ownNonces: SigningNonces | undefined,
  ) {
    super(
      ctx.self,
      ctx.session.signers.filter((id) => id !== ctx.self),
    );
  }

  protected validate(from: number, m: FrostMessage): void {
    if (m.type !== "commitment")
      throw new InvalidMessageError(from, `expected a commitment from ${from}, got ${m.type}`, false);
    assertSameSession(this.ctx.session, from, m.sessionId);
    assertValidPoint(from, m.hiding, "hiding commitment");
    assertValidPoint(from, m.binding, "binding commitment");
  }

  protected same(a: FrostMessage, b: FrostMessage): boolean {
    return (
      a.type === "commitment" &&
      b.type === "commitment" &&
      a.hiding.equals(b.hiding) &&
      a.binding.equals(b.binding)
    );
  }

  finalize(_rng: Rng): Transition<FrostMessage, FrostResult> {
    const commitments: SigningCommitment[] = this.ctx.session.signers.map((member) => {
      if (member === this.ctx.self) return { member, ...this.ownNonces!.commitment };
      const m = this.received.get(member) as Extract<FrostMessage, { type: "commitment" }>;
      return { member, hiding: m.hiding, binding: m.binding };
    });
    return dispatchSignRequests(this.ctx, commitments, this.ownNonces);
  }
}
