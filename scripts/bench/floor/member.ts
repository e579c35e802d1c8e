/**
 * One member process of the stack-floor baseline (floor/mesh.ts): online ECDSA signing's message pattern
 * over the node's own stack, with none of the node's logic. Member 1 takes `POST /sign` on node:http,
 * sends a signed invite frame to every other member, waits for one share frame from each, runs the
 * combiner's ECDSA check and answers. Every other member, per invite: verifies its frame, sends an echo
 * frame to each other non-combiner while it overwrites a 160-byte record and fdatasyncs it, and sends
 * its share frame once every echo and the write are in.
 *
 * Frames are the node's (protocol/frame.ts), signed with its Ed25519 authenticator, over its libp2p
 * transport (TCP, Noise, Yamux and the tuning of adapters/libp2p). Each step favours the floor: the
 * record is overwritten in place (no file growth, unlike the node's write-ahead log), the check verifies
 * one fixed signature (same cost as a fresh one), and nothing is parsed, logged, audited or encrypted.
 * `--without sign,sync,check,echo` leaves steps out (comma-separated).
 *
 * Protocol with the parent: the child prints `{"peerId","multiaddrs","apiPort"}` on a line, reads the
 * members' addresses as one JSON line on stdin, connects, and prints `ready`; it stops when stdin closes.
 */
import { open } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import {
  Ed25519FrameAuthenticator,
  createLibp2pTransport,
  loadOrCreateIdentity,
  type PeerAddress,
} from "../../../node/adapters/libp2p/index.js";
import {
  ecdsaSignSingle,
  ecdsaVerifyWithNonce,
  Fn,
  mulBase,
  randomScalar,
} from "../../../node/crypto/secp256k1.js";
import { decodeFrame, encodeFrame, frameSigningBytes, type Frame } from "../../../node/protocol/frame.js";

const INVITE = 1;
const ECHO = 2;
const SHARE = 3;

const { values } = parseArgs({
  options: {
    index: { type: "string" },
    members: { type: "string" },
    dir: { type: "string" },
    without: { type: "string", default: "" },
  },
});
const self = Number(values.index);
const n = Number(values.members);
/** Steps left out: `sign` (frame signatures), `sync` (the durable write), `check` (ECDSA), `echo`. */
const without = new Set(values.without!.split(",").filter(Boolean));
const signFrames = !without.has("sign");
const echo = !without.has("echo");
const privateKey = await loadOrCreateIdentity(path.join(values.dir!, `floor-${self}.key`));
const auth = new Ed25519FrameAuthenticator({ privateKey });
const transport = await createLibp2pTransport({ privateKey });
const peerOf = new Map<number, string>();
const memberOf = new Map<string, number>();

function frame(type: number, sessionId: Uint8Array, to: number, payload: Uint8Array): Uint8Array {
  const head = { protocolId: 9, sessionId, round: type, from: self, to, payload };
  const signature = signFrames ? auth.sign(frameSigningBytes(head)) : new Uint8Array(0);
  return encodeFrame({ ...head, signature });
}

function accept(peer: string, bytes: Uint8Array): Frame | null {
  const f = decodeFrame(bytes);
  if (memberOf.get(peer) !== f.from) return null;
  if (signFrames && !auth.verify(peer, frameSigningBytes(f), f.signature)) return null;
  return f;
}

// ---- combiner (member 1) -------------------------------------------------------------------------

const sk = randomScalar();
const Y = mulBase(sk);
const digest = new Uint8Array(32).fill(1);
const sig = ecdsaSignSingle(digest, Fn.toBytes(sk));
const sigS = Fn.fromBytes(sig.subarray(33, 65));
// The signature's nonce point, rebuilt once: the node knows it from the presignature.
const nonceR = mulBase(Fn.mul(Fn.fromBytes(digest), Fn.inv(sigS))).add(
  Y.multiply(Fn.mul(Fn.fromBytes(sig.subarray(1, 33)), Fn.inv(sigS))),
);
const waiting = new Map<string, { left: number; done: () => void }>();

/** The node's C5 check (two fixed-base multiplications against the known nonce point). */
function combinerCheck(): void {
  if (!without.has("check") && !ecdsaVerifyWithNonce(nonceR, sigS, digest, Y))
    throw new Error("floor: ECDSA check failed");
}

async function coordinate(sessionId: Uint8Array, payload: Uint8Array): Promise<void> {
  const key = Buffer.from(sessionId).toString("hex");
  const shares = new Promise<void>((done) => waiting.set(key, { left: n - 1, done }));
  await Promise.all(
    [...peerOf]
      .filter(([id]) => id !== self)
      .map(([id, peer]) => transport.send(peer, frame(INVITE, sessionId, id, payload))),
  );
  await shares;
  waiting.delete(key);
  combinerCheck();
}

// ---- signers ------------------------------------------------------------------------------------

const record = without.has("sync") ? null : await open(path.join(values.dir!, `floor-${self}.wal`), "w");
const sessions = new Map<string, { echoes: number; written: boolean; sent: boolean }>();

/** A signing session's state: an echo may arrive before its invite. */
function sessionOf(key: string) {
  let s = sessions.get(key);
  if (!s) sessions.set(key, (s = { echoes: 0, written: false, sent: false }));
  return s;
}

function maybeShare(sessionId: Uint8Array, key: string): void {
  const s = sessions.get(key)!;
  if (s.sent || !s.written || (echo && s.echoes < n - 2)) return;
  s.sent = true;
  sessions.delete(key);
  void transport.send(peerOf.get(1)!, frame(SHARE, sessionId, 1, new Uint8Array(32).fill(self)));
}

function onInvite(f: Frame): void {
  const key = Buffer.from(f.sessionId).toString("hex");
  const s = sessionOf(key);
  for (const [id, peer] of peerOf) {
    if (echo && id !== self && id !== 1)
      void transport.send(peer, frame(ECHO, f.sessionId, id, new Uint8Array(32).fill(7)));
  }
  const write = record
    ? record.write(new Uint8Array(160).fill(self), 0, 160, 0).then(() => record.datasync())
    : Promise.resolve();
  void write.then(() => {
    s.written = true;
    maybeShare(f.sessionId, key);
  });
}

function onEcho(f: Frame): void {
  const key = Buffer.from(f.sessionId).toString("hex");
  const s = sessionOf(key);
  s.echoes++;
  maybeShare(f.sessionId, key);
}

transport.onFrame((peer, bytes) => {
  const f = accept(peer, bytes);
  if (!f) throw new Error(`floor: bad frame from ${peer}`);
  if (f.round === INVITE) onInvite(f);
  else if (f.round === ECHO) onEcho(f);
  else if (f.round === SHARE) {
    const w = waiting.get(Buffer.from(f.sessionId).toString("hex"));
    if (w && --w.left === 0) w.done();
  }
});

// ---- HTTP (member 1) and start-up ----------------------------------------------------------------

let apiPort = 0;
if (self === 1) {
  let counter = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { digest: string };
      const sessionId = new Uint8Array(32);
      new DataView(sessionId.buffer).setUint32(0, ++counter);
      coordinate(sessionId, Buffer.from(JSON.stringify({ kind: "digest", digest: body.digest }))).then(
        () => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ ok: true }));
        },
        (e: unknown) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: String(e) }));
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  apiPort = (server.address() as { port: number }).port;
}

console.log(JSON.stringify({ peerId: transport.self, multiaddrs: transport.multiaddrs(), apiPort }));
const lines = createInterface({ input: process.stdin });
lines.once("line", (line) => {
  const peers = JSON.parse(line) as (PeerAddress & { index: number })[];
  for (const p of peers) {
    peerOf.set(p.index, p.peerId);
    memberOf.set(p.peerId, p.index);
  }
  void transport.setPeers(peers.filter((p) => p.index !== self)).then(async () => {
    while (transport.connectedPeers().length < n - 1) await new Promise((r) => setTimeout(r, 20));
    console.log("ready");
  });
});
lines.on("close", () => {
  void transport.stop().then(() => process.exit(0));
});
