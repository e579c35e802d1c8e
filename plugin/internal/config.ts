/**
 * The `shardless` section of hardhat.config.ts: its zod schema (validated by Hardhat's config hook, errors
 * reported as HHE15 with the field path) and its resolution with defaults after `next()`.
 */
import path from "node:path";
import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { sensitiveStringSchema, validateUserConfigZodType } from "@nomicfoundation/hardhat-zod-utils";
import type {
  ConfigurationVariableResolver,
  HardhatUserConfig,
  ResolvedConfigurationVariable,
  SensitiveString,
} from "hardhat/types/config";
import type { HardhatUserConfigValidationError } from "hardhat/types/hooks";
import { DEFAULT_TOKEN_ENV } from "./constants.js";

export interface ShardlessNodeUserConfig {
  /** Name used by `--node`. @default "node<i>" (1-based) */
  name?: string;
  /** Base URL of the member's API, e.g. "http://127.0.0.1:7101". */
  url: string;
  /** The API token itself, best as `configVariable("SHARDLESS_TOKEN")`. At most one token source. */
  token?: SensitiveString;
  /** A file holding the API token (relative to the project root). */
  tokenFile?: string;
  /** An environment variable holding the API token. @default "SHARDLESS_API_TOKEN" when no source is set */
  tokenEnv?: string;
}

export interface ShardlessDevnetUserConfig {
  /** @default 3 */
  members?: number;
  /** @default 1 */
  degree?: number;
  /** Port of Hardhat's JSON-RPC node. @default a free port, new on every start */
  chainPort?: number;
  /** Member i's API listens on apiBasePort + i - 1. @default free ports, new on every start */
  apiBasePort?: number;
  /** Member i's libp2p listens on p2pBasePort + i - 1. @default free ports, new on every start */
  p2pBasePort?: number;
  /** Relative to the project root. @default ".shardless/devnet" */
  dataDir?: string;
  /** A policy book (JSON, relative to the project root) every devnet member enforces before signing. */
  policyFile?: string;
}

export interface ShardlessUserConfig {
  nodes?: ShardlessNodeUserConfig[];
  /** Registry address per network name. */
  registry?: Record<string, string>;
  defaultGroup?: string;
  /** Key used by signing tasks and `signer()` when none is given. */
  defaultKey?: string;
  /** Key used by `encrypt`/`decrypt` when none is given. @default defaultKey */
  defaultEncryptionKey?: string;
  devnet?: ShardlessDevnetUserConfig;
}

export type TokenSource =
  | { kind: "variable"; variable: ResolvedConfigurationVariable }
  /** A token read from the devnet's connection file. */
  | { kind: "value"; value: string }
  | { kind: "file"; path: string }
  | { kind: "env"; name: string };

export interface ShardlessNodeConfig {
  name: string;
  url: string;
  token: TokenSource;
}

/** Ports and the policy file stay optional: unset ports are picked free on every start. */
export type ShardlessDevnetConfig = Required<
  Pick<ShardlessDevnetUserConfig, "members" | "degree" | "dataDir">
> &
  Pick<ShardlessDevnetUserConfig, "chainPort" | "apiBasePort" | "p2pBasePort" | "policyFile">;

export interface ShardlessConfig {
  nodes: ShardlessNodeConfig[];
  registry: Record<string, string>;
  defaultGroup?: string;
  defaultKey?: string;
  defaultEncryptionKey?: string;
  devnet: ShardlessDevnetConfig;
}

export const DEVNET_DEFAULTS: ShardlessDevnetConfig = {
  members: 3,
  degree: 1,
  dataDir: ".shardless/devnet",
};

const idSchema = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "Expected an id of 1-128 chars [A-Za-z0-9._-]");
const portSchema = z.number().int().min(1).max(65535);

const nodeSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, "Expected a name of 1-64 chars [A-Za-z0-9_.-]")
      .optional(),
    url: z
      .string()
      .url("Expected the node API URL, e.g. http://127.0.0.1:7101")
      .refine((u) => /^https?:\/\//.test(u), "Expected an http:// or https:// URL"),
    token: sensitiveStringSchema.optional(),
    tokenFile: z.string().min(1).optional(),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "Expected an environment variable name")
      .optional(),
  })
  .strict()
  .superRefine((node, ctx) => {
    const sources = [node.token, node.tokenFile, node.tokenEnv].filter((s) => s !== undefined);
    if (sources.length > 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["token"],
        message: "Set at most one of token, tokenFile and tokenEnv",
      });
    }
  });

const devnetSchema = z
  .object({
    members: z.number().int().min(2).max(16).optional(),
    degree: z.number().int().min(1).max(15).optional(),
    chainPort: portSchema.optional(),
    apiBasePort: portSchema.optional(),
    p2pBasePort: portSchema.optional(),
    dataDir: z.string().min(1).optional(),
    policyFile: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const members = d.members ?? DEVNET_DEFAULTS.members;
    const degree = d.degree ?? DEVNET_DEFAULTS.degree;
    if (degree >= members) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["degree"],
        message: `Expected degree < members (${members})`,
      });
    }
    for (const issue of devnetPortClashes(d, members))
      ctx.addIssue({ code: z.ZodIssueCode.custom, ...issue });
  });

/**
 * Fixed devnet ports must not collide: member i uses apiBasePort + i - 1 and p2pBasePort + i - 1, so the
 * two ranges of `members` ports and the chain port must be disjoint and end at 65535 or below.
 */
export function devnetPortClashes(
  d: Pick<ShardlessDevnetUserConfig, "chainPort" | "apiBasePort" | "p2pBasePort">,
  members: number,
): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  const ranges: { field: string; from: number; to: number }[] = [];
  if (d.chainPort !== undefined) ranges.push({ field: "chainPort", from: d.chainPort, to: d.chainPort });
  for (const field of ["apiBasePort", "p2pBasePort"] as const) {
    const base = d[field];
    if (base === undefined) continue;
    if (base + members - 1 > 65535) {
      issues.push({ path: [field], message: `Expected ${field} + members - 1 <= 65535` });
    }
    ranges.push({ field, from: base, to: base + members - 1 });
  }
  for (const [i, a] of ranges.entries()) {
    for (const b of ranges.slice(i + 1)) {
      if (a.from <= b.to && b.from <= a.to) {
        issues.push({
          path: [b.field],
          message: `Ports ${b.from}-${b.to} (${b.field}) overlap ${a.field}'s ${a.from}-${a.to} for ${members} members`,
        });
      }
    }
  }
  return issues;
}

export const shardlessUserConfigSchema = z
  .object({
    nodes: z
      .array(nodeSchema)
      .optional()
      .superRefine((nodes, ctx) => {
        const names = (nodes ?? []).map((n, i) => n.name ?? `node${i + 1}`);
        names.forEach((name, i) => {
          if (names.indexOf(name) !== i) {
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: [i, "name"],
              message: `Duplicate node name "${name}"`,
            });
          }
        });
      }),
    registry: z
      .record(z.string().refine((a) => isAddress(a) && a.startsWith("0x"), "Expected a 0x-prefixed address"))
      .optional(),
    defaultGroup: idSchema.optional(),
    defaultKey: idSchema.optional(),
    defaultEncryptionKey: idSchema.optional(),
    devnet: devnetSchema.optional(),
  })
  .strict();

export async function validateShardlessUserConfig(
  userConfig: HardhatUserConfig,
): Promise<HardhatUserConfigValidationError[]> {
  return validateUserConfigZodType(userConfig, z.object({ shardless: shardlessUserConfigSchema.optional() }));
}

export function resolveShardlessConfig(
  user: ShardlessUserConfig | undefined,
  projectRoot: string,
  resolveConfigurationVariable: ConfigurationVariableResolver,
): ShardlessConfig {
  const u = user ?? {};
  const nodes = (u.nodes ?? []).map((n, i): ShardlessNodeConfig => ({
    name: n.name ?? `node${i + 1}`,
    url: n.url.replace(/\/+$/, ""),
    token: resolveTokenSource(n, projectRoot, resolveConfigurationVariable),
  }));
  const registry: Record<string, string> = {};
  for (const [network, address] of Object.entries(u.registry ?? {})) registry[network] = getAddress(address);
  const devnet = { ...DEVNET_DEFAULTS, ...(u.devnet ?? {}) };
  devnet.dataDir = path.resolve(projectRoot, devnet.dataDir);
  if (devnet.policyFile !== undefined) devnet.policyFile = path.resolve(projectRoot, devnet.policyFile);
  return {
    nodes,
    registry,
    defaultGroup: u.defaultGroup,
    defaultKey: u.defaultKey,
    defaultEncryptionKey: u.defaultEncryptionKey ?? u.defaultKey,
    devnet,
  };
}

function resolveTokenSource(
  n: ShardlessNodeUserConfig,
  projectRoot: string,
  resolveConfigurationVariable: ConfigurationVariableResolver,
): TokenSource {
  if (n.token !== undefined) return { kind: "variable", variable: resolveConfigurationVariable(n.token) };
  if (n.tokenFile !== undefined) return { kind: "file", path: path.resolve(projectRoot, n.tokenFile) };
  return { kind: "env", name: n.tokenEnv ?? DEFAULT_TOKEN_ENV };
}
