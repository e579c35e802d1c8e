/**
 * What the HTTP API needs from the node: one method per route of docs/api.md. The node composition
 * implements it with the real protocols; tests use a double. The server has already authenticated the
 * caller, validated every argument against the schemas, and deduplicated by `requestId` (a method is
 * called at most once per successful requestId), so implementations focus on the work itself.
 *
 * Errors: throw the ShardlessError family (node/protocol/errors.ts) or NotFoundError / UnavailableError
 * (./errors.ts); the server maps `code` to the API error table. Anything else is reported as INTERNAL
 * and its message is not shown to the caller.
 */
import type { Scheme } from "../../protocol/key-share.js";
import type { GroupStatus, Hex, KeyStatus, NodeStatus, SignPayload, SignResult } from "../../client/types.js";

export interface HealthStatus {
  ok: boolean;
  peerId: string;
}

/** Which on-chain payload a ciphertext is: contract (checksummed) and payload id. */
export interface PayloadRef {
  contract?: Hex;
  id: bigint;
}

export interface RecoverResult {
  keyId: string;
  member: number;
  epoch: number;
}

export interface NodeServices {
  /** `GET /healthz`: cheap liveness; no token. `ok: false` answers 503. */
  health(): Promise<HealthStatus>;
  /** `GET /v1/status`. */
  status(): Promise<NodeStatus>;
  /** `GET /v1/keys/:keyId`; NotFoundError if unknown. */
  key(keyId: string): Promise<KeyStatus>;
  /** `POST /v1/groups/:groupId/keys`: runs the DKG and publishes the key; answers when done. */
  keygen(groupId: string, scheme: Scheme, degree: number, requestId: string): Promise<KeyStatus>;
  /**
   * `POST /v1/keys/:keyId/sign`. Hex inputs arrive lower-cased. The result must already be verified
   * against the group key (ecdsa: low-s, `signature` = r‖s‖v with v = 27 + yParity; kind "transaction":
   * `serialized` is the signed transaction).
   */
  sign(keyId: string, payload: SignPayload, requestId: string): Promise<SignResult>;
  /**
   * `POST /v1/keys/:keyId/decrypt`: checks the ciphertext's validity and the reveal policy of `payload`
   * (the on-chain copy of the ciphertext; `contract` is always set for "ecies", and for "tdh2" the
   * ciphertext's label names it) at a confirmed block before releasing shares.
   */
  decrypt(
    keyId: string,
    ciphertext: Hex,
    format: "tdh2" | "ecies",
    requestId: string,
    payload: PayloadRef,
  ): Promise<{ plaintext: Hex }>;
  /** `POST /v1/keys/:keyId/refresh`: new epoch, same public key. */
  refresh(keyId: string, requestId: string): Promise<KeyStatus>;
  /** `POST /v1/keys/:keyId/recover`: restores `member`'s share from t+1 helpers. */
  recover(keyId: string, member: number, requestId: string): Promise<RecoverResult>;
  /** `POST /v1/groups/:groupId/reshare`: `members` are checksummed operator addresses. */
  reshare(groupId: string, members: Hex[], degree: number, requestId: string): Promise<GroupStatus>;
}
