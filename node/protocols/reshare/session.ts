/**
 * specs/protocols.md §6: the parameters every participant of one resharing agrees on — old package
 * (epoch e, degree t), dealers S ⊆ O with |S| ≥ t + 1, new committee N with new degree t' — and the
 * session id binding all of them ("sid binds O, N, S, t, t', epoch"). Session members are S ∪ N (ids
 * may overlap: a member can deal and receive).
 *
 * Ids are the session's party ids; a new member's id is its evaluation point in the new sharing. A
 * dealer's old share is evaluated at its OLD id, which differs from its party id when a membership change
 * renumbers it (registry positions): `oldIds` maps those dealers to their old ids, so one party keeps one
 * id in the session while dealing at its old point and receiving at its new one.
 */
import { lagrangeCoefficient } from "../../crypto/polynomial.js";
import { ByteWriter } from "../../protocol/codec.js";
import type { EchoAdapter, EchoContext, VerifyFrame } from "../../protocol/echo.js";
import { ParameterError } from "../../protocol/errors.js";
import { assertGroupParameters, keyPublicDigest, type KeyPublic } from "../../protocol/key-share.js";
import { PROTOCOL_IDS } from "../../protocol/round.js";
import { deriveSessionId } from "../../protocol/session.js";
import type { StatementSigner } from "../lifecycle/ack.js";
import { echoAdapter, echoContext } from "../lifecycle/echo-layer.js";
import { reshareCodec, type ReshareMessage } from "./messages.js";

export interface ReshareParams {
  /** S: party ids of the old members that deal; |S| ≥ old degree + 1. */
  readonly dealers: readonly number[];
  /** Old member id of each dealer whose party id differs from it (a renumbered member); others: the same. */
  readonly oldIds?: ReadonlyMap<number, number>;
  /** N: the new committee (ids 1..65535; may overlap the old one). */
  readonly newParticipants: readonly number[];
  /** t': degree of the new sharing. */
  readonly newDegree: number;
  /** Agreed unique id of this run. */
  readonly requestId: string;
}

export interface ReshareSession {
  readonly sessionId: Uint8Array;
  /** P^e, authenticated by the old committee (registry digest). */
  readonly oldPublic: KeyPublic;
  readonly oldPackageDigest: Uint8Array;
  /** S, ascending (party ids). */
  readonly dealers: readonly number[];
  /** Dealer party id → its old member id (the evaluation point of its old share), for every dealer. */
  readonly oldIds: ReadonlyMap<number, number>;
  /** N, ascending. */
  readonly newParticipants: readonly number[];
  readonly newDegree: number;
  /** S ∪ N, ascending. */
  readonly members: readonly number[];
}

const sorted = (ids: readonly number[]) => [...ids].sort((a, b) => a - b);

export function reshareSession(oldPublic: KeyPublic, params: ReshareParams): ReshareSession {
  const dealers = sorted(params.dealers);
  const newParticipants = sorted(params.newParticipants);
  for (const list of [dealers, newParticipants]) {
    if (new Set(list).size !== list.length) throw new ParameterError("member ids repeated");
    if (list.some((id) => !Number.isInteger(id) || id < 1 || id > 0xffff)) {
      throw new ParameterError("bad member id");
    }
  }
  for (const id of params.oldIds?.keys() ?? []) {
    if (!dealers.includes(id)) throw new ParameterError(`old id given for ${id}, which is not a dealer`);
  }
  const oldIds = new Map(dealers.map((i) => [i, params.oldIds?.get(i) ?? i] as const));
  const points = dealers.map((i) => oldIds.get(i)!);
  if (new Set(points).size !== points.length) throw new ParameterError("dealers' old ids repeated");
  for (const [i, old] of oldIds) {
    if (!oldPublic.participants.includes(old)) {
      throw new ParameterError(`dealer ${i} (old id ${old}) holds no share of this key`);
    }
  }
  // λ^S needs degree + 1 points of the old polynomial to reach f(0) = x.
  if (dealers.length < oldPublic.degree + 1) {
    throw new ParameterError(`resharing needs at least old degree + 1 = ${oldPublic.degree + 1} dealers`);
  }
  assertGroupParameters(oldPublic.scheme, params.newDegree, newParticipants.length);
  const oldPackageDigest = keyPublicDigest(oldPublic);
  const members = sorted([...new Set([...dealers, ...newParticipants])]);
  const sessionId = deriveSessionId({
    protocol: "reshare",
    keyId: oldPublic.keyId,
    epoch: oldPublic.epoch,
    requestId: params.requestId,
    participants: members,
    extra: new ByteWriter()
      .u16s(oldPublic.participants)
      .u16(oldPublic.degree)
      .u16s(dealers)
      .u16s(points)
      .u16s(newParticipants)
      .u16(params.newDegree)
      .fixed(oldPackageDigest, 32)
      .finish(),
  });
  return {
    sessionId,
    oldPublic,
    oldPackageDigest,
    dealers,
    oldIds,
    newParticipants,
    newDegree: params.newDegree,
    members,
  };
}

/** λ_i^S at the dealers' old ids: dealer i's additive share of x is w_i = λ_i^S·s_i. */
export function dealerCoefficient(session: ReshareSession, dealer: number): bigint {
  const old = (i: number) => session.oldIds.get(i)!;
  return lagrangeCoefficient(old(dealer), session.dealers.map(old));
}

/** The party id of the dealer holding the old share of member `oldId`, if it deals. */
export function dealerOf(session: ReshareSession, oldId: number): number | undefined {
  return session.dealers.find((i) => session.oldIds.get(i) === oldId);
}

/** One member's context: its roles, echo plumbing and (for new members) its ABORT signer. */
export interface ReshareContext {
  readonly session: ReshareSession;
  readonly self: number;
  readonly isDealer: boolean;
  readonly isNewMember: boolean;
  /** Signs this member's ABORT if a check only it can make fails (new members only). */
  readonly sign: StatementSigner | null;
  readonly echo: EchoContext;
  readonly adapter: EchoAdapter<ReshareMessage>;
}

export function reshareContext(
  session: ReshareSession,
  self: number,
  verifyFrame: VerifyFrame,
  sign: StatementSigner | null,
): ReshareContext {
  const isDealer = session.dealers.includes(self);
  const isNewMember = session.newParticipants.includes(self);
  if (!isDealer && !isNewMember) throw new ParameterError("this member takes no part in the resharing");
  if (isNewMember && !sign) throw new ParameterError("a new member needs a signer for its ACK/ABORT");
  return {
    session,
    self,
    isDealer,
    isNewMember,
    sign,
    echo: echoContext({
      protocol: "reshare",
      protocolId: PROTOCOL_IDS.reshare,
      sessionId: session.sessionId,
      self,
      members: session.members,
      verifyFrame,
    }),
    adapter: echoAdapter(reshareCodec),
  };
}
