/**
 * specs/protocols.md §4: the refresh session. sid = H("refresh" ‖ key ‖ e ‖ roster ‖ degree ‖ request),
 * here via deriveSessionId with the package digest bound too (members holding different packages of
 * epoch e end up in different sessions). The roster is the whole participant list: refresh re-shares to
 * the same members with the same degree.
 */
import { mulBase } from "../../crypto/secp256k1.js";
import type { EchoAdapter, EchoContext, VerifyFrame } from "../../protocol/echo.js";
import { ByteWriter } from "../../protocol/codec.js";
import { ParameterError } from "../../protocol/errors.js";
import {
  assertGroupParameters,
  keyPublicDigest,
  type KeyPublic,
  type KeyShare,
} from "../../protocol/key-share.js";
import { PROTOCOL_IDS } from "../../protocol/round.js";
import { deriveSessionId } from "../../protocol/session.js";
import { evaluateAt } from "../lifecycle/commitments.js";
import { echoAdapter, echoContext } from "../lifecycle/echo-layer.js";
import { refreshCodec, type RefreshMessage } from "./messages.js";

export interface RefreshParams {
  /** Agreed unique id of this run (request id or fresh nonce). */
  readonly requestId: string;
}

export function refreshSessionId(pub: KeyPublic, params: RefreshParams): Uint8Array {
  return deriveSessionId({
    protocol: "refresh",
    keyId: pub.keyId,
    epoch: pub.epoch,
    requestId: params.requestId,
    participants: pub.participants,
    extra: new ByteWriter().u16(pub.degree).fixed(keyPublicDigest(pub), 32).finish(),
  });
}

/** What one member carries through the rounds. `share` is secret. */
export interface RefreshContext {
  readonly share: KeyShare;
  readonly self: number;
  readonly sessionId: Uint8Array;
  readonly roster: readonly number[];
  readonly degree: number;
  readonly echo: EchoContext;
  readonly adapter: EchoAdapter<RefreshMessage>;
}

/** Checks the share is usable (consistent with its own package) and builds the context. */
export function refreshContext(
  share: KeyShare,
  params: RefreshParams,
  verifyFrame: VerifyFrame,
): RefreshContext {
  const pub = share.public;
  assertGroupParameters(pub.scheme, pub.degree, pub.participants.length);
  if (!pub.participants.includes(share.self)) {
    throw new ParameterError("this member holds no share of the key");
  }
  if (pub.commitments.length !== pub.degree + 1 || !pub.commitments[0].equals(pub.publicKey)) {
    throw new ParameterError("package commitments do not match degree and public key");
  }
  if (!mulBase(share.secretShare).equals(pub.verificationShares.get(share.self)!)) {
    throw new ParameterError("own share does not match its verification share");
  }
  // The new package is derived from the commitments alone (new-epoch.ts), so they must agree with Y_m.
  if (!pub.participants.every((m) => pub.verificationShares.get(m)!.equals(evaluateAt(pub.commitments, m)))) {
    throw new ParameterError("package verification shares do not match its commitments");
  }
  const sessionId = refreshSessionId(pub, params);
  return {
    share,
    self: share.self,
    sessionId,
    roster: pub.participants,
    degree: pub.degree,
    echo: echoContext({
      protocol: "refresh",
      protocolId: PROTOCOL_IDS.refresh,
      sessionId,
      self: share.self,
      members: pub.participants,
      verifyFrame,
    }),
    adapter: echoAdapter(refreshCodec),
  };
}
