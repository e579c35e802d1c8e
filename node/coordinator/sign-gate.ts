/**
 * The business approval layer at one member (DESIGN.md §3 "Approve"): before this member contributes to
 * any signature — as coordinator or invited signer — it parses the request payload itself, evaluates the
 * key's policy (value limits, destinations, methods, required EIP-712 approvals) and writes the decision to
 * its hash-chained audit log. A refusal stops the member before it consumes a presignature or nonce.
 */
import { getAddress } from "ethers";
import type { SignPayload } from "../client/types.js";
import {
  evaluateSignPolicy,
  parseSignIntent,
  policyFor,
  refusalError,
  signAuditDetails,
  type PolicyBook,
} from "../policy/approvals/index.js";
import type { AuditLog, JsonObject } from "../policy/audit-log.js";
import type { Scheme } from "../protocol/key-share.js";
import { keyRecordOf, memberSetHash, recordDigest } from "../adapters/chain/record.js";
import type { NodeContext } from "./context.js";

export interface SignGateRequest {
  readonly keyId: string;
  readonly groupId: string;
  readonly epoch: number;
  readonly scheme: Scheme;
  readonly payload: SignPayload;
  readonly requestId: string;
  /** The 0x digest this member is about to sign a share of (or, for schnorr messages, keccak(message)). */
  readonly digest: string;
}

export class SignGate {
  constructor(
    private readonly ctx: NodeContext,
    private readonly book: PolicyBook | undefined,
    private readonly audit: AuditLog | undefined,
  ) {}

  /** The approvals' EIP-712 verifying contract (checksummed once: it is hashed on every request). */
  private verifyingContract?: string;

  /** Registry record digests of a group's keys, recomputed only when its members or key epochs change. */
  private readonly records = new Map<string, { readonly state: string; readonly digests: Set<string> }>();

  /**
   * True if `digest` is the registry record (publication or epoch advance) of a key this member holds in
   * `groupId`, computed from its own state: the group's own bookkeeping needs no business approval, and
   * a member never takes a coordinator's word that a digest is such a record.
   */
  isRegistryRecord(groupId: string, digest: string): boolean {
    const group = this.ctx.groups.get(groupId);
    const operators = group.members.map((m) => m.operator);
    const keys = this.ctx.keys.all().filter((k) => k.groupId === groupId);
    // The digests depend only on these (and the fixed chain id and registry): recompute when they change.
    const state = [
      ...operators,
      ...keys.map((k) => `${k.share.public.keyId}@${k.share.public.epoch}`),
    ].join();
    let cached = this.records.get(groupId);
    if (cached?.state !== state) {
      const domain = { chainId: this.ctx.chainId, registry: this.ctx.registryAddress };
      const members = memberSetHash(operators);
      const digests = new Set(
        keys.map((k) => recordDigest(domain, keyRecordOf(groupId, k.share.public, members)).toLowerCase()),
      );
      cached = { state, digests };
      this.records.set(groupId, cached);
    }
    return cached.digests.has(digest.toLowerCase());
  }

  /** Throws ApprovalPolicyError (code POLICY) when the policy refuses; records every decision. */
  async check(r: SignGateRequest): Promise<void> {
    await (
      await this.admit(r)
    ).recorded;
  }

  /**
   * Decides now; a refusal is recorded, then thrown. An admitted request resolves at once with
   * `recorded`, the durable audit write of the decision: the caller awaits it before its share leaves, so
   * the record is on disk before the member contributes while the write overlaps the agreement round.
   */
  async admit(r: SignGateRequest): Promise<{ recorded: Promise<void> }> {
    const recorded = this.decide(r);
    if (!recorded.allowed) {
      await recorded.write;
      throw recorded.refusal;
    }
    recorded.write.catch(() => {}); // awaited by the caller; never an unhandled rejection meanwhile
    return { recorded: recorded.write };
  }

  private decide(r: SignGateRequest): { allowed: boolean; write: Promise<void>; refusal?: Error } {
    const append = (event: string, details: JsonObject) =>
      this.audit?.append(event, details).then(() => undefined) ?? Promise.resolve();
    if (r.payload.kind === "digest" && this.isRegistryRecord(r.groupId, r.payload.digest)) {
      const write = append("sign.registry-record", {
        requestId: r.requestId,
        keyId: r.keyId,
        digest: r.digest,
      });
      return { allowed: true, write };
    }
    const intent = parseSignIntent(r.payload, { scheme: r.scheme === "schnorr" ? "schnorr" : "ecdsa" });
    const decision = evaluateSignPolicy({
      policy: this.book ? policyFor(this.book, r.keyId, r.groupId) : undefined,
      intent,
      approvals: r.payload.approvals ?? [],
      keyId: r.keyId,
      epoch: r.epoch,
      digest: r.digest.toLowerCase(),
      requestId: r.requestId,
      now: Math.floor(this.ctx.clock.now() / 1000),
      domain: {
        chainId: this.ctx.chainId,
        verifyingContract: (this.verifyingContract ??= getAddress(this.ctx.registryAddress)),
      },
    });
    const write = append(
      "sign.policy",
      signAuditDetails(decision, { requestId: r.requestId, keyId: r.keyId, epoch: r.epoch, intent }),
    );
    return decision.allowed
      ? { allowed: true, write }
      : { allowed: false, write, refusal: refusalError(decision) };
  }
}
