/**
 * Wire and storage formats of threshold ECDSA: hex snapshots (a format change shows up in review) and
 * strict decoding (every malformed input is a DecodeError).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CURVE_ORDER, G, bytesToHex, hexToBytes, mulBase } from "../../../node/crypto/index.js";
import { DecodeError } from "../../../node/protocol/errors.js";
import { PROTOCOL_IDS } from "../../../node/protocol/round.js";
import {
  decodePresignMessage,
  decodePresignature,
  decodeSignMessage,
  encodePresignMessage,
  encodePresignature,
  encodeSignMessage,
  encodeSignRequest,
  presignCodec,
  signCodec,
  signRequestHash,
  signSessionId,
  type PresignMessage,
  type Presignature,
} from "../../../node/protocols/ecdsa/index.js";

const z = (n: number) => n.toString(16).padStart(64, "0");
const G_HEX = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
// SEC 1 uncompressed G and 2G (presign wire format v2).
const G_X = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
const G_Y = "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
const G_UNCOMPRESSED_HEX = "04" + G_X + G_Y;
const G2_UNCOMPRESSED_HEX =
  "04" +
  "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5" +
  "1ae168fea63dc339a3c58419466ceaeef7f632653266d0e1236431a950cfe52a";

const deal: PresignMessage = {
  kind: "deal",
  k: [1n, 6n],
  a: [2n, 7n],
  b: [3n, 8n],
  d: [4n, 9n],
  e: [5n, 10n],
};
const open: PresignMessage = { kind: "open", R: [G], w: [7n] };
const auth: PresignMessage = { kind: "authenticate", W: [G.double()], view: new Uint8Array(32).fill(0x11) };

const SNAPSHOTS = {
  deal: "0201" + "00000002" + [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(z).join(""),
  open: "0202" + "00000001" + G_UNCOMPRESSED_HEX + z(7),
  authenticate: "0203" + "00000001" + G2_UNCOMPRESSED_HEX + "11".repeat(32),
  agree: "0101" + "22".repeat(32),
  share: "0102" + z(9),
  request:
    "00000001" +
    "37" +
    "0000000000000002" +
    "ab".repeat(32) +
    "00000003" +
    "000100020003" +
    "0001" +
    "33".repeat(32),
  requestHash: "c5d1f6d2437fb7cea62fc43ce89beb1059f093522dca64bdb2c0bf2b60198354",
  presignature:
    "01" +
    "cd".repeat(32) +
    "0000000137" +
    "0000000000000002" +
    "00000003000100020003" +
    "0002" +
    "022f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe4" +
    G_HEX +
    [1, 2, 3, 4].map(z).join(""),
};

describe("ecdsa presign codec", () => {
  it("uses the ecdsaPresign / ecdsaSign protocol ids", () => {
    assert.equal(presignCodec.protocolId, PROTOCOL_IDS.ecdsaPresign);
    assert.equal(signCodec.protocolId, PROTOCOL_IDS.ecdsaSign);
  });

  it("hex snapshots of deal, open and authenticate", () => {
    assert.equal(bytesToHex(encodePresignMessage(deal)), SNAPSHOTS.deal);
    assert.equal(bytesToHex(encodePresignMessage(open)), SNAPSHOTS.open);
    assert.equal(bytesToHex(encodePresignMessage(auth)), SNAPSHOTS.authenticate);
  });

  it("round-trips", () => {
    for (const [round, m] of [
      [1, deal],
      [2, open],
      [3, auth],
    ] as const) {
      const again = decodePresignMessage(round, encodePresignMessage(m));
      assert.equal(bytesToHex(encodePresignMessage(again)), bytesToHex(encodePresignMessage(m)));
    }
  });

  it("rejects malformed input with DecodeError", () => {
    const bad: [number, string][] = [
      [1, ""],
      [1, "01" + SNAPSHOTS.deal.slice(2)], // version 1 (compressed points) is no longer accepted
      [1, "03" + SNAPSHOTS.deal.slice(2)], // unknown version
      [2, SNAPSHOTS.deal], // round mismatch
      [4, "0104" + "00000001"], // unknown round
      [1, SNAPSHOTS.deal.slice(0, -2)], // truncated
      [1, SNAPSHOTS.deal + "00"], // trailing byte
      [1, "0201" + "00000003" + SNAPSHOTS.deal.slice(12)], // count does not match bytes
      [1, "0201" + "00000000"], // empty batch
      [1, "0201" + "000003e9" + "00".repeat(1001 * 160)], // above PRESIGN_MAX_BATCH
      [2, "0202" + "00000001" + G_UNCOMPRESSED_HEX + CURVE_ORDER.toString(16)], // scalar ≥ n
      [2, "0202" + "00000001" + "02" + G_X + G_Y + z(7)], // bad point prefix
      [2, "0202" + "00000001" + "03" + G_X + "00".repeat(32) + z(7)], // compressed prefix, padded
      [2, "0202" + "00000001" + G_HEX + z(7)], // compressed point: length does not match count
      [2, "0202" + "00000001" + "04" + G_X + "00".repeat(32) + z(7)], // not on the curve
      [2, "0202" + "00000001" + "04" + G_X + (2n ** 256n - 1n).toString(16) + z(7)], // y ≥ p
      [3, "0203" + "00000001" + "04" + G_X + G_Y], // no view
      [3, SNAPSHOTS.authenticate.slice(0, -2)], // short view
    ];
    for (const [round, hex] of bad) {
      assert.throws(
        () => decodePresignMessage(round, hexToBytes(hex)),
        DecodeError,
        `${round}: ${hex.slice(0, 24)}`,
      );
    }
  });
});

describe("ecdsa sign codec and request", () => {
  it("hex snapshots of agree and share", () => {
    assert.equal(
      bytesToHex(encodeSignMessage({ kind: "agree", requestHash: new Uint8Array(32).fill(0x22) })),
      SNAPSHOTS.agree,
    );
    assert.equal(bytesToHex(encodeSignMessage({ kind: "share", s: 9n })), SNAPSHOTS.share);
  });

  it("rejects malformed sign messages", () => {
    const bad: [number, string][] = [
      [1, "0101"],
      [2, SNAPSHOTS.agree],
      [2, "0202" + z(9)],
      [2, SNAPSHOTS.share + "00"],
      [2, "0102" + CURVE_ORDER.toString(16)], // s = n
      [2, "0102" + "ff".repeat(32)], // s > n
      [3, "0103" + z(1)],
    ];
    for (const [round, hex] of bad)
      assert.throws(() => decodeSignMessage(round, hexToBytes(hex)), DecodeError);
    assert.deepEqual(decodeSignMessage(2, hexToBytes(SNAPSHOTS.share)), { kind: "share", s: 9n });
  });

  it("snapshot of the request encoding and hash that signers echo", () => {
    const req = {
      keyId: "7",
      epoch: 2,
      presigId: "ab".repeat(32),
      signers: [1, 2, 3],
      combiner: 1,
      digest: new Uint8Array(32).fill(0x33),
    };
    assert.equal(bytesToHex(encodeSignRequest(req)), SNAPSHOTS.request);
    assert.equal(bytesToHex(signRequestHash(req)), SNAPSHOTS.requestHash);
    assert.notEqual(bytesToHex(signRequestHash({ ...req, signers: [1, 2, 4] })), SNAPSHOTS.requestHash);
    assert.notEqual(bytesToHex(signRequestHash({ ...req, combiner: 2 })), SNAPSHOTS.requestHash);
  });

  it("the agreement and share runs have distinct session ids, each bound to the digest", () => {
    const req = {
      keyId: "7",
      epoch: 2,
      presigId: "ab".repeat(32),
      signers: [1, 2, 3],
      combiner: 1,
      digest: new Uint8Array(32).fill(0x33),
    };
    const other = { ...req, digest: new Uint8Array(32).fill(0x34) };
    const ids = [
      signSessionId(req, "agree"),
      signSessionId(req, "share"),
      signSessionId(other, "agree"),
      signSessionId(other, "share"),
    ];
    assert.equal(new Set(ids.map(bytesToHex)).size, 4);
    assert.ok(ids.every((id) => id.length === 32));
  });
});

describe("presignature storage format", () => {
  const p: Presignature = {
    presigId: "cd".repeat(32),
    keyId: "7",
    epoch: 2,
    signers: [1, 2, 3],
    self: 2,
    publicKey: mulBase(5n),
    R: G,
    r: G.toAffine().x,
    rho: 1n,
    sigma: 2n,
    d: 3n,
    e: 4n,
  };

  it("hex snapshot and round trip", () => {
    assert.equal(bytesToHex(encodePresignature(p)), SNAPSHOTS.presignature);
    const q = decodePresignature(hexToBytes(SNAPSHOTS.presignature));
    assert.equal(q.r, p.r);
    assert.equal(bytesToHex(encodePresignature(q)), SNAPSHOTS.presignature);
  });

  it("rejects a record whose owner is not a signer, or with an even / unsorted signer set", () => {
    assert.throws(() => decodePresignature(encodePresignature({ ...p, self: 4 })), DecodeError);
    assert.throws(
      () => decodePresignature(encodePresignature({ ...p, signers: [1, 2], self: 2 })),
      DecodeError,
    );
    assert.throws(() => decodePresignature(encodePresignature({ ...p, signers: [2, 1, 3] })), DecodeError);
    assert.throws(() => decodePresignature(hexToBytes("02" + SNAPSHOTS.presignature.slice(2))), DecodeError);
  });
});
