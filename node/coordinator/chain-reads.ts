/**
 * Chain reads a member makes for its own policy decisions, always at a confirmed block (never on a
 * client's word): the state of one ConfidentialPayloads payload (contracts/confidential).
 */
import { Contract, isError, keccak256 } from "ethers";
import { UnavailableError } from "../adapters/api/errors.js";
import { PolicyError } from "../protocol/errors.js";
import type { DecryptChainState } from "../policy/decrypt-policy.js";
import type { NodeContext } from "./context.js";

const PAYLOADS_ABI = [
  "function payloadLabel(uint256 id) view returns (uint256 chainId, address target, bytes32 topic)",
  "function revealAllowed(uint256 id) view returns (bool)",
  "function payload(uint256 id) view returns (tuple(bytes32 topic, address submitter, uint8 status, bytes ciphertext))",
];

/** Reads payload `payloadId` of `contract` at head − (confirmations − 1). Throws on RPC/contract errors. */
export async function readPayloadState(
  ctx: NodeContext,
  contract: string,
  payloadId: bigint,
): Promise<DecryptChainState> {
  // Ask the node for the head itself: ethers' getBlockNumber may answer from its polling cache.
  const head = Number(await ctx.provider.send("eth_blockNumber", []));
  const confirmations = Math.max(1, ctx.confirmations);
  const blockTag = Math.max(0, head - (confirmations - 1));
  const c = new Contract(contract, PAYLOADS_ABI, ctx.provider);
  let label, allowed, stored;
  try {
    [label, allowed, stored] = await Promise.all([
      c.payloadLabel(payloadId, { blockTag }),
      c.revealAllowed(payloadId, { blockTag }),
      c.payload(payloadId, { blockTag }),
    ]);
  } catch (e) {
    // A revert (unknown payload, not a ConfidentialPayloads contract) is a refusal, not a node failure.
    if (isError(e, "CALL_EXCEPTION") || isError(e, "BAD_DATA")) {
      throw new PolicyError(
        `payload ${payloadId} of ${contract} cannot be read at block ${blockTag}: no such payload`,
      );
    }
    throw new UnavailableError(`chain read failed: ${(e as Error).message?.slice(0, 200) ?? "unknown"}`);
  }
  return {
    chainId: BigInt(label[0]),
    contract: String(label[1]),
    payloadId,
    topic: String(label[2]).toLowerCase(),
    revealAllowed: Boolean(allowed),
    ciphertextHash: keccak256(stored[3]).toLowerCase(),
    blockNumber: blockTag,
    confirmations: head - blockTag + 1,
  };
}
