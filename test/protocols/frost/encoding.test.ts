/** Signature encoders: (R, z) of both variants and the 96-byte Rx ‖ Ry ‖ z for GroupSignature.sol. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  bytesToHex,
  bytesToNumber,
  hasOddY,
  mulBase,
  schnorrPublicKey,
  schnorrSignSingle,
  seededRng,
} from "../../../node/crypto/index.js";
import { ParameterError } from "../../../node/protocol/errors.js";
import {
  CONTRACT_SCHNORR_SIGNATURE_BYTES,
  contractSchnorrKey,
  decodeFrostSignature,
  encodeSchnorrForContract,
  liftX,
  xOnly,
} from "../../../node/protocols/frost/index.js";
import { frostKey, params, runTwoRound, signatureOf } from "./fixtures.js";

describe("signature encoders", () => {
  const shares = frostKey({ members: 3, degree: 1, seed: "encoding", oddY: true });
  const sig = signatureOf(runTwoRound(shares, params({ signers: [1, 3] })), 1);

  it("BIP-340 → Rx ‖ Ry ‖ z with the even-y R", () => {
    const encoded = encodeSchnorrForContract(sig.signature, sig.R);
    assert.equal(encoded.length, CONTRACT_SCHNORR_SIGNATURE_BYTES);
    assert.equal(bytesToHex(encoded.subarray(0, 32)), bytesToHex(sig.signature.subarray(0, 32)));
    assert.equal(bytesToNumber(encoded.subarray(32, 64)), sig.R.toAffine().y);
    assert.equal(bytesToNumber(encoded.subarray(32, 64)) % 2n, 0n);
    assert.equal(bytesToHex(encoded.subarray(64)), bytesToHex(sig.signature.subarray(32)));
    assert.deepEqual(encodeSchnorrForContract(sig.signature), encoded, "R lifted from x(R) when not given");
  });

  it("refuses an R that is not the signature's even-y nonce point", () => {
    assert.throws(() => encodeSchnorrForContract(sig.signature, sig.R.negate()), ParameterError);
    assert.throws(() => encodeSchnorrForContract(sig.signature, mulBase(5n)), ParameterError);
    assert.throws(() => encodeSchnorrForContract(sig.signature.subarray(1)), ParameterError);
  });

  it("works for single-key BIP-340 signatures too, and splits (R, z)", () => {
    const sk = new Uint8Array(32).fill(7);
    const single = schnorrSignSingle(new Uint8Array(32), sk, seededRng("aux")(32));
    const { R, z } = decodeFrostSignature("bip340", single);
    assert.equal(hasOddY(R), false);
    assert.equal(z, bytesToNumber(single.subarray(32)));
    const pk = schnorrPublicKey(sk);
    assert.deepEqual(xOnly(liftX(pk)), pk);
    assert.equal(hasOddY(liftX(pk)), false);
  });

  it("the contract key is x(Y) of the group key", () => {
    const Y = shares.get(1)!.public.publicKey;
    assert.equal(contractSchnorrKey(Y), bytesToNumber(xOnly(Y)));
    assert.equal(contractSchnorrKey(Y), contractSchnorrKey(Y.negate()));
  });
});
