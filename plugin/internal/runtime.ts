/**
 * What `hre.shardless` and `(await network.create()).shardless` give scripts and tests: API clients for
 * the configured nodes (or the running devnet's), group-key signers, and contract encryption helpers.
 */
import { readFile } from "node:fs/promises";
import { getBytes, type BytesLike, type Provider } from "ethers";
import { ShardlessClient } from "../../node/client/api-client.js";
import { GroupSigner } from "../../node/client/signer.js";
import { encryptForContract, type TopicInput } from "../../node/client/encryption.js";
import type { Hex, KeyStatus, NodeStatus, PayloadPointer } from "../../node/client/types.js";
import type { ShardlessConfig, TokenSource } from "./config.js";
import { devnetNodeName, readDevnetInfo } from "./devnet-info.js";
import { keyIdOr } from "./defaults.js";
import { ShardlessPluginError, explainError } from "./errors.js";

export interface NodeEndpoint {
  name: string;
  url: string;
  token: TokenSource;
}

export interface ContractTargetInput {
  chainId: bigint | number;
  contract: string;
  topic: TopicInput;
}

export interface DecryptOptions {
  /** The ciphertext's on-chain payload (contract, id): members release shares only if its reveal policy holds. */
  payload: PayloadPointer;
  keyId?: string;
  format?: "tdh2" | "ecies";
  requestId?: string;
  node?: string;
}

export interface ShardlessRuntime {
  readonly config: ShardlessConfig;
  /** The nodes tasks talk to: `shardless.nodes`, or the running devnet's when none are configured. */
  endpoints(): Promise<NodeEndpoint[]>;
  /** API client of a node (default: the first). */
  client(node?: string): Promise<ShardlessClient>;
  status(node?: string): Promise<NodeStatus>;
  key(keyId?: string, node?: string): Promise<KeyStatus>;
  /** An ethers Signer whose key is the group key `keyId` (default `shardless.defaultKey`). */
  signer(keyId?: string, options?: { provider?: Provider | null; node?: string }): Promise<GroupSigner>;
  /** TDH2 ciphertext (hex) of `plaintext` for the group key `keyId`, labelled for (chain, contract, topic). */
  encryptForContract(target: ContractTargetInput, plaintext: BytesLike, keyId?: string): Promise<Hex>;
  /** Asks the group to decrypt; resolves with the plaintext (hex). */
  decrypt(ciphertext: BytesLike, options: DecryptOptions): Promise<Hex>;
}

/** The runtime of one network connection: signers use its provider, encryption its chain id. */
export interface ShardlessNetworkRuntime extends Omit<ShardlessRuntime, "signer" | "encryptForContract"> {
  signer(keyId?: string, options?: { node?: string }): Promise<GroupSigner>;
  encryptForContract(
    target: Omit<ContractTargetInput, "chainId"> & { chainId?: bigint | number },
    plaintext: BytesLike,
    keyId?: string,
  ): Promise<Hex>;
}

export function createShardlessRuntime(config: ShardlessConfig): ShardlessRuntime {
  const endpoints = async (): Promise<NodeEndpoint[]> => {
    if (config.nodes.length > 0) return config.nodes;
    const devnet = await readDevnetInfo(config.devnet.dataDir);
    return (devnet?.members ?? []).map((m) => ({
      name: devnetNodeName(m.index),
      url: m.apiUrl,
      token: { kind: "value", value: m.token },
    }));
  };

  const endpoint = async (name?: string): Promise<NodeEndpoint> => {
    const all = await endpoints();
    if (all.length === 0) {
      throw new ShardlessPluginError(
        "NO_NODES",
        "No Shardless node configured. Add `shardless.nodes` (API URL and token source) to hardhat.config.ts, " +
          "or start a local devnet with `npx hardhat shardless devnet`.",
      );
    }
    if (name === undefined) return all[0]!;
    const found = all.find((n) => n.name === name);
    if (!found) {
      throw new ShardlessPluginError(
        "UNKNOWN_NODE",
        `No node named "${name}". Configured nodes: ${all.map((n) => n.name).join(", ")}.`,
      );
    }
    return found;
  };

  const client = async (name?: string): Promise<ShardlessClient> => {
    const node = await endpoint(name);
    return new ShardlessClient({ url: node.url, token: await readToken(node) });
  };

  /** Runs a client call, turning API errors into plugin errors with a next step. */
  const withClient = async <T>(
    name: string | undefined,
    fn: (c: ShardlessClient) => Promise<T>,
  ): Promise<T> => {
    const node = await endpoint(name);
    const c = new ShardlessClient({ url: node.url, token: await readToken(node) });
    try {
      return await fn(c);
    } catch (err) {
      throw explainError(err, node.name);
    }
  };

  const runtime: ShardlessRuntime = {
    config,
    endpoints,
    client,
    status: (node) => withClient(node, (c) => c.status()),
    key: (keyId, node) => withClient(node, (c) => c.key(keyIdOr(keyId, config.defaultKey, "defaultKey"))),
    async signer(keyId, options = {}) {
      const id = keyIdOr(keyId, config.defaultKey, "defaultKey");
      return new GroupSigner(await client(options.node), id, options.provider ?? null);
    },
    async encryptForContract(target, plaintext, keyId) {
      const id = keyIdOr(keyId, config.defaultEncryptionKey, "defaultEncryptionKey");
      const key = await withClient(undefined, (c) => c.key(id));
      if (key.scheme !== "encryption") {
        throw new ShardlessPluginError(
          "WRONG_SCHEME",
          `Key ${id} is a ${key.scheme} key; encryption needs an encryption key (create one with \`npx hardhat shardless keygen --scheme encryption\`).`,
        );
      }
      let bytes: Uint8Array;
      try {
        bytes = getBytes(plaintext);
      } catch {
        throw new ShardlessPluginError("BAD_ARGUMENT", "plaintext must be bytes or 0x-prefixed hex.");
      }
      const ct = encryptForContract(target, bytes, key.publicKey);
      return `0x${Buffer.from(ct).toString("hex")}` as Hex;
    },
    decrypt(ciphertext, options) {
      const id = keyIdOr(options.keyId, config.defaultEncryptionKey, "defaultEncryptionKey");
      let hex: Hex;
      try {
        hex = `0x${Buffer.from(getBytes(ciphertext)).toString("hex")}` as Hex;
      } catch {
        throw new ShardlessPluginError("BAD_ARGUMENT", "ciphertext must be bytes or 0x-prefixed hex.");
      }
      return withClient(options.node, (c) =>
        c.decrypt(id, hex, options.format ?? "tdh2", options.payload, options.requestId),
      );
    },
  };
  return runtime;
}

/** Binds a runtime to one network connection (its provider and chain id). */
export function createNetworkRuntime(
  base: ShardlessRuntime,
  connection: {
    provider: { request(args: { method: string }): Promise<unknown> };
    ethers?: { provider: Provider };
  },
): ShardlessNetworkRuntime {
  return {
    ...base,
    async signer(keyId, options = {}) {
      if (!connection.ethers) {
        throw new ShardlessPluginError(
          "NOT_AVAILABLE",
          "signer() needs @nomicfoundation/hardhat-ethers: add it to `plugins` in hardhat.config.ts.",
        );
      }
      return base.signer(keyId, { provider: connection.ethers.provider, node: options.node });
    },
    async encryptForContract(target, plaintext, keyId) {
      const chainId =
        target.chainId ?? BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
      return base.encryptForContract({ ...target, chainId }, plaintext, keyId);
    },
  };
}

async function readToken(node: NodeEndpoint): Promise<string> {
  const source = node.token;
  let token: string | undefined;
  try {
    switch (source.kind) {
      case "value":
        token = source.value;
        break;
      case "variable":
        token = await source.variable.get();
        break;
      case "file":
        token = await readFile(source.path, "utf8");
        break;
      case "env":
        token = process.env[source.name];
        break;
    }
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
    throw new ShardlessPluginError(
      "TOKEN_UNAVAILABLE",
      `Cannot read the API token of node ${node.name} from ${describeSource(source)} (${reason}). ` +
        "Check the node's token source in `shardless.nodes`; a devnet writes its tokens when it starts.",
    );
  }
  token = token?.trim();
  if (!token) {
    throw new ShardlessPluginError(
      "TOKEN_UNAVAILABLE",
      `The API token of node ${node.name} is empty: set ${describeSource(source)}, or configure token/tokenFile/tokenEnv in \`shardless.nodes\`.`,
    );
  }
  return token;
}

function describeSource(source: TokenSource): string {
  if (source.kind === "value") return "the devnet's connection file";
  if (source.kind === "file") return `file ${source.path}`;
  if (source.kind === "env") return `environment variable ${source.name}`;
  return "its `token` configuration variable";
}
