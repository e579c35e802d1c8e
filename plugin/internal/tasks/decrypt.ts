import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { getBytes } from "ethers";
import type { Hex } from "../../../node/client/types.js";
import { parseAddress, parseHex, requireArg } from "../args.js";
import { keyIdOr } from "../defaults.js";
import { ShardlessPluginError } from "../errors.js";
import { printableText } from "../output.js";
import { taskContext, type TaskContext } from "../task-context.js";

export interface DecryptArgs {
  key?: string;
  ciphertext?: string;
  payloadId?: string;
  contract?: string;
  format: string;
  requestId?: string;
  node?: string;
  json: boolean;
}

export interface DecryptResult {
  keyId: string;
  plaintext: Hex;
  /** The plaintext as UTF-8, when printable. */
  text?: string;
}

export async function decrypt(args: DecryptArgs, ctx: TaskContext): Promise<DecryptResult> {
  const keyId = keyIdOr(args.key, ctx.config.defaultEncryptionKey, "defaultEncryptionKey");
  const ciphertext = parseHex(requireArg(args.ciphertext, "--ciphertext <0x…>"), "--ciphertext");
  if (args.format !== "tdh2" && args.format !== "ecies") {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      "--format must be tdh2 (encryptForContract) or ecies (eciesjs).",
    );
  }
  const id = requireArg(
    args.payloadId,
    "--payload-id <id>",
    "The id the contract stored the ciphertext under.",
  );
  if (!/^\d{1,78}$/.test(id))
    throw new ShardlessPluginError("BAD_ARGUMENT", "--payload-id expects a decimal id.");
  const contract = args.contract === undefined ? undefined : parseAddress(args.contract, "--contract");
  if (args.format === "ecies" && contract === undefined) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      "ecies ciphertexts carry no label: pass --contract <address>.",
    );
  }
  ctx.out.progress(`Asking the group to decrypt payload ${id} with key ${keyId}...`);
  const plaintext = await ctx.runtime.decrypt(ciphertext, {
    payload: { id: BigInt(id), ...(contract ? { contract } : {}) },
    keyId,
    format: args.format,
    requestId: args.requestId,
    node: args.node,
  });
  const text = printableText(getBytes(plaintext));
  const result: DecryptResult = text === undefined ? { keyId, plaintext } : { keyId, plaintext, text };
  ctx.out.result(result, () => [
    `Decrypted with key ${keyId}: ${(plaintext.length - 2) / 2} bytes`,
    `  hex  ${plaintext}`,
    ...(text !== undefined ? [`  text ${text}`] : []),
  ]);
  return result;
}

export default async (args: DecryptArgs, hre: HardhatRuntimeEnvironment) =>
  decrypt(args, taskContext(hre, args.json));
