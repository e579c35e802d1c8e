/**
 * A threshold BIP-340 signature made by our FROST protocol verifies in contracts/lib/GroupSignature.sol
 * (through contracts/mocks/GroupSignatureHarness.sol, ecrecover trick of specs/protocols.md §7.4), for
 * group keys of both y parities and for one-round signing with pre-published commitments; a flipped bit
 * in any field of the signature, in the digest or in the key is rejected.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { network } from "hardhat";
import type { Contract } from "ethers";
import { bytesToHex, keccak256, utf8ToBytes } from "../../../node/crypto/index.js";
import {
  contractSchnorrKey,
  encodeSchnorrForContract,
  type FrostSignature,
} from "../../../node/protocols/frost/index.js";
import { frostKey, params, PooledGroup, runTwoRound, signatureOf } from "./fixtures.js";

const { ethers } = await network.create();
const hex = (b: Uint8Array) => `0x${bytesToHex(b)}`;

/** Flips bit `bit` of `bytes`, counting from the most significant bit of byte 0. */
function flipped(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] ^= 0x80 >> (bit & 7);
  return out;
}

describe("FROST BIP-340 signatures on-chain (GroupSignature.verifySchnorr)", () => {
  let harness: Contract;
  before(async () => {
    harness = (await ethers.deployContract("GroupSignatureHarness")) as unknown as Contract;
  });

  async function assertOnChain(sig: FrostSignature, digest: Uint8Array, px: bigint): Promise<void> {
    const encoded = encodeSchnorrForContract(sig.signature, sig.R);
    assert.equal(
      await harness.verifySchnorr(hex(digest), hex(encoded), px),
      true,
      "valid signature accepted",
    );
    // Bits in Rx, Ry and z: the top and bottom bit of each 32-byte field and two in between.
    for (const field of [0, 1, 2]) {
      for (const bit of [0, 7, 130, 255]) {
        const bad = flipped(encoded, field * 256 + bit);
        assert.equal(
          await harness.verifySchnorr(hex(digest), hex(bad), px),
          false,
          `field ${field} bit ${bit}`,
        );
      }
    }
    assert.equal(
      await harness.verifySchnorr(hex(flipped(digest, 255)), hex(encoded), px),
      false,
      "other digest",
    );
    assert.equal(await harness.verifySchnorr(hex(digest), hex(encoded), px ^ 1n), false, "other key");
  }

  for (const oddY of [false, true]) {
    it(`3 of 5 two-round signature, ${oddY ? "odd" : "even"}-y group key`, async () => {
      const shares = frostKey({ members: 5, degree: 2, seed: `onchain-${oddY}`, oddY });
      const digest = keccak256(utf8ToBytes(`shardless on-chain ${oddY}`));
      const sig = signatureOf(
        runTwoRound(shares, params({ signers: [1, 3, 5], coordinator: 3, message: digest })),
        3,
      );
      await assertOnChain(sig, digest, contractSchnorrKey(shares.get(1)!.public.publicKey));
    });
  }

  it("one-round signature with pre-published commitments", async () => {
    const shares = frostKey({ members: 4, degree: 1, seed: "onchain-pooled" });
    const group = new PooledGroup(shares);
    await group.publish(1);
    const digest = keccak256(utf8ToBytes("shardless on-chain pooled"));
    const { transition } = await group.sign(params({ signers: [2, 4], coordinator: 2, message: digest }));
    assert.equal(transition.kind, "done");
    if (transition.kind !== "done" || transition.result.role !== "coordinator") return;
    await assertOnChain(
      transition.result.signature,
      digest,
      contractSchnorrKey(shares.get(1)!.public.publicKey),
    );
  });
});
