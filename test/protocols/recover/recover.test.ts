import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { G, bytesToHex, mulBase, seededRng } from "../../../node/crypto/index.js";
import {
  DecodeError,
  EquivocationError,
  ParameterError,
  ProtocolAbortError,
} from "../../../node/protocol/errors.js";
import type { KeyPublic, KeyShare } from "../../../node/protocol/key-share.js";
import type { Start } from "../../../node/protocol/round.js";
import {
  RecoveryDisputeError,
  recoverCodec,
  recoverySession,
  startRecoveryHelper,
  startRecoveryTarget,
  type RecoverMessage,
  type RecoveryResult,
} from "../../../node/protocols/recover/index.js";
import { recoveryContext } from "../../../node/protocols/recover/context.js";
import { BroadcastRound } from "../../../node/protocols/recover/round1-broadcast.js";
import { dealKey, reconstructSecret } from "../../helpers/dealer.js";
import { simulate, type SimulateOptions } from "../../helpers/simulate.js";
import { abortOf, doneResult, identities, range, stuckOf, withSignedFrames } from "../refresh/harness.js";

const ids = identities(range(1, 12));

function runRecovery(
  shares: Map<number, KeyShare>,
  helpers: number[],
  target: number,
  opts: Omit<SimulateOptions<RecoverMessage>, "codec"> & {
    targetPublic?: KeyPublic;
    /** Members running a given (cheating) start instead of the honest one. */
    replace?: Map<number, Start<RecoverMessage, RecoveryResult>>;
  } = {},
) {
  const params = { helpers, target, requestId: "recover-test", verifyFrame: ids.verifyFrame };
  const pub = opts.targetPublic ?? shares.values().next().value!.public;
  const session = recoverySession(pub, params);
  const starts = new Map<number, Start<RecoverMessage, RecoveryResult>>();
  for (const h of helpers)
    starts.set(h, startRecoveryHelper(shares.get(h)!, params, seededRng(`helper-${h}`)));
  starts.set(target, startRecoveryTarget(pub, target, params));
  for (const [id, start] of opts.replace ?? []) starts.set(id, start);
  for (const [id, start] of starts) {
    starts.set(id, withSignedFrames(start, { sessionId: session.sessionId, codec: recoverCodec, ids }));
  }
  return simulate(starts, { codec: recoverCodec, ...opts });
}

const targetShare = (r: RecoveryResult): KeyShare => {
  assert.equal(r.role, "target");
  return (r as { role: "target"; share: KeyShare }).share;
};

describe("recover (§5): honest runs", () => {
  for (const [n, degree] of [
    [3, 1],
    [5, 2],
    [7, 3],
  ] as const) {
    it(`n=${n}, degree=${degree}: a lost member gets back exactly its share from degree+1 helpers`, () => {
      const { shares } = dealKey({ degree, participants: range(1, n) }, seededRng(`deal-${n}`));
      const target = 2;
      const helpers = range(1, n)
        .filter((id) => id !== target)
        .slice(0, degree + 1);
      const sim = runRecovery(shares, helpers, target);
      const share = targetShare(doneResult(sim, target));
      assert.equal(share.secretShare, shares.get(target)!.secretShare);
      assert.equal(share.public, shares.get(target)!.public);
      for (const h of helpers) assert.deepEqual(doneResult(sim, h), { role: "helper", target });
    });
  }

  it("works with more helpers than needed (all other members)", () => {
    const { shares } = dealKey({ degree: 2, participants: range(1, 6) }, seededRng("deal-all"));
    const sim = runRecovery(shares, [1, 2, 3, 5, 6], 4);
    assert.equal(targetShare(doneResult(sim, 4)).secretShare, shares.get(4)!.secretShare);
  });

  it("enrolls a brand-new id: its share lies on the same polynomial and the package includes it", () => {
    const { shares, secret } = dealKey({ degree: 2, participants: range(1, 5) }, seededRng("deal-enroll"));
    const sim = runRecovery(shares, [1, 3, 5], 9);
    const share = targetShare(doneResult(sim, 9));
    assert.deepEqual(share.public.participants, [1, 2, 3, 4, 5, 9]);
    assert.ok(share.public.verificationShares.get(9)!.equals(mulBase(share.secretShare)));
    assert.ok(share.public.publicKey.equals(shares.get(1)!.public.publicKey));
    assert.equal(reconstructSecret([share, shares.get(2)!, shares.get(4)!]), secret);
  });

  it("refuses bad parameters", () => {
    const { shares } = dealKey({ degree: 2, participants: range(1, 5) }, seededRng("deal-params"));
    const pub = shares.get(1)!.public;
    const verifyFrame = ids.verifyFrame;
    const tooFew = { helpers: [1, 3], target: 2, requestId: "x", verifyFrame };
    assert.throws(() => startRecoveryHelper(shares.get(1)!, tooFew), ParameterError);
    assert.throws(() => startRecoveryTarget(pub, 2, tooFew), ParameterError);
    const targetHelps = { helpers: [1, 2, 3], target: 2, requestId: "x", verifyFrame };
    assert.throws(() => startRecoveryHelper(shares.get(1)!, targetHelps), ParameterError);
    const stranger = { helpers: [1, 3, 7], target: 2, requestId: "x", verifyFrame };
    assert.throws(() => startRecoveryHelper(shares.get(1)!, stranger), ParameterError);
  });
});

describe("recover (§5): cheating helpers are named", () => {
  const { shares } = dealKey({ degree: 2, participants: range(1, 5) }, seededRng("deal-cheat"));
  const helpers = [1, 3, 4, 5];
  const target = 2;

  it("a helper that splits something other than ζ_i·s_i (bad Δ sum, broadcast consistently) is named by everyone", () => {
    // Helper 3 runs the protocol on a wrong value: its pieces and Δ's agree, but sum to (ζ_3·s_3 + 1).
    const params = { helpers, target, requestId: "recover-test", verifyFrame: ids.verifyFrame };
    const session = recoverySession(shares.get(1)!.public, params);
    const pieces = helpers.map((_, k) => (k === 0 ? 1n : 0n) + BigInt(k + 7));
    const message = {
      kind: "commit",
      packageDigest: session.packageDigest,
      deltas: pieces.map(mulBase),
    } as const;
    const cheater: Start<RecoverMessage, RecoveryResult> = {
      round: new BroadcastRound(recoveryContext(session, 3, ids.verifyFrame), {
        role: "helper",
        message,
        pieces,
      }),
      outgoing: [{ to: "all", message }],
    };
    const sim = runRecovery(shares, helpers, target, { replace: new Map([[3, cheater]]) });
    assert.deepEqual(abortOf(sim, target).culprits, [3]);
    for (const h of [1, 4, 5]) assert.deepEqual(abortOf(sim, h).culprits, [3]);
  });

  it("a private piece inconsistent with its broadcast Δ: the receiving helper names the sender, r reports the dispute", () => {
    const sim = runRecovery(shares, helpers, target, {
      tamper: (d) =>
        d.from === 4 && d.to === 1 && d.message.kind === "piece"
          ? { ...d.message, piece: d.message.piece + 1n }
          : d.message,
    });
    assert.deepEqual(abortOf(sim, 1).culprits, [4]);
    const err = abortOf(sim, target);
    assert.ok(err instanceof RecoveryDisputeError);
    assert.deepEqual(err.disputes, [{ accuser: 1, accused: 4 }]);
    for (const h of [3, 4, 5]) assert.equal(doneResult(sim, h).role, "helper");
  });

  it("a helper sending r a wrong sum σ_j is named by r (no wrong share is output)", () => {
    const sim = runRecovery(shares, helpers, target, {
      tamper: (d) =>
        d.from === 5 && d.message.kind === "sum" ? { ...d.message, sigma: d.message.sigma + 1n } : d.message,
    });
    const err = abortOf(sim, target);
    assert.ok(err instanceof ProtocolAbortError);
    assert.deepEqual(err.culprits, [5]);
  });

  it("a helper of another epoch/package (stale share) is refused and named by everyone", () => {
    const stale = new Map(shares);
    const s3 = shares.get(3)!;
    stale.set(3, { ...s3, public: { ...s3.public, epoch: s3.public.epoch + 1 } });
    const sim = runRecovery(stale, helpers, target, { targetPublic: shares.get(1)!.public });
    assert.deepEqual(abortOf(sim, target).culprits, [3]);
    for (const h of [1, 4, 5]) assert.deepEqual(abortOf(sim, h).culprits, [3]);
  });

  it("a helper equivocating on its broadcast is caught by the echo check and named as equivocator", () => {
    // Helper 3 shows helper 1 a Δ vector with two entries swapped (same sum, so only the echo can tell).
    const sim = runRecovery(shares, helpers, target, {
      tamper: (d) =>
        d.from === 3 && d.to === 1 && d.message.kind === "commit"
          ? { ...d.message, deltas: [d.message.deltas[1], d.message.deltas[0], ...d.message.deltas.slice(2)] }
          : d.message,
    });
    for (const id of [1, 4, 5, target]) {
      const err = abortOf(sim, id);
      assert.ok(err instanceof EquivocationError, `member ${id}: ${err.name}`);
      assert.deepEqual(err.culprits, [3]);
    }
  });

  it("withholding: a silent helper leaves the run stuck with that helper named as missing", () => {
    const atStart = runRecovery(shares, helpers, target, { silent: new Map([[4, 1]]) });
    assert.deepEqual(stuckOf(atStart, target).missing, [4]);
    for (const h of [1, 3, 5]) assert.deepEqual(stuckOf(atStart, h).missing, [4]);
    const atSum = runRecovery(shares, helpers, target, { silent: new Map([[4, 4]]) });
    assert.deepEqual(stuckOf(atSum, target), { round: 4, missing: [4] });
  });
});

describe("recover codec", () => {
  it("hex snapshots and strict decoding", () => {
    const sum: RecoverMessage = { kind: "sum", sigma: 5n };
    const bytes = recoverCodec.encode(sum);
    assert.equal(bytesToHex(bytes), "04" + "00".repeat(31) + "05");
    assert.deepEqual(recoverCodec.decode(4, bytes), sum);
    const commit: RecoverMessage = {
      kind: "commit",
      packageDigest: new Uint8Array(32).fill(0xab),
      deltas: [G],
    };
    assert.equal(
      bytesToHex(recoverCodec.encode(commit)),
      "01" + "ab".repeat(32) + "00000001" + bytesToHex(G.toBytes(true)),
    );
    assert.throws(() => recoverCodec.decode(3, bytes), DecodeError, "wrong round for the tag");
    assert.throws(() => recoverCodec.decode(4, Uint8Array.of(...bytes, 0)), DecodeError, "trailing byte");
    const unsorted = recoverCodec.encode({ kind: "complaint", accused: [2, 1] });
    assert.throws(() => recoverCodec.decode(4, unsorted), DecodeError, "ids not ascending");
  });
});
