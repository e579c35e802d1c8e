/** The pure retry helpers: which members sign the next attempt, and under which request id. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ParameterError } from "../../../node/protocol/errors.js";
import {
  MAX_SIGNING_ATTEMPTS,
  attemptRequestId,
  nextSignerSet,
  openFrostSession,
  planFrostRetry,
} from "../../../node/protocols/frost/index.js";
import { frostKey, params } from "./fixtures.js";

describe("nextSignerSet", () => {
  it("never picks an excluded member, keeps honest previous signers first, returns null below quorum", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            quorum: fc.integer({ min: 1, max: n }),
            previous: fc.subarray(Array.from({ length: n }, (_, i) => i + 1)),
            exclude: fc.subarray(Array.from({ length: n }, (_, i) => i + 1)),
            size: fc.option(fc.integer({ min: 1, max: n }), { nil: undefined }),
          }),
        ),
        ({ n, quorum, previous, exclude, size }) => {
          const participants = Array.from({ length: n }, (_, i) => i + 1);
          const next = nextSignerSet({ participants, quorum, previous, exclude, size });
          const candidates = participants.filter((id) => !exclude.includes(id));
          if (candidates.length < quorum) {
            assert.equal(next, null);
            return;
          }
          assert.ok(next);
          const want = Math.min(Math.max(size ?? quorum, quorum), candidates.length);
          assert.equal(next.length, want);
          assert.deepEqual(
            next,
            [...new Set(next)].sort((a, b) => a - b),
          );
          for (const id of next) assert.ok(candidates.includes(id));
          const honestPrevious = previous.filter((id) => candidates.includes(id));
          const keptPrevious = next.filter((id) => previous.includes(id)).length;
          assert.equal(keptPrevious, Math.min(honestPrevious.length, want));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects a non-positive quorum", () => {
    assert.throws(
      () => nextSignerSet({ participants: [1, 2], quorum: 0, previous: [], exclude: [] }),
      ParameterError,
    );
  });
});

describe("attempt request ids and planFrostRetry", () => {
  it("attempt ids are distinct and attempt 0 keeps the client's id", () => {
    const ids = [0, 1, 2, 3].map((a) => attemptRequestId("req", a));
    assert.equal(ids[0], "req");
    assert.equal(new Set(ids).size, 4);
    assert.throws(() => attemptRequestId("req", -1), ParameterError);
  });

  it("plans a new session without the culprits, gives up after the attempt limit or without the coordinator", () => {
    const shares = frostKey({ members: 5, degree: 2, seed: "plan" });
    const failed = openFrostSession(
      shares.get(1)!.public,
      params({ signers: [1, 2, 3, 4], coordinator: 1, requestId: "r" }),
    );
    const next = planFrostRetry(failed, { baseRequestId: "r", attempt: 1, exclude: [3] });
    assert.deepEqual(next, {
      ...params({ signers: [1, 2, 4, 5], coordinator: 1 }),
      requestId: "r/attempt-1",
    });
    assert.equal(
      planFrostRetry(failed, { baseRequestId: "r", attempt: MAX_SIGNING_ATTEMPTS, exclude: [3] }),
      null,
    );
    assert.equal(planFrostRetry(failed, { baseRequestId: "r", attempt: 1, exclude: [1] }), null);
    assert.equal(planFrostRetry(failed, { baseRequestId: "r", attempt: 1, exclude: [2, 3, 4] }), null);
  });
});
