/**
 * Pre-published commitments (runner/nonce-pool.ts): nonces are stored through the ShareStore port,
 * consumed durably before a share is released, bound to one coordinator, and never sign twice — also
 * across a crash and restart (simulated with an in-memory store that outlives the pool objects).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Fn, schnorrVerify, seededRng } from "../../../node/crypto/index.js";
import { ConsumedError, InvalidMessageError, PolicyError } from "../../../node/protocol/errors.js";
import {
  FROST_ROUND,
  buildSignRequest,
  decodeCommitmentBatch,
  encodeCommitmentBatch,
  frostCodec,
  openFrostSession,
  startFrostCoordinator,
  type FrostMessage,
  type FrostSessionParams,
  type NonceCommitment,
  type SignRequestMessage,
} from "../../../node/protocols/frost/index.js";
import { CommitmentBook, FrostNoncePool } from "../../../node/runner/nonce-pool.js";
import type { KeyShare } from "../../../node/protocol/key-share.js";
import { frostKey, params } from "./fixtures.js";
import { MemoryShareStore } from "./memory-share-store.js";

const shares = frostKey({ members: 3, degree: 1, seed: "nonce-pool" });
const COORDINATOR = 1;
const SIGNER = 2;

/** A sign request from the coordinator (1) naming `signerCommitment` for member 2. */
function requestFor(
  signerCommitment: NonceCommitment,
  p: Partial<FrostSessionParams> = {},
): SignRequestMessage {
  const session = openFrostSession(
    shares.get(1)!.public,
    params({ signers: [1, 2], coordinator: COORDINATOR, ...p }),
  );
  const coordinatorNonce = { hiding: signerCommitment.binding, binding: signerCommitment.hiding }; // any valid points
  return buildSignRequest(session, [
    { member: 1, ...coordinatorNonce },
    { member: SIGNER, ...signerCommitment },
  ]);
}

async function signerPool(store = new MemoryShareStore(), share: KeyShare = shares.get(SIGNER)!) {
  return { store, pool: new FrostNoncePool({ store, keyShare: share }) };
}

describe("FrostNoncePool", () => {
  it("stores generated nonces durably and publishes their commitments to one coordinator", async () => {
    const { store, pool } = await signerPool();
    const batch = await pool.generate(4, { coordinator: COORDINATOR, rng: seededRng("g") });
    assert.equal(batch.member, SIGNER);
    assert.equal(batch.coordinator, COORDINATOR);
    assert.equal(batch.commitments.length, 4);
    assert.equal((await store.list(pool.prefix)).length, 4);
    assert.equal(await pool.available(COORDINATOR), 4);
    assert.equal(await pool.available(3), 0);
  });

  it("answers a sign request once; the same nonce is refused afterwards (ConsumedError)", async () => {
    const { pool } = await signerPool();
    const [c] = (await pool.generate(1, { coordinator: COORDINATOR, rng: seededRng("once") })).commitments;
    const { outgoing } = await pool.respond(COORDINATOR, requestFor(c));
    assert.equal(outgoing.length, 1);
    assert.equal(outgoing[0].message.type, "signature-share");
    await assert.rejects(pool.respond(COORDINATOR, requestFor(c, { requestId: "again" })), ConsumedError);
    await assert.rejects(pool.consume(c, COORDINATOR), ConsumedError);
  });

  it("crash and restart: a nonce used before the crash is refused after it", async () => {
    const store = new MemoryShareStore();
    let { pool } = await signerPool(store);
    const { commitments } = await pool.generate(3, { coordinator: COORDINATOR, rng: seededRng("crash") });
    const [used, markedThenCrashed, crashedDuringWrite] = commitments;

    // 1. A share was released with `used`, then the process crashed.
    await pool.respond(COORDINATOR, requestFor(used));
    // 2. `markedThenCrashed` was consumed (tombstone written) but the process died before signing.
    (await pool.consume(markedThenCrashed, COORDINATOR)).erase();
    // 3. The tombstone write for `crashedDuringWrite` crashed: no nonce was handed out, no share exists.
    store.crashingPuts = 1;
    await assert.rejects(pool.consume(crashedDuringWrite, COORDINATOR), /simulated crash/);

    ({ pool } = await signerPool(store)); // restart: new objects over the same "disk"
    await assert.rejects(pool.respond(COORDINATOR, requestFor(used, { requestId: "replay" })), ConsumedError);
    await assert.rejects(pool.respond(COORDINATOR, requestFor(markedThenCrashed)), ConsumedError);
    // The nonce whose tombstone never reached the disk never signed: it may sign now, exactly once.
    await pool.respond(COORDINATOR, requestFor(crashedDuringWrite));
    await assert.rejects(
      pool.respond(COORDINATOR, requestFor(crashedDuringWrite, { requestId: "2" })),
      ConsumedError,
    );
    assert.equal(await pool.available(), 0);
  });

  it("the stored record loses its secret when the nonce is consumed", async () => {
    const { store, pool } = await signerPool();
    const [c] = (await pool.generate(1, { coordinator: COORDINATOR, rng: seededRng("tomb") })).commitments;
    const [key] = await store.list(pool.prefix);
    const before = store.data.get(key)!.length;
    (await pool.consume(c, COORDINATOR)).erase();
    assert.equal(store.data.get(key)!.length, before - 64);
  });

  it("two concurrent requests for one nonce: exactly one is served", async () => {
    const { pool } = await signerPool();
    const [c] = (await pool.generate(1, { coordinator: COORDINATOR, rng: seededRng("race") })).commitments;
    const results = await Promise.allSettled([
      pool.respond(COORDINATOR, requestFor(c, { requestId: "a" })),
      pool.respond(COORDINATOR, requestFor(c, { requestId: "b" })),
    ]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.ok(rejected.reason instanceof ConsumedError);
  });

  it("a nonce published to one coordinator is refused to another and stays usable", async () => {
    const { pool } = await signerPool();
    const [c] = (await pool.generate(1, { coordinator: COORDINATOR, rng: seededRng("bound") })).commitments;
    const session = openFrostSession(shares.get(1)!.public, params({ signers: [2, 3], coordinator: 3 }));
    const fromThree = buildSignRequest(session, [
      { member: 2, ...c },
      { member: 3, hiding: c.binding, binding: c.hiding },
    ]);
    await assert.rejects(
      pool.respond(3, fromThree),
      (e: unknown) => e instanceof InvalidMessageError && e.sender === 3,
    );
    await pool.respond(COORDINATOR, requestFor(c));
  });

  it("a bad request or a policy refusal does not burn the nonce", async () => {
    const { pool } = await signerPool();
    const [c] = (await pool.generate(1, { coordinator: COORDINATOR, rng: seededRng("keep") })).commitments;
    const wrongSession: FrostMessage = { ...requestFor(c), sessionId: new Uint8Array(32) };
    await assert.rejects(pool.respond(COORDINATOR, wrongSession), InvalidMessageError);
    const refuse = () => {
      throw new PolicyError("not approved");
    };
    await assert.rejects(pool.respond(COORDINATOR, requestFor(c), { approve: refuse }), PolicyError);
    assert.equal(await pool.available(COORDINATOR), 1);
    await pool.respond(COORDINATOR, requestFor(c));
  });

  it("an unknown commitment is refused, and pruned tombstones stay refused", async () => {
    const { store, pool } = await signerPool();
    const elsewhere = await signerPool(); // same member, another store: its nonces are unknown here
    const [stranger] = (await elsewhere.pool.generate(1, { coordinator: COORDINATOR, rng: seededRng("u") }))
      .commitments;
    await assert.rejects(pool.respond(COORDINATOR, requestFor(stranger)), ConsumedError);
    const [mine] = (await pool.generate(1, { coordinator: COORDINATOR, rng: seededRng("p") })).commitments;
    await pool.respond(COORDINATOR, requestFor(mine));
    assert.equal(await pool.prune(), 1);
    assert.deepEqual(await store.list(pool.prefix), []);
    const { pool: restarted } = await signerPool(store);
    await assert.rejects(
      restarted.respond(COORDINATOR, requestFor(mine, { requestId: "p2" })),
      ConsumedError,
    );
  });

  it("the released share is valid: the coordinator's aggregate verifies (BIP-340)", async () => {
    const { pool } = await signerPool();
    const coordinatorPool = new FrostNoncePool({ store: new MemoryShareStore(), keyShare: shares.get(1)! });
    const [c] = (await pool.generate(1, { coordinator: COORDINATOR, rng: seededRng("v") })).commitments;
    await coordinatorPool.generate(1, { coordinator: COORDINATOR, rng: seededRng("own") });
    const ownNonces = (await coordinatorPool.consumeNext())!;
    assert.equal(await coordinatorPool.consumeNext(), null);
    const session = params({ signers: [1, 2], coordinator: 1 });
    const start = startFrostCoordinator({
      key: shares.get(1)!,
      session,
      prepublished: { commitments: new Map([[SIGNER, c]]), ownNonces },
    });
    const wire = frostCodec.encode(start.outgoing[0].message);
    const { outgoing } = await pool.respond(COORDINATOR, frostCodec.decode(FROST_ROUND.sign, wire));
    let t = start.round.finalize(seededRng("c"));
    if (t.kind !== "next") throw new Error("expected round 3");
    t.round.receive(SIGNER, outgoing[0].message);
    t = t.round.finalize(seededRng("c"));
    assert.equal(t.kind, "done");
    if (t.kind !== "done" || t.result.role !== "coordinator") return;
    assert.ok(schnorrVerify(t.result.signature.signature, session.message, t.result.signature.publicKey));
    assert.ok(Fn.isValid(t.result.signature.z));
  });
});

describe("CommitmentBook", () => {
  const key = shares.get(1)!.public;

  async function batchFrom(member: number, coordinator: number, count = 2) {
    const pool = new FrostNoncePool({ store: new MemoryShareStore(), keyShare: shares.get(member)! });
    return decodeCommitmentBatch(
      encodeCommitmentBatch(await pool.generate(count, { coordinator, rng: seededRng(`b${member}`) })),
    );
  }

  it("hands each published commitment out once, all or nothing per signer set", async () => {
    const book = new CommitmentBook(key, 1);
    assert.equal(book.add(2, await batchFrom(2, 1)), 2);
    assert.equal(book.add(2, await batchFrom(2, 1)), 0, "a replayed batch adds nothing");
    assert.equal(book.takeFor([2, 3]), null, "member 3 has published nothing");
    assert.equal(book.available(2), 2, "all or nothing");
    book.add(3, await batchFrom(3, 1, 1));
    const taken = book.takeFor([2, 3])!;
    assert.equal(taken.size, 2);
    assert.equal(book.takeFor([2, 3]), null);
    assert.equal(book.available(2), 1);
  });

  it("refuses a batch claiming another member (blamed), or for another coordinator, key or epoch (not blamed)", async () => {
    const book = new CommitmentBook(key, 1);
    const b = await batchFrom(2, 1);
    assert.throws(
      () => book.add(3, b),
      (e: unknown) => e instanceof InvalidMessageError && e.culprits[0] === 3,
    );
    for (const other of [await batchFrom(2, 3), { ...b, epoch: 1 }, { ...b, keyId: "other" }]) {
      assert.throws(
        () => book.add(2, other),
        (e: unknown) => e instanceof InvalidMessageError && e.culprits.length === 0,
      );
    }
  });
});
