/**
 * FROST aggregation at the coordinator: RFC 9591 §5.3 (aggregate) and §5.4 (identifiable abort);
 * specs/protocols.md §7.2 "Aggregate" and "Share check".
 *
 * Collects z_j from every other signer, then z = Σ z_j and the signature (R, z) via noble's `aggregate`,
 * which checks the aggregate against the group key. If that fails, every share is checked on its own
 * (noble `verifyShare`: z_j·G = D_j + ρ_j·E_j + (c·λ_j)·Y_j, negated per §7.3 for BIP-340) and the
 * session aborts naming every member whose share is invalid; retry.ts picks the next signer set. A
 * signature that aggregates is verified once more by an independent verifier (verifyFrostSignature)
 * before it is released; checking shares only on failure is RFC 9591's optimistic path and costs one
 * verification when everyone is honest.
 */
import { CURVE_ORDER, decodeScalar, encodeScalar, type Rng } from "../../crypto/index.js";
import { InvalidMessageError, ProtocolAbortError, VerificationError } from "../../protocol/errors.js";
import { CollectingRound, type Transition } from "../../protocol/round.js";
import { FROST_ROUND } from "./constants.js";
import { frostPublicPackage, nobleCommitmentList } from "./key-package.js";
import type { FrostMessage, SignRequestMessage } from "./messages.js";
import type { SigningCommitment } from "./nonces.js";
import type { FrostResult, FrostSignature } from "./result.js";
import { assertSameSession, type CoordinatorContext, type FrostSession } from "./session.js";
import {
  frostSuite,
  groupKeyBytes,
  memberIdentifier,
  signatureNoncePoint,
  verifyFrostSignature,
} from "./suite.js";

export class CoordinatorAggregateRound extends CollectingRound<FrostMessage, FrostResult> {
  readonly protocol = "frost";
  readonly number = FROST_ROUND.share;

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly request: SignRequestMessage,
    private readonly ownShare: bigint | undefined,
  ) {
    super(
      ctx.self,
      ctx.session.signers.filter((id) => id !== ctx.self),
    );
  }

  protected validate(from: number, m: FrostMessage): void {
    if (m.type !== "signature-share") {
      throw new InvalidMessageError(from, `expected a signature share from ${from}, got ${m.type}`, false);
    }
    assertSameSession(this.ctx.session, from, m.sessionId);
    if (typeof m.share !== "bigint" || m.share < 0n || m.share >= CURVE_ORDER) {
      throw new InvalidMessageError(from, `member ${from} sent a signature share out of range`);
    }
  }

  protected same(a: FrostMessage, b: FrostMessage): boolean {
    return a.type === "signature-share" && b.type === "signature-share" && a.share === b.share;
  }

  finalize(_rng: Rng): Transition<FrostMessage, FrostResult> {
    const shares = new Map<number, bigint>();
    for (const id of this.ctx.session.signers) {
      if (id === this.ctx.self) shares.set(id, this.ownShare!);
      else
        shares.set(id, (this.received.get(id) as Extract<FrostMessage, { type: "signature-share" }>).share);
    }
    const outcome = aggregateSignature(this.ctx.session, this.request.commitments, shares);
    if (outcome.kind === "abort") return { kind: "abort", error: outcome.error };
    return { kind: "done", result: { role: "coordinator", signature: outcome.signature }, outgoing: [] };
  }
}

/** Members of B whose share fails RFC 9591 §5.4's individual check. */
export function findInvalidShares(
  session: FrostSession,
  commitments: readonly SigningCommitment[],
  shares: ReadonlyMap<number, bigint>,
): number[] {
  const suite = frostSuite(session.variant);
  const pub = frostPublicPackage(session.key, session.variant);
  const list = nobleCommitmentList(commitments);
  return commitments
    .map((c) => c.member)
    .filter((id) => {
      const z = shares.get(id);
      if (z === undefined) return true;
      try {
        return !suite.verifyShare(pub, list, session.message, memberIdentifier(id), encodeScalar(z));
      } catch {
        return true;
      }
    });
}

/**
 * Aggregates the shares of B into a signature and verifies it; on failure names the members whose shares
 * are invalid (ProtocolAbortError) or, if the result does not verify, refuses to release it
 * (VerificationError).
 */
export function aggregateSignature(
  session: FrostSession,
  commitments: readonly SigningCommitment[],
  shares: ReadonlyMap<number, bigint>,
):
  | { kind: "done"; signature: FrostSignature }
  | { kind: "abort"; error: ProtocolAbortError | VerificationError } {
  const { variant, key, message } = session;
  const bytesById: Record<string, Uint8Array> = {};
  for (const [id, z] of shares) bytesById[memberIdentifier(id)] = encodeScalar(z);
  let signature: Uint8Array;
  try {
    signature = frostSuite(variant).aggregate(
      frostPublicPackage(key, variant),
      nobleCommitmentList(commitments),
      message,
      bytesById,
    );
  } catch (cause) {
    const culprits = findInvalidShares(session, commitments, shares);
    const reason = culprits.length
      ? `invalid FROST signature shares from members ${culprits.join(", ")}`
      : "FROST aggregation failed without an invalid share";
    return { kind: "abort", error: new ProtocolAbortError(reason, culprits, { cause }) };
  }
  if (!verifyFrostSignature(variant, signature, message, key.publicKey)) {
    return {
      kind: "abort",
      error: new VerificationError("aggregated FROST signature does not verify; not released"),
    };
  }
  return {
    kind: "done",
    signature: {
      variant,
      keyId: key.keyId,
      epoch: key.epoch,
      sessionId: session.sessionId,
      message: session.message,
      signers: session.signers,
      signature,
      R: signatureNoncePoint(variant, signature),
      z: decodeScalar(signature.subarray(signature.length - 32)),
      publicKey: groupKeyBytes(variant, key.publicKey),
    },
  };
}
