import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, seededRng } from "../../../node/crypto/index.js";
import { DecodeError, VerificationError } from "../../../node/protocol/errors.js";
import type { KeyShare } from "../../../node/protocol/key-share.js";
import {
  ACK_ROUND,
  EpochMismatchError,
  abortStatement,
  ackSessionId,
  analyseRestart,
  assertCertificate,
  assertSameEpoch,
  buildCertificate,
  decideRestart,
  decodeCertificate,
  decodePendingEpoch,
  encodeCertificate,
  encodePendingEpoch,
  lifecycleCodec,
  preparePending,
  signAbort,
  signAck,
  verifyAbort,
  verifyAck,
  type CommitCertificate,
  type EpochOutput,
  type PendingEpoch,
  type SignedAbort,
} from "../../../node/protocols/lifecycle/index.js";
import { dealKey } from "../../helpers/dealer.js";
import { identities, range } from "./harness.js";

const ids = identities(range(1, 5));
const roster = [1, 2, 3];
const sid = seededRng("sid")(32);
const otherSid = seededRng("other-sid")(32);
// Epoch-1 shares standing in for a refresh result (the lifecycle functions only see its output).
const next = dealKey({ degree: 1, participants: roster, epoch: 1 }, seededRng("next")).shares;
const output = (id: number, share: KeyShare = next.get(id)!): EpochOutput => ({
  protocol: "refresh",
  sessionId: sid,
  share,
  transcriptDigest: new Uint8Array(32).fill(7),
  roster,
  culprits: [],
});
const pendings = new Map(roster.map((id) => [id, preparePending(output(id), ids.signer(id))] as const));
const pending1 = pendings.get(1)!;
const certificate = buildCertificate(
  [...pendings.values()].map((p) => p.ownAck),
  roster,
);

describe("lifecycle: epoch guard", () => {
  const e0 = dealKey({ degree: 1, participants: roster }, seededRng("e0")).shares;
  it("accepts shares of one epoch and package, refuses epoch e with e+1, other packages and other keys", () => {
    assert.doesNotThrow(() => assertSameEpoch([...e0.values()]));
    assert.throws(() => assertSameEpoch([e0.get(1)!, next.get(2)!]), EpochMismatchError);
    const sameEpochOtherPackage = dealKey(
      { degree: 1, participants: roster },
      seededRng("e0-other"),
    ).shares.get(2)!;
    assert.throws(() => assertSameEpoch([e0.get(1)!, sameEpochOtherPackage]), EpochMismatchError);
    const otherKey = { ...e0.get(2)!, public: { ...e0.get(2)!.public, keyId: "another" } };
    assert.throws(() => assertSameEpoch([e0.get(1)!, otherKey]), EpochMismatchError);
    assert.throws(() => assertSameEpoch([e0.get(1)!.public, next.get(1)!.public]), EpochMismatchError);
  });
});

describe("lifecycle: ACK, ABORT, certificate, pending record", () => {
  it("ACK and ABORT signatures verify, and one never passes as the other", () => {
    assert.ok(verifyAck(pending1.ownAck, ids.verify));
    const abort = signAbort(1, sid, 1, ids.signer(1));
    assert.ok(verifyAbort(abort, ids.verify));
    assert.ok(!verifyAbort({ ...abort, signature: pending1.ownAck.signature }, ids.verify));
    assert.ok(!verifyAck({ ...pending1.ownAck, signature: abort.signature }, ids.verify));
    assert.ok(!verifyAck({ ...pending1.ownAck, signer: 2 }, ids.verify), "bound to the signer id");
    assert.ok(!verifyAbort({ ...abort, epoch: 2 }, ids.verify), "bound to the epoch");
    assert.notDeepEqual(abortStatement(sid, 1, 1), abortStatement(otherSid, 1, 1));
  });

  it("a certificate needs exactly one valid ACK per roster member for the same package", () => {
    const expected = { sessionId: sid, epoch: 1, packageDigest: pending1.packageDigest, roster };
    assert.doesNotThrow(() => assertCertificate(certificate, expected, ids.verify));
    const missing = { ...certificate, acks: certificate.acks.slice(0, 2) };
    assert.throws(() => assertCertificate(missing, expected, ids.verify), VerificationError);
    assert.throws(
      () => assertCertificate(certificate, { ...expected, roster: [1, 2, 3, 4] }, ids.verify),
      VerificationError,
    );
    const forged = {
      ...certificate,
      acks: certificate.acks.map((a) =>
        a.signer === 2 ? { ...a, signature: certificate.acks[0].signature } : a,
      ),
    };
    assert.throws(
      () => assertCertificate(forged, expected, ids.verify),
      (e: unknown) => e instanceof VerificationError && e.culprits.join() === "2",
    );
    assert.throws(
      () => assertCertificate(certificate, { ...expected, packageDigest: new Uint8Array(32) }, ids.verify),
      VerificationError,
    );
    assert.throws(() => buildCertificate([pending1.ownAck], roster));
    // An old member outside the session knows no package digest: any package ACKed by all will do.
    assert.doesNotThrow(() =>
      assertCertificate(certificate, { ...expected, packageDigest: null }, ids.verify),
    );
    const otherAck = signAck(3, sid, 1, new Uint8Array(32).fill(9), ids.signer(3));
    const split = { ...certificate, acks: [...certificate.acks.slice(0, 2), otherAck] };
    assert.throws(
      () => assertCertificate(split, { ...expected, packageDigest: null }, ids.verify),
      (e: unknown) => e instanceof VerificationError && e.culprits.join() === "3",
    );
  });

  it("certificate and pending record round-trip through their strict encodings", () => {
    const bytes = encodeCertificate(certificate);
    assert.deepEqual(decodeCertificate(bytes), certificate);
    assert.throws(() => decodeCertificate(bytes.subarray(0, bytes.length - 1)), DecodeError);
    const record = encodePendingEpoch(pending1);
    const back = decodePendingEpoch(record);
    assert.deepEqual(back.ownAck, pending1.ownAck);
    assert.equal(back.share.secretShare, pending1.share.secretShare);
    assert.deepEqual(back.packageDigest, pending1.packageDigest);
    // A record whose own ACK is for another package is corrupt.
    const skewed = encodePendingEpoch({ ...pending1, ownAck: pendings.get(2)!.ownAck });
    assert.throws(() => decodePendingEpoch(skewed), DecodeError);
  });

  it("ACK session codec: hex snapshot, strict decoding, separate session id", () => {
    const codec = lifecycleCodec(6);
    const abort: SignedAbort = {
      kind: "abort",
      signer: 2,
      sessionId: new Uint8Array(32).fill(0xaa),
      epoch: 3,
      signature: Uint8Array.of(1, 2),
    };
    const bytes = codec.encode({ kind: "abort", abort });
    assert.equal(
      bytesToHex(bytes),
      "02" + "0002" + "aa".repeat(32) + "0000000000000003" + "00000002" + "0102",
    );
    assert.deepEqual(codec.decode(ACK_ROUND, bytes), { kind: "abort", abort });
    assert.throws(() => codec.decode(ACK_ROUND + 1, bytes), DecodeError);
    assert.notDeepEqual(ackSessionId(sid), sid);
  });
});

describe("lifecycle: restart decision for every pending / certificate / ABORT combination", () => {
  const validAbort = signAbort(3, sid, 1, ids.signer(3));
  const certificates: Record<string, CommitCertificate | null> = {
    none: null,
    valid: certificate,
    forged: {
      ...certificate,
      acks: certificate.acks.map((a) => ({ ...a, signature: certificate.acks[0].signature })),
    },
    incomplete: { ...certificate, acks: certificate.acks.slice(1) },
    "other package": buildCertificate(
      roster.map((id) => signAck(id, sid, 1, new Uint8Array(32).fill(9), ids.signer(id))),
      roster,
    ),
  };
  const aborts: Record<string, SignedAbort | null> = {
    none: null,
    valid: validAbort,
    forged: { ...validAbort, signature: pending1.ownAck.signature },
    "other session": signAbort(3, otherSid, 1, ids.signer(3)),
    "other epoch": signAbort(3, sid, 2, ids.signer(3)),
    "not in roster": signAbort(4, sid, 1, ids.signer(4)),
  };

  for (const hasPending of [true, false]) {
    for (const [certName, cert] of Object.entries(certificates)) {
      for (const [abortName, abort] of Object.entries(aborts)) {
        const pending: PendingEpoch | null = hasPending ? pending1 : null;
        const evidence = { certificates: cert ? [cert] : [], aborts: abort ? [abort] : [] };
        let expected: string;
        if (!hasPending) expected = "none";
        else if (certName === "valid") expected = "commit";
        else if (abortName === "valid") expected = "drop";
        else expected = "ask-peers";
        it(`pending=${hasPending}, certificate=${certName}, abort=${abortName} → ${expected}`, () => {
          const { decision, ignored } = analyseRestart(pending, evidence, ids.verify);
          assert.equal(decision.action, expected);
          if (decision.action === "commit") {
            assert.equal(decision.certificate, certificate);
            // A member that signed both an ACK (in the certificate) and an ABORT is named; commit wins.
            assert.deepEqual(decision.culprits, abortName === "valid" ? [3] : []);
          }
          if (decision.action === "drop") assert.equal(decision.abort, validAbort);
          if (decision.action === "ask-peers") assert.equal(decision.ack, pending1.ownAck);
          if (hasPending) {
            const bad = (cert && certName !== "valid" ? 1 : 0) + (abort && abortName !== "valid" ? 1 : 0);
            assert.equal(ignored, bad, "invalid evidence is ignored and counted");
          }
        });
      }
    }
  }

  it("decideRestart is the decision of analyseRestart", () => {
    assert.deepEqual(decideRestart(pending1, { aborts: [validAbort] }, ids.verify), {
      action: "drop",
      abort: validAbort,
    });
  });
});
