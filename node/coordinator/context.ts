/**
 * Everything the coordinator's parts share: this node's identity, its ports and adapters. Built once by
 * node.ts (the composition root) and passed to each part.
 */
import type { JsonRpcProvider } from "ethers";
import type { RegistryClient } from "../adapters/chain/registry-client.js";
import type { NodeMetrics } from "../observability/metrics.js";
import type { Runner } from "../runner/runner.js";
import type { Clock, FrameAuthenticator, Logger, ShareStore } from "../runner/ports.js";
import type { ControlChannel } from "./control-channel.js";
import type { GroupDirectory } from "./groups.js";
import type { KeyRing } from "./keyring.js";

export interface NodeContext {
  readonly peerId: string;
  readonly operator: string;
  readonly chainId: bigint;
  readonly registryAddress: string;
  readonly registry: RegistryClient;
  /** Read-only chain access (policy reads at confirmed blocks). */
  readonly provider: JsonRpcProvider;
  /** Blocks a chain read must be buried under before a member acts on it. */
  readonly confirmations: number;
  /** Decryption policy knobs from the config. */
  readonly decryption: { readonly allowUnlabelled: boolean };
  /** Resharing limits (config `reshare`). */
  readonly reshare: { readonly allowDegreeDecrease: boolean };
  readonly groups: GroupDirectory;
  readonly keys: KeyRing;
  readonly runner: Runner;
  /** This node's identity signer (frames, ACK statements) and peers' verifier. */
  readonly auth: FrameAuthenticator;
  readonly control: ControlChannel;
  readonly store: ShareStore;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  readonly clock: Clock;
  readonly timeouts: { readonly roundMs: number; readonly sessionMs: number; readonly requestMs: number };
  /** Peers with an open connection right now (self excluded). */
  connectedPeers(): string[];
}
