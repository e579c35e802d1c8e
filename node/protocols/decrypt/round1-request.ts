/**
 * Round 1, combiner side: ask members for decryption shares (specs/protocols.md §2 "Combine" needs a
 * quorum = degree + 1 of valid shares; §3.1 steps 1–2 for ECIES).
 *
 * The combiner first checks the ciphertext itself (it never asks for shares of a ciphertext that fails
 * its validity proof), derives the session id, sends the request to every member in `members`, and, if
 * it holds a share too (`local`), serves itself with the same checks as any member. Then it waits in
 * round 2 (round2-collect.ts). Asking more members than the quorum lets it finish despite members
 * that withhold or cheat; otherwise retry.ts asks others in a new session.
 */
import type { Rng } from "../../crypto/rng.js";
import { ParameterError } from "../../protocol/errors.js";
import { quorum as quorumOf, type KeyPublic } from "../../protocol/key-share.js";
import { UnexpectedSenderError, type Round, type Start, type Transition } from "../../protocol/round.js";
import type { DecryptMessage, DecryptRequestFields } from "./messages.js";
import { assertRequestFields } from "./messages.js";
import { CollectSharesRound, type CombinerContext } from "./round2-collect.js";
import { assertMemberContext, serveRequest } from "./round1-serve.js";
import { checkCiphertext, parseCiphertext } from "./schemes.js";
import { decryptSessionId } from "./session.js";
import type { DecryptionResult, DecryptProgress, MemberContext, Refusal, VerifiedShare } from "./types.js";

export interface DecryptionInput {
  /** The combiner's member id (it need not hold a share of this key). */
  readonly self: number;
  readonly key: KeyPublic;
  readonly request: DecryptRequestFields;
  /** Members to ask (not `self`): at least quorum together with `local` and carried shares. */
  readonly members: readonly number[];
  /** The combiner's own share and policy, when it is a member of the key. */
  readonly local?: MemberContext;
  /** Verified shares, culprits and refusals carried from an earlier session (retry.ts). */
  readonly progress?: DecryptProgress;
}

function checkInput(input: DecryptionInput): void {
  const { key, members, local, progress } = input;
  if (key.scheme !== "encryption") throw new ParameterError("decrypt needs an `encryption` key");
  if (new Set(members).size !== members.length) throw new ParameterError("`members` has duplicates");
  const excluded = new Set([...(progress?.valid ?? []).map((s) => s.id), ...(progress?.culprits ?? [])]);
  for (const id of members) {
    if (!key.participants.includes(id)) throw new ParameterError(`member ${id} holds no share of this key`);
    if (id === input.self)
      throw new ParameterError("the combiner contributes through `local`, not `members`");
    if (excluded.has(id)) throw new ParameterError(`member ${id} already answered`);
  }
  if (local) {
    assertMemberContext(local);
    if (local.share.self !== input.self) throw new ParameterError("`local` share is not the combiner's");
    if (local.share.public.keyId !== key.keyId || local.share.public.epoch !== key.epoch) {
      throw new ParameterError("`local` share is for another key or epoch");
    }
    if (excluded.has(input.self)) throw new ParameterError("the combiner already contributed");
  }
  const possible = members.length + (local ? 1 : 0) + (progress?.valid.length ?? 0);
  const needed = quorumOf("encryption", key.degree);
  if (possible < needed)
    throw new ParameterError(`quorum is ${needed}; only ${possible} members could answer`);
}

/** The combiner's start: the requests to send and a round that computes the local share, if any. */
export function startDecryption(input: DecryptionInput): Start<DecryptMessage, DecryptionResult> {
  checkInput(input);
  assertRequestFields(input.request);
  // InvalidCiphertextError: nothing is asked for an invalid ciphertext.
  const parsed = checkCiphertext(
    parseCiphertext(input.request.scheme, input.request.ciphertext, input.request.ecies),
  );
  const ctx: CombinerContext = {
    self: input.self,
    key: input.key,
    quorum: quorumOf("encryption", input.key.degree),
    sessionId: decryptSessionId(input.key, input.request),
    request: input.request,
    parsed,
  };
  const message: DecryptMessage = { type: "request", ...input.request };
  return {
    round: new OpenRequestRound(ctx, input.members, input.local, input.progress),
    outgoing: input.members.map((to) => ({ to, message })),
  };
}

/** Waits for nobody: computes the local share (if any) and moves to round 2. */
class OpenRequestRound implements Round<DecryptMessage, DecryptionResult> {
  readonly protocol = "decrypt";
  readonly number = 1;
  readonly expected: readonly number[] = [];

  constructor(
    private readonly ctx: CombinerContext,
    private readonly members: readonly number[],
    private readonly local: MemberContext | undefined,
    private readonly progress: DecryptProgress | undefined,
  ) {}

  get self(): number {
    return this.ctx.self;
  }

  receive(from: number): void {
    throw new UnexpectedSenderError(from, "the decrypt combiner expects no round-1 message");
  }

  ready(): boolean {
    return true;
  }

  missing(): number[] {
    return [];
  }

  finalize(rng: Rng): Transition<DecryptMessage, DecryptionResult> {
    const valid: VerifiedShare[] = [...(this.progress?.valid ?? [])];
    const refusals: Refusal[] = [...(this.progress?.refusals ?? [])];
    if (this.local) {
      const outcome = serveRequest(this.local, this.ctx.self, this.ctx.sessionId, this.ctx.request, rng);
      if (outcome.kind === "share") {
        valid.push({ id: this.ctx.self, fields: outcome.fields, sessionId: this.ctx.sessionId });
      } else refusals.push({ member: this.ctx.self, code: outcome.code, reason: outcome.reason });
    }
    const round = new CollectSharesRound(this.ctx, this.members, {
      valid,
      culprits: this.progress?.culprits ?? [],
      refusals,
    });
    return { kind: "next", round, outgoing: [] };
  }
}
