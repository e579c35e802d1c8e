/**
 * What the devnet and demo tasks need from scripts/devnet/devnet.ts's startDevnet (passed in, so tasks
 * stay testable without spawning processes).
 */
import type { Signer } from "ethers";

export interface DevnetHandle {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly registry: string;
  readonly groupId: string;
  readonly admin: string;
  readonly members: readonly {
    readonly index: number;
    readonly operator: string;
    readonly peerId: string;
    readonly apiUrl: string;
    readonly token: string;
  }[];
  /** A funded dev account on the devnet chain. */
  funder(): Signer;
  stop(): Promise<void>;
}

export type StartDevnet = (options: {
  members?: number;
  dir: string;
  onProgress?: (line: string) => void;
  keep?: boolean;
  /** Fixed loopback ports (unset: free ports): member i uses apiBase + i - 1 and p2pBase + i - 1. */
  ports?: { rpc?: number; apiBase?: number; p2pBase?: number };
  /** A policy book every member enforces before signing. */
  policy?: unknown;
  /** Members release shares of label-less (eciesjs) payload ciphertexts. */
  allowUnlabelled?: boolean;
}) => Promise<DevnetHandle>;
