/** Chain adapter: typed client of the Shardless registry on ethers v6 (DESIGN.md §2, adapters). */
export { REGISTRY_ABI } from "./abi.js";
export { ChainError, toChainError, type ChainErrorCode, type DecodedRevert } from "./errors.js";
export { decodeRegistryLog } from "./events.js";
export { RegistryFollower, type FollowOptions, type RegistryEventHandler } from "./follower.js";
export {
  RECORD_TYPEHASH,
  REVEAL_TYPEHASH,
  memberSetHash,
  recordDigest,
  revealDigest,
  type KeyRecord,
  type RecordDomain,
} from "./record.js";
export {
  REGISTRY_INTERFACE,
  ROLES,
  RegistryClient,
  type AdvanceEpochArgs,
  type PublishKeyArgs,
  type RegistryClientOptions,
  type TxResult,
} from "./registry-client.js";
export * from "./types.js";
