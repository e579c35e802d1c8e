import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, keccak256, seededRng, utf8ToBytes } from "../../node/crypto/index.js";
import {
  decodeTdh2Ciphertext,
  encodeTdh2Ciphertext,
  tdh2Combine,
  tdh2DecryptionShare,
  tdh2Encrypt,
} from "../../node/crypto/tdh2.js";
import { DecodeError, ParameterError } from "../../node/protocol/errors.js";
import { encryptForContract, inspectCiphertext, parseGroupKey } from "../../node/client/encryption.js";
import { decodeLabel } from "../../node/policy/decrypt-policy.js";
import { dealKey } from "../helpers/dealer.js";

const dealt = dealKey({ scheme: "encryption", degree: 1, participants: [1, 2, 3] }, seededRng("client"));
const pub = dealt.shares.get(1)!.public;
const groupKey = pub.publicKey.toBytes(true);
const target = { chainId: 31337n, contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3", topic: "bid" };

describe("encryptForContract", () => {
  it("binds chain id, contract and topic into the label; the group decrypts", () => {
    const ct = encryptForContract(target, utf8ToBytes("42"), groupKey);
    const parsed = decodeTdh2Ciphertext(ct);
    assert.deepEqual(decodeLabel(parsed.label), {
      chainId: 31337n,
      contract: target.contract,
      topic: "0x" + bytesToHex(keccak256(utf8ToBytes("bid"))),
    });
    const rng = seededRng("s");
    const shares = [1, 3].map((id) =>
      tdh2DecryptionShare(parsed, id, dealt.shares.get(id)!.secretShare, rng),
    );
    assert.deepEqual(tdh2Combine(parsed, shares, 2), utf8ToBytes("42"));
  });

  it("accepts the group key as bytes, hex or 0x-hex, all giving the same ciphertext under one rng", () => {
    const hex = bytesToHex(groupKey);
    const outs = [groupKey, hex, "0x" + hex].map((k) =>
      bytesToHex(encryptForContract(target, utf8ToBytes("x"), k, { rng: seededRng("same") })),
    );
    assert.equal(new Set(outs).size, 1);
  });

  it("snapshot: a contract ciphertext under a seeded rng", () => {
    const ct = encryptForContract({ ...target, topic: 1n }, utf8ToBytes("bid"), groupKey, {
      rng: seededRng("c"),
    });
    const info = inspectCiphertext(ct);
    assert.equal(info.sizes.total, 179 + 85 + 3 + 16);
    // The label occupies bytes 167..252; its hex is fixed by the target alone.
    assert.equal(
      bytesToHex(ct.subarray(163, 167 + 85)),
      "00000055" +
        "01" +
        (31337).toString(16).padStart(64, "0") +
        "5fbdb2315678afecb367f032d93f642f64180aa3" +
        "00".repeat(31) +
        "01",
    );
    assert.equal(bytesToHex(ct).slice(0, 2), "01");
  });

  it("typed errors for bad arguments", () => {
    const msg = utf8ToBytes("m");
    assert.throws(() => encryptForContract(target, msg, groupKey.subarray(1)), ParameterError);
    assert.throws(() => encryptForContract(target, msg, "zz"), ParameterError);
    assert.throws(() => encryptForContract(target, msg, new Uint8Array(33)), ParameterError, "not a point");
    assert.throws(() => encryptForContract({ ...target, contract: "0x12" }, msg, groupKey), ParameterError);
    assert.throws(() => encryptForContract({ ...target, chainId: -1n }, msg, groupKey), ParameterError);
    assert.throws(() => encryptForContract(target, "m" as unknown as Uint8Array, groupKey), ParameterError);
    assert.throws(
      () => parseGroupKey(pub.publicKey.toBytes(false)),
      ParameterError,
      "65-byte keys are refused",
    );
  });
});

describe("inspectCiphertext", () => {
  it("reports version, label fields, validity and sizes, from bytes or hex", () => {
    const ct = encryptForContract(target, new Uint8Array(100), groupKey);
    for (const input of [ct, bytesToHex(ct), "0x" + bytesToHex(ct)]) {
      const info = inspectCiphertext(input);
      assert.equal(info.version, 1);
      assert.equal(info.scheme, "tdh2");
      assert.equal(info.valid, true);
      assert.equal(info.label?.chainId, 31337n);
      assert.equal(info.label?.contract, target.contract);
      assert.deepEqual(info.sizes, {
        total: 179 + 85 + 116,
        header: 179,
        label: 85,
        iv: 12,
        payload: 116,
        tag: 16,
        plaintext: 100,
      });
    }
  });

  it("flags a tampered ciphertext as invalid, and a foreign label as null", () => {
    const ct = encryptForContract(target, utf8ToBytes("m"), groupKey);
    ct[ct.length - 1] ^= 1;
    assert.equal(inspectCiphertext(ct).valid, false);
    const foreign = encodeTdh2Ciphertext(
      tdh2Encrypt(utf8ToBytes("m"), utf8ToBytes("not a contract label"), pub.publicKey),
    );
    const info = inspectCiphertext(foreign);
    assert.equal(info.label, null);
    assert.equal(info.valid, true);
  });

  it("throws DecodeError on malformed input", () => {
    assert.throws(() => inspectCiphertext(new Uint8Array(10)), DecodeError);
    assert.throws(() => inspectCiphertext("0x123"), DecodeError);
    assert.throws(() => inspectCiphertext("nothex"), DecodeError);
  });
});
