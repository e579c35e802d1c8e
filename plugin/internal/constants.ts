export const PLUGIN_ID = "shardless";
/** Env var read when a node sets no token source. */
export const DEFAULT_TOKEN_ENV = "SHARDLESS_API_TOKEN";
/** Connection info scripts/devnet/devnet.ts writes in its directory (see devnet-info.ts). */
export const DEVNET_INFO_FILE = "devnet.json";
