import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Transaction, TypedDataEncoder, Wallet, getAddress, hashMessage, id, keccak256 } from "ethers";
import { DecodeError, ParameterError } from "../../node/protocol/errors.js";
import { parseSignIntent, type TransactionIntent } from "../../node/policy/approvals/index.js";
import { ONE_ETH, PAYEE, TOKEN, TRANSFER, call, unsignedTx } from "./fixtures.js";

describe("parseSignIntent: transactions", () => {
  it("decodes to, value, selector, chainId, nonce and hashes the unsigned serialisation", () => {
    const raw = unsignedTx({ to: TOKEN, value: ONE_ETH, data: call(TRANSFER), chainId: 1337n, nonce: 42 });
    const intent = parseSignIntent({ kind: "transaction", transaction: raw }) as TransactionIntent;
    assert.equal(intent.kind, "transaction");
    assert.equal(intent.to, getAddress(TOKEN));
    assert.equal(intent.value, ONE_ETH);
    assert.equal(intent.selector, TRANSFER);
    assert.equal(intent.chainId, 1337n);
    assert.equal(intent.nonce, 42);
    assert.equal(intent.type, 2);
    assert.equal(intent.digest, Transaction.from(raw).unsignedHash);
  });

  it("gives selector 0x to a plain value transfer and null `to` to a contract creation", () => {
    assert.equal(parseSignIntent({ kind: "transaction", transaction: unsignedTx() }).kind, "transaction");
    const plain = parseSignIntent({ kind: "transaction", transaction: unsignedTx() }) as TransactionIntent;
    assert.equal(plain.selector, "0x");
    const create = parseSignIntent({
      kind: "transaction",
      transaction: unsignedTx({ to: null, data: "0x6000" }),
    }) as TransactionIntent;
    assert.equal(create.to, null);
    assert.equal(create.selector, "0x6000", "short calldata is kept whole, matching no 4-byte selector");
  });

  it("accepts a legacy EIP-155 transaction", () => {
    const raw = Transaction.from({
      type: 0,
      chainId: 5n,
      nonce: 1,
      to: PAYEE,
      value: 9n,
      gasLimit: 21000n,
      gasPrice: 1n,
    }).unsignedSerialized as `0x${string}`;
    const intent = parseSignIntent({ kind: "transaction", transaction: raw }) as TransactionIntent;
    assert.equal(intent.type, 0);
    assert.equal(intent.chainId, 5n);
    assert.equal(intent.digest, Transaction.from(raw).unsignedHash);
  });

  it("refuses a signed transaction (policy must see what gets signed, not a finished transaction)", async () => {
    const wallet = new Wallet(id("intent-test-signer"));
    const signed = await wallet.signTransaction(Transaction.from(unsignedTx()));
    assert.throws(
      () => parseSignIntent({ kind: "transaction", transaction: signed as `0x${string}` }),
      ParameterError,
    );
  });

  it("refuses pre-EIP-155 legacy and unsupported types", () => {
    const noChain = Transaction.from({ type: 0, nonce: 1, to: PAYEE, gasLimit: 21000n, gasPrice: 1n })
      .unsignedSerialized as `0x${string}`;
    assert.throws(() => parseSignIntent({ kind: "transaction", transaction: noChain }), ParameterError);
    const type1 = Transaction.from({
      type: 1,
      chainId: 1n,
      nonce: 1,
      to: PAYEE,
      gasLimit: 21000n,
      gasPrice: 1n,
    }).unsignedSerialized as `0x${string}`;
    assert.throws(() => parseSignIntent({ kind: "transaction", transaction: type1 }), ParameterError);
  });

  it("refuses garbage and trailing bytes (the hashed bytes must be exactly the inspected ones)", () => {
    assert.throws(() => parseSignIntent({ kind: "transaction", transaction: "0xdeadbeef" }), DecodeError);
    assert.throws(
      () => parseSignIntent({ kind: "transaction", transaction: `${unsignedTx()}00` as `0x${string}` }),
      (e: unknown) => e instanceof DecodeError,
    );
  });
});

describe("parseSignIntent: other kinds", () => {
  it("hashes an EIP-191 message for ecdsa and keccak256(message) for schnorr", () => {
    const message = "0x68656c6c6f" as const; // "hello"
    assert.equal(parseSignIntent({ kind: "message", message }).digest, hashMessage("hello"));
    assert.equal(
      parseSignIntent({ kind: "message", message }, { scheme: "schnorr" }).digest,
      keccak256(message),
    );
  });

  it("lower-cases a raw digest and refuses one of the wrong length", () => {
    const d = `0x${"AB".repeat(32)}` as const;
    assert.deepEqual(parseSignIntent({ kind: "digest", digest: d }), {
      kind: "digest",
      digest: d.toLowerCase(),
    });
    assert.throws(() => parseSignIntent({ kind: "digest", digest: "0x1234" }), DecodeError);
  });

  it("hashes eth_signTypedData_v4 payloads (EIP712Domain in types) like ethers", () => {
    const domain = { name: "Permit", version: "1", chainId: 1, verifyingContract: TOKEN };
    const types = {
      Mail: [
        { name: "to", type: "address" },
        { name: "amount", type: "uint256" },
      ],
    };
    const value = { to: PAYEE, amount: 5n };
    const payload = TypedDataEncoder.getPayload(domain, types, value);
    const intent = parseSignIntent({
      kind: "typedData",
      typedData: {
        domain: payload.domain as Record<string, unknown>,
        types: payload.types,
        primaryType: payload.primaryType,
        message: payload.message,
      },
    });
    assert.deepEqual(intent, {
      kind: "typedData",
      digest: TypedDataEncoder.hash(domain, types, value),
      primaryType: "Mail",
    });
    assert.throws(
      () =>
        parseSignIntent({
          kind: "typedData",
          typedData: { domain, types, primaryType: "Other", message: value },
        }),
      DecodeError,
    );
    assert.throws(
      () => parseSignIntent({ kind: "typedData", typedData: { domain, types, message: { to: "nope" } } }),
      DecodeError,
    );
  });
});
