import { readFile } from "node:fs/promises";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { TypedDataEncoder, getBytes, hashMessage, hexlify, recoverAddress, toUtf8Bytes } from "ethers";
import { schnorrVerify } from "../../../node/crypto/secp256k1.js";
import type {
  Hex,
  KeyStatus,
  SignPayload,
  SignResult,
  TypedDataPayload,
} from "../../../node/client/types.js";
import { parseHex } from "../args.js";
import { keyIdOr } from "../defaults.js";
import { ShardlessPluginError } from "../errors.js";
import { taskContext, type TaskContext } from "../task-context.js";
import { callNode } from "./shared.js";

export interface SignArgs {
  key?: string;
  digest?: string;
  message?: string;
  messageHex?: string;
  typedData?: string;
  variant?: string;
  requestId?: string;
  node?: string;
  json: boolean;
}

export interface SignTaskResult extends SignResult {
  /** The signature was checked here against the key (ecdsa, schnorr bip340). */
  verifiedLocally: boolean;
}

async function payloadOf(args: SignArgs): Promise<SignPayload> {
  const given = [args.digest, args.message, args.messageHex, args.typedData].filter((x) => x !== undefined);
  if (given.length !== 1) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      "Pass exactly one of --digest <0x…32 bytes>, --message <text>, --message-hex <0x…> or --typed-data <file.json>.",
    );
  }
  if (args.variant !== undefined && args.variant !== "bip340" && args.variant !== "rfc9591") {
    throw new ShardlessPluginError("BAD_ARGUMENT", "--variant must be bip340 or rfc9591 (schnorr keys).");
  }
  const variant = args.variant as SignPayload["variant"];
  const extra = variant ? { variant } : {};
  if (args.digest !== undefined)
    return { kind: "digest", digest: parseHex(args.digest, "--digest", 32), ...extra };
  if (args.message !== undefined) {
    return { kind: "message", message: hexlify(toUtf8Bytes(args.message)) as Hex, ...extra };
  }
  if (args.messageHex !== undefined) {
    return { kind: "message", message: parseHex(args.messageHex, "--message-hex"), ...extra };
  }
  let typedData: TypedDataPayload;
  try {
    typedData = JSON.parse(await readFile(args.typedData!, "utf8")) as TypedDataPayload;
  } catch (err) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `--typed-data: cannot read ${args.typedData} as JSON (${(err as Error).name}). Expected { domain, types, message }.`,
    );
  }
  return { kind: "typedData", typedData };
}

/** The digest an ecdsa signature of this payload must cover (null: not checkable here). */
function expectedDigest(payload: SignPayload): string | null {
  switch (payload.kind) {
    case "digest":
      return payload.digest;
    case "message":
      return hashMessage(getBytes(payload.message));
    case "typedData": {
      const { EIP712Domain: _d, ...types } = payload.typedData.types;
      return TypedDataEncoder.hash(payload.typedData.domain, types, payload.typedData.message);
    }
    default:
      return null;
  }
}

/** Checks the node's answer against the key; throws VERIFICATION if it does not hold. */
export function verifySignature(key: KeyStatus, payload: SignPayload, result: SignResult): boolean {
  let ok: boolean;
  if (key.scheme === "ecdsa") {
    const digest = expectedDigest(payload);
    if (digest === null) return false;
    ok =
      result.digest.toLowerCase() === digest.toLowerCase() &&
      recoverAddress(digest, result.signature) === key.address;
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

export async function sign(args: SignArgs, ctx: TaskContext): Promise<SignTaskResult> {
  const keyId = keyIdOr(args.key, ctx.config.defaultKey, "defaultKey");
  const payload = await payloadOf(args);
  const { key, result } = await callNode(ctx.runtime, args.node, async (c) => {
    const key = await c.key(keyId);
    return { key, result: await c.sign(keyId, { ...payload, requestId: args.requestId }) };
  });
  const out: SignTaskResult = { ...result, verifiedLocally: verifySignature(key, payload, result) };
  ctx.out.result(out, () => [
    `Signed with key ${keyId} (${key.scheme}, epoch ${result.epoch})`,
    `  digest    ${result.digest}`,
    `  signature ${result.signature}`,
    ...(result.v !== undefined ? [`  r ${result.r}`, `  s ${result.s}`, `  v ${result.v}`] : []),
    out.verifiedLocally ? "  verified against the group key" : "  (not verifiable locally for this variant)",
  ]);
  return out;
}

export default async (args: SignArgs, hre: HardhatRuntimeEnvironment) =>
  sign(args, taskContext(hre, args.json));
