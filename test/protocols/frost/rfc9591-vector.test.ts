/**
 * RFC 9591 Appendix E.5, FROST(secp256k1, SHA-256), through OUR code path: key shares as KeyShare, the
 * vector's nonce randomness fed through the rng parameter, the rounds driven by the simulator with every
 * message encoded and decoded by our codec. Intermediate values (nonces, commitments, binding factor
 * inputs and binding factors, signature shares) and the final signature must equal the RFC's.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  bytesToHex,
  concatBytes,
  decodePoint,
  encodePoint,
  encodeScalar,
  frostSecp256k1,
  hashToScalar,
  hexToBytes,
  mulBase,
  sha256,
  utf8ToBytes,
  type Rng,
} from "../../../node/crypto/index.js";
import type { KeyPublic, KeyShare } from "../../../node/protocol/key-share.js";
import {
  SigningNonces,
  memberIdentifier,
  verifyFrostSignature,
  type FrostMessage,
  type SignRequestMessage,
} from "../../../node/protocols/frost/index.js";
import { reconstructSecret } from "../../helpers/dealer.js";
import { params, runTwoRound, signatureOf } from "./fixtures.js";

interface Vector {
  config: { contextString: string };
  inputs: {
    participant_list: number[];
    group_secret_key: string;
    group_public_key: string;
    message: string;
    share_polynomial_coefficients: string[];
    participant_shares: Record<string, string>;
  };
  round_one_outputs: Record<string, Record<string, string>>;
  round_two_outputs: Record<string, { sig_share: string }>;
  final_output: { sig: string };
}

const vector = JSON.parse(
  readFileSync(new URL("../../vectors/rfc9591-secp256k1.json", import.meta.url), "utf8"),
) as Vector;
const big = (hex: string) => BigInt(`0x${hex}`);
const context = vector.config.contextString;

/** The vector's key as our KeyShare objects (not dealt by us: taken from the RFC). */
function vectorShares(): Map<number, KeyShare> {
  const participants = Object.keys(vector.inputs.participant_shares).map(Number);
  const secrets = new Map(participants.map((id) => [id, big(vector.inputs.participant_shares[id])]));
  const pub: KeyPublic = {
    scheme: "schnorr",
    keyId: "rfc9591-e5",
    degree: 1,
    epoch: 0,
    participants,
    publicKey: decodePoint(hexToBytes(vector.inputs.group_public_key)),
    commitments: [
      decodePoint(hexToBytes(vector.inputs.group_public_key)),
      mulBase(big(vector.inputs.share_polynomial_coefficients[0])),
    ],
    verificationShares: new Map(participants.map((id) => [id, mulBase(secrets.get(id)!)])),
  };
  return new Map(participants.map((id) => [id, { public: pub, self: id, secretShare: secrets.get(id)! }]));
}

/** An rng that returns the vector's hiding then binding nonce randomness (RFC 9591 §4.1 random_bytes(32)). */
function vectorRng(member: number): Rng {
  const out = vector.round_one_outputs[member];
  const queue = out ? [out.hiding_nonce_randomness, out.binding_nonce_randomness] : [];
  return (length) => {
    const next = queue.shift();
    if (next === undefined || length !== 32)
      throw new Error(`unexpected randomness request (${length} bytes)`);
    return hexToBytes(next);
  };
}

const signers = vector.inputs.participant_list;
const message = hexToBytes(vector.inputs.message);

describe("RFC 9591 E.5 FROST(secp256k1, SHA-256) vector through our code path", () => {
  const shares = vectorShares();

  it("the vector's key material is consistent (group key, shares on the polynomial)", () => {
    const Y = shares.get(1)!.public.publicKey;
    assert.ok(mulBase(big(vector.inputs.group_secret_key)).equals(Y));
    assert.equal(reconstructSecret([shares.get(1)!, shares.get(3)!]), big(vector.inputs.group_secret_key));
    assert.equal(reconstructSecret([shares.get(2)!, shares.get(3)!]), big(vector.inputs.group_secret_key));
  });

  it("member ids map to RFC 9591 small-integer identifiers (SerializeScalar(i))", () => {
    for (const id of signers) {
      const input = vector.round_one_outputs[id].binding_factor_input;
      assert.equal(memberIdentifier(id), input.slice(-64));
      assert.equal(memberIdentifier(id), bytesToHex(encodeScalar(BigInt(id))));
    }
  });

  it("round 1 nonces and commitments equal the vector's", () => {
    for (const id of signers) {
      const out = vector.round_one_outputs[id];
      const nonces = SigningNonces.generate(shares.get(id)!, "rfc9591", vectorRng(id));
      const secret = nonces.exportSecret(); // test-only look at the secret nonces
      assert.equal(bytesToHex(secret.hiding), out.hiding_nonce);
      assert.equal(bytesToHex(secret.binding), out.binding_nonce);
      assert.equal(bytesToHex(encodePoint(nonces.commitment.hiding)), out.hiding_nonce_commitment);
      assert.equal(bytesToHex(encodePoint(nonces.commitment.binding)), out.binding_nonce_commitment);
    }
  });

  for (const coordinator of [1, 2]) {
    it(`full session (coordinator ${coordinator}${coordinator === 2 ? ", not a signer" : ", also signs"}) reproduces shares, binding factors and signature`, () => {
      const seen: { from: number; message: FrostMessage }[] = [];
      const sim = runTwoRound(
        shares,
        params({ variant: "rfc9591", signers, coordinator, message, requestId: "rfc9591-e5" }),
        {
          rng: vectorRng,
          tamper: (d) => {
            seen.push({ from: d.from, message: d.message });
            return d.message;
          },
        },
      );
      const result = signatureOf(sim, coordinator);

      // Round 1 commitments on the wire (coordinator 1 draws its own locally).
      for (const { from, message: m } of seen.filter((s) => s.message.type === "commitment")) {
        if (m.type !== "commitment") continue;
        assert.equal(
          bytesToHex(encodePoint(m.hiding)),
          vector.round_one_outputs[from].hiding_nonce_commitment,
        );
        assert.equal(
          bytesToHex(encodePoint(m.binding)),
          vector.round_one_outputs[from].binding_nonce_commitment,
        );
      }

      // Binding factors from our commitment list B (RFC 9591 §4.4): input and H1 output.
      const request = seen.find((s) => s.message.type === "sign-request")!.message as SignRequestMessage;
      const Y = shares.get(1)!.public.publicKey;
      const encodedB = concatBytes(
        ...request.commitments.flatMap((c) => [
          encodeScalar(BigInt(c.member)),
          encodePoint(c.hiding),
          encodePoint(c.binding),
        ]),
      );
      const prefix = concatBytes(
        encodePoint(Y),
        sha256(concatBytes(utf8ToBytes(`${context}msg`), message)),
        sha256(concatBytes(utf8ToBytes(`${context}com`), encodedB)),
      );
      for (const id of signers) {
        const input = concatBytes(prefix, encodeScalar(BigInt(id)));
        assert.equal(bytesToHex(input), vector.round_one_outputs[id].binding_factor_input);
        assert.equal(
          bytesToHex(encodeScalar(hashToScalar(input, `${context}rho`))),
          vector.round_one_outputs[id].binding_factor,
        );
      }

      // Round 2 signature shares on the wire (coordinator 1's own share never travels).
      const sent = seen.filter((s) => s.message.type === "signature-share");
      assert.equal(sent.length, coordinator === 2 ? 2 : 1);
      for (const { from, message: m } of sent) {
        if (m.type !== "signature-share") continue;
        assert.equal(bytesToHex(encodeScalar(m.share)), vector.round_two_outputs[from].sig_share);
      }

      assert.equal(bytesToHex(result.signature), vector.final_output.sig);
      assert.ok(frostSecp256k1.verify(result.signature, message, encodePoint(Y)));
      assert.ok(verifyFrostSignature("rfc9591", result.signature, message, Y));
    });
  }
});
