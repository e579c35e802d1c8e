/** Wire types of the node HTTP API (docs/api.md). Shared by the API server and the clients. */
import type { Scheme } from "../protocol/key-share.js";

export type Hex = `0x${string}`;

export interface KeyStatus {
  keyId: string;
  groupId: string;
  scheme: Scheme;
  degree: number;
  quorum: number;
  colludersToSteal: number;
  epoch: number;
  publicKey: Hex;
  address?: Hex;
  xOnlyPublicKey?: Hex;
  presignatures?: number;
  nonces?: number;
  status: "active" | "pending" | "retired";
}

export interface GroupStatus {
  groupId: string;
  members: { id: number; operator: string; peerId: string; online: boolean }[];
  keys: KeyStatus[];
}

export interface NodeStatus {
  peerId: string;
  operator: string;
  chainId: number;
  registry: string;
  peers: { peerId: string; connected: boolean }[];
  groups: GroupStatus[];
}

export interface TypedDataPayload {
  domain: Record<string, unknown>;
  types: Record<string, { name: string; type: string }[]>;
  primaryType?: string;
  message: Record<string, unknown>;
}

/** An approver's EIP-712 approval of one signing request (business approval layer; docs/api.md). */
export interface SignedApproval {
  approver: string;
  signature: string;
  /** Unix seconds. */
  expiresAt: number;
}

/** What to sign; see docs/api.md. */
export type SignPayload = { variant?: "bip340" | "rfc9591"; approvals?: SignedApproval[] } & (
  | { kind: "digest"; digest: Hex }
  | { kind: "message"; message: Hex }
  | { kind: "typedData"; typedData: TypedDataPayload }
  | { kind: "transaction"; transaction: Hex }
);

export type SignRequest = SignPayload & { requestId: string };

export interface SignResult {
  keyId: string;
  epoch: number;
  digest: Hex;
  signature: Hex;
  r?: Hex;
  s?: Hex;
  v?: number;
  yParity?: 0 | 1;
  serialized?: Hex;
  R?: { x: Hex; y: Hex };
}

/** The on-chain payload a ciphertext is stored as: members read its reveal policy there. */
export interface PayloadPointer {
  /** Contract holding the payload; optional for TDH2 (the label names it), required for ECIES. */
  contract?: string;
  /** Payload id in that contract (decimal string or bigint). */
  id: string | bigint;
}

export interface DecryptRequest {
  requestId: string;
  ciphertext: Hex;
  format: "tdh2" | "ecies";
  payload: { contract?: string; id: string };
}

export interface ApiErrorBody {
  error: { code: string; message: string; culprits?: number[]; details?: Record<string, unknown> };
}
