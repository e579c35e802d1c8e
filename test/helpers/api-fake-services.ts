/**
 * TEST-ONLY double of a member node behind the HTTP API. Each key is ONE ordinary private key held in
 * memory (ethers SigningKey for ecdsa, BIP-340 for schnorr, TDH2 with a single share and eciesjs for
 * decryption): it exercises the HTTP server, the client, the GroupSigner and the plugin tasks, and says
 * nothing about threshold signing. It records every call and can be told to fail or to hold a call, so
 * tests can check idempotency and error mapping.
 */
import {
  SigningKey,
  Transaction,
  TypedDataEncoder,
  computeAddress,
  getBytes,
  hashMessage,
  hexlify,
  keccak256,
  toUtf8Bytes,
} from "ethers";
import { decrypt as eciesDecrypt } from "eciesjs";
import { ParameterError } from "../../node/protocol/errors.js";
import { schnorrPublicKey, schnorrSignSingle } from "../../node/crypto/secp256k1.js";
import { decodeTdh2Ciphertext, tdh2Combine, tdh2DecryptionShare } from "../../node/crypto/tdh2.js";
import {
  assertGroupParameters,
  colludersToSteal,
  quorum,
  type Scheme,
} from "../../node/protocol/key-share.js";
import { NotFoundError, UnavailableError } from "../../node/adapters/api/errors.js";
import { ApiServer, type ApiServerOptions } from "../../node/adapters/api/server.js";
import type {
  HealthStatus,
  NodeServices,
  PayloadRef,
  RecoverResult,
} from "../../node/adapters/api/services.js";
import { ShardlessClient } from "../../node/client/api-client.js";
import type {
  GroupStatus,
  Hex,
  KeyStatus,
  NodeStatus,
  SignPayload,
  SignResult,
} from "../../node/client/types.js";

type Method = keyof NodeServices;

interface FakeGroup {
  groupId: string;
  members: { id: number; operator: string; peerId: string; online: boolean }[];
}

interface FakeKey {
  status: KeyStatus;
  signingKey: SigningKey;
}

/** The double's private key for `keyId` (deterministic, so tests can fund its address in genesis). */
export function fakePrivateKey(keyId: string): Hex {
  return keccak256(toUtf8Bytes(`shardless fake node key ${keyId}`)) as Hex;
}

function testSigningKey(keyId: string): SigningKey {
  return new SigningKey(fakePrivateKey(keyId));
}

function testOperator(id: number): string {
  return computeAddress(testSigningKey(`operator ${id}`).publicKey);
}

export class FakeNodeServices implements NodeServices {
  readonly peerId = "12D3KooWFakeNodeForApiTests";
  readonly chainId: number;
  readonly registry: string;
  /** Every call in order, with its arguments. */
  readonly calls: { method: Method; args: unknown[] }[] = [];
  readonly groups = new Map<string, FakeGroup>();
  readonly keys = new Map<string, FakeKey>();
  private nextKeyId = 1;
  private readonly failures = new Map<Method, unknown>();
  private readonly holds = new Map<Method, Promise<void>>();

  constructor(opts: { chainId?: number; registry?: string; members?: number } = {}) {
    this.chainId = opts.chainId ?? 31337;
    this.registry = opts.registry ?? "0x0000000000000000000000000000000000000000";
    const n = opts.members ?? 3;
    this.groups.set("1", {
      groupId: "1",
      members: Array.from({ length: n }, (_, i) => ({
        id: i + 1,
        operator: testOperator(i + 1),
        peerId: `12D3KooWFakePeer${i + 1}`,
        online: true,
      })),
    });
  }

  /** The next call of `method` throws `error` (once). */
  failNext(method: Method, error: unknown): void {
    this.failures.set(method, error);
  }

  /** Calls of `method` wait until the returned function is called. */
  hold(method: Method): () => void {
    let release!: () => void;
    this.holds.set(
      method,
      new Promise<void>((r) => {
        release = r;
      }),
    );
    return () => {
      this.holds.delete(method);
      release();
    };
  }

  count(method: Method): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  setOnline(memberId: number, online: boolean, groupId = "1"): void {
    const m = this.group(groupId).members.find((x) => x.id === memberId);
    if (!m) throw new ParameterError(`no member ${memberId}`);
    m.online = online;
  }

  /** The test private key behind a key (test-only: lets tests encrypt/verify independently). */
  signingKey(keyId: string): SigningKey {
    return this.keyOf(keyId).signingKey;
  }

  private async enter(method: Method, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    const hold = this.holds.get(method);
    if (hold) await hold;
    if (this.failures.has(method)) {
      const err = this.failures.get(method);
      this.failures.delete(method);
      throw err;
    }
  }

  private group(groupId: string): FakeGroup {
    const g = this.groups.get(groupId);
    if (!g) throw new NotFoundError(`unknown group ${groupId}`);
    return g;
  }

  private keyOf(keyId: string): FakeKey {
    const k = this.keys.get(keyId);
    if (!k) throw new NotFoundError(`unknown key ${keyId}`);
    return k;
  }

  private assertQuorum(key: KeyStatus): void {
    const online = this.group(key.groupId).members.filter((m) => m.online).length;
    if (online < key.quorum) {
      throw new UnavailableError(`key ${key.keyId} needs ${key.quorum} members online`, online, key.quorum);
    }
  }

  async health(): Promise<HealthStatus> {
    return { ok: true, peerId: this.peerId };
  }

  async status(): Promise<NodeStatus> {
    await this.enter("status", []);
    const groups: GroupStatus[] = [...this.groups.values()].map((g) => this.groupStatus(g));
    const peers = [...this.groups.values()]
      .flatMap((g) => g.members)
      .map((m) => ({ peerId: m.peerId, connected: m.online }));
    return {
      peerId: this.peerId,
      operator: testOperator(1),
      chainId: this.chainId,
      registry: this.registry,
      peers,
      groups,
    };
  }

  private groupStatus(g: FakeGroup): GroupStatus {
    const keys = [...this.keys.values()]
      .filter((k) => k.status.groupId === g.groupId)
      .map((k) => ({ ...k.status }));
    return { groupId: g.groupId, members: g.members.map((m) => ({ ...m })), keys };
  }

  async key(keyId: string): Promise<KeyStatus> {
    await this.enter("key", [keyId]);
    return { ...this.keyOf(keyId).status };
  }

  async keygen(groupId: string, scheme: Scheme, degree: number, requestId: string): Promise<KeyStatus> {
    await this.enter("keygen", [groupId, scheme, degree, requestId]);
    const g = this.group(groupId);
    assertGroupParameters(scheme, degree, g.members.length);
    const keyId = String(this.nextKeyId++);
    const signingKey = testSigningKey(keyId);
    const publicKey = signingKey.compressedPublicKey as Hex;
    const status: KeyStatus = {
      keyId,
      groupId,
      scheme,
      degree,
      quorum: quorum(scheme, degree),
      colludersToSteal: colludersToSteal(degree),
      epoch: 0,
      publicKey,
      status: "active",
    };
    if (scheme === "ecdsa") {
      status.address = computeAddress(signingKey.publicKey) as Hex;
      status.presignatures = 8;
    }
    if (scheme === "schnorr") {
      status.xOnlyPublicKey = hexlify(schnorrPublicKey(getBytes(signingKey.privateKey))) as Hex;
      status.nonces = 8;
    }
    this.assertQuorum(status);
    this.keys.set(keyId, { status, signingKey });
    return { ...status };
  }

  async sign(keyId: string, payload: SignPayload, requestId: string): Promise<SignResult> {
    await this.enter("sign", [keyId, payload, requestId]);
    const { status, signingKey } = this.keyOf(keyId);
    if (status.scheme === "schnorr") return this.signSchnorr(status, signingKey, payload);
    if (status.scheme !== "ecdsa") throw new ParameterError(`key ${keyId} is not a signing key`);
    this.assertQuorum(status);
    let digest: string;
    let tx: Transaction | undefined;
    switch (payload.kind) {
      case "digest":
        digest = payload.digest;
        break;
      case "message":
        digest = hashMessage(getBytes(payload.message));
        break;
      case "typedData": {
        const { EIP712Domain: _domainType, ...types } = payload.typedData.types;
        const encoder = TypedDataEncoder.from(types);
        if (payload.typedData.primaryType && payload.typedData.primaryType !== encoder.primaryType) {
          throw new ParameterError(`primaryType ${payload.typedData.primaryType} is not the root type`);
        }
        digest = TypedDataEncoder.hash(payload.typedData.domain, types, payload.typedData.message);
        break;
      }
      case "transaction":
        try {
          tx = Transaction.from(payload.transaction);
        } catch {
          throw new ParameterError("transaction does not parse");
        }
        if (tx.signature) throw new ParameterError("transaction is already signed");
        digest = tx.unsignedHash;
        break;
    }
    const sig = signingKey.sign(digest);
    const result: SignResult = {
      keyId,
      epoch: status.epoch,
      digest: digest as Hex,
      signature: sig.serialized as Hex,
      r: sig.r as Hex,
      s: sig.s as Hex,
      v: sig.v,
      yParity: sig.yParity,
    };
    if (tx) {
      tx.signature = sig;
      result.serialized = tx.serialized as Hex;
    }
    return result;
  }

  /** BIP-340 with the one test key (the real node runs FROST). */
  private signSchnorr(status: KeyStatus, signingKey: SigningKey, payload: SignPayload): SignResult {
    this.assertQuorum(status);
    if ((payload.variant ?? "bip340") !== "bip340") {
      throw new ParameterError("the test double signs schnorr with the bip340 variant only");
    }
    let msg: Uint8Array;
    if (payload.kind === "digest") msg = getBytes(payload.digest);
    else if (payload.kind === "message") msg = getBytes(payload.message);
    else throw new ParameterError(`schnorr keys do not sign kind ${payload.kind}`);
    const signature = schnorrSignSingle(msg, getBytes(signingKey.privateKey));
    return {
      keyId: status.keyId,
      epoch: status.epoch,
      digest: hexlify(msg) as Hex,
      signature: hexlify(signature) as Hex,
    };
  }

  async decrypt(
    keyId: string,
    ciphertext: Hex,
    format: "tdh2" | "ecies",
    requestId: string,
    payload: PayloadRef,
  ) {
    // The double does not read the chain: it records `payload` (tests check it arrived) and trusts it.
    await this.enter("decrypt", [keyId, ciphertext, format, requestId, payload]);
    const { status, signingKey } = this.keyOf(keyId);
    if (status.scheme !== "encryption") throw new ParameterError(`key ${keyId} is not an encryption key`);
    this.assertQuorum(status);
    if (format === "tdh2") {
      // One share at x = 1 of a degree-0 sharing is the key itself (Lagrange coefficient 1).
      const ct = decodeTdh2Ciphertext(getBytes(ciphertext));
      const share = tdh2DecryptionShare(ct, 1, BigInt(signingKey.privateKey));
      return { plaintext: hexlify(tdh2Combine(ct, [share], 1)) as Hex };
    }
    let plaintext: Uint8Array;
    try {
      plaintext = eciesDecrypt(getBytes(signingKey.privateKey), getBytes(ciphertext));
    } catch {
      throw new ParameterError("ciphertext does not decrypt");
    }
    return { plaintext: hexlify(plaintext) as Hex };
  }

  async refresh(keyId: string, requestId: string): Promise<KeyStatus> {
    await this.enter("refresh", [keyId, requestId]);
    const key = this.keyOf(keyId);
    this.assertQuorum(key.status);
    key.status = { ...key.status, epoch: key.status.epoch + 1 };
    return { ...key.status };
  }

  async recover(keyId: string, member: number, requestId: string): Promise<RecoverResult> {
    await this.enter("recover", [keyId, member, requestId]);
    const key = this.keyOf(keyId);
    if (!this.group(key.status.groupId).members.some((m) => m.id === member)) {
      throw new ParameterError(`member ${member} is not in group ${key.status.groupId}`);
    }
    return { keyId, member, epoch: key.status.epoch };
  }

  async reshare(groupId: string, members: Hex[], degree: number, requestId: string): Promise<GroupStatus> {
    await this.enter("reshare", [groupId, members, degree, requestId]);
    const g = this.group(groupId);
    for (const k of this.keys.values()) {
      if (k.status.groupId === groupId) assertGroupParameters(k.status.scheme, degree, members.length);
    }
    g.members = members.map((operator, i) => ({
      id: i + 1,
      operator,
      peerId: `12D3KooWFakePeer${operator.slice(2, 8)}`,
      online: true,
    }));
    for (const k of this.keys.values()) {
      if (k.status.groupId !== groupId) continue;
      k.status = {
        ...k.status,
        degree,
        quorum: quorum(k.status.scheme, degree),
        colludersToSteal: colludersToSteal(degree),
        epoch: k.status.epoch + 1,
      };
    }
    return this.groupStatus(g);
  }
}

export const FAKE_TOKEN = "test-token-0123456789abcdef";

export interface FakeApi {
  services: FakeNodeServices;
  server: ApiServer;
  url: string;
  token: string;
  client: ShardlessClient;
  stop(): Promise<void>;
}

/** Starts an ApiServer on a free loopback port in front of a FakeNodeServices. */
export async function startFakeApi(
  opts: Partial<Omit<ApiServerOptions, "services">> & { services?: FakeNodeServices } = {},
): Promise<FakeApi> {
  const services = opts.services ?? new FakeNodeServices();
  const token = opts.token ?? FAKE_TOKEN;
  const server = new ApiServer({ port: 0, ...opts, services, token });
  const url = await server.start();
  return {
    services,
    server,
    url,
    token,
    client: new ShardlessClient({ url, token }),
    stop: () => server.stop(),
  };
}
