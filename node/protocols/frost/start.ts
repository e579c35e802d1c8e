/**
 * Entry points of a FROST signing session (specs/protocols.md §7.2). Each returns the round to wait in
 * and the messages that open it (protocol/round.ts `Start`); the runner drives the rest.
 *
 *   two rounds:  startFrostCoordinator(…)                 startFrostSigner(…) at every other signer
 *   one round:   startFrostCoordinator(…, prepublished)   startPooledFrostSigner(…) when a request arrives
 *                (commitments pre-published through runner/nonce-pool.ts)
 */
import { defaultRng, type Rng } from "../../crypto/index.js";
import { ParameterError } from "../../protocol/errors.js";
import type { KeyPublic, KeyShare } from "../../protocol/key-share.js";
import type { Start } from "../../protocol/round.js";
import type { FrostMessage } from "./messages.js";
import { SigningNonces, type NonceCommitment, type SigningCommitment } from "./nonces.js";
import type { FrostResult } from "./result.js";
import { commitmentMessage, CoordinatorCommitRound, SignerCommitRound } from "./round1-commit.js";
import { dispatchSignRequests, SignerSignRound } from "./round2-sign.js";
import { assertValidPoint, openFrostSession, type FrostSession, type FrostSessionParams } from "./session.js";

/** Two-round signing, at a signer that does not coordinate: draws nonces and sends its commitment. */
export function startFrostSigner(opts: {
  keyShare: KeyShare;
  session: FrostSessionParams;
  rng?: Rng;
}): Start<FrostMessage, FrostResult> {
  const { keyShare } = opts;
  const session = signerSession(keyShare, opts.session);
  const nonces = SigningNonces.generate(keyShare, session.variant, opts.rng ?? defaultRng);
  return {
    round: new SignerCommitRound(keyShare, session, nonces),
    outgoing: [{ to: session.coordinator, message: commitmentMessage(session, nonces.commitment) }],
  };
}

/**
 * One-round signing with a pre-published nonce pair: the runner got a sign request, derived its session
 * with `sessionFromSignRequest`, checked policy and consumed the pooled nonces durably; this round then
 * takes the request and answers with the share.
 */
export function startPooledFrostSigner(opts: {
  keyShare: KeyShare;
  session: FrostSessionParams;
  nonces: SigningNonces;
}): Start<FrostMessage, FrostResult> {
  const { keyShare, nonces } = opts;
  if (nonces.member !== keyShare.self)
    throw new ParameterError(`nonces of member ${nonces.member}, not ${keyShare.self}`);
  const session = signerSession(keyShare, opts.session);
  return { round: new SignerSignRound(keyShare, session, nonces), outgoing: [] };
}

function signerSession(keyShare: KeyShare, params: FrostSessionParams): FrostSession {
  const session = openFrostSession(keyShare.public, params);
  if (!session.signers.includes(keyShare.self))
    throw new ParameterError(`member ${keyShare.self} is not a signer`);
  if (session.coordinator === keyShare.self)
    throw new ParameterError("the coordinator starts with startFrostCoordinator");
  return session;
}

/** Commitments the coordinator already holds (nonce pool), so it can skip round 1. */
export interface PrepublishedCommitments {
  /** One unused pre-published commitment per signer other than the coordinator. */
  readonly commitments: ReadonlyMap<number, NonceCommitment>;
  /** The coordinator's own pooled nonces (already consumed from its pool), if it signs. */
  readonly ownNonces?: SigningNonces;
}

/**
 * Starts the coordinator. It signs too when its id is among `session.signers` (then `key` must be its
 * KeyShare). Without `prepublished` it collects round 1 commitments; with them it sends the sign
 * requests at once.
 */
export function startFrostCoordinator(opts: {
  key: KeyShare | KeyPublic;
  session: FrostSessionParams;
  rng?: Rng;
  prepublished?: PrepublishedCommitments;
}): Start<FrostMessage, FrostResult> {
  const share = "secretShare" in opts.key ? opts.key : undefined;
  const keyPublic = share ? share.public : (opts.key as KeyPublic);
  const session = openFrostSession(keyPublic, opts.session);
  const self = session.coordinator;
  if (share && share.self !== self)
    throw new ParameterError(`key share of ${share.self}, coordinator is ${self}`);
  const signs = session.signers.includes(self);
  if (signs && !share) throw new ParameterError("a coordinator that signs needs its key share");
  const ctx = { session, self, share };

  if (!opts.prepublished) {
    const ownNonces = signs
      ? SigningNonces.generate(share!, session.variant, opts.rng ?? defaultRng)
      : undefined;
    return { round: new CoordinatorCommitRound(ctx, ownNonces), outgoing: [] };
  }

  const { commitments, ownNonces } = opts.prepublished;
  if (signs && (!ownNonces || ownNonces.member !== self))
    throw new ParameterError("the coordinator's own nonces are missing");
  const list: SigningCommitment[] = session.signers.map((member) => {
    if (member === self) return { member, ...ownNonces!.commitment };
    const c = commitments.get(member);
    if (!c) throw new ParameterError(`no pre-published commitment of member ${member}`);
    assertValidPoint(member, c.hiding, "pre-published hiding commitment");
    assertValidPoint(member, c.binding, "pre-published binding commitment");
    return { member, hiding: c.hiding, binding: c.binding };
  });
  const t = dispatchSignRequests(ctx, list, signs ? ownNonces : undefined);
  if (t.kind !== "next") throw new ParameterError("unreachable: dispatch always continues");
  return { round: t.round, outgoing: t.outgoing };
}
