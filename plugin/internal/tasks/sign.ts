import { randomUUID } from "node:crypto";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Transaction, getBytes, recoverAddress } from "ethers";
import { schnorrVerify } from "../../../node/crypto/secp256k1.js";
import type { KeyStatus, SignPayload, SignResult, SignedApproval } from "../../../node/client/types.js";
import { readApprovalsFile, requestMismatch } from "../approvals-file.js";
import { keyIdOr } from "../defaults.js";
import { ShardlessPluginError } from "../errors.js";
import { payloadFlag, signIntentOf, signPayloadOf, type PayloadArgs } from "../sign-payload.js";
import { taskContext, type TaskContext } from "../task-context.js";
import { callNode } from "./shared.js";

export interface SignArgs extends PayloadArgs {
  key?: string;
  /** An approvals file (`approve --out`) whose approvals go with the request. */
  approvals?: string;
  requestId?: string;
  node?: string;
  json: boolean;
}

export interface SignTaskResult extends SignResult {
  /** The signature was checked here against the key (ecdsa, schnorr bip340). */
  verifiedLocally: boolean;
}

/** Checks the node's answer against the key; throws VERIFICATION if it does not hold. */
export function verifySignature(key: KeyStatus, payload: SignPayload, result: SignResult): boolean {
  let ok: boolean;
  if (key.scheme === "ecdsa") {
    const digest = signIntentOf(payload, "ecdsa").digest;
    ok =
      result.digest.toLowerCase() === digest.toLowerCase() &&
      recoverAddress(digest, result.signature) === key.address &&
      (result.serialized === undefined || signedBy(result.serialized, digest, key.address));
  } else if (key.scheme === "schnorr" && (payload.variant ?? "bip340") === "bip340" && key.xOnlyPublicKey) {
    const msg =
      payload.kind === "digest" ? payload.digest : payload.kind === "message" ? payload.message : null;
    if (msg === null) return false;
    ok = schnorrVerify(getBytes(result.signature), getBytes(msg), getBytes(key.xOnlyPublicKey));
  } else {
    return false;
  }
  if (!ok) {
    throw new ShardlessPluginError(
      "VERIFICATION",
      `The node's signature does not verify against key ${key.keyId}: do not use it, and check that node.`,
    );
  }
  return true;
}

/** A signed transaction is the requested one (same unsigned digest), sent from the group address. */
function signedBy(serialized: string, digest: string, address: string | undefined): boolean {
  try {
    const tx = Transaction.from(serialized);
    return tx.unsignedHash.toLowerCase() === digest.toLowerCase() && tx.from === address;
  } catch {
    return false;
  }
}

export async function sign(args: SignArgs, ctx: TaskContext): Promise<SignTaskResult> {
  const keyId = keyIdOr(args.key, ctx.config.defaultKey, "defaultKey");
  const payload = await signPayloadOf(args);
  const file = args.approvals === undefined ? undefined : await approvalsFrom(args.approvals, keyId, args);
  // A request id of our own, so a policy refusal can say which request the approvers must approve.
  const requestId = args.requestId ?? file?.requestId ?? `sign-${randomUUID()}`;
  const { key, result } = await callNode(ctx.runtime, args.node, async (c) => {
    const key = await c.key(keyId);
    if (file) checkApprovalsMatch(file, key, payload, args.approvals!);
    const approvals: { approvals?: SignedApproval[] } = file ? { approvals: file.approvals } : {};
    return { key, result: await c.sign(keyId, { ...payload, ...approvals, requestId }) };
  }).catch((err: unknown) => {
    throw withApprovalHint(err, keyId, requestId, args);
  });
  const out: SignTaskResult = { ...result, verifiedLocally: verifySignature(key, payload, result) };
  ctx.out.result(out, () => [
    `Signed with key ${keyId} (${key.scheme}, epoch ${result.epoch})`,
    `  digest    ${result.digest}`,
    `  signature ${result.signature}`,
    ...(result.v !== undefined ? [`  r ${result.r}`, `  s ${result.s}`, `  v ${result.v}`] : []),
    ...(result.serialized !== undefined ? [`  signed transaction ${result.serialized}`] : []),
    out.verifiedLocally ? "  verified against the group key" : "  (not verifiable locally for this variant)",
  ]);
  return out;
}

async function approvalsFrom(file: string, keyId: string, args: SignArgs) {
  const content = await readApprovalsFile(file);
  if (!content) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `--approvals: ${file} does not exist. Approvers create it with \`npx hardhat shardless approve --out ${file}\`.`,
    );
  }
  const mismatch = requestMismatch(content, { keyId, requestId: args.requestId });
  if (mismatch !== null) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `--approvals: ${file} was made for another request (${mismatch}).`,
    );
  }
  return content;
}

/** The approvals must name this key epoch and payload digest, or no member would count them. */
function checkApprovalsMatch(
  file: NonNullable<Awaited<ReturnType<typeof readApprovalsFile>>>,
  key: KeyStatus,
  payload: SignPayload,
  name: string,
): void {
  if (key.scheme !== "ecdsa" && key.scheme !== "schnorr") return; // the node refuses the request anyway
  const mismatch = requestMismatch(file, {
    epoch: key.epoch,
    digest: signIntentOf(payload, key.scheme).digest,
  });
  if (mismatch !== null) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `--approvals: ${name} approves another payload or key epoch (${mismatch}); ask the approvers to approve this request again.`,
    );
  }
}

/** A policy refusal says how to get the approvals it may be missing. */
function withApprovalHint(err: unknown, keyId: string, requestId: string, args: SignArgs): unknown {
  if (!(err instanceof ShardlessPluginError) || err.code !== "POLICY") return err;
  const file = args.approvals ?? "approvals.json";
  return new ShardlessPluginError(
    "POLICY",
    `${err.message}\nIf the policy requires approvals, each approver runs ` +
      `\`npx hardhat shardless approve --key ${keyId} --request-id ${requestId} ${payloadFlag(args)} --out ${file}\`; ` +
      `then rerun this command with \`--approvals ${file}\`.`,
    err.culprits,
    { ...err.details, requestId },
    err,
  );
}

export default async (args: SignArgs, hre: HardhatRuntimeEnvironment) =>
  sign(args, taskContext(hre, args.json));
