/**
 * An ethers v6 Signer whose key is a Shardless group key: `contract.connect(groupSigner).method(...)` and
 * `groupSigner.sendTransaction(...)` work unchanged. Every signature the nodes return is checked here
 * against the group address before it is used.
 */
import {
  AbstractSigner,
  Transaction,
  TypedDataEncoder,
  copyRequest,
  getAddress,
  hashMessage,
  hexlify,
  recoverAddress,
  resolveAddress,
  toUtf8Bytes,
  type Provider,
  type TransactionLike,
  type TransactionRequest,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { ShardlessApiError, type ShardlessClient } from "./api-client.js";
import type { Hex } from "./types.js";

export class GroupSigner extends AbstractSigner {
  private address?: string;

  constructor(
    readonly client: ShardlessClient,
    readonly keyId: string,
    provider: Provider | null = null,
  ) {
    super(provider);
  }

  connect(provider: Provider | null): GroupSigner {
    const s = new GroupSigner(this.client, this.keyId, provider);
    s.address = this.address;
    return s;
  }

  async getAddress(): Promise<string> {
    if (!this.address) {
      const key = await this.client.key(this.keyId);
      if (key.scheme !== "ecdsa" || !key.address) {
        throw new ShardlessApiError(
          "BAD_REQUEST",
          `key ${this.keyId} is a ${key.scheme} key, not ecdsa`,
          400,
        );
      }
      this.address = getAddress(key.address);
    }
    return this.address;
  }

  private async checked(digest: string, signature: Hex): Promise<Hex> {
    const expected = await this.getAddress();
    if (recoverAddress(digest, signature) !== expected) {
      throw new ShardlessApiError(
        "VERIFICATION",
        "node returned a signature that does not match the group",
        0,
      );
    }
    return signature;
  }

  async signTransaction(tx: TransactionRequest): Promise<string> {
    // copyRequest reads fields through getters: AbstractSigner.sendTransaction passes a Transaction
    // instance, whose fields are not own properties (a spread would drop them all).
    const req = copyRequest(tx);
    const from = req.from ? getAddress(await resolveAddress(req.from, this.provider)) : undefined;
    if (from && from !== (await this.getAddress())) {
      throw new ShardlessApiError("BAD_REQUEST", `transaction from ${from} is not the group address`, 400);
    }
    delete req.from;
    if (req.to != null) req.to = await resolveAddress(req.to, this.provider);
    const unsigned = Transaction.from(req as TransactionLike<string>);
    const result = await this.client.sign(this.keyId, {
      kind: "transaction",
      transaction: unsigned.unsignedSerialized as Hex,
    });
    if (!result.serialized)
      throw new ShardlessApiError("BAD_RESPONSE", "node returned no signed transaction", 0);
    const signed = Transaction.from(result.serialized);
    if (signed.unsignedHash !== unsigned.unsignedHash || signed.from !== (await this.getAddress())) {
      throw new ShardlessApiError(
        "VERIFICATION",
        "signed transaction does not match the request or the group",
        0,
      );
    }
    return result.serialized;
  }

  async signMessage(message: string | Uint8Array): Promise<string> {
    const bytes = typeof message === "string" ? toUtf8Bytes(message) : message;
    const result = await this.client.sign(this.keyId, { kind: "message", message: hexlify(bytes) as Hex });
    return this.checked(hashMessage(bytes), result.signature);
  }

  async signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    // getPayload is the JSON form (eth_signTypedData_v4): bigint values become decimal strings, and
    // `types` gains EIP712Domain, which the node leaves out when hashing.
    const payload = TypedDataEncoder.getPayload(domain, types, value);
    const result = await this.client.sign(this.keyId, {
      kind: "typedData",
      typedData: {
        domain: payload.domain as Record<string, unknown>,
        types: payload.types as Record<string, { name: string; type: string }[]>,
        primaryType: payload.primaryType,
        message: payload.message as Record<string, unknown>,
      },
    });
    return this.checked(TypedDataEncoder.hash(domain, types, value), result.signature);
  }
}
