/**
 * Fuzzing the inbound path (DESIGN invariant 8: malformed input yields a typed error, the node stays
 * up). 100k random and mutated frames go (1) straight into decodeFrame and (2) through the mesh's
 * in-process stream path — length-prefix decoding, caps, delivery to a runner-like handler that decodes
 * the frame — chunked at random. A smaller sample goes over a real TCP connection. Every failure must
 * be a DecodeError; nothing may throw out of the path or leave an unhandled rejection.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { peerIdFromString } from "@libp2p/peer-id";
import { encodeLengthPrefixed, SHARDLESS_PROTOCOL } from "../../node/adapters/libp2p/index.js";
import { bytesEqual, seededRng, type Rng } from "../../node/crypto/index.js";
import { MAX_FRAME_BYTES } from "../../node/protocol/codec.js";
import { DecodeError } from "../../node/protocol/errors.js";
import { decodeFrame, encodeFrame, type Frame } from "../../node/protocol/frame.js";
import { startMesh, stopAll, tempDir, waitFor, type MeshNode } from "../helpers/net-mesh.js";

const TOTAL = 100_000;

/** Small deterministic helpers over a seeded RNG (reproducible failures). */
function fuzzer(rng: Rng) {
  let pool = rng(65536);
  let at = 0;
  const byte = () => {
    if (at === pool.length) {
      pool = rng(65536);
      at = 0;
    }
    return pool[at++];
  };
  const int = (n: number) => ((byte() << 16) | (byte() << 8) | byte()) % n; // n ≤ 2^24
  const bytes = (n: number) => {
    if (at + n > pool.length) {
      pool = rng(Math.max(65536, n));
      at = 0;
    }
    at += n;
    return pool.slice(at - n, at);
  };
  return { byte, int, bytes };
}
type Fuzzer = ReturnType<typeof fuzzer>;

function randomFrame(f: Fuzzer): Frame {
  return {
    protocolId: f.byte(),
    sessionId: f.bytes(32),
    round: 1 + f.int(255),
    from: 1 + f.int(65535),
    to: f.int(65536),
    payload: f.bytes(f.int(4) === 0 ? f.int(2000) : f.int(120)),
    signature: f.int(3) === 0 ? new Uint8Array(0) : f.bytes(64),
  };
}

/** One fuzz input: pure noise, a valid frame, or a valid frame with one to three mutations. */
function fuzzInput(f: Fuzzer): { bytes: Uint8Array; valid: boolean } {
  const kind = f.int(20);
  if (kind < 5) return { bytes: f.bytes(f.int(160)), valid: false };
  const frame = encodeFrame(randomFrame(f));
  if (kind < 7) return { bytes: frame, valid: true };
  let b = frame;
  for (let m = 1 + f.int(3); m > 0; m--) b = mutate(f, b);
  return { bytes: b, valid: false };
}

const PAYLOAD_LENGTH_OFFSET = 1 + 1 + 32 + 1 + 2 + 2;

function mutate(f: Fuzzer, b: Uint8Array): Uint8Array {
  const out = b.slice();
  const pos = b.length ? f.int(b.length) : 0;
  switch (f.int(9)) {
    case 0: // flip one bit
      if (out.length) out[pos] ^= 1 << f.int(8);
      return out;
    case 1: // truncate
      return out.subarray(0, pos);
    case 2: // append noise
      return Buffer.concat([out, f.bytes(1 + f.int(40))]);
    case 3: // insert a byte
      return Buffer.concat([out.subarray(0, pos), Uint8Array.of(f.byte()), out.subarray(pos)]);
    case 4: // delete a byte
      return Buffer.concat([out.subarray(0, pos), out.subarray(pos + 1)]);
    case 5: {
      // lie in the payload length field (huge, zero, off by one, random)
      if (out.length < PAYLOAD_LENGTH_OFFSET + 4) return out;
      const view = new DataView(out.buffer, out.byteOffset + PAYLOAD_LENGTH_OFFSET, 4);
      const real = view.getUint32(0);
      const lies = [0xffffffff, MAX_FRAME_BYTES + 1, 0, real + 1, real - 1, f.int(1 << 24)];
      view.setUint32(0, lies[f.int(lies.length)] >>> 0);
      return out;
    }
    case 6: // lie in the signature length byte (the last 1 + sigLen bytes)
      if (out.length) out[Math.max(0, out.length - 65)] = f.byte();
      return out;
    case 7: // wrong version / zero sender / zero round
      out[[0, 35, 36, 37][f.int(4)] % Math.max(1, out.length)] = f.int(2) ? 0 : f.byte();
      return out;
    default: // overwrite a random run with noise
      out.set(f.bytes(Math.min(8, out.length - pos)), pos);
      return out;
  }
}

/** The runner's first step on a delivered frame; records what it threw. */
function runnerLikeHandler(errors: unknown[], decoded: Frame[]) {
  return (_peer: string, frame: Uint8Array) => {
    try {
      decoded.push(decodeFrame(frame));
    } catch (err) {
      errors.push(err);
      throw err; // the mesh must contain it
    }
  };
}

/** Runs `fn` without stack capture: 100k+ DecodeErrors otherwise spend most of the time building stacks. */
function withoutStacks<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let dir: string;
let cleanup: () => Promise<void>;
let nodes: MeshNode[];
before(async () => {
  process.on("unhandledRejection", onUnhandled);
  ({ dir, remove: cleanup } = await tempDir());
  nodes = await startMesh(dir, 2, "fuzz");
});
after(async () => {
  await stopAll(nodes);
  await cleanup();
  process.off("unhandledRejection", onUnhandled);
});

describe(`frame fuzzing (${TOTAL.toLocaleString("en-US")} inputs per path)`, () => {
  it("decodeFrame: every failure is a DecodeError; valid frames round-trip", () =>
    withoutStacks(() => {
      const f = fuzzer(seededRng("frame-fuzz/decode"));
      let failures = 0;
      let valid = 0;
      for (let i = 0; i < TOTAL; i++) {
        const input = fuzzInput(f);
        try {
          const frame = decodeFrame(input.bytes);
          if (!bytesEqual(encodeFrame(frame), input.bytes))
            assert.fail(`input ${i}: accepted a non-canonical encoding`);
          if (input.valid) valid++;
        } catch (err) {
          if (!(err instanceof DecodeError))
            assert.fail(`input ${i}: ${(err as Error)?.name} is not a DecodeError`);
          assert.ok(!input.valid, `input ${i}: a valid frame was rejected`);
          failures++;
        }
      }
      assert.ok(failures > TOTAL / 2, `most inputs are malformed (${failures})`);
      assert.ok(valid > TOTAL / 20, `valid frames were exercised (${valid})`);
    }));

  it("mesh stream path: random chunking, garbage prefixes; only DecodeErrors, never a throw", () =>
    withoutStacks(() => {
      const f = fuzzer(seededRng("frame-fuzz/stream"));
      const mesh = nodes[0].transport.libp2p.services.mesh;
      const peer = nodes[1].transport.self;
      const handlerErrors: unknown[] = [];
      const decoded: Frame[] = [];
      nodes[0].transport.onFrame(runnerLikeHandler(handlerErrors, decoded));
      const rejections: unknown[] = [];
      let inputs = 0;
      let expectedValid = 0;
      let streams = 0;
      while (inputs < TOTAL) {
        // One stream: a batch of length-prefixed inputs, sometimes with a corrupt prefix spliced in.
        const parts: Uint8Array[] = [];
        let poisoned = false;
        for (let k = 1 + f.int(40); k > 0 && inputs < TOTAL; k--, inputs++) {
          const input = fuzzInput(f);
          if (f.int(50) === 0) {
            const garbage = [[0x00], [0x80, 0x00], [0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0x7f]];
            parts.push(Uint8Array.from(garbage[f.int(garbage.length)]));
            poisoned = true;
          } else if (input.bytes.length > 0) {
            parts.push(encodeLengthPrefixed(input.bytes));
            if (input.valid && !poisoned) expectedValid++;
          }
        }
        const wire = Buffer.concat(parts);
        const read = mesh.streamReader(peer, (err) => rejections.push(err));
        for (let i = 0; i < wire.length;) {
          const n = 1 + f.int(f.int(2) ? 64 : 4096);
          read(wire.subarray(i, i + n)); // would throw out of an EventTarget listener if it could throw
          i += n;
        }
        streams++;
      }
      for (const err of [...rejections, ...handlerErrors]) {
        if (!(err instanceof DecodeError)) assert.fail(`${(err as Error)?.name} is not a DecodeError`);
      }
      assert.ok(rejections.length > 0 && rejections.length < streams, "some streams were poisoned, not all");
      assert.ok(
        handlerErrors.length > TOTAL / 3,
        `malformed frames reached the runner (${handlerErrors.length})`,
      );
      assert.ok(decoded.length >= expectedValid, "every valid frame before a poisoned prefix was delivered");
      assert.equal(nodes[0].metrics.rejected.get("handler-error/in"), handlerErrors.length);
    }));

  it("over TCP: 100 streams of mutated and garbage bytes; the node stays up and keeps serving", async () => {
    const f = fuzzer(seededRng("frame-fuzz/tcp"));
    const [a, b] = nodes;
    const handlerErrors: unknown[] = [];
    const decoded: Frame[] = [];
    a.transport.onFrame(runnerLikeHandler(handlerErrors, decoded));
    for (let s = 0; s < 100; s++) {
      const stream = await b.transport.libp2p.dialProtocol(
        peerIdFromString(a.transport.self),
        SHARDLESS_PROTOCOL,
      );
      const parts: Uint8Array[] = [];
      for (let k = 1 + f.int(10); k > 0; k--) {
        const input = fuzzInput(f);
        parts.push(
          f.int(10) === 0
            ? f.bytes(1 + f.int(16))
            : encodeLengthPrefixed(input.bytes.length ? input.bytes : Uint8Array.of(1)),
        );
      }
      stream.send(Buffer.concat(parts));
      await stream.close().catch(() => {});
    }
    // The regular link still works: a real frame arrives and decodes.
    const good = encodeFrame(randomFrame(f));
    const before = decoded.length;
    await b.transport.send(a.transport.self, good);
    await waitFor(
      () => decoded.length > before && decoded.some((d) => encodeFrame(d).length === good.length),
      "a good frame",
    );
    for (const err of handlerErrors)
      if (!(err instanceof DecodeError)) assert.fail(`${(err as Error)?.name}`);
    assert.ok(handlerErrors.length > 0);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, [], "no unhandled rejections");
  });
});
