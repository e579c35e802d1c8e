/**
 * Attacks on presigning and signing, each named after what it tries. In every case the outcome must be
 * an abort with a typed error (culprits only where provable) or a correct signature — never an invalid
 * signature, and never a second signature from one presignature.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Fn,
  G,
  ecdsaVerify,
  seededRng,
  sha256,
  utf8ToBytes,
  type Point,
} from "../../../node/crypto/index.js";
import {
  ConsumedError,
  InvalidMessageError,
  ParameterError,
  ProtocolAbortError,
  VerificationError,
  type ShardlessError,
} from "../../../node/protocol/errors.js";
import { DuplicateMessageError } from "../../../node/protocol/round.js";
import {
  presignaturePublic,
  startPresign,
  type EcdsaSignature,
  type PresignMessage,
  type Presignature,
  type SignMessage,
  type SignRequest,
} from "../../../node/protocols/ecdsa/index.js";
import {
  PresignatureNotFoundError,
  PresignatureStore,
  startSignShareFromStore,
} from "../../../node/runner/presignatures.js";
import type { MemberOutcome, SimulationResult } from "../../helpers/simulate.js";
import { MemoryShareStore } from "./memory-share-store.js";
import {
  dealEcdsaKey,
  presignAll,
  runPresign,
  signWithStores,
  signaturesOf,
  storesWith,
  type SignRun,
} from "./harness.js";

const digestOf = (text: string) => sha256(utf8ToBytes(text));
const key31 = dealEcdsaKey(3, 1);
const Y = key31.shares.get(1)!.public.publicKey;
const S = [1, 2, 3];

/** The signing request for `presig` at epoch 0 over S, as a coordinator would send it. */
const requestFor = (
  presig: { keyId: string; presigId: string },
  digest: Uint8Array,
  combiner = S[0],
): SignRequest => ({
  keyId: presig.keyId,
  epoch: 0,
  presigId: presig.presigId,
  signers: S,
  combiner,
  digest,
});

function abortError<R>(o: MemberOutcome<R> | undefined): ShardlessError {
  assert.equal(o?.kind, "abort", `expected an abort, got ${o?.kind}`);
  return (o as { kind: "abort"; error: ShardlessError }).error;
}

/** No member other than `cheater` produced anything; honest members aborted (or wait for an aborted one). */
function assertPresignAborted(
  sim: SimulationResult<Presignature[]>,
  cheater: number,
  aborting: number[],
): void {
  for (const id of aborting) {
    const e = abortError(sim.outcomes.get(id));
    assert.ok(e instanceof ProtocolAbortError);
    assert.deepEqual(e.culprits, [], "not attributable with exactly 2t+1 points");
  }
  for (const [id, o] of sim.outcomes) {
    if (id !== cheater) assert.notEqual(o.kind, "done", `honest member ${id} must not output`);
  }
}

/** Every signature any member produced verifies, and at most one distinct signature per presignature. */
function assertAtMostOneValidSignature(runs: readonly SignRun[], publicKey: Point): EcdsaSignature | null {
  const sigs = runs.flatMap(signaturesOf);
  for (const s of sigs) assert.ok(ecdsaVerify(s.r, s.s, s.digest, publicKey));
  const distinct = new Set(sigs.map((s) => `${s.r}:${s.s}:${Buffer.from(s.digest).toString("hex")}`));
  assert.ok(distinct.size <= 1, "one presignature, at most one signature");
  return sigs[0] ?? null;
}

const tamperPresign =
  (round: number, from: number, change: (m: PresignMessage) => PresignMessage, to?: number) =>
  (d: { from: number; to: number; round: number; message: PresignMessage }) =>
    d.round === round && d.from === from && (to === undefined || d.to === to) ? change(d.message) : d.message;

describe("ecdsa presigning under attack", () => {
  it("wrong R_j (C1): everyone else aborts, nobody blamed, no presignature anywhere", () => {
    const sim = runPresign(key31.shares, S, 3, {
      tamper: tamperPresign(2, 2, (m) =>
        m.kind === "open" ? { ...m, R: m.R.map((R, i) => (i === 1 ? R.add(G) : R)) } : m,
      ),
    });
    assertPresignAborted(sim, 2, [1, 3]);
  });

  it("t = 2 colluders shifting their R_j by the same offset (n = 5): the 3 honest members abort", () => {
    const key52 = dealEcdsaKey(5, 2);
    const sim = runPresign(key52.shares, [1, 2, 3, 4, 5], 1, {
      tamper: (d) =>
        d.round === 2 && (d.from === 4 || d.from === 5) && d.message.kind === "open"
          ? { ...d.message, R: d.message.R.map((R) => R.add(G)) }
          : d.message,
    });
    for (const id of [1, 2, 3]) {
      const e = abortError(sim.outcomes.get(id));
      assert.ok(e instanceof ProtocolAbortError);
      assert.deepEqual(e.culprits, []);
    }
  });

  it("wrong w_j (C3 W == w·G): everyone else aborts, nobody blamed", () => {
    const sim = runPresign(key31.shares, S, 2, {
      tamper: tamperPresign(2, 2, (m) =>
        m.kind === "open" ? { ...m, w: m.w.map((w) => Fn.add(w, 1n)) } : m,
      ),
    });
    assertPresignAborted(sim, 2, [1, 3]);
  });

  it("wrong W_j (C2): everyone else aborts, nobody blamed", () => {
    const sim = runPresign(key31.shares, S, 2, {
      tamper: tamperPresign(3, 3, (m) =>
        m.kind === "authenticate" ? { ...m, W: [m.W[0].add(G), ...m.W.slice(1)] } : m,
      ),
    });
    assertPresignAborted(sim, 3, [1, 2]);
  });

  it("non-zero 'zero-sharing' b from a dealer: caught by C3", () => {
    const sim = runPresign(key31.shares, S, 2, {
      tamper: tamperPresign(1, 1, (m) =>
        m.kind === "deal" ? { ...m, b: m.b.map((b) => Fn.add(b, 5n)) } : m,
      ),
    });
    for (const id of S) assert.notEqual(sim.outcomes.get(id)!.kind, "done");
  });

  it("inconsistent k-shares from a dealer: caught by C1", () => {
    const sim = runPresign(key31.shares, S, 2, {
      tamper: tamperPresign(
        1,
        1,
        (m) => (m.kind === "deal" ? { ...m, k: m.k.map((k) => Fn.add(k, 1n)) } : m),
        2,
      ),
    });
    for (const id of S) assert.notEqual(sim.outcomes.get(id)!.kind, "done");
  });

  it("equivocation on R_j (different R_j to different members): the misled member aborts before any output", () => {
    const sim = runPresign(key31.shares, S, 2, {
      tamper: tamperPresign(2, 2, (m) => (m.kind === "open" ? { ...m, R: m.R.map((R) => R.add(G)) } : m), 3),
    });
    assert.ok(abortError(sim.outcomes.get(3)) instanceof ProtocolAbortError);
    assert.notEqual(sim.outcomes.get(1)!.kind, "done");
  });

  it("equivocation on w_j: the round-2 view hashes differ and every honest member aborts before output", () => {
    const sim = runPresign(key31.shares, S, 2, {
      tamper: tamperPresign(
        2,
        2,
        (m) => (m.kind === "open" ? { ...m, w: m.w.map((w) => Fn.add(w, 7n)) } : m),
        3,
      ),
    });
    assertPresignAborted(sim, 2, [1, 3]);
  });

  it("equivocation on W_j: the misled member aborts; the others' presignature then cannot sign", async () => {
    const sim = runPresign(key31.shares, S, 1, {
      tamper: tamperPresign(3, 2, (m) => (m.kind === "authenticate" ? { ...m, W: [m.W[0].add(G)] } : m), 3),
    });
    assert.ok(abortError(sim.outcomes.get(3)) instanceof ProtocolAbortError);
    const held = new Map<number, Presignature[]>();
    for (const [id, o] of sim.outcomes) if (o.kind === "done") held.set(id, o.result);
    assert.deepEqual([...held.keys()], [1, 2]);
    const { stores } = await storesWith(held);
    stores.set(3, new PresignatureStore(new MemoryShareStore()));
    const presig = held.get(1)![0];
    const run = await signWithStores(stores, presig, digestOf("m"), 1);
    assert.equal(run.agreement, null, "member 3 refuses: it holds no such presignature");
    assert.ok(run.refusals.get(3) instanceof PresignatureNotFoundError);
    for (const id of [1, 2])
      assert.equal((await stores.get(id)!.state(presig.presigId))!.status, "unused", "no share left");
  });

  it("a malformed deal (wrong batch length) is rejected naming its sender", () => {
    const sim = runPresign(key31.shares, S, 2, {
      tamper: tamperPresign(1, 2, (m) =>
        m.kind === "deal"
          ? {
              ...m,
              k: m.k.slice(0, 1),
              a: m.a.slice(0, 1),
              b: m.b.slice(0, 1),
              d: m.d.slice(0, 1),
              e: m.e.slice(0, 1),
            }
          : m,
      ),
    });
    const rejected = sim.rejections.get(1)!.concat(sim.rejections.get(3)!);
    assert.ok(
      rejected.length > 0 &&
        rejected.every((e) => e instanceof InvalidMessageError && e.culprits.join() === "2"),
    );
    for (const id of [1, 3]) assert.equal(sim.outcomes.get(id)!.kind, "stuck");
  });

  it("two different messages from one sender in one round: DuplicateMessageError naming it", () => {
    const sim = runPresign(key31.shares, S, 1);
    assert.equal(sim.outcomes.get(1)!.kind, "done");
    const start = startPresign(
      { share: key31.shares.get(1)!, signers: S, batch: 1, sessionId: new Uint8Array(32) },
      seededRng("dup"),
    );
    const deal = (v: bigint): PresignMessage => ({ kind: "deal", k: [v], a: [v], b: [v], d: [v], e: [v] });
    start.round.receive(2, deal(1n));
    start.round.receive(2, deal(1n)); // an identical resend is ignored
    assert.throws(
      () => start.round.receive(2, deal(2n)),
      (e: unknown) => e instanceof DuplicateMessageError && e.culprits.join() === "2",
    );
  });

  it("a member that goes silent leaves the others waiting for it (the runner's timeout aborts)", () => {
    const sim = runPresign(key31.shares, S, 1, { silent: new Map([[2, 3]]) });
    for (const id of [1, 3]) {
      const o = sim.outcomes.get(id) as { kind: string; missing: number[] };
      assert.equal(o.kind, "stuck");
      assert.deepEqual(o.missing, [2]);
    }
  });
});

describe("ecdsa signing under attack", () => {
  let session = 0;
  async function freshPresig(batch = 1) {
    const presigs = presignAll(key31.shares, S, batch, { requestId: `r-${session++}` });
    const { stores, backing } = await storesWith(presigs);
    return { presigs, stores, backing };
  }

  it("wrong s_j: the combiner's verification fails, nobody blamed, presignature stays consumed", async () => {
    const { presigs, stores } = await freshPresig();
    const presig = presigs.get(1)![0];
    const cheat = (d: { from: number; round: number; message: SignMessage }) =>
      d.from === 2 && d.message.kind === "share" ? { ...d.message, s: Fn.add(d.message.s, 1n) } : d.message;
    const run = await signWithStores(stores, presig, digestOf("pay 1"), 1, {
      shareOptions: { tamper: cheat },
    });
    const e = abortError(run.shares!.outcomes.get(1));
    assert.ok(e instanceof VerificationError);
    assert.deepEqual(e.culprits, []);
    assert.deepEqual(run.shares!.outcomes.get(3), { kind: "done", result: null }, "3 only sent its share");
    // Retrying the same presignature for another digest is refused at every honest signer.
    const again = await signWithStores(stores, presig, digestOf("pay 2"), 1);
    assert.equal(again.agreement, null);
    for (const id of [1, 3]) assert.ok(again.refusals.get(id) instanceof ConsumedError);
    assertAtMostOneValidSignature([run, again], Y);
  });

  it("DuplicateMessageError: a signer sending two different shares is named", async () => {
    const { presigs, stores } = await freshPresig();
    const presig = presigs.get(1)![0];
    const request: SignRequest = requestFor(presig, digestOf("dup"), S[0]);
    const start = await startSignShareFromStore(stores.get(1)!, request, {
      keyId: presig.keyId,
      degree: 1,
      epoch: 0,
    });
    start.round.receive(2, { kind: "share", s: 5n });
    assert.throws(
      () => start.round.receive(2, { kind: "share", s: 6n }),
      (e: unknown) => e instanceof DuplicateMessageError && e.culprits.join() === "2",
    );
  });

  it("withholding signer: no signature for the honest ones; the presignature is never reused for another digest", async () => {
    const { presigs, stores } = await freshPresig(2);
    const presig = presigs.get(1)![0];
    const run = await signWithStores(stores, presig, digestOf("a"), 1, {
      shareOptions: { silent: new Map([[3, 2]]) },
    });
    const o = run.shares!.outcomes.get(1) as { kind: string; missing: number[] };
    assert.equal(o.kind, "stuck", "the combiner waits for the withheld share (the runner's timeout aborts)");
    assert.deepEqual(o.missing, [3]);
    const retry = await signWithStores(stores, presig, digestOf("b"), 1);
    assert.equal(retry.agreement, null);
    for (const id of [1, 2]) assert.ok(retry.refusals.get(id) instanceof ConsumedError);
    // A fresh presignature signs.
    const fresh = await signWithStores(stores, presigs.get(1)![1], digestOf("b"), 1);
    assert.equal(signaturesOf(fresh).length, 1);
    assertAtMostOneValidSignature([run, retry], Y);
  });

  it("withholding during agreement: nobody consumes, nobody releases a share", async () => {
    const { presigs, stores } = await freshPresig();
    const presig = presigs.get(1)![0];
    const run = await signWithStores(stores, presig, digestOf("a"), 1, {
      agreeOptions: { silent: new Map([[2, 1]]) },
    });
    assert.equal(run.shares, null);
    for (const id of S) assert.equal((await stores.get(id)!.state(presig.presigId))!.status, "unused");
  });

  it("equivocating coordinator (different digests to different signers): agreement aborts before any share", async () => {
    const { presigs, stores } = await freshPresig();
    const presig = presigs.get(1)![0];
    const base: SignRequest = requestFor(presig, digestOf("h1"), S[0]);
    const requests = new Map([
      [1, base],
      [2, base],
      [3, { ...base, digest: digestOf("h2") }],
    ]);
    const run = await signWithStores(stores, presig, base.digest, 1, { requests });
    // The two non-combiners compare echoes and abort; the combiner (whose invite is its echo) waits.
    for (const id of [2, 3]) {
      const e = abortError(run.agreement!.outcomes.get(id));
      assert.ok(e instanceof ProtocolAbortError);
      assert.deepEqual(e.culprits, []);
    }
    assert.equal(run.shares, null);
    for (const id of S) assert.equal((await stores.get(id)!.state(presig.presigId))!.status, "unused");
  });

  it("combiner holding another request than every other signer: its verification fails, no signature", async () => {
    const { presigs, stores } = await freshPresig();
    const presig = presigs.get(1)![0];
    const mine: SignRequest = requestFor(presig, digestOf("h1"), S[0]);
    const theirs = { ...mine, digest: digestOf("h2") };
    const requests = new Map([
      [1, mine],
      [2, theirs],
      [3, theirs],
    ]);
    const run = await signWithStores(stores, presig, mine.digest, 1, { requests });
    const e = abortError(run.shares!.outcomes.get(1));
    assert.ok(e instanceof VerificationError);
    const retry = await signWithStores(stores, presig, theirs.digest, 1);
    assert.ok(retry.refusals.get(1) instanceof ConsumedError, "consumed for h1 at the combiner");
    assertAtMostOneValidSignature([run, retry], Y);
  });

  it("second digest with a consumed presignature: refused with ConsumedError, first signature unaffected", async () => {
    const { presigs, stores } = await freshPresig();
    const presig = presigs.get(1)![0];
    const first = await signWithStores(stores, presig, digestOf("one"), 1);
    assert.equal(signaturesOf(first).length, 1);
    await assert.rejects(stores.get(2)!.consume(presig.presigId, digestOf("two")), ConsumedError);
    const second = await signWithStores(stores, presig, digestOf("two"), 1);
    assert.equal(second.agreement, null);
    for (const id of S) assert.ok(second.refusals.get(id) instanceof ConsumedError);
    assertAtMostOneValidSignature([first, second], Y);
  });

  it("crash between 'consumed' and 'share sent', then restart: the same digest completes, another is refused", async () => {
    const { presigs, stores, backing } = await freshPresig();
    const presig = presigs.get(1)![0];
    const h1 = digestOf("before crash");
    const request: SignRequest = requestFor(presig, h1, S[1]);
    const keyInfo = { keyId: presig.keyId, degree: 1, epoch: 0 };
    // Member 1 consumes and computes its share for combiner 2, then crashes before sending it.
    const beforeCrash = await startSignShareFromStore(stores.get(1)!, request, keyInfo);
    const shareBefore = (beforeCrash.outgoing[0].message as { s: bigint }).s;
    // Restart: a new store object over the surviving backing storage.
    stores.set(1, new PresignatureStore(backing.get(1)!));
    assert.equal((await stores.get(1)!.state(presig.presigId))!.status, "consumed");
    await assert.rejects(stores.get(1)!.consume(presig.presigId, digestOf("other")), ConsumedError);
    const refused = await signWithStores(stores, presig, digestOf("other"), 1);
    assert.ok(refused.refusals.get(1) instanceof ConsumedError);
    // Decision: the same digest may be re-sent; the share is identical (deterministic in (presig, h)).
    const resumed = await startSignShareFromStore(stores.get(1)!, request, keyInfo);
    assert.equal((resumed.outgoing[0].message as { s: bigint }).s, shareBefore);
    const done = await signWithStores(stores, presig, h1, 1);
    assert.equal(signaturesOf(done).length, 1);
    assertAtMostOneValidSignature([refused, done], Y);
    // After finish the shares are erased: even the same digest is refused now.
    await assert.rejects(stores.get(1)!.consume(presig.presigId, h1), PresignatureNotFoundError);
  });

  it("crash during the 'consumed' write: nothing is released and the record is unchanged", async () => {
    const { presigs, stores, backing } = await freshPresig();
    const presig = presigs.get(1)![0];
    backing.get(2)!.failNextPut = true;
    const request: SignRequest = requestFor(presig, digestOf("x"), S[0]);
    await assert.rejects(
      startSignShareFromStore(stores.get(2)!, request, { keyId: presig.keyId, degree: 1, epoch: 0 }),
    );
    assert.equal((await new PresignatureStore(backing.get(2)!).state(presig.presigId))!.status, "unused");
  });

  it("racing consume calls for two digests on one store: exactly one wins", async () => {
    const { presigs, stores } = await freshPresig();
    const id = presigs.get(1)![0].presigId;
    const results = await Promise.allSettled([
      stores.get(1)!.consume(id, digestOf("a")),
      stores.get(1)!.consume(id, digestOf("b")),
      stores.get(1)!.consume(id, digestOf("a")),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof ConsumedError);
  });

  it("a presignature from another signer set cannot be used with a changed S", async () => {
    const key = dealEcdsaKey(5, 1);
    const presigs = presignAll(key.shares, [1, 2, 3], 1);
    const { stores } = await storesWith(presigs);
    stores.set(4, new PresignatureStore(new MemoryShareStore()));
    const presig = presignaturePublic(presigs.get(1)![0]);
    const run = await signWithStores(stores, { ...presig, signers: [1, 2, 4] }, digestOf("x"), 1);
    assert.equal(run.agreement, null);
    for (const id of [1, 2]) assert.ok(run.refusals.get(id) instanceof ParameterError);
    assert.ok(run.refusals.get(4) instanceof PresignatureNotFoundError);
  });
});
