/**
 * HTTP client of a member node's API (docs/api.md). What applications, the GroupSigner and the Hardhat
 * plugin use. Errors are ShardlessApiError with the server's stable `code` (and culprits, if any).
 */
import { randomBytes } from "node:crypto";
import type {
  ApiErrorBody,
  DecryptRequest,
  GroupStatus,
  Hex,
  KeyStatus,
  NodeStatus,
  PayloadPointer,
  SignPayload,
  SignResult,
} from "./types.js";
import type { Scheme } from "../protocol/key-share.js";

export class ShardlessApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly culprits: readonly number[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ShardlessApiError";
  }
}

export interface ShardlessClientOptions {
  /** Base URL of a member node, e.g. http://127.0.0.1:7001 */
  url: string;
  /** Bearer token of that node's API. */
  token: string;
  /** Per-request timeout in ms. @default 120_000 */
  timeoutMs?: number;
}

/** A fresh idempotency id. Pass your own to make retries safe across process restarts. */
export const newRequestId = () => `req-${Date.now().toString(36)}-${randomBytes(8).toString("hex")}`;

export class ShardlessClient {
  private readonly base: string;
  constructor(private readonly opts: ShardlessClientOptions) {
    if (!opts.url) throw new TypeError("`url` expected");
    if (!opts.token) throw new TypeError("`token` expected");
    this.base = opts.url.replace(/\/+$/, "");
  }

  private async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { authorization: `Bearer ${this.opts.token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 120_000),
      });
    } catch (cause) {
      const msg = cause instanceof Error ? cause.message : String(cause);
      throw new ShardlessApiError("UNREACHABLE", `node at ${this.base} unreachable: ${msg}`, 0);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new ShardlessApiError("BAD_RESPONSE", `node answered non-JSON (HTTP ${res.status})`, res.status);
    }
    if (!res.ok) {
      const e = (json as Partial<ApiErrorBody>).error;
      throw new ShardlessApiError(
        e?.code ?? "HTTP_" + res.status,
        e?.message ?? `HTTP ${res.status}`,
        res.status,
        e?.culprits ?? [],
        e?.details ?? {},
      );
    }
    return json as T;
  }

  health(): Promise<{ ok: boolean; peerId: string }> {
    return this.call("GET", "/healthz");
  }
  status(): Promise<NodeStatus> {
    return this.call("GET", "/v1/status");
  }
  key(keyId: string): Promise<KeyStatus> {
    return this.call("GET", `/v1/keys/${encodeURIComponent(keyId)}`);
  }
  keygen(groupId: string, scheme: Scheme, degree: number, requestId = newRequestId()): Promise<KeyStatus> {
    return this.call("POST", `/v1/groups/${encodeURIComponent(groupId)}/keys`, { requestId, scheme, degree });
  }
  sign(keyId: string, request: SignPayload & { requestId?: string }): Promise<SignResult> {
    return this.call("POST", `/v1/keys/${encodeURIComponent(keyId)}/sign`, {
      ...request,
      requestId: request.requestId ?? newRequestId(),
    });
  }
  /**
   * Threshold decryption of `ciphertext`, stored on-chain as `payload`: every member checks that
   * payload's reveal policy at a confirmed block before releasing its share.
   */
  async decrypt(
    keyId: string,
    ciphertext: Hex,
    format: DecryptRequest["format"],
    payload: PayloadPointer,
    requestId: string = newRequestId(),
  ): Promise<Hex> {
    const r = await this.call<{ plaintext: Hex }>("POST", `/v1/keys/${encodeURIComponent(keyId)}/decrypt`, {
      requestId,
      ciphertext,
      format,
      payload: { ...(payload.contract ? { contract: payload.contract } : {}), id: String(payload.id) },
    });
    return r.plaintext;
  }
  refresh(keyId: string, requestId = newRequestId()): Promise<KeyStatus> {
    return this.call("POST", `/v1/keys/${encodeURIComponent(keyId)}/refresh`, { requestId });
  }
  recover(keyId: string, member: number, requestId = newRequestId()) {
    return this.call<{ keyId: string; member: number; epoch: number }>(
      "POST",
      `/v1/keys/${encodeURIComponent(keyId)}/recover`,
      { requestId, member },
    );
  }
  reshare(
    groupId: string,
    members: string[],
    degree: number,
    requestId = newRequestId(),
  ): Promise<GroupStatus> {
    return this.call("POST", `/v1/groups/${encodeURIComponent(groupId)}/reshare`, {
      requestId,
      members,
      degree,
    });
  }
}
