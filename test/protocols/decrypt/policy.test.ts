import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, keccak256, utf8ToBytes } from "../../../node/crypto/index.js";
import { DecodeError, ParameterError } from "../../../node/protocol/errors.js";
import {
  LABEL_BYTES,
  checksumAddress,
  contractPayloadPolicy,
  decideDecryption,
  decodeLabel,
  encodeLabel,
  topicToBytes32,
  type DecryptChainState,
} from "../../../node/policy/decrypt-policy.js";

const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3"; // EIP-55 form (hardhat's first deployment)
const topic = "0x" + "ab".repeat(32);
const label = encodeLabel({ chainId: 31337n, contract, topic });
const state: DecryptChainState = {
  chainId: 31337n,
  contract: contract.toLowerCase(),
  payloadId: 3n,
  topic,
  revealAllowed: true,
  blockNumber: 10,
  confirmations: 2,
};

describe("contract labels", () => {
  it("snapshot: 0x01 ‖ chainId uint256 ‖ address ‖ topic (abi.encodePacked(uint8(1), chainid, this, topic))", () => {
    assert.equal(label.length, LABEL_BYTES);
    assert.equal(
      bytesToHex(label),
      "01" + (31337).toString(16).padStart(64, "0") + contract.slice(2).toLowerCase() + "ab".repeat(32),
    );
    assert.deepEqual(decodeLabel(label), { chainId: 31337n, contract, topic });
  });

  it("topics: 32 bytes or bytes32 hex as is, uint256 ids big-endian, other strings keccak256(bytes(s))", () => {
    assert.equal(bytesToHex(topicToBytes32(topic)), "ab".repeat(32));
    assert.equal(bytesToHex(topicToBytes32(7n)), "00".repeat(31) + "07");
    assert.deepEqual(topicToBytes32("bid"), keccak256(utf8ToBytes("bid")));
    assert.deepEqual(topicToBytes32(new Uint8Array(32).fill(1)), new Uint8Array(32).fill(1));
    assert.throws(() => topicToBytes32(new Uint8Array(31)), ParameterError);
    assert.throws(() => topicToBytes32(-1n), ParameterError);
    assert.throws(() => topicToBytes32(1n << 256n), ParameterError);
  });

  it("addresses: EIP-55 checksums are produced and enforced", () => {
    assert.equal(checksumAddress(contract.toLowerCase()), contract);
    assert.equal(
      checksumAddress("0x52908400098527886E0F7030069857D2E4169EE7"),
      "0x52908400098527886E0F7030069857D2E4169EE7",
    );
    const badCase = contract.slice(0, 3) + contract[3].toLowerCase() + contract.slice(4);
    assert.throws(() => checksumAddress(badCase), ParameterError);
    assert.throws(() => checksumAddress("0x1234"), ParameterError);
  });

  it("decoding is strict", () => {
    assert.throws(() => decodeLabel(label.subarray(1)), DecodeError);
    const v2 = label.slice();
    v2[0] = 2;
    assert.throws(() => decodeLabel(v2), DecodeError);
    const zeroChain = label.slice();
    zeroChain.fill(0, 1, 33);
    assert.throws(() => decodeLabel(zeroChain), DecodeError);
    assert.throws(() => encodeLabel({ chainId: 0n, contract, topic }), ParameterError);
    assert.throws(() => encodeLabel({ chainId: 1.5, contract, topic }), ParameterError);
  });
});

describe("decideDecryption", () => {
  it("allows only when label, chain, contract, topic, confirmation and revealAllowed all agree", () => {
    assert.deepEqual(decideDecryption({ label, chainState: state }), { allowed: true, reason: "allowed" });
  });

  const cases: [string, Parameters<typeof decideDecryption>[0]][] = [
    ["missing-label", { label: undefined, chainState: state }],
    ["missing-chain-state", { label, chainState: undefined }],
    ["malformed-label", { label: utf8ToBytes("free text"), chainState: state }],
    ["wrong-chain", { label, chainState: { ...state, chainId: 1n } }],
    ["wrong-contract", { label, chainState: { ...state, contract: "0x" + "11".repeat(20) } }],
    ["wrong-topic", { label, chainState: { ...state, topic: "0x" + "cd".repeat(32) } }],
    ["unconfirmed", { label, chainState: { ...state, confirmations: 0 } }],
    ["unconfirmed", { label, chainState: state, minConfirmations: 3 }],
    ["reveal-not-allowed", { label, chainState: { ...state, revealAllowed: false } }],
    ["ciphertext-mismatch", { label, chainState: { ...state, ciphertextHash: "0x" + "00".repeat(32) } }],
    [
      "ciphertext-mismatch",
      {
        label,
        chainState: { ...state, ciphertextHash: "0x" + "00".repeat(32) },
        ciphertextHash: new Uint8Array(32).fill(1),
      },
    ],
  ];
  for (const [reason, input] of cases) {
    it(`refuses: ${reason}`, () => assert.deepEqual(decideDecryption(input), { allowed: false, reason }));
  }

  it("accepts the stored ciphertext's hash", () => {
    const h = new Uint8Array(32).fill(9);
    const chainState = { ...state, ciphertextHash: "0x" + bytesToHex(h) };
    assert.equal(decideDecryption({ label, chainState, ciphertextHash: h }).allowed, true);
  });

  it("label-less (ECIES) payloads: refused unless allowUnlabelled, then bound by the stored ciphertext hash", () => {
    const h = new Uint8Array(32).fill(5);
    const stored = { ...state, ciphertextHash: "0x" + bytesToHex(h) };
    assert.equal(
      decideDecryption({ label: undefined, chainState: stored, ciphertextHash: h }).reason,
      "missing-label",
    );
    const open = { label: undefined, allowUnlabelled: true } as const;
    assert.deepEqual(decideDecryption({ ...open, chainState: stored, ciphertextHash: h }), {
      allowed: true,
      reason: "allowed",
    });
    const other = new Uint8Array(32).fill(6);
    assert.equal(
      decideDecryption({ ...open, chainState: stored, ciphertextHash: other }).reason,
      "ciphertext-mismatch",
    );
    assert.equal(
      decideDecryption({ ...open, chainState: state, ciphertextHash: h }).reason,
      "ciphertext-mismatch",
    );
    assert.equal(
      decideDecryption({ ...open, chainState: { ...stored, revealAllowed: false }, ciphertextHash: h })
        .reason,
      "reveal-not-allowed",
    );
  });

  it("contractPayloadPolicy: looks up the chain state by the requested payload id; unknown ids are refused", () => {
    const policy = contractPayloadPolicy(new Map([[3n, state]]));
    const hash = new Uint8Array(32);
    assert.equal(policy({ label, payloadId: 3n, ciphertextHash: hash }).allowed, true);
    assert.equal(policy({ label, payloadId: 4n, ciphertextHash: hash }).reason, "missing-chain-state");
    assert.equal(policy({ label, payloadId: undefined, ciphertextHash: hash }).reason, "missing-chain-state");
  });
});
