import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sha256, utf8ToBytes, bytesToHex } from "../../node/crypto/hash.js";
import { identityPublicKey, signFrameBytes, verifyFrameBytes } from "../../node/crypto/identity.js";
import { ByteReader, ByteWriter } from "../../node/protocol/codec.js";
import {
  checkReveal,
  echoDigest,
  judgeEcho,
  readReveal,
  writeReveal,
  type BroadcastView,
  type CheckedReveal,
  type EchoContext,
  type RevealMessage,
} from "../../node/protocol/echo.js";
import { EquivocationError, ProtocolAbortError } from "../../node/protocol/errors.js";
import { frameSigningBytes } from "../../node/protocol/frame.js";
import type { SignedFrame } from "../../node/protocol/round.js";

const sid = sha256(utf8ToBytes("echo-test"));
const seed = (id: number) => sha256(utf8ToBytes(`echo-identity-${id}`));
const keys = new Map([1, 2, 3, 4].map((id) => [id, identityPublicKey(seed(id))]));
const PROTOCOL_ID = 250;

const ctx = (self: number): EchoContext => ({
  protocol: "toy",
  protocolId: PROTOCOL_ID,
  sessionId: sid,
  self,
  members: [1, 2, 3, 4],
  verifyFrame: (sender, f) => verifyFrameBytes(keys.get(sender)!, f.bytes, f.signature),
});

/** A frame signed by `from` (or by `signer` to forge one). */
function frame(
  from: number,
  payload: Uint8Array,
  opts: { round?: number; signer?: number; sessionId?: Uint8Array } = {},
): SignedFrame {
  const bytes = frameSigningBytes({
    protocolId: PROTOCOL_ID,
    sessionId: opts.sessionId ?? sid,
    round: opts.round ?? 1,
    from,
    to: 0,
    payload,
  });
  return { bytes, signature: signFrameBytes(seed(opts.signer ?? from), bytes) };
}

const p = (v: number) => Uint8Array.of(v);
const honestPayloads = new Map([1, 2, 3, 4].map((id) => [id, p(id)]));
const digestOf = (payloads: Map<number, Uint8Array>) => echoDigest(sid, "toy", 1, payloads);
const echoPayload = (digest: Uint8Array) => Uint8Array.of(3, ...digest); // what the toy codec sends

describe("echo digest", () => {
  it("covers session, protocol, round, senders and payloads; not the map's insertion order", () => {
    const base = digestOf(honestPayloads);
    const reversed = new Map([...honestPayloads].reverse());
    assert.deepEqual(digestOf(reversed), base);
    const variants = [
      echoDigest(sha256(utf8ToBytes("other")), "toy", 1, honestPayloads),
      echoDigest(sid, "dkg", 1, honestPayloads),
      echoDigest(sid, "toy", 2, honestPayloads),
      digestOf(new Map(honestPayloads).set(2, p(9))),
      digestOf(new Map([...honestPayloads].map(([id, v]) => [id + 1, v]))),
      digestOf(new Map([...honestPayloads].slice(0, 3))),
    ];
    const hexes = new Set([base, ...variants].map(bytesToHex));
    assert.equal(hexes.size, variants.length + 1);
  });

  it("matches the documented layout (hex snapshot, recomputed independently with Python hashlib)", () => {
    // SHA-256(u32 4 "echo" ‖ sid ‖ u32 3 "toy" ‖ u8 1 ‖ u16 4 ‖ (u16 id ‖ u32 1 ‖ id) for id = 1..4)
    assert.equal(
      bytesToHex(digestOf(honestPayloads)),
      "3a2edb58e0b30c3277b35ac67554d0d1b4d1bb53d7221cdae8bca20d43312453",
    );
    // length-prefixing: ("ab","c") and ("a","bc") hash differently
    const a = echoDigest(
      sid,
      "toy",
      1,
      new Map([
        [1, Uint8Array.of(1, 2)],
        [2, Uint8Array.of(3)],
      ]),
    );
    const b = echoDigest(
      sid,
      "toy",
      1,
      new Map([
        [1, Uint8Array.of(1)],
        [2, Uint8Array.of(2, 3)],
      ]),
    );
    assert.notDeepEqual(a, b);
  });
});

describe("reveal messages", () => {
  const reveal: RevealMessage = {
    kind: "reveal",
    own: p(1),
    frames: [2, 3, 4].map((id) => ({ sender: id, frame: frame(id, p(id)) })),
    echoFrames: [{ sender: 2, frame: frame(2, p(7), { round: 2 }) }],
  };

  it("encode and decode round-trip; unordered frame lists are refused", () => {
    const bytes = writeReveal(new ByteWriter(), reveal).finish();
    const r = new ByteReader(bytes);
    const back = readReveal(r);
    r.end();
    assert.deepEqual(back, reveal);
    const unordered = { ...reveal, frames: [...reveal.frames].reverse() };
    assert.throws(
      () => readReveal(new ByteReader(writeReveal(new ByteWriter(), unordered).finish())),
      (e: unknown) => (e as { code?: string }).code === "DECODE",
    );
  });

  it("checkReveal accepts a complete, validly signed reveal", () => {
    const checked = checkReveal(ctx(2), 1, 1, reveal);
    assert.equal(checked.fault, undefined);
    assert.deepEqual([...checked.payloads.keys()], [2, 3, 4]);
    assert.deepEqual([...checked.echoPayloads.keys()], [2]);
  });

  it("checkReveal records a fault for forged, foreign, misplaced or missing frames", () => {
    const withFrame = (k: number, f: SignedFrame) => ({
      ...reveal,
      frames: reveal.frames.map((x, i) => (i === k ? { ...x, frame: f } : x)),
    });
    const faults = [
      withFrame(0, frame(2, p(2), { signer: 1 })), // forged signature of 2
      withFrame(0, frame(2, p(2), { sessionId: sha256(utf8ToBytes("other")) })), // another session
      withFrame(0, frame(2, p(2), { round: 5 })), // another round
      { ...reveal, frames: reveal.frames.slice(1) }, // incomplete
      { ...reveal, frames: [{ sender: 1, frame: frame(1, p(1)) }, ...reveal.frames] }, // its own frame
    ];
    for (const m of faults) assert.ok(checkReveal(ctx(2), 1, 1, m).fault, JSON.stringify(m.frames.length));
  });
});

describe("judgeEcho names culprits from signed evidence", () => {
  const view = (self: number, payloads = honestPayloads): BroadcastView => ({
    round: 1,
    payloads,
    frames: new Map([...payloads].filter(([id]) => id !== self).map(([id, v]) => [id, frame(id, v)])),
  });
  const checked = (revealer: number, payloads: Map<number, Uint8Array>): CheckedReveal =>
    checkReveal(ctx(1), 1, revealer, {
      kind: "reveal",
      own: payloads.get(revealer)!,
      frames: [...payloads]
        .filter(([id]) => id !== revealer)
        .map(([id, v]) => ({ sender: id, frame: frame(id, v) })),
      echoFrames: [],
    });

  it("two different validly signed round messages from one sender → EquivocationError naming it", () => {
    // member 4 told member 1 "4" and member 2 "9"
    const seenBy2 = new Map(honestPayloads).set(4, p(9));
    const error = judgeEcho({
      ctx: ctx(1),
      view: view(1),
      myDigest: digestOf(honestPayloads),
      digests: new Map([
        [2, digestOf(seenBy2)],
        [3, digestOf(honestPayloads)],
        [4, digestOf(honestPayloads)],
      ]),
      echoPayloads: new Map(),
      reveals: new Map([[2, checked(2, seenBy2)]]),
      nonRevealers: [3, 4],
    });
    assert.ok(error instanceof EquivocationError);
    assert.equal(error.equivocator, 4);
  });

  it("a revealer whose frames contradict its digest is named; I never blame myself", () => {
    const error = judgeEcho({
      ctx: ctx(1),
      view: view(1),
      myDigest: digestOf(honestPayloads),
      digests: new Map([
        [2, sha256(utf8ToBytes("garbage"))],
        [3, digestOf(honestPayloads)],
        [4, digestOf(honestPayloads)],
      ]),
      echoPayloads: new Map(),
      reveals: new Map([[2, checked(2, honestPayloads)]]),
      nonRevealers: [3, 4],
    });
    assert.ok(error instanceof ProtocolAbortError);
    assert.deepEqual(error.culprits, [2]);
  });

  it("a member whose digest differs from mine but who did not reveal is named", () => {
    const error = judgeEcho({
      ctx: ctx(1),
      view: view(1),
      myDigest: digestOf(honestPayloads),
      digests: new Map([
        [2, digestOf(honestPayloads)],
        [3, sha256(utf8ToBytes("other view"))],
        [4, digestOf(honestPayloads)],
      ]),
      echoPayloads: new Map(),
      reveals: new Map([[2, checked(2, honestPayloads)]]),
      nonRevealers: [3, 4],
    });
    assert.deepEqual(error.culprits, [3]);
  });

  it("an echo digest sent differently to two members, both signed → named as equivocator", () => {
    const h = digestOf(honestPayloads);
    const lie = sha256(utf8ToBytes("lie"));
    const reveal2 = checkReveal(ctx(1), 1, 2, {
      kind: "reveal",
      own: p(2),
      frames: [1, 3, 4].map((id) => ({ sender: id, frame: frame(id, p(id)) })),
      echoFrames: [{ sender: 4, frame: frame(4, echoPayload(lie), { round: 2 }) }],
    });
    const error = judgeEcho({
      ctx: ctx(1),
      view: view(1),
      myDigest: h,
      digests: new Map([
        [2, h],
        [3, h],
        [4, h],
      ]),
      echoPayloads: new Map([2, 3, 4].map((id) => [id, echoPayload(h)])),
      reveals: new Map([[2, reveal2]]),
      nonRevealers: [3, 4],
    });
    assert.ok(error instanceof EquivocationError);
    assert.equal(error.equivocator, 4);
  });

  it("no provable culprit → abort without culprits (never a guess)", () => {
    const error = judgeEcho({
      ctx: ctx(1),
      view: view(1),
      myDigest: digestOf(honestPayloads),
      digests: new Map([
        [2, digestOf(honestPayloads)],
        [3, digestOf(honestPayloads)],
        [4, digestOf(honestPayloads)],
      ]),
      echoPayloads: new Map(),
      reveals: new Map([[2, checked(2, honestPayloads)]]),
      nonRevealers: [3, 4],
    });
    assert.ok(error instanceof ProtocolAbortError);
    assert.deepEqual(error.culprits, []);
  });
});
