/**
 * DKG parameters, their validation, and the session-bound helpers every round uses.
 *
 * Naming: `degree` is our t (polynomial degree; quorum degree + 1). specs/protocols.md §1 writes t for
 * the quorum, so its "t commitments" are our degree + 1 and its "more than t − 1 complaints" are our
 * "more than degree complaints".
 *
 * Decision (spec §1 round 1 step 3): the proof of knowledge hashes the session id (Komlo–Goldberg's
 * context Φ) in addition to the dealer id, φ_{i,0} and R_i, through our Transcript ("dkg/pok" domain).
 * A proof from another session, key or member never verifies here, at the price of no interoperability
 * with ZF frost / noble `secp256k1_FROST.DKG` round-1 packages (which hash no session id).
 */
import { Transcript } from "../../crypto/transcript.js";
import type { EchoContext, VerifyFrame } from "../../protocol/echo.js";
import { ParameterError } from "../../protocol/errors.js";
import { SESSION_ID_BYTES } from "../../protocol/frame.js";
import { assertGroupParameters, type Scheme } from "../../protocol/key-share.js";
import { deriveSessionId } from "../../protocol/session.js";
import { PROTOCOL_IDS } from "../../protocol/round.js";
import { DKG_PROTOCOL } from "./messages.js";

/** What a member needs to take part in one DKG. */
export interface DkgParams {
  /** The scheme the key is for; one DKG (and one secret) per key and scheme. */
  readonly scheme: Scheme;
  /** Registry key id (or any unique id in tests); part of the output. */
  readonly keyId: string;
  /** Polynomial degree t: 1 ≤ degree < members (ecdsa: members ≥ 2·degree + 1). */
  readonly degree: number;
  /** 32-byte session id, e.g. from dkgSessionId; bound into every proof and digest. */
  readonly sessionId: Uint8Array;
  /** This member's id. */
  readonly self: number;
  /** Every participant's id (1..65535, distinct), self included. */
  readonly members: readonly number[];
  /** Checks signed frames revealed as echo evidence (the runner's SessionContext provides it). */
  readonly verifyFrame: VerifyFrame;
}

/** Validated parameters plus derived facts. */
export interface DkgContext extends DkgParams {
  readonly members: readonly number[];
  readonly others: readonly number[];
  readonly echo: EchoContext;
}

export function dkgContext(p: DkgParams): DkgContext {
  if (!p || typeof p !== "object") throw new ParameterError("`params` expected object");
  if (!(p.sessionId instanceof Uint8Array) || p.sessionId.length !== SESSION_ID_BYTES) {
    throw new ParameterError("`sessionId` expected 32 bytes");
  }
  if (typeof p.verifyFrame !== "function") throw new ParameterError("`verifyFrame` expected function");
  if (typeof p.keyId !== "string" || p.keyId.length === 0)
    throw new ParameterError("`keyId` expected string");
  const members = [...(p.members ?? [])].sort((a, b) => a - b);
  for (const [k, id] of members.entries()) {
    if (!Number.isInteger(id) || id < 1 || id > 0xffff)
      throw new ParameterError(`member id ${id} out of range`);
    if (k > 0 && members[k - 1] === id) throw new ParameterError(`member id ${id} repeated`);
  }
  assertGroupParameters(p.scheme, p.degree, members.length);
  if (!members.includes(p.self)) throw new ParameterError("`self` is not a member");
  const others = members.filter((id) => id !== p.self);
  const echo: EchoContext = {
    protocol: DKG_PROTOCOL,
    protocolId: PROTOCOL_IDS.dkg,
    sessionId: p.sessionId,
    self: p.self,
    members,
    verifyFrame: p.verifyFrame,
  };
  return { ...p, members, others, echo };
}

/** A DKG session id: binds scheme, key id, degree, the member set and a fresh agreed nonce. */
export function dkgSessionId(p: {
  readonly scheme: Scheme;
  readonly keyId: string;
  readonly degree: number;
  readonly members: readonly number[];
  /** A fresh value all members agreed on (e.g. the registry request id or a random 32-byte hex). */
  readonly nonce: string;
}): Uint8Array {
  return deriveSessionId({
    protocol: `${DKG_PROTOCOL}/${p.scheme}`,
    keyId: p.keyId,
    epoch: 0,
    requestId: p.nonce,
    participants: p.members,
    extra: Uint8Array.of(p.degree >> 8, p.degree & 0xff),
  });
}

/** The transcript of dealer `dealer`'s proof of knowledge in this session. */
export function pokTranscript(ctx: DkgContext, dealer: number): Transcript {
  return new Transcript("dkg/pok", ctx.sessionId)
    .append("scheme", ctx.scheme)
    .append("degree", ctx.degree)
    .append("dealer", dealer);
}
