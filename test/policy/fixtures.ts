/** Shared test material for the approval-layer tests: approvers, a domain, transactions, policies. */
import { Transaction, Wallet, id, parseEther, type TransactionLike } from "ethers";
import type { Hex } from "../../node/client/types.js";
import {
  parsePolicyBook,
  parseSignIntent,
  policyFor,
  signApproval,
  type ApprovalSubject,
  type SignedApproval,
  type SignPolicy,
  type TransactionIntent,
} from "../../node/policy/approvals/index.js";

/** Deterministic approver wallets (private keys from labels; test-only). */
export const treasury = ["alice", "bob", "carol"].map((n) => new Wallet(id(`shardless-test-approver-${n}`)));
export const outsider = new Wallet(id("shardless-test-outsider"));

export const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const domain = { chainId: 31337n, verifyingContract: REGISTRY };

export const TOKEN = "0x1111111111111111111111111111111111111111";
export const PAYEE = "0x2222222222222222222222222222222222222222";
export const BLOCKED = "0x3333333333333333333333333333333333333333";
export const ONE_ETH = parseEther("1");
export const TRANSFER = "0xa9059cbb"; // transfer(address,uint256)
export const APPROVE = "0x095ea7b3"; // approve(address,uint256)

/** An unsigned EIP-1559 transaction (defaults: chain 31337, to PAYEE, no value, no calldata). */
export function unsignedTx(fields: Partial<TransactionLike<string>> = {}): Hex {
  return Transaction.from({
    type: 2,
    chainId: 31337n,
    nonce: 7,
    to: PAYEE,
    value: 0n,
    data: "0x",
    gasLimit: 100_000n,
    maxFeePerGas: 2_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
    ...fields,
  }).unsignedSerialized as Hex;
}

export function txIntent(fields: Partial<TransactionLike<string>> = {}): TransactionIntent {
  return parseSignIntent({ kind: "transaction", transaction: unsignedTx(fields) }) as TransactionIntent;
}

/** Calldata: a selector followed by one zero word. */
export function call(selector: string): Hex {
  return `${selector}${"00".repeat(32)}` as Hex;
}

/** The policy of key "12" in a book holding only `rules` (and the treasury approver set). */
export function onlyPolicy(rules: unknown[]): SignPolicy {
  const book = parsePolicyBook({
    version: 1,
    approverSets: { treasury: treasury.map((w) => w.address) },
    keys: { "12": { rules } },
  });
  const policy = policyFor(book, "12");
  if (policy === undefined) throw new Error("fixture policy missing");
  return policy;
}

/** The value-limit policy of the task: ≤ 1 ETH free, above needs 2 of the 3 treasury approvers. */
export const valueLimitRules = [
  { name: "small", match: { kinds: ["transaction"], valueAtMost: ONE_ETH.toString() }, action: "allow" },
  {
    name: "large",
    match: { kinds: ["transaction"], valueAbove: ONE_ETH.toString() },
    action: "allow",
    requiredApprovals: 2,
    approvers: "treasury",
  },
];

export const NOW = 1_700_000_000;

export function subjectFor(digest: string, over: Partial<ApprovalSubject> = {}): ApprovalSubject {
  return { keyId: "12", epoch: 3, digest, requestId: "req-1", ...over };
}

export function approve(
  wallet: Wallet,
  subject: ApprovalSubject,
  expiresAt = NOW + 600,
  dom: { chainId: bigint; verifyingContract: string } = domain,
): Promise<SignedApproval> {
  return signApproval(wallet, dom, subject, expiresAt);
}
