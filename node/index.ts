/**
 * The `shardless` package: what applications import.
 *
 *   import { ShardlessClient, GroupSigner, encryptForContract } from "shardless";
 */
export {
  ShardlessClient,
  ShardlessApiError,
  newRequestId,
  type ShardlessClientOptions,
} from "./client/api-client.js";
export { GroupSigner } from "./client/signer.js";
export * from "./client/encryption.js";
export type * from "./client/types.js";
export { startNode, type ShardlessNode, type StartOptions } from "./node.js";
export { loadConfig, ConfigError, type NodeConfig } from "./config.js";
export { ShardlessError } from "./protocol/errors.js";
export { quorum, colludersToSteal, type Scheme } from "./protocol/key-share.js";
export { approvalTypedData, signApproval } from "./policy/approvals/approval.js";
