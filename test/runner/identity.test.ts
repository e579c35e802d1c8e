import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { bytesToHex, hexToBytes } from "../../node/crypto/hash.js";
import {
  ed25519Authenticator,
  identityPublicKey,
  signFrameBytes,
  verifyFrameBytes,
} from "../../node/crypto/identity.js";
import { ParameterError } from "../../node/protocol/errors.js";

// RFC 8032 §7.1, TEST 1 and TEST 2
const rfc = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pub: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    pub: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
];

/** node:crypto (OpenSSL) Ed25519 keys from a raw 32-byte seed / public key, for interop checks. */
const nodePrivate = (seed: Uint8Array) =>
  createPrivateKey({
    key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]),
    format: "der",
    type: "pkcs8",
  });
const nodePublic = (pub: Uint8Array) =>
  createPublicKey({
    key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), pub]),
    format: "der",
    type: "spki",
  });

describe("identity: Ed25519 frame signatures", () => {
  it("matches the RFC 8032 vectors", () => {
    for (const v of rfc) {
      const seed = hexToBytes(v.seed);
      assert.equal(bytesToHex(identityPublicKey(seed)), v.pub);
      assert.equal(bytesToHex(signFrameBytes(seed, hexToBytes(v.msg))), v.sig);
      assert.ok(verifyFrameBytes(hexToBytes(v.pub), hexToBytes(v.msg), hexToBytes(v.sig)));
    }
  });

  it("interoperates with node:crypto Ed25519 (what the libp2p adapter uses) both ways", () => {
    const seed = new Uint8Array(32).fill(7);
    const msg = Uint8Array.from({ length: 100 }, (_, i) => i);
    const pub = identityPublicKey(seed);
    assert.ok(nodeVerify(null, msg, nodePublic(pub), signFrameBytes(seed, msg)));
    assert.ok(verifyFrameBytes(pub, msg, nodeSign(null, msg, nodePrivate(seed))));
  });

  it("rejects tampered bytes, another key, and malformed signatures or keys (false, never throws)", () => {
    const seed = new Uint8Array(32).fill(1);
    const pub = identityPublicKey(seed);
    const msg = Uint8Array.of(1, 2, 3);
    const sig = signFrameBytes(seed, msg);
    assert.ok(verifyFrameBytes(pub, msg, sig));
    assert.equal(verifyFrameBytes(pub, Uint8Array.of(1, 2, 4), sig), false);
    assert.equal(verifyFrameBytes(identityPublicKey(new Uint8Array(32).fill(2)), msg, sig), false);
    assert.equal(verifyFrameBytes(pub, msg, sig.subarray(0, 63)), false);
    assert.equal(verifyFrameBytes(pub.subarray(0, 31), msg, sig), false);
    assert.equal(verifyFrameBytes(new Uint8Array(32), msg, sig), false); // small-order key
    assert.throws(() => signFrameBytes(new Uint8Array(31), msg), ParameterError);
  });

  it("the authenticator verifies by peer and refuses unknown peers", () => {
    const seeds = new Map([
      ["a", new Uint8Array(32).fill(10)],
      ["b", new Uint8Array(32).fill(11)],
    ]);
    const lookup = (peer: string) => {
      const s = seeds.get(peer);
      return s && identityPublicKey(s);
    };
    const a = ed25519Authenticator(seeds.get("a")!, lookup);
    const b = ed25519Authenticator(seeds.get("b")!, lookup);
    const msg = Uint8Array.of(9);
    const sig = a.sign(msg);
    assert.ok(b.verify("a", msg, sig));
    assert.equal(b.verify("b", msg, sig), false);
    assert.equal(b.verify("nobody", msg, sig), false);
    assert.deepEqual(a.publicKey, lookup("a"));
  });
});
