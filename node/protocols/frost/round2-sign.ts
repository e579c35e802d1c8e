/**
 * FROST round 2, signature share generation: RFC 9591 §5.2; specs/protocols.md §7.2 "Round 2 (sign)".
 *
 * Coordinator: sends every other signer the sign request (variant, request id, message, commitment list
 * B sorted by member id) and, if it signs too, computes its own share in this round like everyone else.
 * Signer i: accepts the request only from the session's coordinator and only if it belongs to this
 * session, names exactly the session's signers in ascending order, contains only valid points, and
 * contains i's own commitment unchanged. Then it computes
 *   z_i = d_i + e_i·ρ_i + λ_i·s_i·c        (noble `signShare`; BIP-340 variant negates as §7.3 says)
 * and erases (d_i, e_i): the nonce object is consumed before the share exists, so it signs at most once.
 */
import { bytesEqual, decodeScalar, wipe, type Rng } from "../../crypto/index.js";
import {
  InvalidMessageError,
  ParameterError,
  ProtocolAbortError,
  ShardlessError,
} from "../../protocol/errors.js";
import type { KeyPublic, KeyShare } from "../../protocol/key-share.js";
import { CollectingRound, type Round, type Transition, UnexpectedSenderError } from "../../protocol/round.js";
import { encodeFrostMessage } from "./codec.js";
import { FROST_ROUND } from "./constants.js";
import { frostPublicPackage, frostSecretPackage, nobleCommitmentList } from "./key-package.js";
import type { FrostMessage, SignRequestMessage } from "./messages.js";
import {
  sameCommitment,
  type NonceCommitment,
  type SigningCommitment,
  type SigningNonces,
} from "./nonces.js";
import type { FrostResult } from "./result.js";
import { CoordinatorAggregateRound } from "./round3-aggregate.js";
import {
  assertSameSession,
  assertValidPoint,
  openFrostSession,
  type CoordinatorContext,
  type FrostSession,
} from "./session.js";
import { frostSuite } from "./suite.js";

/** The coordinator's round 2 message for `commitments` (B, ascending member ids). */
export function buildSignRequest(
  session: FrostSession,
  commitments: readonly SigningCommitment[],
): SignRequestMessage {
  return {
    type: "sign-request",
    sessionId: session.sessionId,
    variant: session.variant,
    requestId: session.requestId,
    message: session.message,
    commitments: [...commitments].sort((a, b) => a.member - b.member),
  };
}

/** Coordinator: sends the sign request to every other signer and waits in round 2 to sign itself. */
export function dispatchSignRequests(
  ctx: CoordinatorContext,
  commitments: readonly SigningCommitment[],
  ownNonces: SigningNonces | undefined,
): Transition<FrostMessage, FrostResult> {
  const request = buildSignRequest(ctx.session, commitments);
  const outgoing = ctx.session.signers
    .filter((id) => id !== ctx.self)
    .map((to) => ({ to, message: request }));
  return { kind: "next", round: new CoordinatorSignRound(ctx, request, ownNonces), outgoing };
}

/**
 * Signer-side checks of a sign request (no side effects). Throws InvalidMessageError naming `from`:
 * not blamed for a wrong type or another session's id, blamed for anything else (the coordinator signed a
 * request that contradicts its own session id, or that is malformed).
 */
export function validateSignRequest(
  session: FrostSession,
  self: number,
  own: NonceCommitment,
  from: number,
  m: FrostMessage,
): asserts m is SignRequestMessage {
  if (from !== session.coordinator)
    throw new UnexpectedSenderError(from, `member ${from} is not this session's coordinator`);
  if (m.type !== "sign-request")
    throw new InvalidMessageError(from, `expected a sign request from ${from}, got ${m.type}`, false);
  assertSameSession(session, from, m.sessionId);
  if (m.variant !== session.variant || m.requestId !== session.requestId) {
    throw new InvalidMessageError(
      from,
      `sign request from ${from} contradicts its session (variant/request id)`,
    );
  }
  if (!(m.message instanceof Uint8Array) || !bytesEqual(m.message, session.message)) {
    throw new InvalidMessageError(from, `sign request from ${from} carries another message than its session`);
  }
  const ids = m.commitments.map((c) => c.member);
  if (ids.length !== session.signers.length || ids.some((id, i) => id !== session.signers[i])) {
    throw new InvalidMessageError(
      from,
      `commitment list from ${from} does not list the session's signers in order`,
    );
  }
  for (const c of m.commitments) {
    assertValidPoint(from, c.hiding, `hiding commitment of ${c.member}`);
    assertValidPoint(from, c.binding, `binding commitment of ${c.member}`);
  }
  const mine = m.commitments.find((c) => c.member === self);
  if (!mine)
    throw new InvalidMessageError(from, `commitment list from ${from} lacks member ${self}'s commitment`);
  if (!sameCommitment(mine, own)) {
    throw new InvalidMessageError(from, `commitment list from ${from} alters member ${self}'s commitment`);
  }
}

/**
 * Pre-published commitments: a signer learns its session from the request itself. Derives the session
 * (coordinator = the authenticated sender) and checks the request's session id against it; throws
 * InvalidMessageError naming `from` if the request is unusable. Run this (and any policy check) before
 * consuming the pooled nonce the request names.
 */
export function sessionFromSignRequest(key: KeyPublic, from: number, m: FrostMessage): FrostSession {
  if (m.type !== "sign-request")
    throw new InvalidMessageError(from, `expected a sign request from ${from}, got ${m.type}`, false);
  let session: FrostSession;
  try {
    session = openFrostSession(key, {
      variant: m.variant,
      requestId: m.requestId,
      coordinator: from,
      signers: m.commitments.map((c) => c.member),
      message: m.message,
    });
  } catch (cause) {
    if (!(cause instanceof ParameterError)) throw cause;
    throw new InvalidMessageError(
      from,
      `sign request from ${from} is not a valid session: ${cause.message}`,
      true,
      { cause },
    );
  }
  assertSameSession(session, from, m.sessionId);
  return session;
}

/**
 * z_i for `request` with `nonces`, which are consumed (taken, then zeroed) whatever happens. Call only on
 * a request that passed `validateSignRequest`.
 */
export function computeSignatureShare(
  share: KeyShare,
  session: FrostSession,
  nonces: SigningNonces,
  request: SignRequestMessage,
): bigint {
  const secretNonces = nonces.take();
  const secret = frostSecretPackage(share, session.variant);
  try {
    const z = frostSuite(session.variant).signShare(
      secret,
      frostPublicPackage(session.key, session.variant),
      secretNonces,
      nobleCommitmentList(request.commitments),
      request.message,
    );
    return decodeScalar(z);
  } catch (cause) {
    if (cause instanceof ShardlessError) throw cause;
    throw new ProtocolAbortError(`member ${share.self} could not compute its signature share`, [], { cause });
  } finally {
    wipe(secretNonces.hiding, secretNonces.binding, secret.signingShare);
  }
}

function shareMessage(session: FrostSession, share: bigint): FrostMessage {
  return { type: "signature-share", sessionId: session.sessionId, share };
}

/** Signer i in round 2: waits for the coordinator's request, then answers with z_i. */
export class SignerSignRound extends CollectingRound<FrostMessage, FrostResult> {
  readonly protocol = "frost";
  readonly number = FROST_ROUND.sign;

  constructor(
    private readonly share: KeyShare,
    private readonly session: FrostSession,
    private readonly nonces: SigningNonces,
  ) {
    super(share.self, [session.coordinator]);
  }

  protected validate(from: number, m: FrostMessage): void {
    validateSignRequest(this.session, this.self, this.nonces.commitment, from, m);
  }

  protected same(a: FrostMessage, b: FrostMessage): boolean {
    return bytesEqual(encodeFrostMessage(a), encodeFrostMessage(b));
  }

  finalize(_rng: Rng): Transition<FrostMessage, FrostResult> {
    const request = this.received.get(this.session.coordinator) as SignRequestMessage;
    let z: bigint;
    try {
      z = computeSignatureShare(this.share, this.session, this.nonces, request);
    } catch (error) {
      if (error instanceof ProtocolAbortError) return { kind: "abort", error };
      throw error; // ConsumedError: this round was finalized twice; fail closed
    }
    return {
      kind: "done",
      result: { role: "signer", sessionId: this.session.sessionId },
      outgoing: [{ to: this.session.coordinator, message: shareMessage(this.session, z) }],
    };
  }
}

/**
 * The coordinator in round 2: its requests are on their way; it receives nothing here and, if it is a
 * signer, computes its own share before collecting the others' in round 3.
 */
export class CoordinatorSignRound implements Round<FrostMessage, FrostResult> {
  readonly protocol = "frost";
  readonly number = FROST_ROUND.sign;
  readonly expected: readonly number[] = [];

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly request: SignRequestMessage,
    private readonly ownNonces: SigningNonces | undefined,
  ) {}

  get self(): number {
    return this.ctx.self;
  }

  receive(from: number): void {
    throw new UnexpectedSenderError(from, `the FROST coordinator expects no round 2 message (from ${from})`);
  }

  ready(): boolean {
    return true;
  }

  missing(): number[] {
    return [];
  }

  finalize(_rng: Rng): Transition<FrostMessage, FrostResult> {
    const { session, share } = this.ctx;
    let ownShare: bigint | undefined;
    if (session.signers.includes(this.ctx.self)) {
      try {
        ownShare = computeSignatureShare(share!, session, this.ownNonces!, this.request);
      } catch (error) {
        if (error instanceof ProtocolAbortError) return { kind: "abort", error };
        throw error;
      }
    }
    return {
      kind: "next",
      round: new CoordinatorAggregateRound(this.ctx, this.request, ownShare),
      outgoing: [],
    };
  }
}
