/**
 * Chain reads a member makes for its own policy decisions, always at a confirmed block (never on a
 * client's word): the state of one ConfidentialPayloads payload (contracts/confidential).
 */
import { Contract, keccak256 } from "ethers";
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
  const [label, allowed, stored] = await Promise.all([
    c.payloadLabel(payloadId, { blockTag }),
    c.revealAllowed(payloadId, { blockTag }),
    c.payload(payloadId, { blockTag }),
  ]);
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
