/**
 * The libp2p mesh over real TCP on 127.0.0.1 (several nodes in this process): frame exchange, allowlist
 * admission in both directions and at runtime, size caps, reconnects, graceful stop.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { multiaddr } from "@multiformats/multiaddr";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  MAX_FRAME_SIZE,
  PeerNotAllowedError,
  PeerUnreachableError,
  SHARDLESS_PROTOCOL,
  encodeLengthPrefixed,
} from "../../node/adapters/libp2p/index.js";
import { ParameterError } from "../../node/protocol/errors.js";
import {
  addressOf,
  bytes,
  startMesh,
  startNode,
  stopAll,
  tempDir,
  waitFor,
  type MeshNode,
} from "../helpers/net-mesh.js";

let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, remove: cleanup } = await tempDir());
});
after(() => cleanup());

/** Every node sends a distinct frame to every other node; every frame arrives from the right sender. */
async function exchangeAll(nodes: MeshNode[]): Promise<void> {
  const sends: Promise<void>[] = [];
  for (const [i, a] of nodes.entries())
    for (const [j, b] of nodes.entries())
      if (i !== j) sends.push(a.transport.send(b.transport.self, bytes(i, j, 0xaa)));
  await Promise.all(sends);
  for (const [j, b] of nodes.entries()) {
    for (const [i, a] of nodes.entries()) {
      if (i === j) continue;
      const got = await b.inbox.next((r) => r.peer === a.transport.self);
      assert.deepEqual(got.frame, bytes(i, j, 0xaa));
    }
  }
}

describe("libp2p mesh: frame exchange", () => {
  it("two nodes exchange frames in both directions on reused streams", async () => {
    const nodes = await startMesh(dir, 2, "two");
    try {
      await exchangeAll(nodes);
      const [a, b] = nodes;
      // Many frames in order on the one long-lived stream.
      for (let k = 0; k < 50; k++) await a.transport.send(b.transport.self, bytes(k));
      for (let k = 0; k < 50; k++) assert.deepEqual((await b.inbox.next()).frame, bytes(k));
      const streams = a.transport.libp2p
        .getConnections(peerIdFromString(b.transport.self))
        .flatMap((c) => c.streams)
        .filter((s) => s.protocol === SHARDLESS_PROTOCOL && s.direction === "outbound");
      assert.equal(streams.length, 1, "one outbound /shardless/1 stream carries every frame");
    } finally {
      await stopAll(nodes);
    }
  });

  it("three nodes exchange frames pairwise in both directions", async () => {
    const nodes = await startMesh(dir, 3, "three");
    try {
      await exchangeAll(nodes);
      for (const n of nodes) {
        assert.equal(n.transport.connectedPeers().length, 2);
        assert.equal(n.metrics.connected, 2, "peers-connected gauge follows connections");
      }
    } finally {
      await stopAll(nodes);
    }
  });

  it("delivers a frame of exactly MAX_FRAME_BYTES", async () => {
    const nodes = await startMesh(dir, 2, "big");
    try {
      const [a, b] = nodes;
      const big = new Uint8Array(MAX_FRAME_SIZE).fill(0x5c);
      await a.transport.send(b.transport.self, big);
      const got = await b.inbox.next();
      assert.equal(got.frame.length, MAX_FRAME_SIZE);
      assert.ok(got.frame.every((x) => x === 0x5c));
    } finally {
      await stopAll(nodes);
    }
  });

  it("refuses bad sends with typed errors: self, unlisted peer, empty or oversized frame", async () => {
    const nodes = await startMesh(dir, 2, "badsend");
    try {
      const [a, b] = nodes;
      await assert.rejects(a.transport.send(a.transport.self, bytes(1)), ParameterError);
      const stranger = (await startNode(dir, "stranger-send")).transport;
      await assert.rejects(a.transport.send(stranger.self, bytes(1)), PeerNotAllowedError);
      await stranger.stop();
      await assert.rejects(a.transport.send(b.transport.self, new Uint8Array(0)), ParameterError);
      await assert.rejects(
        a.transport.send(b.transport.self, new Uint8Array(MAX_FRAME_SIZE + 1)),
        ParameterError,
      );
      assert.equal(a.metrics.rejected.get("oversized/out"), 1);
      // The link still works afterwards.
      await a.transport.send(b.transport.self, bytes(9));
      assert.deepEqual((await b.inbox.next()).frame, bytes(9));
    } finally {
      await stopAll(nodes);
    }
  });
});

describe("libp2p mesh: admission (only allowlisted peers connect)", () => {
  it("refuses an unlisted peer in both directions", async () => {
    const a = await startNode(dir, "gate-a");
    const c = await startNode(dir, "gate-c");
    try {
      // c lists a, but a does not list c.
      await c.transport.setPeers([addressOf(a)]);
      // Inbound to a: the handshake completes, then a's gater hangs up; c cannot deliver anything.
      await assert.rejects(c.transport.send(a.transport.self, bytes(1)), PeerUnreachableError);
      await waitFor(() => (a.metrics.denied.get("inbound") ?? 0) >= 1, "a to refuse c's connection");
      assert.deepEqual(a.transport.connectedPeers(), []);
      assert.equal(a.transport.libp2p.getConnections(peerIdFromString(c.transport.self)).length, 0);
      assert.equal(a.inbox.frames.length, 0);
      // Outbound from a: dialling c's address directly is refused after the handshake names c.
      await assert.rejects(a.transport.libp2p.dial(multiaddr(c.transport.multiaddrs()[0])));
      assert.ok((a.metrics.denied.get("outbound") ?? 0) + (a.metrics.denied.get("dial") ?? 0) >= 1);
      // And the transport refuses to even try.
      await assert.rejects(a.transport.send(c.transport.self, bytes(2)), PeerNotAllowedError);
    } finally {
      await stopAll([a, c]);
    }
  });

  it("admits a peer added to the allowlist at runtime, and cuts off a removed one", async () => {
    const a = await startNode(dir, "rt-a");
    const c = await startNode(dir, "rt-c");
    try {
      await c.transport.setPeers([addressOf(a)]);
      await assert.rejects(c.transport.send(a.transport.self, bytes(1)), PeerUnreachableError);
      // The registry now lists c: a admits it (and dials it, since it learnt c's address).
      await a.transport.setPeers([addressOf(c)]);
      await waitFor(() => a.transport.connectedPeers().includes(c.transport.self), "a connected to c");
      await c.transport.send(a.transport.self, bytes(2));
      assert.deepEqual(await a.inbox.next(), { peer: c.transport.self, frame: bytes(2) });
      await a.transport.send(c.transport.self, bytes(3));
      assert.deepEqual(await c.inbox.next(), { peer: a.transport.self, frame: bytes(3) });
      // Removed again: a closes the connection and refuses the redial.
      await a.transport.setPeers([]);
      await waitFor(() => c.transport.connectedPeers().length === 0, "c disconnected");
      await assert.rejects(c.transport.send(a.transport.self, bytes(4)), PeerUnreachableError);
      assert.deepEqual(a.transport.connectedPeers(), []);
      assert.equal(a.inbox.frames.length, 0);
    } finally {
      await stopAll([a, c]);
    }
  });

  it("rejects malformed address-book entries with ParameterError", async () => {
    const a = await startNode(dir, "book-a");
    try {
      await assert.rejects(a.transport.setPeers([{ peerId: "not-a-peer-id" }]), ParameterError);
      const other = (await startNode(dir, "book-b")).transport;
      const third = (await startNode(dir, "book-c")).transport;
      await assert.rejects(
        a.transport.setPeers([{ peerId: other.self, multiaddrs: ["/nope/1"] }]),
        ParameterError,
      );
      // An address that names a different peer id.
      await assert.rejects(
        a.transport.setPeers([{ peerId: other.self, multiaddrs: third.multiaddrs() }]),
        ParameterError,
      );
      await Promise.all([other.stop(), third.stop()]);
    } finally {
      await a.transport.stop();
    }
  });
});

describe("libp2p mesh: malformed input from a listed peer", () => {
  it("resets a stream announcing an oversized frame, counts it, and keeps serving", async () => {
    const nodes = await startMesh(dir, 2, "oversize");
    try {
      const [a, b] = nodes;
      const stream = await b.transport.libp2p.dialProtocol(
        peerIdFromString(a.transport.self),
        SHARDLESS_PROTOCOL,
      );
      // Length prefix of MAX_FRAME_SIZE + 1 (a minimal varint), then some bytes.
      let n = MAX_FRAME_SIZE + 1;
      const prefix: number[] = [];
      while (n >= 0x80) {
        prefix.push((n & 0x7f) | 0x80);
        n = Math.floor(n / 128);
      }
      prefix.push(n);
      stream.send(Uint8Array.from([...prefix, 1, 2, 3]));
      await waitFor(() => a.metrics.rejected.get("oversized/in") === 1, "oversized frame counted");
      await waitFor(() => stream.status !== "open", "the offending stream reset");
      assert.equal(a.inbox.frames.length, 0);
      // Garbage prefixes are refused the same way.
      const s2 = await b.transport.libp2p.dialProtocol(
        peerIdFromString(a.transport.self),
        SHARDLESS_PROTOCOL,
      );
      s2.send(Uint8Array.from([0x80, 0x00]));
      await waitFor(() => a.metrics.rejected.get("bad-length/in") === 1, "non-minimal prefix counted");
      // The node stays up and the regular link still works both ways.
      await b.transport.send(a.transport.self, bytes(7));
      assert.deepEqual((await a.inbox.next()).frame, bytes(7));
      await a.transport.send(b.transport.self, bytes(8));
      assert.deepEqual((await b.inbox.next()).frame, bytes(8));
    } finally {
      await stopAll(nodes);
    }
  });

  it("survives a throwing frame handler (counted, later frames still delivered)", async () => {
    const nodes = await startMesh(dir, 2, "throwing");
    try {
      const [a, b] = nodes;
      const got: Uint8Array[] = [];
      b.transport.onFrame((_peer, frame) => {
        got.push(frame);
        if (frame[0] === 1) throw new Error("handler bug");
      });
      await a.transport.send(b.transport.self, bytes(1));
      await a.transport.send(b.transport.self, bytes(2));
      await waitFor(() => got.length === 2, "both frames");
      assert.equal(b.metrics.rejected.get("handler-error/in"), 1);
    } finally {
      await stopAll(nodes);
    }
  });
});

describe("libp2p mesh: restarts", () => {
  it("reconnects after a peer restarts with the same identity on a new port (re-announced)", async () => {
    const a = await startNode(dir, "restart-a");
    let b = await startNode(dir, "restart-b");
    try {
      const bId = b.transport.self;
      await a.transport.setPeers([addressOf(b)]);
      await b.transport.setPeers([addressOf(a)]);
      await waitFor(() => a.transport.connectedPeers().includes(bId), "a connected to b");
      await b.transport.stop();
      await waitFor(() => a.transport.connectedPeers().length === 0, "a notices b is gone");
      await assert.rejects(a.transport.send(bId, bytes(1)), PeerUnreachableError);
      b = await startNode(dir, "restart-b"); // same identity file, new port
      assert.equal(b.transport.self, bId);
      await b.transport.setPeers([{ peerId: a.transport.self }]); // b does not dial: a must
      await a.transport.setPeers([addressOf(b)]); // the registry re-announces b's address
      await waitFor(() => a.transport.connectedPeers().includes(bId), "a reconnected to b");
      await a.transport.send(bId, bytes(2));
      assert.deepEqual(await b.inbox.next(), { peer: a.transport.self, frame: bytes(2) });
      await b.transport.send(a.transport.self, bytes(3));
      assert.deepEqual(await a.inbox.next(), { peer: bId, frame: bytes(3) });
    } finally {
      await stopAll([a, b]);
    }
  });

  it("redials with backoff when a peer comes back on the same address", async () => {
    const a = await startNode(dir, "redial-a");
    let b = await startNode(dir, "redial-b");
    try {
      const bAddr = addressOf(b);
      await a.transport.setPeers([bAddr]);
      await b.transport.setPeers([{ peerId: a.transport.self }]); // only a knows an address
      await waitFor(() => a.transport.connectedPeers().length === 1, "a connected to b");
      await b.transport.stop();
      await waitFor(() => a.transport.connectedPeers().length === 0, "b gone");
      await new Promise((r) => setTimeout(r, 150)); // let a fail a few redials (backoff grows)
      b = await startNode(dir, "redial-b", { listen: [bAddr.multiaddrs![0].replace(/\/p2p\/.*$/, "")] });
      await b.transport.setPeers([{ peerId: a.transport.self }]);
      await waitFor(() => a.transport.connectedPeers().length === 1, "a redialled b", 5_000);
      await a.transport.send(b.transport.self, bytes(4));
      assert.deepEqual((await b.inbox.next()).frame, bytes(4));
    } finally {
      await stopAll([a, b]);
    }
  });

  it("graceful stop flushes frames already sent", async () => {
    const nodes = await startMesh(dir, 2, "flush");
    const [a, b] = nodes;
    try {
      const frameOf = (k: number) => new Uint8Array(256 * 1024).fill(3).fill(k, 0, 1);
      const sends = [1, 2, 3].map((k) => a.transport.send(b.transport.self, frameOf(k)));
      await Promise.all(sends);
      await a.transport.stop();
      for (const k of [1, 2, 3])
        assert.equal((await b.inbox.next((r) => r.frame[0] === k)).frame.length, 256 * 1024);
      await assert.rejects(a.transport.send(b.transport.self, bytes(1)), PeerUnreachableError);
    } finally {
      await stopAll(nodes);
    }
  });
});

describe("libp2p mesh: frame encoding helper", () => {
  it("length-prefixes like lpStream (minimal unsigned varint)", () => {
    assert.deepEqual(encodeLengthPrefixed(bytes(9)), bytes(1, 9));
    assert.deepEqual(encodeLengthPrefixed(new Uint8Array(300)).subarray(0, 2), bytes(0xac, 0x02));
  });
});
