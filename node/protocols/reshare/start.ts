/**
 * specs/protocols.md §6 round 1: a dealer i ∈ S turns its share into the additive share w_i = λ_i^S·s_i
 * (Σ_{i∈S} w_i = x), picks g_i of degree t' with g_i(0) = w_i and broadcasts V_{i,k} = g_{i,k}·G; a new
 * member that is not a dealer broadcasts the old package digest it trusts. Private pieces g_i(j) go out
 * only after the echo check and the public checks passed (round 1's finalize).
 */
import { evaluatePolynomial, randomPolynomial } from "../../crypto/polynomial.js";
import { defaultRng, type Rng } from "../../crypto/rng.js";
import { Fn, mulBase } from "../../crypto/secp256k1.js";
import { feldmanCommit } from "../../crypto/vss.js";
import type { VerifyFrame } from "../../protocol/echo.js";
import { ParameterError } from "../../protocol/errors.js";
import type { KeyPublic, KeyShare } from "../../protocol/key-share.js";
import type { Start } from "../../protocol/round.js";
import type { StatementSigner } from "../lifecycle/ack.js";
import type { ReshareMessage } from "./messages.js";
import type { ReshareResult } from "./result.js";
import { BroadcastRound } from "./round1-broadcast.js";
import {
  dealerCoefficient,
  dealerOf,
  reshareContext,
  reshareSession,
  type ReshareParams,
} from "./session.js";

export interface ReshareStartOptions extends ReshareParams {
  /** Checks a member's signed frame (echo-broadcast evidence); the runner's SessionContext.verifyFrame. */
  readonly verifyFrame: VerifyFrame;
  /** This member's identity signer, for an ABORT; required for members of the new committee. */
  readonly sign?: StatementSigner;
}

/** A dealer i ∈ S (possibly also in N); its party id is the dealer whose old id is `share.self`. */
export function startReshareDealer(
  share: KeyShare,
  opts: ReshareStartOptions,
  rng: Rng = defaultRng,
): Start<ReshareMessage, ReshareResult> {
  const session = reshareSession(share.public, opts);
  if (!mulBase(share.secretShare).equals(share.public.verificationShares.get(share.self)!)) {
    throw new ParameterError("own share does not match its verification share");
  }
  const self = dealerOf(session, share.self);
  if (self === undefined) throw new ParameterError("this member is not a dealer");
  const ctx = reshareContext(session, self, opts.verifyFrame, opts.sign ?? null);
  const w = Fn.mul(dealerCoefficient(session, self), share.secretShare);
  const g = randomPolynomial(session.newDegree, w, rng);
  const message = {
    kind: "deal",
    oldPackageDigest: session.oldPackageDigest,
    commitments: feldmanCommit(g),
  } as const;
  const pieces = new Map(session.newParticipants.map((j) => [j, evaluatePolynomial(g, j)] as const));
  return { round: new BroadcastRound(ctx, message, pieces), outgoing: [{ to: "all", message }] };
}

/**
 * A new member that is not a dealer. It holds no share, only the old package P^e, which the runner must
 * obtain authenticated (the registry's digest of epoch e); every member states its digest in round 1.
 */
export function startReshareReceiver(
  oldPublic: KeyPublic,
  self: number,
  opts: ReshareStartOptions,
): Start<ReshareMessage, ReshareResult> {
  const session = reshareSession(oldPublic, opts);
  const ctx = reshareContext(session, self, opts.verifyFrame, opts.sign ?? null);
  if (ctx.isDealer) throw new ParameterError("a dealer starts with startReshareDealer");
  const message = { kind: "join", oldPackageDigest: session.oldPackageDigest } as const;
  return { round: new BroadcastRound(ctx, message, new Map()), outgoing: [{ to: "all", message }] };
}
