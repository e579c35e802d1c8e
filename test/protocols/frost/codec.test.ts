/**
 * The FROST wire format: hex snapshots (a format change shows up in review), round trips, and strict
 * decoding (caps before allocation, no trailing bytes, version and protocol id checked).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { bytesToHex, hexToBytes, mulBase, sha256, utf8ToBytes } from "../../../node/crypto/index.js";
import { DecodeError } from "../../../node/protocol/errors.js";
import {
  FROST_ROUND,
  MAX_SIGN_MESSAGE_BYTES,
  decodeCommitmentBatch,
  decodeFrostMessage,
  encodeCommitmentBatch,
  encodeFrostMessage,
  type FrostMessage,
  type NonceCommitmentBatch,
} from "../../../node/protocols/frost/index.js";

const sessionId = sha256(utf8ToBytes("frost snapshot session"));
const commitment: FrostMessage = { type: "commitment", sessionId, hiding: mulBase(1n), binding: mulBase(2n) };
const request: FrostMessage = {
  type: "sign-request",
  sessionId,
  variant: "bip340",
  requestId: "req-1",
  message: utf8ToBytes("hi"),
  commitments: [
    { member: 1, hiding: mulBase(1n), binding: mulBase(2n) },
    { member: 3, hiding: mulBase(3n), binding: mulBase(4n) },
  ],
};
const share: FrostMessage = { type: "signature-share", sessionId, share: 7n };
const batch: NonceCommitmentBatch = {
  keyId: "key-1",
  epoch: 2,
  member: 3,
  coordinator: 1,
  commitments: [{ hiding: mulBase(5n), binding: mulBase(6n) }],
};

const SID = "2f82675c084bf982081195e97f0b46d94c8fa75638b144afb8a70e49c053b1fc";
const G1 = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
const G2 = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5";
const G3 = "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
const G4 = "02e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13";
const G5 = "022f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe4";
const G6 = "03fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a1460297556";

describe("FROST codec", () => {
  it("hex snapshots: version 01, protocol 04, type, fields", () => {
    assert.equal(bytesToHex(encodeFrostMessage(commitment)), `010401${SID}${G1}${G2}`);
    assert.equal(
      bytesToHex(encodeFrostMessage(request)),
      `010402${SID}01` + "000000057265712d31" + "000000026869" + "0002" + `0001${G1}${G2}` + `0003${G3}${G4}`,
    );
    assert.equal(bytesToHex(encodeFrostMessage(share)), `010403${SID}${"00".repeat(31)}07`);
    assert.equal(
      bytesToHex(encodeCommitmentBatch(batch)),
      "010404" + "000000056b65792d31" + "0000000000000002" + "0003" + "0001" + "0001" + G5 + G6,
    );
  });

  it("round-trips every message for its round", () => {
    assert.deepEqual(decodeFrostMessage(FROST_ROUND.commit, encodeFrostMessage(commitment)), commitment);
    assert.deepEqual(decodeFrostMessage(FROST_ROUND.sign, encodeFrostMessage(request)), request);
    assert.deepEqual(decodeFrostMessage(FROST_ROUND.share, encodeFrostMessage(share)), share);
    assert.deepEqual(decodeCommitmentBatch(encodeCommitmentBatch(batch)), batch);
  });

  it("round-trips arbitrary sign requests", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom("bip340" as const, "rfc9591" as const),
        (message, requestId, members, variant) => {
          const m: FrostMessage = {
            type: "sign-request",
            sessionId,
            variant,
            requestId,
            message,
            commitments: members.map((member) => ({
              member,
              hiding: mulBase(BigInt(member)),
              binding: mulBase(BigInt(member + 100)),
            })),
          };
          assert.deepEqual(decodeFrostMessage(FROST_ROUND.sign, encodeFrostMessage(m)), m);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("refuses messages of another round, other versions and protocols, trailing bytes", () => {
    const bytes = encodeFrostMessage(share);
    assert.throws(() => decodeFrostMessage(FROST_ROUND.sign, bytes), DecodeError);
    assert.throws(
      () => decodeFrostMessage(FROST_ROUND.share, Uint8Array.from([2, ...bytes.subarray(1)])),
      DecodeError,
    );
    assert.throws(
      () => decodeFrostMessage(FROST_ROUND.share, Uint8Array.from([1, 1, ...bytes.subarray(2)])),
      DecodeError,
    );
    assert.throws(() => decodeFrostMessage(FROST_ROUND.share, Uint8Array.from([...bytes, 0])), DecodeError);
    assert.throws(() => decodeCommitmentBatch(bytes), DecodeError);
  });

  it("refuses an out-of-range share, an identity point, an unknown variant", () => {
    const big = hexToBytes(`010403${SID}${"ff".repeat(32)}`);
    assert.throws(() => decodeFrostMessage(FROST_ROUND.share, big), DecodeError);
    const identity = hexToBytes(`010401${SID}${"00".repeat(33)}${G2}`);
    assert.throws(() => decodeFrostMessage(FROST_ROUND.commit, identity), DecodeError);
    const variant = encodeFrostMessage(request);
    variant[35] = 7;
    assert.throws(() => decodeFrostMessage(FROST_ROUND.sign, variant), DecodeError);
  });

  it("checks length fields against caps before allocating", () => {
    const prefix = hexToBytes(`010402${SID}01000000057265712d31`);
    const hugeMessage = Uint8Array.from([...prefix, 0xff, 0xff, 0xff, 0xff]);
    assert.throws(() => decodeFrostMessage(FROST_ROUND.sign, hugeMessage), DecodeError);
    const overCap = new Uint8Array(4);
    new DataView(overCap.buffer).setUint32(0, MAX_SIGN_MESSAGE_BYTES + 1);
    assert.throws(
      () =>
        decodeFrostMessage(
          FROST_ROUND.sign,
          Uint8Array.from([...prefix, ...overCap, ...new Uint8Array(MAX_SIGN_MESSAGE_BYTES + 1)]),
        ),
      DecodeError,
    );
    const tooManySigners = Uint8Array.from([...prefix, 0, 0, 0, 0, 0x00, 0x41]);
    assert.throws(() => decodeFrostMessage(FROST_ROUND.sign, tooManySigners), DecodeError);
  });
});
