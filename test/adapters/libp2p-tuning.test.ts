/**
 * The libp2p tuning of node/adapters/libp2p/tuning.ts, on real TCP connections in this process: one socket
 * write per frame (no per-frame yamux window update, no split Noise length prefix), and yamux flow control
 * still working for transfers several windows long.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startMesh, stopAll, tempDir } from "../helpers/net-mesh.js";

let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, remove: cleanup } = await tempDir());
});
after(() => cleanup());

/** Counts `net.Socket#write` calls (every socket of this process) while `body` runs. */
async function countSocketWrites(body: () => Promise<void>): Promise<number> {
  const write = net.Socket.prototype.write;
  let calls = 0;
  net.Socket.prototype.write = function (this: net.Socket, ...args: Parameters<typeof write>) {
    calls++;
    return write.apply(this, args);
  } as typeof write;
  try {
    await body();
  } finally {
    net.Socket.prototype.write = write;
  }
  return calls;
}

describe("libp2p tuning: writes per frame", () => {
  it("a small frame costs one socket write in all: no window update back, no split Noise message", async () => {
    const nodes = await startMesh(dir, 2, "writes");
    try {
      const [a, b] = nodes;
      await a.transport.send(b.transport.self, Uint8Array.of(0)); // stream opened before counting
      await b.inbox.next();
      const frames = 100;
      const writes = await countSocketWrites(async () => {
        for (let k = 1; k <= frames; k++) await a.transport.send(b.transport.self, Uint8Array.of(k, 7, 7));
        for (let k = 1; k <= frames; k++)
          assert.deepEqual((await b.inbox.next()).frame, Uint8Array.of(k, 7, 7));
      });
      // Untuned: 2 writes per frame from the sender plus 2 per window update from the receiver (~400).
      assert.ok(writes >= frames, `every frame is written (saw ${writes} writes)`);
      assert.ok(writes <= frames + 5, `at most one write per frame (saw ${writes} for ${frames} frames)`);
    } finally {
      await stopAll(nodes);
    }
  });
});

describe("libp2p tuning: flow control", () => {
  it("a transfer of several yamux windows arrives whole and in order (credit is still granted)", async () => {
    const nodes = await startMesh(dir, 2, "flow");
    try {
      const [a, b] = nodes;
      const frameBytes = 16 * 1024;
      const frames = 64; // 1 MiB: four times the 256 KiB initial stream window
      const frame = (k: number) => new Uint8Array(frameBytes).fill(k);
      await Promise.all(
        Array.from({ length: frames }, (_, k) => a.transport.send(b.transport.self, frame(k))),
      );
      for (let k = 0; k < frames; k++) {
        const got = await b.inbox.next(() => true, 10_000);
        assert.equal(got.frame.length, frameBytes);
        assert.ok(
          got.frame.every((x) => x === k),
          `frame ${k} arrives intact and in order`,
        );
      }
    } finally {
      await stopAll(nodes);
    }
  });
});
