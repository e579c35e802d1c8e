/**
 * Round 2, combiner side: collect, verify and combine decryption shares (specs/protocols.md §2 "Share
 * verification" and "Combine", §3.1 steps 3–4).
 *
 * Each share's DLEQ proof is checked against the sender's verification share h_i = x_i·G under this
 * session id, so a share replayed from another session, or made for another ciphertext, fails. A share
 * that fails is an answer, not a dropped message: it is recorded and its sender is named as a culprit
 * (a resend cannot replace it). Refusals are recorded with their reason. The round is ready once a
 * quorum of valid shares is in (members still silent are reported as `unanswered`), or once every asked
 * member has answered. It then combines the lowest-id quorum by Lagrange in the exponent and opens the
 * payload; AES-GCM authentication is the final check before anything is returned. Without a quorum it
 * aborts with DecryptionFailedError naming culprits and refusals; `timeout()` does the same naming the
 * members that never answered, and `progress()` feeds retry.ts.
 */
import { bytesEqual } from "../../crypto/hash.js";
import type { Rng } from "../../crypto/rng.js";
import { InvalidMessageError, ShardlessError, VerificationError } from "../../protocol/errors.js";
import type { KeyPublic } from "../../protocol/key-share.js";
import { CollectingRound, type SignedFrame, type Transition } from "../../protocol/round.js";
import { DecryptionFailedError } from "./errors.js";
import { encodeDecryptMessage, type DecryptMessage, type DecryptRequestFields } from "./messages.js";
import { ciphertextLabel, combineShares, verifyShare, type ParsedCiphertext } from "./schemes.js";
import type { DecryptionResult, DecryptProgress, Refusal, VerifiedShare } from "./types.js";

/** What the combiner fixed in round 1 and carries through round 2. */
export interface CombinerContext {
  readonly self: number;
  readonly key: KeyPublic;
  readonly quorum: number;
  readonly sessionId: Uint8Array;
  readonly request: DecryptRequestFields;
  /** The ciphertext, decoded and (TDH2) validity-checked. */
  readonly parsed: ParsedCiphertext;
}

export class CollectSharesRound extends CollectingRound<DecryptMessage, DecryptionResult> {
  readonly protocol = "decrypt";
  readonly number = 2;
  private readonly valid = new Map<number, VerifiedShare>();
  private readonly culprits: Set<number>;
  private readonly refusals: Refusal[];

  constructor(
    readonly ctx: CombinerContext,
    asked: readonly number[],
    initial: { valid: readonly VerifiedShare[]; culprits: readonly number[]; refusals: readonly Refusal[] },
  ) {
    super(ctx.self, asked);
    for (const s of initial.valid) this.valid.set(s.id, s);
    this.culprits = new Set(initial.culprits);
    this.refusals = [...initial.refusals];
  }

  protected validate(from: number, message: DecryptMessage): void {
    if (message.type !== "share" && message.type !== "refusal") {
      throw new InvalidMessageError(from, "expected a decryption share or a refusal");
    }
  }

  protected same(a: DecryptMessage, b: DecryptMessage): boolean {
    return bytesEqual(encodeDecryptMessage(a), encodeDecryptMessage(b));
  }

  override receive(from: number, message: DecryptMessage, frame?: SignedFrame): void {
    const first = !this.received.has(from);
    super.receive(from, message, frame);
    if (!first) return;
    if (message.type === "refusal") {
      this.refusals.push({ member: from, code: message.code, reason: message.reason });
      return;
    }
    if (message.type !== "share") return;
    const share = { id: from, fields: { point: message.point, c: message.c, z: message.z } };
    const hi = this.ctx.key.verificationShares.get(from);
    if (hi && verifyShare(this.ctx.parsed, share, hi, this.ctx.sessionId)) {
      this.valid.set(from, { ...share, sessionId: this.ctx.sessionId });
    } else this.culprits.add(from);
  }

  override ready(): boolean {
    return this.valid.size >= this.ctx.quorum || super.ready();
  }

  /** Valid shares, culprits, refusals and silent members so far (for a retry in a new session). */
  progress(): DecryptProgress {
    return {
      valid: [...this.valid.values()],
      culprits: [...this.culprits].sort((a, b) => a - b),
      refusals: [...this.refusals],
      missing: this.missing(),
    };
  }

  finalize(_rng: Rng): Transition<DecryptMessage, DecryptionResult> {
    if (this.valid.size < this.ctx.quorum) return this.fail("not enough valid decryption shares");
    return this.combine();
  }

  /** For the runner when the round's deadline passes: abort naming who never answered. */
  timeout(): Transition<DecryptMessage, DecryptionResult> {
    if (this.valid.size >= this.ctx.quorum) return this.combine();
    return this.fail("decryption timed out before a quorum of valid shares");
  }

  private combine(): Transition<DecryptMessage, DecryptionResult> {
    const chosen = [...this.valid.values()].sort((a, b) => a.id - b.id).slice(0, this.ctx.quorum);
    let plaintext: Uint8Array;
    try {
      plaintext = combineShares(this.ctx.parsed, chosen, this.ctx.quorum);
    } catch (e) {
      // Verified shares cannot combine wrongly: a failure here is the encryptor's (a payload built wrong).
      const error =
        e instanceof ShardlessError ? e : new VerificationError("combination failed", [], { cause: e });
      return { kind: "abort", error };
    }
    const p = this.progress();
    return {
      kind: "done",
      result: {
        plaintext,
        scheme: this.ctx.request.scheme,
        sessionId: this.ctx.sessionId,
        label: ciphertextLabel(this.ctx.parsed),
        payloadId: this.ctx.request.payloadId,
        contributors: chosen.map((s) => s.id),
        culprits: p.culprits,
        refusals: p.refusals,
        unanswered: p.missing,
      },
      outgoing: [],
    };
  }

  private fail(reason: string): Transition<DecryptMessage, DecryptionResult> {
    const p = this.progress();
    return {
      kind: "abort",
      error: new DecryptionFailedError(`${reason} (${p.valid.length} of ${this.ctx.quorum})`, {
        culprits: p.culprits,
        missing: p.missing,
        refusals: p.refusals,
      }),
    };
  }
}
