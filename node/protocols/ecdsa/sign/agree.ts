/**
 * Online signing round 1, "S0" agreement (specs/ecdsa.md §1.5 step 1, §1.7 split-view attack).
 *
 * Each signer checks the request against its own presignature (same key, epoch, id and S; h ≠ 0) and
 * continues only when every member of S is known to hold the same request; only then does the runner
 * durably mark the presignature consumed for this digest and start the share round (share.ts). A
 * coordinator that showed different digests to different signers is caught here, before any share
 * leaves a node.
 *
 * Deviation from "echo H(request) to all of S", on purpose (2t+2 frames fewer per signature, on the
 * online path): the combiner is the coordinator that sent every signer its signed invite, and each
 * signer derives the request from that invite, so the invite IS the combiner's echo. Hence
 *   - a non-combiner sends H(request) to the other non-combiners only, and waits for theirs: with the
 *     invite it then holds all 2t+1 views, as the spec asks;
 *   - the combiner sends and awaits no echo: it never releases a share (shares flow to it), and it
 *     releases only a signature it verified for its own request; a signer that holds another request
 *     makes that verification fail (abort), never a signature on anything else.
 * With t = 1 that is one frame each way between the two non-combiners.
 *
 * Blame: a differing hash means either the coordinator equivocated or that signer lies about what it
 * received; the round cannot tell which, so the abort names nobody (the runner's signed frames of the
 * coordinator's invites are the evidence).
 */
import { bytesEqual, type Rng } from "../../../crypto/index.js";
import { InvalidMessageError, ParameterError, ProtocolAbortError } from "../../../protocol/errors.js";
import { CollectingRound, type Start, type Transition } from "../../../protocol/round.js";
import type { PresignaturePublic } from "../presign/presignature.js";
import { sameSignMessage, type SignAgree, type SignMessage } from "./messages.js";
import { SIGN_PROTOCOL, assertSignRequest, signRequestHash, type SignRequest } from "./request.js";

export interface SignAgreementParams {
  readonly request: SignRequest;
  /** This member's view of the presignature the request names (public part suffices). */
  readonly presignature: PresignaturePublic;
  /** The key's degree t (S must have exactly 2t+1 members). */
  readonly degree: number;
  readonly self: number;
}

/** Starts the agreement at this signer; the result is the agreed request. */
export function startSignAgreement(p: SignAgreementParams): Start<SignMessage, SignRequest> {
  assertSignRequest(p.request, p.degree, p.presignature);
  if (!p.request.signers.includes(p.self)) throw new ParameterError(`member ${p.self} is not a signer`);
  const request = { ...p.request, signers: [...p.request.signers], digest: p.request.digest.slice() };
  const requestHash = signRequestHash(request);
  const peers =
    p.self === request.combiner
      ? []
      : request.signers.filter((id) => id !== p.self && id !== request.combiner);
  const round = new SignAgreementRound(p.self, request, requestHash, peers);
  return { round, outgoing: peers.map((to) => ({ to, message: { kind: "agree", requestHash } })) };
}

export class SignAgreementRound extends CollectingRound<SignMessage, SignRequest> {
  readonly protocol = SIGN_PROTOCOL;
  readonly number = 1;

  constructor(
    self: number,
    private readonly request: SignRequest,
    private readonly requestHash: Uint8Array,
    /** Whose echo this signer waits for: the other non-combiners (none, for the combiner). */
    peers: readonly number[],
  ) {
    super(self, peers);
  }

  protected validate(from: number, m: SignMessage): void {
    if (m.kind !== "agree") throw new InvalidMessageError(from, `sign round 1 expects agree, got ${m.kind}`);
  }

  protected same(a: SignMessage, b: SignMessage): boolean {
    return sameSignMessage(a, b);
  }

  finalize(_rng: Rng): Transition<SignMessage, SignRequest> {
    const differing = this.expected.filter(
      (id) => !bytesEqual((this.received.get(id) as SignAgree).requestHash, this.requestHash),
    );
    if (differing.length > 0) {
      return {
        kind: "abort",
        error: new ProtocolAbortError(`signers ${differing.join(", ")} hold a different request`, []),
      };
    }
    return { kind: "done", result: this.request, outgoing: [] };
  }
}
