/**
 * node.json: the sidecar's configuration (`shardless-node --config node.json`). Validated with a strict
 * zod schema (unknown fields are errors, so typos do not silently fall back to defaults). Relative paths
 * are resolved against the config file's directory. Any problem is one ConfigError whose message names
 * each offending field, e.g. `api.listen: expected host:port`.
 *
 * Example (defaults omitted):
 *   {
 *     "listen": ["/ip4/0.0.0.0/tcp/7001"],
 *     "chain": { "rpcUrl": "http://127.0.0.1:8545", "registryAddress": "0x5FbDB2315678afecb367f032d93F642f64180aa3" },
 *     "operatorKeyFile": "operator.key",
 *     "store": { "passphraseEnv": "SHARDLESS_STORE_PASSPHRASE" }
 *   }
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { multiaddr } from "@multiformats/multiaddr";
import { getAddress } from "ethers";
import { z } from "zod";
import { ShardlessError } from "./protocol/errors.js";
import {
  KeyFileKeyProvider,
  PassphraseKeyProvider,
  type KeyProvider,
} from "./adapters/storage/key-provider.js";

export interface ConfigIssue {
  /** Dotted field path, e.g. `api.listen` or `listen[0]` (empty for the whole document). */
  path: string;
  message: string;
}

/** The configuration is unreadable or invalid. `issues` lists every problem with its field path. */
export class ConfigError extends ShardlessError {
  readonly code = "CONFIG";
  constructor(
    readonly issues: readonly ConfigIssue[],
    options?: ErrorOptions,
  ) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; "), [], options);
  }
}

/** ECDSA presignatures each member keeps ready per key unless `presignPoolDepth` says otherwise. */
export const DEFAULT_PRESIGN_POOL_DEPTH = 16;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)):(\d{1,5})$/;

const nonEmpty = z
  .string({ required_error: "required", invalid_type_error: "expected a string" })
  .min(1, "must not be empty");
const filePath = nonEmpty;

const tcpMultiaddr = nonEmpty.superRefine((s, ctx) => {
  try {
    const names = multiaddr(s)
      .getComponents()
      .map((c) => c.name);
    if (!names.includes("tcp") || !["ip4", "ip6", "dns", "dns4", "dns6"].includes(names[0]))
      throw new Error("not tcp");
  } catch {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: "expected a TCP multiaddr such as /ip4/0.0.0.0/tcp/7001",
    });
  }
});

const hostPort = nonEmpty.superRefine((s, ctx) => {
  const m = HOST_PORT.exec(s);
  if (!m || Number(m[3]) > 65535)
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "expected host:port" });
});

const ethAddress = nonEmpty.transform((s, ctx) => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(s)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "expected a 0x-prefixed 20-byte address" });
    return z.NEVER;
  }
  try {
    return getAddress(s); // rejects a mixed-case address with a bad EIP-55 checksum
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "bad EIP-55 checksum" });
    return z.NEVER;
  }
});

const rpcUrl = nonEmpty.superRefine((s, ctx) => {
  let ok = false;
  try {
    ok = ["http:", "https:", "ws:", "wss:"].includes(new URL(s).protocol);
  } catch {
    ok = false;
  }
  if (!ok) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "expected an http(s):// or ws(s):// URL" });
});

const int = (min: number, max: number) =>
  z
    .number({ invalid_type_error: "expected a number" })
    .int("expected an integer")
    .min(min, `expected >= ${min}`)
    .max(max, `expected <= ${max}`);
const ms = int(1, 600_000);

const storeSchema = z
  .object({
    passphraseEnv: nonEmpty
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name")
      .optional(),
    passphraseFile: filePath.optional(),
    keyFile: filePath.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const set = [s.passphraseEnv, s.passphraseFile, s.keyFile].filter((v) => v !== undefined).length;
    if (set !== 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: "expected exactly one of passphraseEnv, passphraseFile, keyFile",
      });
    }
  });

export const configSchema = z
  .object({
    /** libp2p Ed25519 identity (created on first start, mode 0600). */
    identityKeyFile: filePath.default("identity.key"),
    /** libp2p listen multiaddrs. */
    listen: z.array(tcpMultiaddr, { required_error: "required" }).min(1, "expected at least one multiaddr"),
    /** Addresses to publish in the registry if they differ from `listen` (NAT, 0.0.0.0). */
    announce: z.array(tcpMultiaddr).default([]),
    chain: z
      .object(
        {
          rpcUrl,
          registryAddress: ethAddress,
          /** Blocks to wait before acting on a registry event. */
          confirmations: int(1, 1000).default(1),
          /** How often to poll the chain for new registry events, in ms. */
          pollIntervalMs: int(50, 60_000).default(250),
          /** Expected chain id (refuse to run against another chain); optional. */
          chainId: int(1, Number.MAX_SAFE_INTEGER).optional(),
        },
        { required_error: "required" },
      )
      .strict(),
    /** Member operator key (registry transactions). */
    operatorKeyFile: filePath,
    /** Share store directory. */
    dataDir: filePath.default("data"),
    store: storeSchema,
    api: z
      .object({
        /** HTTP API address; loopback by default. Use port 0 to pick a free port (it is logged). */
        listen: hostPort.default("127.0.0.1:7400"),
        /** Bearer token file (created on first start if missing). */
        tokenFile: filePath.default("api.token"),
      })
      .strict()
      .default({}),
    logLevel: z
      .enum(LOG_LEVELS, { errorMap: () => ({ message: `expected one of ${LOG_LEVELS.join(", ")}` }) })
      .default("info"),
    decryption: z
      .object({
        /**
         * Release shares of label-less (eciesjs) ciphertexts of an on-chain payload, identified by the stored
         * ciphertext hash only. Off by default: a copy of someone else's ciphertext stored under another
         * payload would be decrypted too. TDH2 ciphertexts bind their payload with a label.
         */
        allowUnlabelled: z.boolean().default(false),
      })
      .strict()
      .default({}),
    reshare: z
      .object({
        /**
         * Take part in a resharing that lowers a key's degree (fewer colluders needed to steal it). Off by
         * default: the registry's pending change does not fix the degree, the coordinating member picks it.
         */
        allowDegreeDecrease: z.boolean().default(false),
      })
      .strict()
      .default({}),
    /** Business approval policies (node/policy/approvals/policy.ts); absent: no approvals required. */
    policyFile: filePath.optional(),
    /** This member's hash-chained audit log of signing decisions. */
    auditLog: filePath.default("audit.log"),
    /**
     * Scheduled proactive refresh (coordinator/lifecycle-schedule.ts): every `everyBlocks` blocks since a
     * key's last epoch, the lowest-id participant refreshes it. Per key id: its own period (0: on demand
     * only). Absent: keys are refreshed on demand only.
     */
    refresh: z
      .object({
        everyBlocks: int(1, 1_000_000_000).optional(),
        keys: z
          .record(
            nonEmpty.regex(/^[0-9]+$/, "expected a key id"),
            z.object({ everyBlocks: int(0, 1_000_000_000) }).strict(),
          )
          .default({}),
      })
      .strict()
      .default({}),
    /** ECDSA presignatures kept ready per key. */
    presignPoolDepth: int(0, 10_000).default(DEFAULT_PRESIGN_POOL_DEPTH),
    timeouts: z
      .object({
        /** One protocol round. */
        roundMs: ms.default(10_000),
        /** A whole session. */
        sessionMs: ms.default(60_000),
        /** Dialling a peer and opening the stream. */
        dialMs: ms.default(5_000),
        /** An API request, end to end. */
        requestMs: ms.default(30_000),
      })
      .strict()
      .default({}),
  })
  .strict();

type Parsed = z.output<typeof configSchema>;

/** The resolved configuration: defaults applied, paths absolute, `api.listen` split. */
export interface NodeConfig extends Omit<Parsed, "api" | "store"> {
  /** The config file the values came from (absolute), or undefined for `parseConfig` input. */
  configFile?: string;
  store:
    | { kind: "passphraseEnv"; passphraseEnv: string }
    | { kind: "passphraseFile"; passphraseFile: string }
    | { kind: "keyFile"; keyFile: string };
  api: { listen: string; host: string; port: number; tokenFile: string };
}

function formatPath(p: readonly (string | number)[]): string {
  return p.map((seg, i) => (typeof seg === "number" ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join("");
}

function issueMessage(issue: z.ZodIssue): string {
  if (issue.code === z.ZodIssueCode.unrecognized_keys) return `unknown field(s) ${issue.keys.join(", ")}`;
  if (issue.code === z.ZodIssueCode.invalid_type && issue.received === "undefined") return "required";
  if (issue.code === z.ZodIssueCode.invalid_type && issue.expected === "integer")
    return "expected an integer";
  if (issue.code === z.ZodIssueCode.invalid_type) return `expected ${issue.expected}, got ${issue.received}`;
  return issue.message;
}

/** Validates a parsed node.json object; relative paths resolve against `baseDir`. Throws ConfigError. */
export function parseConfig(raw: unknown, baseDir: string): NodeConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ path: formatPath(i.path), message: issueMessage(i) })),
    );
  }
  const c = result.data;
  const abs = (p: string) => path.resolve(baseDir, p);
  const m = HOST_PORT.exec(c.api.listen) as RegExpExecArray;
  const store: NodeConfig["store"] =
    c.store.passphraseEnv !== undefined
      ? { kind: "passphraseEnv", passphraseEnv: c.store.passphraseEnv }
      : c.store.passphraseFile !== undefined
        ? { kind: "passphraseFile", passphraseFile: abs(c.store.passphraseFile) }
        : { kind: "keyFile", keyFile: abs(c.store.keyFile as string) };
  return {
    ...c,
    identityKeyFile: abs(c.identityKeyFile),
    operatorKeyFile: abs(c.operatorKeyFile),
    dataDir: abs(c.dataDir),
    auditLog: abs(c.auditLog),
    policyFile: c.policyFile === undefined ? undefined : abs(c.policyFile),
    store,
    api: { listen: c.api.listen, host: m[1] ?? m[2], port: Number(m[3]), tokenFile: abs(c.api.tokenFile) },
  };
}

/** Reads and validates node.json. Throws ConfigError (unreadable file, bad JSON, invalid fields). */
export async function loadConfig(file: string): Promise<NodeConfig> {
  const configFile = path.resolve(file);
  let text: string;
  try {
    text = await readFile(configFile, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError([{ path: "", message: `cannot read config file ${configFile} (${code})` }], {
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(
      [{ path: "", message: `${configFile} is not valid JSON: ${(cause as Error).message}` }],
      {
        cause,
      },
    );
  }
  return { ...parseConfig(raw, path.dirname(configFile)), configFile };
}

/**
 * The share store's KeyProvider for a config: reads the passphrase from the environment variable or
 * file named there. Throws ConfigError naming the field when the secret is missing or empty.
 */
export async function keyProviderFromConfig(
  store: NodeConfig["store"],
  env: Record<string, string | undefined> = process.env,
): Promise<KeyProvider> {
  switch (store.kind) {
    case "passphraseEnv": {
      const value = env[store.passphraseEnv];
      if (!value) {
        throw new ConfigError([
          {
            path: "store.passphraseEnv",
            message: `environment variable ${store.passphraseEnv} is not set or empty`,
          },
        ]);
      }
      return new PassphraseKeyProvider({ passphrase: value });
    }
    case "passphraseFile": {
      let value: string;
      try {
        value = (await readFile(store.passphraseFile, "utf8")).replace(/\r?\n$/, "");
      } catch (cause) {
        throw new ConfigError(
          [{ path: "store.passphraseFile", message: `cannot read ${store.passphraseFile}` }],
          {
            cause,
          },
        );
      }
      if (value.length === 0) {
        throw new ConfigError([
          { path: "store.passphraseFile", message: `${store.passphraseFile} is empty` },
        ]);
      }
      return new PassphraseKeyProvider({ passphrase: value });
    }
    case "keyFile":
      return new KeyFileKeyProvider({ path: store.keyFile });
  }
}
