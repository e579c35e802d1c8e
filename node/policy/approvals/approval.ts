/**
 * EIP-712 approvals (DESIGN.md §3 "Approve"). A designated approver signs
 *
 *   Approval(uint256 keyId, uint64 epoch, bytes32 digest, string requestId, uint64 expiresAt)
 *
 * under the domain { name: "Shardless", version: "1", chainId, verifyingContract: registry }. `digest` is
 * the exact 32 bytes the group key will sign and `requestId` the API request, so an approval authorises
 * one signature of one key epoch and nothing else; `expiresAt` (unix seconds) bounds its life.
 *
 * On the wire an approval is only `{ approver, signature, expiresAt }`: key, epoch, digest and request id
 * come from the request each member verifies, so an approval made for anything else recovers another
 * address and is rejected. Everything here is pure: time is the `now` argument.
 */
import {
  getAddress,
  isAddress,
  verifyTypedData,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { z } from "zod";
import type { Hex } from "../../client/types.js";
import { ParameterError } from "../../protocol/errors.js";

export const APPROVAL_DOMAIN_NAME = "Shardless";
export const APPROVAL_DOMAIN_VERSION = "1";
/** Most approvals one request may carry: bounds the signature recoveries a request can cost a member. */
export const MAX_APPROVALS = 64;

export const APPROVAL_TYPES: Record<string, TypedDataField[]> = {
  Approval: [
    { name: "keyId", type: "uint256" },
    { name: "epoch", type: "uint64" },
    { name: "digest", type: "bytes32" },
    { name: "requestId", type: "string" },
    { name: "expiresAt", type: "uint64" },
  ],
};

const UINT256_MAX = (1n << 256n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const DIGEST = /^0x[0-9a-fA-F]{64}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

/** Where approvals are valid: the chain and registry contract the group lives in. */
export interface ApprovalDomainInput {
  readonly chainId: bigint | number;
  /** The ShardlessRegistry address. */
  readonly verifyingContract: string;
}

/** What an approval is about; every member derives it from the request it is asked to sign. */
export interface ApprovalSubject {
  /** Registry key id (uint256): a bigint or a decimal string. */
  readonly keyId: bigint | string;
  readonly epoch: bigint | number;
  /** The 32-byte digest that will be signed, 0x-hex. */
  readonly digest: string;
  readonly requestId: string;
}

/** An approval as it travels in a sign request body. */
export interface SignedApproval {
  /** Claimed signer, EIP-55 or lowercase. */
  readonly approver: string;
  /** 65-byte r ‖ s ‖ v, 0x-hex. */
  readonly signature: string;
  /** Unix seconds; valid while `now < expiresAt`. */
  readonly expiresAt: number;
}

/** zod schema of the `approvals` field of a sign request body (for the API owner). */
export const approvalsSchema = z
  .array(
    z
      .object({
        approver: z
          .string()
          .refine(
            (s) => s.startsWith("0x") && isAddress(s),
            "approver must be a 0x-prefixed Ethereum address",
          ),
        signature: z.string().regex(SIGNATURE, "signature must be 65 bytes of 0x-hex"),
        expiresAt: z.number().int().min(0).safe(),
      })
      .strict(),
  )
  .max(MAX_APPROVALS);

/** The EIP-712 domain of approvals. */
export function approvalDomain(input: ApprovalDomainInput): TypedDataDomain {
  const chainId = BigInt(input.chainId);
  if (chainId <= 0n || chainId > UINT256_MAX)
    throw new ParameterError("`chainId` expected a positive uint256");
  if (typeof input.verifyingContract !== "string" || !isAddress(input.verifyingContract)) {
    throw new ParameterError("`verifyingContract` expected the registry address");
  }
  return {
    name: APPROVAL_DOMAIN_NAME,
    version: APPROVAL_DOMAIN_VERSION,
    chainId,
    verifyingContract: getAddress(input.verifyingContract),
  };
}

/** The Approval struct for `subject`, checked and normalised (bigint integers, lowercase digest). */
export function approvalMessage(subject: ApprovalSubject, expiresAt: number): Record<string, unknown> {
  return {
    keyId: approvalKeyId(subject.keyId),
    epoch: uint64(subject.epoch, "epoch"),
    digest: digestHex(subject.digest),
    requestId: requestIdString(subject.requestId),
    expiresAt: uint64(expiresAt, "expiresAt"),
  };
}

/**
 * The full typed data, in the JSON form wallets take (eth_signTypedData_v4): integers as decimal
 * strings and an `EIP712Domain` entry in `types`. For an approver's UI or an external signer.
 */
export function approvalTypedData(
  domain: ApprovalDomainInput,
  subject: ApprovalSubject,
  expiresAt: number,
): {
  domain: Record<string, unknown>;
  types: Record<string, { name: string; type: string }[]>;
  primaryType: "Approval";
  message: Record<string, unknown>;
} {
  const d = approvalDomain(domain);
  const m = approvalMessage(subject, expiresAt);
  return {
    domain: { ...d, chainId: String(d.chainId) },
    types: {
      EIP712Domain: [
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
      ],
      Approval: APPROVAL_TYPES.Approval.map((f) => ({ ...f })),
    },
    primaryType: "Approval",
    message: Object.fromEntries(
      Object.entries(m).map(([k, v]) => [k, typeof v === "bigint" ? String(v) : v]),
    ),
  };
}

/** Signs an approval with an ethers Signer (clients, the Hardhat `approve` task, tests). */
export async function signApproval(
  signer: Signer,
  domain: ApprovalDomainInput,
  subject: ApprovalSubject,
  expiresAt: number,
): Promise<SignedApproval> {
  const signature = await signer.signTypedData(
    approvalDomain(domain),
    APPROVAL_TYPES,
    approvalMessage(subject, expiresAt),
  );
  return { approver: await signer.getAddress(), signature, expiresAt };
}

/** Why one approval was not counted. */
export type ApprovalRejection =
  /** Not `{ approver: address, signature: 65 bytes, expiresAt: uint64 }`. */
  | "malformed"
  /** `approver` is not in the rule's approver set. */
  | "not-an-approver"
  /** `now >= expiresAt`. */
  | "expired"
  /**
   * The signature is not `approver`'s over this (domain, key, epoch, digest, request, expiresAt): e.g. an
   * approval made for another digest, key, epoch or request, or a forged one.
   */
  | "signature-mismatch"
  /** `approver` was already counted. */
  | "duplicate";

export interface ApprovalCheck {
  /** Distinct approvers whose approvals are valid, checksummed, in the order they came. */
  readonly approvers: Hex[];
  readonly required: number;
  /** max(0, required − approvers.length). */
  readonly missing: number;
  /** Approvals not counted: their index in the list, claimed approver (as sent) and why. */
  readonly rejected: { index: number; approver: string; reason: ApprovalRejection }[];
}

export interface VerifyApprovalsParams {
  readonly approvals: readonly SignedApproval[];
  /** Members of the rule's approver set. */
  readonly approverSet: readonly string[];
  readonly required: number;
  readonly subject: ApprovalSubject;
  readonly domain: ApprovalDomainInput;
  /** Current time, unix seconds. */
  readonly now: bigint | number;
}

/**
 * Counts the distinct valid approvals from `approverSet`. Cheap checks (shape, membership, expiry) come
 * before the signature recovery, so junk approvals cost little. Never throws for a bad approval (it is
 * listed in `rejected`); throws ParameterError for a bad subject/domain or too many approvals.
 */
export function verifyApprovals(params: VerifyApprovalsParams): ApprovalCheck {
  const { approvals, required } = params;
  if (!Array.isArray(approvals) || approvals.length > MAX_APPROVALS) {
    throw new ParameterError(`at most ${MAX_APPROVALS} approvals are accepted per request`);
  }
  if (!Number.isSafeInteger(required) || required < 0) throw new ParameterError("`required` expected count");
  const now = uint64(params.now, "now");
  const domain = approvalDomain(params.domain);
  const base = approvalMessage(params.subject, 0);
  const members = new Set(params.approverSet.map((a) => getAddress(a)));
  const counted = new Set<string>();
  const approvers: Hex[] = [];
  const rejected: ApprovalCheck["rejected"] = [];
  // Cheap checks first, the signature recovery (the costly one) last. An approver already counted is not
  // verified again: a replayed approval costs no recovery. A bad approval is never counted, so it cannot
  // shadow a later good one from the same approver.
  const rejection = (approval: unknown): ApprovalRejection | null => {
    if (!wellFormed(approval)) return "malformed";
    const approver = getAddress(approval.approver);
    if (!members.has(approver)) return "not-an-approver";
    if (now >= BigInt(approval.expiresAt)) return "expired";
    if (counted.has(approver)) return "duplicate";
    const message = { ...base, expiresAt: BigInt(approval.expiresAt) };
    return recover(domain, message, approval.signature) === approver ? null : "signature-mismatch";
  };

  for (const [index, approval] of approvals.entries()) {
    const reason = rejection(approval);
    if (reason !== null) {
      rejected.push({ index, approver: claimedApprover(approval), reason });
      continue;
    }
    const approver = getAddress(approval.approver) as Hex;
    counted.add(approver);
    approvers.push(approver);
  }
  return { approvers, required, missing: Math.max(0, required - approvers.length), rejected };
}

/** Registry key ids are uint256; the node names them by their decimal string. */
export function approvalKeyId(keyId: bigint | string): bigint {
  let v: bigint;
  if (typeof keyId === "bigint") v = keyId;
  else if (typeof keyId === "string" && /^(0|[1-9][0-9]{0,77})$/.test(keyId)) v = BigInt(keyId);
  else throw new ParameterError("`keyId` must be a registry key id (decimal uint256) to verify approvals");
  if (v < 0n || v > UINT256_MAX) throw new ParameterError("`keyId` out of uint256 range");
  return v;
}

function recover(
  domain: TypedDataDomain,
  message: Record<string, unknown>,
  signature: string,
): string | null {
  try {
    return verifyTypedData(domain, APPROVAL_TYPES, message, signature);
  } catch {
    return null; // unparsable, high-s or off-curve signature: counts as no approval
  }
}

function claimedApprover(a: unknown): string {
  const approver = typeof a === "object" && a !== null ? (a as Record<string, unknown>).approver : undefined;
  return typeof approver === "string" ? approver.slice(0, 42) : "";
}

function wellFormed(a: unknown): a is SignedApproval {
  if (typeof a !== "object" || a === null) return false;
  const { approver, signature, expiresAt } = a as Record<string, unknown>;
  return (
    typeof approver === "string" &&
    approver.startsWith("0x") &&
    isAddress(approver) &&
    typeof signature === "string" &&
    SIGNATURE.test(signature) &&
    typeof expiresAt === "number" &&
    Number.isSafeInteger(expiresAt) &&
    expiresAt >= 0
  );
}

function uint64(v: bigint | number, what: string): bigint {
  if ((typeof v !== "number" || !Number.isSafeInteger(v)) && typeof v !== "bigint") {
    throw new ParameterError(`\`${what}\` expected an integer`);
  }
  const b = BigInt(v);
  if (b < 0n || b > UINT64_MAX) throw new ParameterError(`\`${what}\` out of uint64 range`);
  return b;
}

function digestHex(d: string): Hex {
  if (typeof d !== "string" || !DIGEST.test(d))
    throw new ParameterError("`digest` expected 32 bytes of 0x-hex");
  return d.toLowerCase() as Hex;
}

function requestIdString(r: string): string {
  if (typeof r !== "string" || r.length === 0 || r.length > 128) {
    throw new ParameterError("`requestId` expected a 1-128 character string");
  }
  return r;
}
