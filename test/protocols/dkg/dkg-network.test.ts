import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { seededRng } from "../../../node/crypto/rng.js";
import { faults } from "../../../node/adapters/memory/index.js";
import { EquivocationError, ProtocolAbortError, RoundTimeoutError } from "../../../node/protocol/errors.js";
import type { Outgoing } from "../../../node/protocol/round.js";
import { startDkg, type DkgMessage, type DkgOutput } from "../../../node/protocols/dkg/index.js";
import { ManualClock, peerOf } from "../../runner/harness.js";
import { assertConsistent, deviate, ids, lieInBroadcast, runDkgNetwork, testSessionId } from "./helpers.js";

type Outcome = { ok: true; value: DkgOutput } | { ok: false; error: unknown };

async function settle(outcomes: Map<number, Promise<Outcome>>): Promise<Map<number, Outcome>> {
  return new Map(await Promise.all([...outcomes].map(async ([id, p]) => [id, await p] as const)));
}

function values(results: Map<number, Outcome>, members: number[]): Map<number, DkgOutput> {
  return new Map(
    members.map((id) => {
      const r = results.get(id)!;
      assert.ok(r.ok, `member ${id} failed: ${!r.ok && String(r.error)}`);
      return [id, r.value] as const;
    }),
  );
}

/** Member `liar` sends its round-`round` broadcast as private messages, a different one to `victim`. */
const splitBroadcast =
  (round: number, victim: number, other: (m: DkgMessage) => DkgMessage, members: number[]) =>
  (r: number, outgoing: readonly Outgoing<DkgMessage>[]): readonly Outgoing<DkgMessage>[] =>
    r !== round
      ? outgoing
      : outgoing.flatMap((o) =>
          o.to !== "all"
            ? [o]
            : members.map((to) => ({ to, message: to === victim ? other(o.message) : o.message })),
        );

describe("dkg over the runner and the in-memory transport", () => {
  it("honest n=3: same key at every member", async () => {
    const { outcomes, group } = await runDkgNetwork({ n: 3, degree: 1, name: "net-honest" });
    assertConsistent(values(await settle(outcomes), ids(3)), 1);
    for (const id of ids(3)) assert.deepEqual(group.members.get(id)!.rejected, []);
  });

  it("equivocation in round 1: every honest member names the equivocator, nobody outputs", async () => {
    const n = 4;
    const otherDeal = (id: number) =>
      startDkg(
        {
          scheme: "schnorr",
          keyId: "k1",
          degree: 1,
          sessionId: testSessionId("net-equivocate"),
          self: id,
          members: ids(n),
          verifyFrame: () => false,
        },
        seededRng(`other-${id}`),
      ).outgoing[0].message;
    const { outcomes } = await runDkgNetwork({
      n,
      degree: 1,
      name: "net-equivocate",
      cheat: (id, s) =>
        id === 4
          ? deviate(
              s,
              splitBroadcast(1, 1, () => otherDeal(4), [1, 2, 3]),
            )
          : s,
    });
    const results = await settle(outcomes);
    for (const id of [1, 2, 3]) {
      const r = results.get(id)!;
      assert.ok(!r.ok && r.error instanceof EquivocationError, `member ${id}`);
      assert.deepEqual(r.error.culprits, [4]);
    }
  });

  it("two equivocators (degree 2): both named", async () => {
    const n = 5;
    const cheaters = [4, 5];
    const { outcomes } = await runDkgNetwork({
      n,
      degree: 2,
      name: "net-equivocate-2",
      cheat: (id, s) =>
        cheaters.includes(id)
          ? deviate(
              s,
              splitBroadcast(
                1,
                id === 4 ? 1 : 2,
                (m) => (m.kind === "deal" ? { ...m, proof: { ...m.proof, mu: m.proof.mu ^ 1n } } : m),
                ids(n).filter((x) => x !== id),
              ),
            )
          : s,
    });
    const results = await settle(outcomes);
    for (const id of [1, 2, 3]) {
      const r = results.get(id)!;
      assert.ok(!r.ok && r.error instanceof ProtocolAbortError, `member ${id}`);
      assert.deepEqual(r.error.culprits, cheaters);
    }
  });

  it("equivocation of the complaint lists: caught by their echo check, the liar named", async () => {
    const n = 4;
    const { outcomes } = await runDkgNetwork({
      n,
      degree: 1,
      name: "net-complaints",
      cheat: (id, s) =>
        id === 3
          ? deviate(
              s,
              splitBroadcast(4, 2, () => ({ kind: "complaints", accused: [1] }), [1, 2, 4]),
            )
          : s,
    });
    const results = await settle(outcomes);
    for (const id of [1, 2, 4]) {
      const r = results.get(id)!;
      assert.ok(!r.ok && r.error instanceof EquivocationError, `member ${id}`);
      assert.deepEqual(r.error.culprits, [3]);
    }
  });

  it("a silent member: round timeout naming it", async () => {
    const clock = new ManualClock();
    const run = await runDkgNetwork({
      n: 3,
      degree: 1,
      name: "net-silent",
      absent: [3],
      clock,
      roundTimeoutMs: 1_000,
    });
    await run.group.net.settled();
    clock.advance(1_000);
    const results = await settle(run.outcomes);
    for (const id of [1, 2]) {
      const r = results.get(id)!;
      assert.ok(!r.ok && r.error instanceof RoundTimeoutError);
      assert.deepEqual(r.error.missing, [3]);
    }
  });

  it("a withheld share becomes a complaint at the soft deadline; the dealer answers in public", async () => {
    const clock = new ManualClock();
    const run = await runDkgNetwork({
      n: 4,
      degree: 1,
      name: "net-withhold",
      clock,
      roundTimeoutMs: 1_000,
      expireAfterMs: 300,
      setup: (g) => g.net.addFault(faults.drop({ from: peerOf(3), to: peerOf(1), round: 3 })),
    });
    await run.group.net.settled();
    clock.advance(300); // member 1 stops waiting for 3's share and complains
    await run.group.net.settled();
    const out = values(await settle(run.outcomes), ids(4));
    assertConsistent(out, 1);
    assert.equal(out.get(1)!.disqualified.size, 0);
  });

  it("a withheld share the dealer never answers: disqualified at every member, same key", async () => {
    const clock = new ManualClock();
    const run = await runDkgNetwork({
      n: 4,
      degree: 1,
      name: "net-withhold-2",
      clock,
      roundTimeoutMs: 1_000,
      expireAfterMs: 300,
      cheat: (id, s) =>
        id === 3
          ? lieInBroadcast(
              deviate(s, (r, out) => (r === 3 ? out.filter((o) => o.to !== 1) : out)),
              testSessionId("net-withhold-2"),
              (_r, m) => (m.kind === "answers" ? { kind: "answers", answers: [] } : m),
            )
          : s,
    });
    await run.group.net.settled();
    clock.advance(300);
    await run.group.net.settled();
    const results = await settle(run.outcomes);
    const out = values(results, [1, 2, 4]);
    assertConsistent(out, 1);
    assert.deepEqual([...out.get(1)!.disqualified], [[3, "unanswered-complaint"]]);
  });
});
