/**
 * Measurement script (not a test): per-frame round-trip latency between two libp2p mesh nodes over
 * loopback TCP, versus opening a stream per message and versus a bare TCP socket, plus the cost of frame
 * signatures. Shaped like a scripts/bench module (`main(args)`); run it with
 *
 *   npm run bench -- mesh-frames [roundTrips=1000]
 */
import { createServer, connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromString } from "@libp2p/peer-id";
import { lpStream } from "@libp2p/utils";
import {
  Ed25519FrameAuthenticator,
  identityFrameAuthenticator,
  peerIdOf,
} from "../../node/adapters/libp2p/index.js";
import { machineLine, median, p99, printTable } from "./table.js";
import { addressOf, startNode, stopAll, tempDir } from "../../test/helpers/net-mesh.js";

const FRAME_BYTES = 200; // a typical online-signing share message with its frame header and signature

async function meshRoundTrips(n: number): Promise<number[]> {
  const { dir, remove } = await tempDir();
  const a = await startNode(dir, "a");
  const b = await startNode(dir, "b");
  try {
    await a.transport.setPeers([addressOf(b)]);
    await b.transport.setPeers([addressOf(a)]);
    b.transport.onFrame((peer, frame) => void b.transport.send(peer, frame));
    let arrived: (() => void) | null = null;
    a.transport.onFrame(() => arrived?.());
    const frame = new Uint8Array(FRAME_BYTES).fill(7);
    const once = () =>
      new Promise<void>((resolve) => {
        arrived = resolve;
        void a.transport.send(b.transport.self, frame);
      });
    for (let i = 0; i < 200; i++) await once(); // warm-up (connection, streams, JIT)
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    await stopAll([a, b]);
    await remove();
  }
}

/** The alternative design: a fresh stream (multistream-select negotiation) for every message. */
async function streamPerMessage(n: number): Promise<number[]> {
  const { dir, remove } = await tempDir();
  const a = await startNode(dir, "a");
  const b = await startNode(dir, "b");
  try {
    await a.transport.setPeers([addressOf(b)]);
    await b.transport.setPeers([addressOf(a)]);
    const echo = "/shardless-bench/echo/1";
    await b.transport.libp2p.handle(echo, async (stream) => {
      const lp = lpStream(stream);
      await lp.write((await lp.read()).subarray());
      await stream.close();
    });
    const peer = peerIdFromString(b.transport.self);
    const frame = new Uint8Array(FRAME_BYTES).fill(7);
    const once = async () => {
      const s = await a.transport.libp2p.dialProtocol(peer, echo);
      const lp = lpStream(s);
      await lp.write(frame);
      await lp.read();
      await s.close();
    };
    for (let i = 0; i < 50; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    await stopAll([a, b]);
    await remove();
  }
}

/** Baseline: the same ping-pong over a bare loopback TCP socket (no Noise, no Yamux, no framing). */
async function bareTcp(n: number): Promise<number[]> {
  const server = createServer((s) => s.on("data", (d) => s.write(d)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const sock: Socket = connect({ port, host: "127.0.0.1", noDelay: true });
  await new Promise((r) => sock.once("connect", r));
  const frame = Buffer.alloc(FRAME_BYTES, 7);
  const once = () =>
    new Promise<void>((resolve) => {
      let got = 0;
      const on = (d: Buffer) => {
        got += d.length;
        if (got >= FRAME_BYTES) {
          sock.off("data", on);
          resolve();
        }
      };
      sock.on("data", on);
      sock.write(frame);
    });
  for (let i = 0; i < 200; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  sock.destroy();
  server.close();
  return times;
}

async function signatureCosts(n: number): Promise<(string | number)[][]> {
  const key = await generateKeyPair("Ed25519");
  const peer = peerIdOf(key);
  const msg = new Uint8Array(FRAME_BYTES).fill(1);
  const rows: (string | number)[][] = [];
  for (const [name, auth] of [
    ["Ed25519FrameAuthenticator (node:crypto)", new Ed25519FrameAuthenticator({ privateKey: key })],
    ["identityFrameAuthenticator (noble)", identityFrameAuthenticator(key)],
  ] as const) {
    const sig = auth.sign(msg);
    for (let i = 0; i < 50; i++) auth.verify(peer, msg, auth.sign(msg));
    const sign: number[] = [];
    const verify: number[] = [];
    for (let i = 0; i < n; i++) {
      let t0 = performance.now();
      auth.sign(msg);
      sign.push(performance.now() - t0);
      t0 = performance.now();
      auth.verify(peer, msg, sig);
      verify.push(performance.now() - t0);
    }
    rows.push([name, median(sign) * 1000, median(verify) * 1000]);
  }
  return rows;
}

export async function main(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 1000);
  console.log(`${machineLine()}; ${n} round trips of a ${FRAME_BYTES}-byte frame over 127.0.0.1`);
  const mesh = await meshRoundTrips(n);
  const perMessage = await streamPerMessage(Math.max(100, n >> 2));
  const tcp = await bareTcp(n);
  printTable(
    "Frame round trip (A → B → A), milliseconds",
    ["path", "median", "p99"],
    [
      ["mesh: long-lived stream per peer (the design)", median(mesh), p99(mesh)],
      ["libp2p: new stream per message", median(perMessage), p99(perMessage)],
      ["baseline: bare TCP socket", median(tcp), p99(tcp)],
    ],
  );
  printTable(
    "Frame signature, microseconds (median)",
    ["implementation", "sign", "verify"],
    await signatureCosts(500),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
