/**
 * What `sign` and `approve` take on the command line: exactly one payload (digest, text or hex message,
 * EIP-712 typed data file, unsigned transaction), turned into the API's SignPayload, and the digest the
 * group key signs for it — computed with the members' own intent parser (node/policy/approvals/intent.ts),
 * so an approval made here binds exactly what every member checks.
 */
import { readFile } from "node:fs/promises";
import { hexlify, toUtf8Bytes } from "ethers";
import type { Hex, SignPayload, TypedDataPayload } from "../../node/client/types.js";
import { parseSignIntent, type SignIntent } from "../../node/policy/approvals/intent.js";
import { ShardlessError } from "../../node/protocol/errors.js";
import { parseHex } from "./args.js";
import { ShardlessPluginError } from "./errors.js";

export interface PayloadArgs {
  digest?: string;
  message?: string;
  messageHex?: string;
  typedData?: string;
  transaction?: string;
  variant?: string;
}

const PAYLOAD_FLAGS =
  "--digest <0x…32 bytes>, --message <text>, --message-hex <0x…>, --typed-data <file.json> or --transaction <0x… unsigned>";

export async function signPayloadOf(args: PayloadArgs): Promise<SignPayload> {
  const given = [args.digest, args.message, args.messageHex, args.typedData, args.transaction].filter(
    (x) => x !== undefined,
  );
  if (given.length !== 1) {
    throw new ShardlessPluginError("BAD_ARGUMENT", `Pass exactly one of ${PAYLOAD_FLAGS}.`);
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
  if (args.transaction !== undefined) {
    return { kind: "transaction", transaction: parseHex(args.transaction, "--transaction") };
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

/** The payload flag as a user would retype it (for "run this next" hints). */
export function payloadFlag(args: PayloadArgs): string {
  if (args.digest !== undefined) return `--digest ${args.digest}`;
  if (args.message !== undefined) return `--message ${JSON.stringify(args.message)}`;
  if (args.messageHex !== undefined) return `--message-hex ${args.messageHex}`;
  if (args.transaction !== undefined) return `--transaction ${args.transaction}`;
  return `--typed-data ${args.typedData}`;
}

/**
 * What the members see in this payload for a key of `scheme`: its digest (what the key signs, or for
 * schnorr messages keccak256 of the message) and, for transactions, the decoded fields.
 */
export function signIntentOf(payload: SignPayload, scheme: "ecdsa" | "schnorr"): SignIntent {
  try {
    return parseSignIntent(payload, { scheme });
  } catch (err) {
    if (!(err instanceof ShardlessError)) throw err;
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `The payload cannot be signed: ${err.message}. Check the ${payload.kind} argument.`,
    );
  }
}
