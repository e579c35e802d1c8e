/**
 * `hardhat shardless approve`: an approver signs off on a pending sign request (business approval layer,
 * DESIGN.md §3 "Approve"). The approver sees what the members will see — the digest computed from the
 * payload with the members' own parser and, for a transaction, its destination, value and method — and
 * signs the EIP-712 Approval(keyId, epoch, digest, requestId, expiresAt) with an account of the selected
 * Hardhat network. The approval is checked with the members' own verification before it is released, and
 * `--out` collects it in an approvals file for `sign --approvals`.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatEther, getAddress } from "ethers";
import type { SignedApproval } from "../../../node/client/types.js";
import {
  signApproval,
  verifyApprovals,
  type ApprovalDomainInput,
  type ApprovalSubject,
} from "../../../node/policy/approvals/approval.js";
import type { SignIntent } from "../../../node/policy/approvals/intent.js";
import { parseAddress, parsePositiveInt, requireArg } from "../args.js";
import { addApproval } from "../approvals-file.js";
import { revertReason } from "../registry.js";
import { keyIdOr } from "../defaults.js";
import { ShardlessPluginError } from "../errors.js";
import { signIntentOf, signPayloadOf, type PayloadArgs } from "../sign-payload.js";
import { chainTaskContext, type ChainTaskContext } from "../task-context.js";
import { callNode } from "./shared.js";

export interface ApproveArgs extends PayloadArgs {
  key?: string;
  requestId?: string;
  approver?: string;
  expiresIn: number;
  out?: string;
  node?: string;
  json: boolean;
}

export interface ApproveResult {
  keyId: string;
  epoch: number;
  requestId: string;
  kind: SignIntent["kind"];
  /** What the group key will sign. */
  digest: string;
  /** Decoded transaction fields, for a transaction request. */
  transaction?: { to: string | null; value: string; selector: string; chainId: string; nonce: number };
  chainId: number;
  registry: string;
  approval: SignedApproval;
  /** The approvals file written (with --out) and how many approvals it now holds. */
  file?: string;
  approvals?: number;
}

export async function approve(
  args: ApproveArgs,
  ctx: Pick<ChainTaskContext, "config" | "out" | "runtime" | "connect">,
): Promise<ApproveResult> {
  const keyId = keyIdOr(args.key, ctx.config.defaultKey, "defaultKey");
  const requestId = requireArg(
    args.requestId,
    "--request-id <id>",
    "An approval is valid for one request id: the one the requester sends the sign request with.",
  );
  if (requestId.length > 128) {
    throw new ShardlessPluginError("BAD_ARGUMENT", "--request-id expects at most 128 characters.");
  }
  const expiresIn = parsePositiveInt(args.expiresIn, "--expires-in");
  const wanted = args.approver === undefined ? undefined : parseAddress(args.approver, "--approver");
  const payload = await signPayloadOf(args);

  const { key, status } = await callNode(ctx.runtime, args.node, async (c) => ({
    key: await c.key(keyId),
    status: await c.status(),
  }));
  if (key.scheme !== "ecdsa" && key.scheme !== "schnorr") {
    throw new ShardlessPluginError(
      "WRONG_SCHEME",
      `Key ${keyId} is an ${key.scheme} key: approvals are for signing keys (ecdsa, schnorr).`,
    );
  }
  const intent = signIntentOf(payload, key.scheme);
  const domain: ApprovalDomainInput = { chainId: status.chainId, verifyingContract: status.registry };
  const subject: ApprovalSubject = { keyId, epoch: key.epoch, digest: intent.digest, requestId };

  const connection = await ctx.connect();
  let approval: SignedApproval;
  try {
    const accounts = await connection.ethers.getSigners();
    const signer = wanted === undefined ? accounts[0] : accounts.find((a) => a.address === wanted);
    if (!signer) {
      throw new ShardlessPluginError(
        "NO_ACCOUNT",
        `${wanted ?? "An approver"} is not an account of network ${connection.networkName}. ` +
          `Add the approver's key to \`networks.${connection.networkName}.accounts\` (best as a configVariable) and pass --approver <address>.`,
      );
    }
    const expiresAt = Math.floor(Date.now() / 1000) + expiresIn;
    ctx.out.progress(`Approving request ${requestId} of key ${keyId} as ${signer.address}...`);
    approval = await signApproval(signer, domain, subject, expiresAt).catch((err: unknown) => {
      throw new ShardlessPluginError(
        "CHAIN",
        `Account ${signer.address} could not sign the approval (${revertReason(err)}). ` +
          `Check \`networks.${connection.networkName}.accounts\`: a remote account must support eth_signTypedData_v4.`,
      );
    });
  } finally {
    await connection.close();
  }
  // The members' own check: an approval that would not count is never handed out.
  const check = verifyApprovals({
    approvals: [approval],
    approverSet: [approval.approver],
    required: 1,
    subject,
    domain,
    now: Math.floor(Date.now() / 1000),
  });
  if (check.missing !== 0) {
    throw new ShardlessPluginError(
      "VERIFICATION",
      `The approver's signature does not verify (${check.rejected[0]?.reason}): check the account's signer.`,
    );
  }

  const result: ApproveResult = {
    keyId,
    epoch: key.epoch,
    requestId,
    kind: intent.kind,
    digest: intent.digest,
    ...(intent.kind === "transaction"
      ? {
          transaction: {
            to: intent.to,
            value: intent.value.toString(),
            selector: intent.selector,
            chainId: intent.chainId.toString(),
            nonce: intent.nonce,
          },
        }
      : {}),
    chainId: status.chainId,
    registry: getAddress(status.registry),
    approval,
  };
  if (args.out !== undefined) {
    const { approvals } = await addApproval(
      args.out,
      {
        keyId,
        epoch: key.epoch,
        requestId,
        digest: intent.digest,
        chainId: status.chainId,
        registry: result.registry,
      },
      approval,
    );
    result.file = args.out;
    result.approvals = approvals.length;
  }
  ctx.out.result(result, () => humanLines(result));
  return result;
}

function humanLines(r: ApproveResult): string[] {
  const lines = [
    `Approved request ${r.requestId} for key ${r.keyId} (epoch ${r.epoch}) as ${r.approval.approver}`,
    `  ${r.kind} digest ${r.digest}`,
  ];
  if (r.transaction) {
    const t = r.transaction;
    lines.push(
      `  transaction to ${t.to ?? "(contract creation)"}, ${formatEther(t.value)} ETH, method ${t.selector}, chain ${t.chainId}, nonce ${t.nonce}`,
    );
  }
  lines.push(
    `  valid until ${new Date(r.approval.expiresAt * 1000).toISOString()} on chain ${r.chainId} (registry ${r.registry})`,
  );
  if (r.file !== undefined) {
    lines.push(
      `Added to ${r.file} (${r.approvals} approval${r.approvals === 1 ? "" : "s"}). The requester sends them with`,
      `  \`npx hardhat shardless sign --key ${r.keyId} … --approvals ${r.file}\`.`,
    );
  } else {
    lines.push(
      `  signature ${r.approval.signature}`,
      "Pass --out <file> to collect approvals for `sign --approvals`.",
    );
  }
  return lines;
}

export default async (args: ApproveArgs, hre: HardhatRuntimeEnvironment) =>
  approve(args, chainTaskContext(hre, args.json));
