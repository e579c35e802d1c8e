import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Fn, interpolateScalar, mulBase } from "../../../node/crypto/index.js";
import { ParameterError } from "../../../node/protocol/errors.js";
import { presignSessionId, startPresign, type Presignature } from "../../../node/protocols/ecdsa/index.js";
import { reconstructSecret } from "../../helpers/dealer.js";
import { dealEcdsaKey, presignAll, runPresign } from "./harness.js";

/** TEST ONLY: opens the presignature's sharings and checks the algebra of §1.4. */
function assertPresignatureAlgebra(byMember: ReadonlyMap<number, Presignature>, secret: bigint): void {
  const list = [...byMember.values()];
  const first = list[0];
  for (const p of list) {
    assert.equal(p.presigId, first.presigId);
    assert.ok(p.R.equals(first.R));
    assert.equal(p.r, first.r);
    assert.deepEqual(p.signers, first.signers);
  }
  const open = (f: (p: Presignature) => bigint) =>
    interpolateScalar(list.map((p) => ({ x: p.self, y: f(p) })));
  const kInverse = open((p) => p.rho);
  assert.ok(mulBase(Fn.inv(kInverse)).equals(first.R), "ρ shares open to k⁻¹ with R = k·G");
  assert.equal(
    open((p) => p.sigma),
    Fn.mul(kInverse, secret),
    "σ shares open to k⁻¹·x",
  );
  assert.equal(
    open((p) => p.d),
    0n,
  );
  assert.equal(
    open((p) => p.e),
    0n,
  );
}

describe("ecdsa presigning (honest runs)", () => {
  for (const [n, degree, batch] of [
    [3, 1, 4],
    [5, 2, 3],
    [7, 3, 2],
  ] as const) {
    it(`(n, t) = (${n}, ${degree}): a batch of ${batch} presignatures, consistent at every member`, () => {
      const key = dealEcdsaKey(n, degree);
      const signers = Array.from({ length: 2 * degree + 1 }, (_, i) => i + 1);
      const out = presignAll(key.shares, signers, batch);
      assert.equal(out.size, signers.length);
      for (let i = 0; i < batch; i++) {
        assertPresignatureAlgebra(new Map([...out].map(([id, ps]) => [id, ps[i]])), key.secret);
      }
      const ids = out.get(1)!.map((p) => p.presigId);
      assert.equal(new Set(ids).size, batch, "ids are distinct");
    });
  }

  it("a signer set that is not 1..2t+1 (n = 5, t = 1, S = {2, 4, 5}) works; members outside S take no part", () => {
    const key = dealEcdsaKey(5, 1);
    const out = presignAll(key.shares, [2, 4, 5], 3);
    assert.deepEqual([...out.keys()].sort(), [2, 4, 5]);
    for (let i = 0; i < 3; i++)
      assertPresignatureAlgebra(new Map([...out].map(([id, ps]) => [id, ps[i]])), key.secret);
    assert.ok(out.get(2)!.every((p) => p.signers.join() === "2,4,5"));
  });

  it("rejects a signer set whose size is not exactly 2t+1 (split-view attack, spec §1.7)", () => {
    const key = dealEcdsaKey(5, 1);
    const sessionId = new Uint8Array(32);
    for (const signers of [
      [1, 2],
      [1, 2, 3, 4],
      [1, 2, 3, 4, 5],
    ]) {
      assert.throws(
        () => startPresign({ share: key.shares.get(1)!, signers, batch: 1, sessionId }),
        ParameterError,
      );
    }
  });

  it("rejects unsorted or repeated signers, a member outside S, a bad batch size or session id", () => {
    const key = dealEcdsaKey(5, 1);
    const share = key.shares.get(1)!;
    const sessionId = new Uint8Array(32);
    const bad = [
      { share, signers: [2, 1, 3], batch: 1, sessionId },
      { share, signers: [1, 1, 3], batch: 1, sessionId },
      { share, signers: [2, 3, 4], batch: 1, sessionId },
      { share, signers: [1, 2, 9], batch: 1, sessionId },
      { share, signers: [1, 2, 3], batch: 0, sessionId },
      { share, signers: [1, 2, 3], batch: 1001, sessionId },
      { share, signers: [1, 2, 3], batch: 1, sessionId: new Uint8Array(31) },
    ];
    for (const p of bad) assert.throws(() => startPresign(p), ParameterError);
  });

  it("presignature ids are bound to the session, key, epoch and signer set", () => {
    const key = dealEcdsaKey(3, 1);
    const a = presignAll(key.shares, [1, 2, 3], 1, { requestId: "a" }).get(1)![0];
    const b = presignAll(key.shares, [1, 2, 3], 1, { requestId: "b" }).get(1)![0];
    assert.notEqual(a.presigId, b.presigId);
    const next = dealEcdsaKey(3, 1, "key-3-1", 1);
    const c = presignAll(next.shares, [1, 2, 3], 1, { requestId: "a" }).get(1)![0];
    assert.notEqual(a.presigId, c.presigId);
    assert.equal(c.epoch, 1);
  });

  it("the session id depends on every parameter", () => {
    const base = { keyId: "k", epoch: 0, signers: [1, 2, 3], batch: 5, requestId: "r" };
    const ids = [
      base,
      { ...base, keyId: "k2" },
      { ...base, epoch: 1 },
      { ...base, signers: [1, 2, 4] },
      { ...base, batch: 6 },
      { ...base, requestId: "s" },
    ].map((p) => Buffer.from(presignSessionId(p)).toString("hex"));
    assert.equal(new Set(ids).size, ids.length);
  });

  it("honest runs report no rejected messages and count bytes", () => {
    const key = dealEcdsaKey(3, 1);
    const sim = runPresign(key.shares, [1, 2, 3], 2);
    for (const r of sim.rejections.values()) assert.equal(r.length, 0);
    assert.ok([...sim.bytesSent.values()].every((b) => b > 0));
    assert.equal(reconstructSecret(key.shares.values()), key.secret);
  });
});
