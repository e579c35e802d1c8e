import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sha256, utf8ToBytes } from "../../node/crypto/hash.js";
import { seededRng } from "../../node/crypto/rng.js";
import { faults, flipByte, MemoryNetwork } from "../../node/adapters/memory/index.js";
import { EquivocationError, ParameterError, RoundTimeoutError } from "../../node/protocol/errors.js";
import { BROADCAST, decodeFrame, encodeFrame, frameSigningBytes } from "../../node/protocol/frame.js";
import { signFrameBytes } from "../../node/crypto/identity.js";
import { FrameRejectedError, SessionCancelledError } from "../../node/runner/errors.js";
import { Runner } from "../../node/runner/runner.js";
import { ed25519Authenticator } from "../../node/crypto/identity.js";
import {
  ManualClock,
  makeGroup,
  outcome,
  peerOf,
  publicKeyOf,
  resign,
  seedOf,
  type Group,
} from "./harness.js";
import { quorumToyCodec, quorumToyStart } from "./expirable-toy.js";
import { toyCodec, toyStart, TOY_PROTOCOL_ID, type ToyOptions, type ToyResult } from "./toy-protocol.js";

const sid = (name: string) => sha256(utf8ToBytes(`runner-test/${name}`));

function runToy(
  group: Group,
  sessionId: Uint8Array,
  opts: { timeoutMs?: number; cheat?: Map<number, ToyOptions>; only?: number[] } = {},
) {
  const ids = opts.only ?? [...group.members.keys()];
  return new Map(
    ids.map((id) => [
      id,
      group.members.get(id)!.runner.run({
        sessionId,
        codec: toyCodec,
        self: id,
        members: group.peers,
        start: (ctx) => toyStart(ctx, opts.cheat?.get(id)),
        roundTimeoutMs: opts.timeoutMs ?? 5_000,
      }),
    ]),
  );
}

function assertHonestResults(results: Map<number, ToyResult>, ids: number[]) {
  for (const [id, r] of results) {
    for (const j of ids) assert.equal(r.values.get(j), 100 + j);
    for (const j of ids.filter((x) => x !== id)) assert.equal(r.privates.get(j), (100 + j) * 1000 + id);
  }
}

const reasons = (group: Group, id: number) => group.members.get(id)!.rejected.map((e) => e.reason);

describe("runner over the in-memory transport", () => {
  it("runs a session to the same result at every member", async () => {
    const group = makeGroup([1, 2, 3]);
    const runs = runToy(group, sid("happy"));
    const results = new Map<number, ToyResult>();
    for (const [id, p] of runs) results.set(id, await p);
    assertHonestResults(results, [1, 2, 3]);
    for (const id of [1, 2, 3]) assert.deepEqual(group.members.get(id)!.rejected, []);
    const traffic = group.members.get(1)!.runner.traffic(sid("happy"))!;
    // round 1 and 2: one broadcast frame to each of 2 peers; round 3: one private frame to each
    assert.equal(traffic.framesSent, 6);
  });

  it("buffers frames of a session that starts later here, and tells the node about it", async () => {
    const announced: { sessionId: Uint8Array; protocolId: number; peer: string }[] = [];
    const group = makeGroup([1, 2, 3], { runner: { onPendingSession: (info) => announced.push(info) } });
    const early = runToy(group, sid("late-start"), { only: [1, 2] });
    await group.net.settled(); // members 1 and 2 have sent round 1 to member 3
    assert.equal(announced.length, 1); // once per unknown session, not per frame
    assert.deepEqual(announced[0].sessionId, sid("late-start"));
    assert.equal(announced[0].protocolId, TOY_PROTOCOL_ID);
    const late = runToy(group, sid("late-start"), { only: [3] });
    const results = new Map<number, ToyResult>();
    for (const [id, p] of [...early, ...late]) results.set(id, await p);
    assertHonestResults(results, [1, 2, 3]);
  });

  it("drops exact duplicates and still finishes", async () => {
    const group = makeGroup([1, 2, 3]);
    group.net.addFault(faults.duplicate({}, 2));
    const results = new Map<number, ToyResult>();
    for (const [id, p] of runToy(group, sid("dup"))) results.set(id, await p);
    assertHonestResults(results, [1, 2, 3]);
    assert.ok(reasons(group, 1).includes("duplicate"));
    // copies that arrive after the session ended are reported as stale, not passed on
    assert.ok(reasons(group, 1).every((r) => r === "duplicate" || r === "stale-session"));
  });

  it("handles delayed and reordered frames (early frames are queued)", async () => {
    const group = makeGroup([1, 2, 3, 4]);
    group.net.addFault(faults.reorder({}, 15, seededRng("reorder")));
    group.net.addFault(faults.delay({ from: peerOf(2), round: 1 }, 20)); // 2's round 1 arrives after others' round 2
    const results = new Map<number, ToyResult>();
    for (const [id, p] of runToy(group, sid("reorder"))) results.set(id, await p);
    assertHonestResults(results, [1, 2, 3, 4]);
    for (const id of [1, 2, 3, 4]) assert.ok(reasons(group, id).every((r) => r === "duplicate"));
  });

  it("times out naming the member whose frames are dropped", async () => {
    const clock = new ManualClock();
    const group = makeGroup([1, 2, 3], { clock });
    group.net.addFault(faults.drop({ from: peerOf(2), to: peerOf(1), round: 3 }));
    const runs = runToy(group, sid("drop"), { timeoutMs: 1_000 });
    const o2 = outcome(runs.get(2)!);
    const o3 = outcome(runs.get(3)!);
    const o1 = outcome(runs.get(1)!);
    await group.net.settled();
    assert.equal((await o2).ok, true);
    assert.equal((await o3).ok, true);
    clock.advance(1_000);
    const r1 = await o1;
    assert.ok(!r1.ok && r1.error instanceof RoundTimeoutError);
    assert.deepEqual((r1.error as RoundTimeoutError).missing, [2]);
    assert.equal((r1.error as RoundTimeoutError).code, "ROUND_TIMEOUT");
  });

  it("times out naming a crashed member", async () => {
    const clock = new ManualClock();
    const group = makeGroup([1, 2, 3], { clock });
    group.net.crash(peerOf(3));
    const runs = runToy(group, sid("crash"), { timeoutMs: 500, only: [1, 2] });
    const all = [...runs.values()].map(outcome);
    await group.net.settled();
    clock.advance(500);
    for (const o of await Promise.all(all)) {
      assert.ok(!o.ok && o.error instanceof RoundTimeoutError);
      assert.deepEqual((o.error as RoundTimeoutError).missing, [3]);
    }
  });

  it("ends a session at once when a member it waits for disconnects mid-round, naming that member", async () => {
    const clock = new ManualClock(); // never advanced: no round timeout can fire
    const group = makeGroup([1, 2, 3], { clock });
    group.net.addFault(faults.drop({ from: peerOf(3) })); // 3 is silent, then its connection drops
    const runs = runToy(group, sid("disconnect"), { timeoutMs: 60_000 });
    const [o1, o2] = [1, 2].map((id) => outcome(runs.get(id)!));
    void outcome(runs.get(3)!);
    await group.net.settled();
    group.net.crash(peerOf(3));
    await group.net.settled();
    clock.advance(1_000); // the reconnect grace period, far below the 60 s round timeout
    for (const o of [await o1, await o2]) {
      assert.ok(!o.ok && o.error instanceof RoundTimeoutError);
      assert.deepEqual(o.error.missing, [3]);
    }
    assert.deepEqual(group.members.get(1)!.runner.activeSessions(), []);
  });

  it("a round that may complete without stragglers stops waiting once every member it waits for is gone", async () => {
    const clock = new ManualClock(); // never advanced: neither expiry nor timeout can fire
    const group = makeGroup([1, 2, 3, 4], { clock });
    group.net.addFault(faults.drop({ from: peerOf(4) }));
    const run = (id: number) =>
      outcome(
        group.members.get(id)!.runner.run({
          sessionId: sid("expirable"),
          codec: quorumToyCodec,
          self: id,
          members: group.peers,
          start: quorumToyStart,
          roundTimeoutMs: 60_000,
        }),
      );
    const [o1, o2] = [run(1), run(2)]; // 3 never starts: 1 and 2 also wait for it
    void run(4);
    await group.net.settled();
    group.net.crash(peerOf(4)); // 3 still missing and connected: keep waiting
    await group.net.settled();
    clock.advance(1_000);
    assert.deepEqual(group.members.get(1)!.runner.activeSessions().length, 1);
    group.net.crash(peerOf(3)); // now everyone missing is gone: complete with what arrived
    await group.net.settled();
    clock.advance(1_000);
    for (const [self, o] of [
      [1, await o1],
      [2, await o2],
    ] as const) {
      assert.ok(o.ok);
      assert.deepEqual([...o.value.keys()].sort(), [1, 2], `member ${self}`);
    }
  });

  it("a peer that reconnects within the grace period does not end the sessions waiting for it", async () => {
    const clock = new ManualClock();
    const group = makeGroup([1, 2, 3], { clock });
    const stopDrop = group.net.addFault(faults.drop({ from: peerOf(3) }));
    const runs = runToy(group, sid("reconnect"), { timeoutMs: 60_000, only: [1, 2] });
    const all = [...runs.values()].map(outcome);
    await group.net.settled();
    group.net.crash(peerOf(3));
    group.net.restart(peerOf(3));
    await group.net.settled();
    clock.advance(1_000);
    assert.equal(group.members.get(1)!.runner.activeSessions().length, 1, "still waiting for 3");
    stopDrop();
    clock.advance(60_000); // 3 never ran the session: the round timeout ends it, as before
    for (const o of await Promise.all(all)) assert.ok(!o.ok && o.error instanceof RoundTimeoutError);
  });

  it("a member that disconnects after sending everything it owed does not end the session", async () => {
    const group = makeGroup([1, 2, 3]);
    const runs = runToy(group, sid("late-disconnect"), { only: [1, 2, 3] });
    const results = await Promise.all([...runs.values()]);
    group.net.crash(peerOf(3)); // after the end: nothing to fail
    assert.equal(results.length, 3);
    assertHonestResults(new Map([...runs.keys()].map((id, i) => [id, results[i]])), [1, 2, 3]);
  });

  it("rejects a corrupted frame with a typed error and stays up", async () => {
    const clock = new ManualClock();
    const group = makeGroup([1, 2, 3], { clock });
    // flip a payload bit of 2's round-1 broadcast to 1 (the signature no longer matches)
    group.net.addFault(faults.corrupt({ from: peerOf(2), to: peerOf(1), round: 1 }, (b) => flipByte(b, 45)));
    const runs = runToy(group, sid("corrupt"), { timeoutMs: 800 });
    const [o1, o2, o3] = [1, 2, 3].map((id) => outcome(runs.get(id)!));
    await group.net.settled();
    assert.deepEqual(reasons(group, 1), ["bad-signature"]);
    assert.equal(group.members.get(1)!.rejected[0].code, "FRAME_REJECTED");
    assert.equal(group.members.get(1)!.rejected[0].detail.sender, 2);
    clock.advance(800);
    const r1 = await o1;
    assert.ok(!r1.ok && r1.error instanceof RoundTimeoutError);
    assert.deepEqual((r1.error as RoundTimeoutError).missing, [2]);
    // 2 and 3 wait in the echo round for member 1, which never got a valid round-1 frame from 2
    for (const o of [await o2, await o3]) {
      assert.ok(!o.ok && o.error instanceof RoundTimeoutError);
      assert.deepEqual(o.error.missing, [1]);
    }
  });

  it("rejects frames whose sender field, recipient, protocol or version is wrong", async () => {
    const group = makeGroup([1, 2, 3]);
    const runs = runToy(group, sid("fields"), { only: [1] });
    const send = (from: number, bytes: Uint8Array) =>
      group.net.transport(peerOf(from)).send(peerOf(1), bytes);
    const base = {
      protocolId: TOY_PROTOCOL_ID,
      sessionId: sid("fields"),
      round: 1,
      from: 2,
      to: BROADCAST,
      payload: toyCodec.encode({ kind: "value", value: 102 }),
    };
    const signed = (f: typeof base, signer: number) =>
      encodeFrame({ ...f, signature: signFrameBytes(seedOf(signer), frameSigningBytes(f)) });
    await send(3, signed({ ...base, from: 2 }, 3)); // peer 3 claims to be member 2
    await send(2, signed({ ...base, to: 3 }, 2)); // addressed to member 3
    await send(2, signed({ ...base, protocolId: 1 }, 2)); // another protocol
    const badVersion = signed(base, 2);
    badVersion[0] = 9;
    await send(2, badVersion);
    await send(2, signed({ ...base, payload: Uint8Array.of(1, 2) }, 2)); // undecodable payload
    await group.net.settled();
    assert.deepEqual(reasons(group, 1), [
      "sender-mismatch",
      "wrong-recipient",
      "foreign-protocol",
      "malformed",
      "undecodable-payload",
    ]);
    // still running: a good frame from 2 and 3 is accepted afterwards
    runToy(group, sid("fields"), { only: [2, 3] });
    const r = await runs.get(1)!;
    assert.equal(r.values.get(2), 102);
  });

  it("reports frames of unknown peers, ended sessions and expired buffered sessions", async () => {
    const clock = new ManualClock();
    const group = makeGroup([1, 2], { clock, runner: { pending: { ttlMs: 100 } } });
    const runs = runToy(group, sid("ended"));
    for (const p of runs.values()) await p;
    const outsider = group.net.transport("peer-99");
    const frame = (sessionId: Uint8Array, from: number) => {
      const f = { protocolId: TOY_PROTOCOL_ID, sessionId, round: 1, from, to: 0, payload: Uint8Array.of(1) };
      return encodeFrame({ ...f, signature: signFrameBytes(seedOf(from), frameSigningBytes(f)) });
    };
    await group.net.transport(peerOf(2)).send(peerOf(1), frame(sid("ended"), 2));
    await outsider.send(peerOf(1), frame(sid("future"), 99));
    await group.net.settled();
    assert.deepEqual(reasons(group, 1), ["stale-session"]);
    clock.advance(150);
    // the buffered frame of the never-started session expires when the buffer is next touched
    await outsider.send(peerOf(1), frame(sid("other"), 99));
    await group.net.settled();
    assert.deepEqual(reasons(group, 1), ["stale-session", "pending-expired"]);
    // when a session starts, buffered frames from non-members are refused
    const r = outcome(
      group.members.get(1)!.runner.run({
        sessionId: sid("other"),
        codec: toyCodec,
        self: 1,
        members: group.peers,
        start: (ctx) => toyStart(ctx),
        roundTimeoutMs: 10,
      }),
    );
    assert.deepEqual(reasons(group, 1), ["stale-session", "pending-expired", "unknown-peer"]);
    clock.advance(10);
    assert.ok(!(await r).ok);
  });

  it("bounds the buffer of not-yet-started sessions and the early queue", async () => {
    const group = makeGroup([1, 2], { runner: { pending: { maxFrames: 3 }, maxEarlyFrames: 1 } });
    const t2 = group.net.transport(peerOf(2));
    for (let k = 0; k < 5; k++) {
      const f = {
        protocolId: TOY_PROTOCOL_ID,
        sessionId: sid(`s${k}`),
        round: 1,
        from: 2,
        to: 0,
        payload: Uint8Array.of(k),
      };
      await t2.send(
        peerOf(1),
        encodeFrame({ ...f, signature: signFrameBytes(seedOf(2), frameSigningBytes(f)) }),
      );
    }
    await group.net.settled();
    assert.deepEqual(reasons(group, 1), ["pending-overflow", "pending-overflow"]);
    // early queue: member 1 is in round 1 and gets two frames for round 3 from member 2
    const runs = runToy(group, sid("early"), { only: [1], timeoutMs: 50 });
    for (const value of [1, 2]) {
      const f = {
        protocolId: TOY_PROTOCOL_ID,
        sessionId: sid("early"),
        round: 3,
        from: 2,
        to: 0,
        payload: toyCodec.encode({ kind: "private", value }),
      };
      await t2.send(
        peerOf(1),
        encodeFrame({ ...f, signature: signFrameBytes(seedOf(2), frameSigningBytes(f)) }),
      );
    }
    await group.net.settled();
    assert.equal(reasons(group, 1).at(-1), "early-overflow");
    await assert.rejects(runs.get(1)!, RoundTimeoutError);
  });

  it("checks run options and cancels on abort signal", async () => {
    const group = makeGroup([1, 2]);
    const runner = group.members.get(1)!.runner;
    const base = { codec: toyCodec, self: 1, members: group.peers, start: toyStart, roundTimeoutMs: 1000 };
    await assert.rejects(runner.run({ ...base, sessionId: new Uint8Array(5) }), ParameterError);
    await assert.rejects(runner.run({ ...base, sessionId: sid("o"), self: 2 }), ParameterError);
    await assert.rejects(runner.run({ ...base, sessionId: sid("o"), roundTimeoutMs: 0 }), ParameterError);
    const ac = new AbortController();
    const p = runner.run({ ...base, sessionId: sid("cancel"), signal: ac.signal });
    ac.abort();
    await assert.rejects(p, SessionCancelledError);
    await assert.rejects(runner.run({ ...base, sessionId: sid("cancel") }), ParameterError); // id reused
  });

  it("a node whose transport gets garbage stays up", async () => {
    const net = new MemoryNetwork();
    const rejected: FrameRejectedError[] = [];
    new Runner({
      transport: net.transport("a"),
      auth: ed25519Authenticator(seedOf(1), publicKeyOf),
      onRejected: (e) => rejected.push(e),
    });
    const b = net.transport("b");
    await b.send("a", new Uint8Array(0));
    await b.send("a", new Uint8Array(10_000).fill(7));
    await net.settled();
    assert.deepEqual(
      rejected.map((e) => e.reason),
      ["malformed", "malformed"],
    );
    assert.ok(rejected.every((e) => e instanceof FrameRejectedError && e.detail.peer === "b"));
    // decodeFrame is what refused them
    assert.throws(() => decodeFrame(new Uint8Array(0)));
  });
});

describe("echo broadcast through the runner", () => {
  it("blocks equivocation in the broadcast round: every honest member names the equivocator, no output", async () => {
    const group = makeGroup([1, 2, 3, 4]);
    const cheat = new Map([[4, { lieTo: (to: number) => (to === 1 ? 7 : 104) }]]);
    const results = await Promise.all([...runToy(group, sid("equivocate"), { cheat }).values()].map(outcome));
    for (const id of [1, 2, 3]) {
      const r = results[id - 1];
      assert.ok(!r.ok && r.error instanceof EquivocationError, `member ${id}`);
      assert.deepEqual((r.error as EquivocationError).culprits, [4]);
    }
  });

  it("names a member that sends a different echo digest to one member (validly signed)", async () => {
    const group = makeGroup([1, 2, 3, 4]);
    group.net.addFault(
      faults.equivocate({ from: peerOf(4), to: peerOf(1), round: 2 }, (bytes) =>
        resign(bytes, (f) => ({ payload: Uint8Array.from(f.payload, (b, i) => (i === 5 ? b ^ 1 : b)) }), 4),
      ),
    );
    const results = await Promise.all([...runToy(group, sid("echo-lie")).values()].map(outcome));
    for (const id of [1, 2, 3]) {
      const r = results[id - 1];
      assert.ok(!r.ok, `member ${id} must not output`);
      assert.deepEqual((r.error as EquivocationError).culprits, [4], `member ${id}`);
    }
  });

  it("names a member that equivocates in round 1 through a re-signed frame", async () => {
    const group = makeGroup([1, 2, 3]);
    group.net.addFault(
      faults.equivocate({ from: peerOf(3), to: peerOf(2), round: 1 }, (bytes) =>
        resign(bytes, () => ({ payload: toyCodec.encode({ kind: "value", value: 5 }) }), 3),
      ),
    );
    const results = await Promise.all([...runToy(group, sid("resigned")).values()].map(outcome));
    for (const id of [1, 2]) {
      const r = results[id - 1];
      assert.ok(!r.ok && r.error instanceof EquivocationError);
      assert.equal((r.error as EquivocationError).equivocator, 3);
    }
  });
});
