/**
 * An approvals file: the EIP-712 approvals collected for ONE sign request (key, epoch, digest, request
 * id), with that request's description so `sign --approvals` can check it is submitting the request the
 * approvers saw. `approve --out` adds to it; `sign --approvals` sends its approvals with the request.
 * Approvals are public (signatures over public data): the file may travel by chat or e-mail.
 */
import { writeFile } from "node:fs/promises";
import { getAddress } from "ethers";
import { z } from "zod";
import type { SignedApproval } from "../../node/client/types.js";
import { approvalsSchema } from "../../node/policy/approvals/approval.js";
import { ShardlessPluginError } from "./errors.js";
import { readJsonFile } from "./json-file.js";

export interface ApprovalRequest {
  keyId: string;
  epoch: number;
  requestId: string;
  /** The digest the group key will sign (lowercase 0x-hex). */
  digest: string;
  /** The approvals' EIP-712 domain: chain id and registry of the group. */
  chainId: number;
  registry: string;
}

export interface ApprovalsFile extends ApprovalRequest {
  version: 1;
  approvals: SignedApproval[];
}

const fileSchema = z
  .object({
    version: z.literal(1),
    keyId: z.string(),
    epoch: z.number().int().min(0),
    requestId: z.string().min(1).max(128),
    digest: z.string().regex(/^0x[0-9a-f]{64}$/),
    chainId: z.number().int().positive(),
    registry: z.string(),
    approvals: approvalsSchema,
  })
  .strict();

/** The file's content, or undefined when it does not exist. */
export async function readApprovalsFile(file: string): Promise<ApprovalsFile | undefined> {
  return (await readJsonFile(
    file,
    fileSchema,
    "is not an approvals file (written by `npx hardhat shardless approve --out`).",
  )) as ApprovalsFile | undefined;
}

/** Names the first field where `file` describes another request than `request`, or null if none. */
export function requestMismatch(file: ApprovalRequest, request: Partial<ApprovalRequest>): string | null {
  for (const field of ["keyId", "epoch", "requestId", "digest", "chainId", "registry"] as const) {
    const want = request[field];
    if (want === undefined) continue;
    const same =
      field === "registry"
        ? getAddress(String(want)) === getAddress(file.registry)
        : String(want).toLowerCase() === String(file[field]).toLowerCase();
    if (!same) return `${field} ${String(file[field])} in the file, ${String(want)} here`;
  }
  return null;
}

/**
 * Adds `approval` to the file for `request` (creating it), replacing an earlier approval by the same
 * approver. A file collected for another request is refused, never overwritten.
 */
export async function addApproval(
  file: string,
  request: ApprovalRequest,
  approval: SignedApproval,
): Promise<ApprovalsFile> {
  const existing = await readApprovalsFile(file);
  if (existing) {
    const mismatch = requestMismatch(existing, request);
    if (mismatch !== null) {
      throw new ShardlessPluginError(
        "BAD_ARGUMENT",
        `${file} holds approvals of another request (${mismatch}). Use a new file per request.`,
      );
    }
  }
  const approver = getAddress(approval.approver);
  const others = (existing?.approvals ?? []).filter((a) => getAddress(a.approver) !== approver);
  const content: ApprovalsFile = { version: 1, ...request, approvals: [...others, approval] };
  await writeFile(file, JSON.stringify(content, null, 2) + "\n");
  return content;
}
