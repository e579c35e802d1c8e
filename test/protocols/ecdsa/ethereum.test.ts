/**
 * Group ECDSA signatures in every Ethereum form: raw digest, EIP-191, EIP-712, legacy EIP-155 and
 * EIP-1559 transactions. ethers (an independent implementation) and noble must accept each one.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Transaction,
  TypedDataEncoder,
  Wallet,
  computeAddress,
  hashMessage,
  hexlify,
  parseEther,
  parseUnits,
  recoverAddress,
  verifyMessage,
  verifyTypedData,
} from "ethers";
import {
  CURVE_ORDER,
  ecdsaVerify,
  encodeScalar,
  keccak256,
  utf8ToBytes,
} from "../../../node/crypto/index.js";
import { ParameterError } from "../../../node/protocol/errors.js";
import {
  assembleSignature,
  ethereumAddress,
  personalMessageDigest,
  signedTransaction,
  transactionDigest,
  typedDataDigest,
  type SignableTransaction,
} from "../../../node/ethereum/index.js";
import { thresholdSigner } from "./harness.js";

const group = await thresholdSigner(3, 1, 8, "ethereum");
const address = ethereumAddress(group.publicKey);
const recipient = "0x000000000000000000000000000000000000bEEF";

describe("ethereum: group address", () => {
  it("matches ethers' computeAddress and a wallet holding the (test-dealt) secret", () => {
    assert.equal(address, computeAddress(hexlify(group.publicKey.toBytes(true))));
    assert.equal(address, new Wallet(hexlify(encodeScalar(group.key.secret))).address);
  });
});

describe("ethereum: threshold signatures accepted by ethers and noble", () => {
  it("raw 32-byte digest: recoverAddress and ecdsaVerify accept r ‖ s ‖ v", async () => {
    const digest = keccak256(utf8ToBytes("raw digest"));
    const sig = await group.sign(digest);
    const a = assembleSignature(sig.r, sig.s, sig.recovery);
    assert.equal(a.bytes.length, 65);
    assert.equal(a.bytes[64], 27 + sig.recovery);
    assert.equal(recoverAddress(digest, a.hex), address);
    assert.equal(recoverAddress(digest, a.signature), address);
    assert.ok(ecdsaVerify(sig.r, sig.s, digest, group.publicKey));
  });

  it("EIP-191 personal message", async () => {
    const message = "Shardless: approve withdrawal #42";
    const digest = personalMessageDigest(message);
    assert.equal(hexlify(digest), hashMessage(message));
    assert.equal(hexlify(personalMessageDigest(utf8ToBytes(message))), hashMessage(utf8ToBytes(message)));
    const sig = await group.sign(digest);
    assert.equal(verifyMessage(message, assembleSignature(sig.r, sig.s, sig.recovery).hex), address);
    assert.ok(ecdsaVerify(sig.r, sig.s, digest, group.publicKey));
  });

  it("EIP-712 typed data", async () => {
    const domain = { name: "Shardless", version: "1", chainId: 31337, verifyingContract: recipient };
    const types = {
      Transfer: [
        { name: "to", type: "address" },
        { name: "amount", type: "uint256" },
        { name: "memo", type: "string" },
      ],
    };
    const value = { to: recipient, amount: 10n ** 18n, memo: "payroll" };
    const digest = typedDataDigest(domain, types, value);
    assert.equal(hexlify(digest), TypedDataEncoder.hash(domain, types, value));
    const sig = await group.sign(digest);
    assert.equal(
      verifyTypedData(domain, types, value, assembleSignature(sig.r, sig.s, sig.recovery).hex),
      address,
    );
    assert.ok(ecdsaVerify(sig.r, sig.s, digest, group.publicKey));
  });

  it("legacy EIP-155 transaction: Transaction.from(raw).from is the group address", async () => {
    const tx: SignableTransaction = {
      type: 0,
      chainId: 1337,
      nonce: 7,
      gasPrice: parseUnits("2", "gwei"),
      gasLimit: 21000,
      to: recipient,
      value: parseEther("0.5"),
    };
    const digest = transactionDigest(tx);
    assert.equal(hexlify(digest), Transaction.from(tx).unsignedHash);
    const sig = await group.sign(digest);
    const raw = signedTransaction(tx, sig);
    const parsed = Transaction.from(raw);
    assert.equal(parsed.from, address);
    assert.equal(parsed.signature!.v, 27 + sig.recovery);
    assert.equal(
      parsed.signature!.networkV,
      BigInt(sig.recovery + 35 + 2 * 1337),
      "v = recid + 35 + 2·chainId",
    );
    assert.ok(ecdsaVerify(sig.r, sig.s, digest, group.publicKey));
  });

  it("EIP-1559 transaction: Transaction.from(raw).from is the group address", async () => {
    const tx: SignableTransaction = {
      type: 2,
      chainId: 31337,
      nonce: 0,
      maxFeePerGas: parseUnits("3", "gwei"),
      maxPriorityFeePerGas: parseUnits("1", "gwei"),
      gasLimit: 50000,
      to: recipient,
      value: parseEther("1"),
      data: "0x1234",
    };
    const digest = transactionDigest(tx);
    assert.equal(hexlify(digest), Transaction.from(tx).unsignedHash);
    const sig = await group.sign(digest);
    const parsed = Transaction.from(signedTransaction(tx, sig));
    assert.equal(parsed.from, address);
    assert.equal(parsed.signature!.yParity, sig.recovery);
    assert.ok(ecdsaVerify(sig.r, sig.s, digest, group.publicKey));
  });
});

describe("ethereum: refusals", () => {
  it("refuses pre-EIP-155 legacy transactions and unsupported types", () => {
    assert.throws(
      () => transactionDigest({ type: 0, nonce: 0, gasPrice: 1n, gasLimit: 21000, to: recipient }),
      ParameterError,
    );
    assert.throws(
      () =>
        transactionDigest({ type: 1, chainId: 1, nonce: 0, gasPrice: 1n, gasLimit: 21000, to: recipient }),
      ParameterError,
    );
  });

  it("assembleSignature refuses high s, a recovery id ≥ 2 and out-of-range r", () => {
    assert.throws(() => assembleSignature(1n, CURVE_ORDER - 1n, 0), ParameterError);
    assert.throws(() => assembleSignature(1n, 1n, 2), ParameterError);
    assert.throws(() => assembleSignature(0n, 1n, 0), ParameterError);
    assert.throws(() => assembleSignature(CURVE_ORDER, 1n, 0), ParameterError);
  });
});
