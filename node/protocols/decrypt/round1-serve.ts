/**
 * Round 1, member side: serve one decryption request (specs/protocols.md §2 "Decryption share of party
 * i", §3.1 step 2). Waits for the combiner's request, then, in this order:
 *   1. the request must belong to this session (its session id is recomputed from the request);
 *   2. the ciphertext must decode and, for TDH2, pass its validity proof: a tampered ciphertext or one
 *      presented under another label yields no share (refusal "invalid-ciphertext");
 *   3. the injected policy, fed by the node's own chain reads, must allow the label (refusal "policy");
 *   4. only then: the share u_i = x_i·u (or D_i = x_i·E) with its session-bound DLEQ proof.
 * Sends the share (or the refusal) to the combiner; the result is the member's audit record.
 */
import { bytesEqual, keccak256 } from "../../crypto/hash.js";
import type { Rng } from "../../crypto/rng.js";
import { InvalidCiphertextError } from "../../crypto/tdh2.js";
import {
  DecodeError,
  InvalidMessageError,
  ParameterError,
  PolicyError,
  type ShardlessError,
} from "../../protocol/errors.js";
import { CollectingRound, type Start, type Transition } from "../../protocol/round.js";
import {
  encodeDecryptMessage,
  type DecryptMessage,
  type DecryptRequestFields,
  type RefusalCode,
} from "./messages.js";
import {
  checkCiphertext,
  ciphertextLabel,
  makeShare,
  parseCiphertext,
  type ParsedCiphertext,
  type ShareFields,
} from "./schemes.js";
import { decryptSessionId } from "./session.js";
import type { DecryptPolicyDecision, DecryptPolicyQuery, MemberContext, ShareRelease } from "./types.js";

export type ServeOutcome =
  | { readonly kind: "share"; readonly fields: ShareFields; readonly release: ShareRelease }
  | {
      readonly kind: "refusal";
      readonly code: RefusalCode;
      readonly reason: string;
      readonly error: ShardlessError;
    };

function refuse(code: RefusalCode, reason: string, error: ShardlessError): ServeOutcome {
  return { kind: "refusal", code, reason, error };
}

function decide(ctx: MemberContext, query: DecryptPolicyQuery): DecryptPolicyDecision {
  try {
    const d = ctx.policy(query);
    return d !== null && typeof d === "object" && d.allowed === true
      ? { allowed: true, reason: String(d.reason) }
      : { allowed: false, reason: String(d?.reason ?? "denied") };
  } catch {
    // Fail closed: a policy that cannot decide refuses.
    return { allowed: false, reason: "policy-error" };
  }
}

/** The member's checks and share (steps 2–4 above), shared with a combiner that is also a member. */
export function serveRequest(
  ctx: MemberContext,
  requester: number,
  sessionId: Uint8Array,
  request: DecryptRequestFields,
  rng: Rng,
): ServeOutcome {
  let parsed: ParsedCiphertext;
  try {
    parsed = checkCiphertext(parseCiphertext(request.scheme, request.ciphertext, request.ecies));
  } catch (e) {
    if (e instanceof DecodeError || e instanceof InvalidCiphertextError) {
      const error =
        e instanceof InvalidCiphertextError
          ? e
          : new InvalidCiphertextError("ciphertext does not decode", [], { cause: e });
      return refuse("invalid-ciphertext", "ciphertext is malformed or fails its validity proof", error);
    }
    throw e;
  }
  const label = ciphertextLabel(parsed);
  let hash: Uint8Array | undefined;
  const query: DecryptPolicyQuery = {
    scheme: request.scheme,
    label,
    payloadId: request.payloadId,
    get ciphertextHash() {
      // Hashing a large ciphertext costs; only policies that compare it pay.
      hash ??= keccak256(request.ciphertext);
      return hash;
    },
    requester,
    sessionId,
  };
  const decision = decide(ctx, query);
  if (!decision.allowed) {
    return refuse(
      "policy",
      decision.reason,
      new PolicyError(`decryption refused by policy: ${decision.reason}`),
    );
  }
  const fields = makeShare(parsed, ctx.share.self, ctx.share.secretShare, sessionId, rng);
  return {
    kind: "share",
    fields,
    release: {
      sessionId,
      scheme: request.scheme,
      requester,
      payloadId: request.payloadId,
      label,
      ciphertextHash: query.ciphertextHash,
      policyReason: decision.reason,
    },
  };
}

export function assertMemberContext(ctx: MemberContext): void {
  if (ctx.share.public.scheme !== "encryption") throw new ParameterError("decrypt needs an `encryption` key");
  if (typeof ctx.policy !== "function") throw new ParameterError("`policy` expected function");
}

export class ServeRequestRound extends CollectingRound<DecryptMessage, ShareRelease> {
  readonly protocol = "decrypt";
  readonly number = 1;

  constructor(
    private readonly ctx: MemberContext,
    private readonly combiner: number,
    private readonly sessionId: Uint8Array,
  ) {
    super(ctx.share.self, [combiner]);
  }

  protected validate(from: number, message: DecryptMessage): void {
    if (message.type !== "request") throw new InvalidMessageError(from, "expected a decrypt request");
    let sid: Uint8Array;
    try {
      sid = decryptSessionId(this.ctx.share.public, message);
    } catch (cause) {
      throw new InvalidMessageError(from, "malformed decrypt request", true, { cause });
    }
    if (!bytesEqual(sid, this.sessionId)) {
      throw new InvalidMessageError(from, "decrypt request does not belong to this session");
    }
  }

  protected same(a: DecryptMessage, b: DecryptMessage): boolean {
    return bytesEqual(encodeDecryptMessage(a), encodeDecryptMessage(b));
  }

  finalize(rng: Rng): Transition<DecryptMessage, ShareRelease> {
    const request = this.received.get(this.combiner);
    if (request?.type !== "request") throw new ParameterError("finalize called before the request arrived");
    const outcome = serveRequest(this.ctx, this.combiner, this.sessionId, request, rng);
    if (outcome.kind === "share") {
      return {
        kind: "done",
        result: outcome.release,
        outgoing: [{ to: this.combiner, message: { type: "share", ...outcome.fields } }],
      };
    }
    return {
      kind: "abort",
      error: outcome.error,
      outgoing: [
        { to: this.combiner, message: { type: "refusal", code: outcome.code, reason: outcome.reason } },
      ],
    };
  }
}

/**
 * A member's start for one session: the runner creates it when a request for `sessionId` arrives from
 * `combiner` (or when the coordinator announces the session) and feeds it the request.
 */
export function startMember(input: {
  readonly member: MemberContext;
  readonly combiner: number;
  readonly sessionId: Uint8Array;
}): Start<DecryptMessage, ShareRelease> {
  assertMemberContext(input.member);
  if (input.combiner === input.member.share.self)
    throw new ParameterError("a combiner serves itself locally");
  if (!(input.sessionId instanceof Uint8Array) || input.sessionId.length !== 32) {
    throw new ParameterError("`sessionId` expected 32 bytes");
  }
  return { round: new ServeRequestRound(input.member, input.combiner, input.sessionId), outgoing: [] };
}
