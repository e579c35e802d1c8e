import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { hexlify, toUtf8Bytes } from "ethers";
import type { Hex } from "../../../node/client/types.js";
import { parseAddress, parseHex, requireArg } from "../args.js";
import { keyIdOr } from "../defaults.js";
import { ShardlessPluginError } from "../errors.js";
import { chainTaskContext, type ChainTaskContext } from "../task-context.js";

export interface EncryptArgs {
  key?: string;
  contract?: string;
  topic?: string;
  plaintext?: string;
  hex?: string;
  chainId?: string;
  json: boolean;
}

export interface EncryptResult {
  keyId: string;
  chainId: string;
  contract: string;
  topic: string;
  ciphertext: Hex;
  bytes: number;
}

export async function encrypt(
  args: EncryptArgs,
  ctx: Pick<ChainTaskContext, "config" | "out" | "runtime" | "connect">,
): Promise<EncryptResult> {
  const keyId = keyIdOr(args.key, ctx.config.defaultEncryptionKey, "defaultEncryptionKey");
  const contract = parseAddress(requireArg(args.contract, "--contract <address>"), "--contract");
  const topic = requireArg(
    args.topic,
    "--topic <bytes32 | text>",
    "The contract defines its topics (e.g. bidTopic(bidder)).",
  );
  if ((args.plaintext === undefined) === (args.hex === undefined)) {
    throw new ShardlessPluginError("BAD_ARGUMENT", "Pass exactly one of --plaintext <text> or --hex <0x…>.");
  }
  const plaintext =
    args.hex !== undefined ? parseHex(args.hex, "--hex") : hexlify(toUtf8Bytes(args.plaintext!));
  let chainId: bigint;
  if (args.chainId !== undefined) {
    if (!/^\d+$/.test(args.chainId))
      throw new ShardlessPluginError("BAD_ARGUMENT", "--chain-id expects a number.");
    chainId = BigInt(args.chainId);
  } else {
    const connection = await ctx.connect();
    try {
      chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
    } finally {
      await connection.close();
    }
  }
  const ciphertext = await ctx.runtime.encryptForContract({ chainId, contract, topic }, plaintext, keyId);
  const result: EncryptResult = {
    keyId,
    chainId: chainId.toString(),
    contract,
    topic,
    ciphertext,
    bytes: (ciphertext.length - 2) / 2,
  };
  ctx.out.result(result, () => [
    `Encrypted ${(plaintext.length - 2) / 2} bytes to key ${keyId} for contract ${contract} on chain ${chainId} (topic ${topic})`,
    `  ciphertext (${result.bytes} bytes): ${ciphertext}`,
    "Only the group can decrypt it, and only when the contract allows the reveal for this label.",
  ]);
  return result;
}

export default async (args: EncryptArgs, hre: HardhatRuntimeEnvironment) =>
  encrypt(args, chainTaskContext(hre, args.json));
