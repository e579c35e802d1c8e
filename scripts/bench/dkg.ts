/**
 * `npm run bench -- dkg [--runs N] [--sizes 3,5,10,20]`: the Pedersen DKG (node/protocols/dkg) with
 * degree = ⌊(n−1)/2⌋, all n members in this one process, each with its own Runner over one in-memory
 * network; so the wall time is the sum of every member's work (a real deployment runs them in parallel).
 *
 * Columns: median wall time; CPU ms per member (process CPU / n); bytes each member sends (frames,
 * headers and signatures included); the same DKG with frames signed by node:crypto Ed25519 (OpenSSL,
 * what the libp2p adapter's authenticator uses) instead of noble; and, as a baseline measured in the same
 * run, noble's `secp256k1_FROST.DKG` (three local calls per member, no network, no echo or complaints).
 */
import {
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import { MemoryNetwork } from "../../node/adapters/memory/index.js";
import { sha256, utf8ToBytes } from "../../node/crypto/hash.js";
import { ed25519Authenticator, identityPublicKey } from "../../node/crypto/identity.js";
import { seededRng } from "../../node/crypto/rng.js";
import { frostSecp256k1 } from "../../node/crypto/secp256k1.js";
import { dkgCodec, dkgSessionId, startDkg } from "../../node/protocols/dkg/index.js";
import type { Clock, FrameAuthenticator } from "../../node/runner/ports.js";
import { Runner } from "../../node/runner/runner.js";
import { cpuMs, machineLine, median, printTable } from "./table.js";

const clock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

const seedOf = (id: number) => sha256(utf8ToBytes(`bench-identity-${id}`));
const peerOf = (id: number) => `peer-${id}`;
const idOf = (peer: string) => Number(peer.slice(5));

type AuthFactory = (id: number) => FrameAuthenticator;

const publicKeys = new Map<string, Uint8Array>();
/** The libp2p adapter reads the key out of the peer id; here it is computed once per peer. */
const publicKeyOf = (peer: string) => {
  let key = publicKeys.get(peer);
  if (!key) publicKeys.set(peer, (key = identityPublicKey(seedOf(idOf(peer)))));
  return key;
};

const nobleAuth: AuthFactory = (id) => ed25519Authenticator(seedOf(id), publicKeyOf);

/** Ed25519 through node:crypto (OpenSSL), like the libp2p adapter's authenticator. */
const nodeAuth: AuthFactory = (id) => {
  const der = (prefix: string, key: Uint8Array) => Buffer.concat([Buffer.from(prefix, "hex"), key]);
  const priv = createPrivateKey({
    key: der("302e020100300506032b657004220420", seedOf(id)),
    format: "der",
    type: "pkcs8",
  });
  const pubs = new Map<string, KeyObject>();
  const pubOf = (peer: string) => {
    let k = pubs.get(peer);
    if (!k) {
      const raw = publicKeyOf(peer);
      k = createPublicKey({ key: der("302a300506032b6570032100", raw), format: "der", type: "spki" });
      pubs.set(peer, k);
    }
    return k;
  };
  return {
    sign: (bytes) => new Uint8Array(nodeSign(null, bytes, priv)),
    verify: (peer, bytes, sig) => sig.length === 64 && nodeVerify(null, bytes, pubOf(peer), sig),
  };
};

/** One in-process DKG over the runner; returns the bytes sent by all members. */
async function runDkg(n: number, degree: number, auth: AuthFactory, run: number): Promise<number> {
  const net = new MemoryNetwork();
  const members = Array.from({ length: n }, (_, k) => k + 1);
  const peers = new Map(members.map((id) => [id, peerOf(id)]));
  const sessionId = dkgSessionId({ scheme: "schnorr", keyId: "bench", degree, members, nonce: `run-${run}` });
  // Every member's runner must listen before anyone sends.
  const runners = members.map(
    (self) => new Runner({ transport: net.transport(peerOf(self)), auth: auth(self), clock }),
  );
  const runs = members.map((self) => {
    return runners[self - 1].run({
      sessionId,
      codec: dkgCodec,
      self,
      members: peers,
      roundTimeoutMs: 120_000,
      start: (ctx) => startDkg({ ...ctx, scheme: "schnorr", keyId: "bench", degree }),
    });
  });
  const outputs = await Promise.all(runs);
  const key = outputs[0].share.public.publicKey;
  if (!outputs.every((o) => o.share.public.publicKey.equals(key))) throw new Error("members disagree");
  return [...net.traffic.values()].reduce((acc, t) => acc + t.bytesSent, 0);
}

/** noble's FROST DKG for the same n and quorum: round1 for all, round2 for all, round3 for all. */
function nobleFrostDkg(n: number, degree: number, run: number): void {
  const frost = frostSecp256k1;
  const signers = { min: degree + 1, max: n };
  const seeded = seededRng(`bench-frost-${run}`);
  const rng = (length = 32) => seeded(length) as Uint8Array<ArrayBuffer>;
  const ids = Array.from({ length: n }, (_, k) => frost.Identifier.fromNumber(k + 1));
  const r1 = ids.map((id) => frost.DKG.round1(id, signers, undefined, rng));
  const r2 = r1.map((me) =>
    frost.DKG.round2(
      me.secret,
      r1.filter((o) => o !== me).map((o) => o.public),
    ),
  );
  r1.forEach((me, i) => {
    const others = r1.filter((o) => o !== me).map((o) => o.public);
    const received = r2.filter((_, j) => j !== i).map((pk) => pk[ids[i]]);
    frost.DKG.round3(me.secret, others, received);
  });
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function main(args: string[]): Promise<void> {
  const sizes = (arg(args, "--sizes") ?? "3,5,10,20").split(",").map(Number);
  const runsArg = arg(args, "--runs");
  console.log(`DKG benchmark — ${machineLine()}; all members in one process`);
  const rows: unknown[][] = [];
  for (const n of sizes) {
    const degree = Math.floor((n - 1) / 2);
    const runs = runsArg ? Number(runsArg) : n >= 20 ? 3 : n >= 10 ? 3 : 5;
    if (rows.length === 0) await runDkg(n, degree, nobleAuth, -1); // warm-up (JIT, noble precomputes)
    /** Median wall ms and median process-CPU ms per member over `runs` runs of `fn`. */
    const measure = async (fn: (r: number) => unknown) => {
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        const { cpuMs: c } = await cpuMs(() => fn(r));
        wall.push(performance.now() - t0);
        cpu.push(c / n);
      }
      return [median(wall), median(cpu)];
    };
    let bytes = 0;
    const noble = await measure(async (r) => (bytes = (await runDkg(n, degree, nobleAuth, r)) / n));
    const openssl = await measure((r) => runDkg(n, degree, nodeAuth, 100 + r));
    const frost = await measure((r) => nobleFrostDkg(n, degree, r));
    rows.push([n, degree, runs, ...noble, ...openssl, Math.round(bytes), ...frost]);
  }
  printTable(
    "Pedersen DKG, n members in one process, Runner + in-memory transport (medians; CPU = process CPU / n)",
    [
      "n",
      "degree",
      "runs",
      "wall ms",
      "CPU ms/member",
      "wall ms (OpenSSL Ed25519)",
      "CPU ms/member (OpenSSL)",
      "bytes sent/member",
      "baseline: noble FROST DKG wall ms",
      "baseline CPU ms/member",
    ],
    rows,
  );
  console.log(
    "Frames are signed and verified with noble Ed25519 (node/crypto/identity.ts) in the first columns, with\n" +
      "node:crypto (OpenSSL) Ed25519 as in the libp2p adapter's authenticator in the OpenSSL columns. The\n" +
      "baseline is noble's secp256k1_FROST.DKG (no transport, no signatures, no echo or complaint rounds).",
  );
}
