/**
 * `npm run bench -- lifecycle [--runs N] [--sizes 3,5,10,20]`: the key-lifecycle protocols
 * (specs/protocols.md §4–§6) with degree = ⌊(n−1)/2⌋, all members in this one process, each with its
 * own Runner over one in-memory network (frames signed and verified with Ed25519, echo checks, codecs),
 * so the wall time is the sum of every member's work (a real deployment runs them in parallel).
 *
 *   refresh   n members: zero-sharings, echo, sub-shares, complaints (none), + the ACK session
 *   recover   member 1 lost its share; the n−1 others help (r checks s_r·G == Y_r)
 *   reshare   the n members deal to the same n ids, same degree, + the ACK session
 *   baseline  the Pedersen DKG (node/protocols/dkg) for the same n, measured in the same run
 *
 * Columns: median wall ms; CPU ms per member (process CPU / members); bytes each member sends (frames,
 * headers and signatures included). Keys come from the test dealer (benchmarks only).
 */
import { performance } from "node:perf_hooks";
import { MemoryNetwork } from "../../node/adapters/memory/index.js";
import { sha256, utf8ToBytes } from "../../node/crypto/hash.js";
import {
  ed25519Authenticator,
  identityPublicKey,
  signFrameBytes,
  verifyFrameBytes,
} from "../../node/crypto/identity.js";
import { seededRng } from "../../node/crypto/rng.js";
import type { KeyShare } from "../../node/protocol/key-share.js";
import { PROTOCOL_IDS, type MessageCodec, type Start } from "../../node/protocol/round.js";
import { dkgCodec, dkgSessionId, startDkg } from "../../node/protocols/dkg/index.js";
import {
  ackSessionId,
  lifecycleCodec,
  preparePending,
  type StatementVerifier,
} from "../../node/protocols/lifecycle/index.js";
import {
  recoverCodec,
  recoverySession,
  startRecoveryHelper,
  startRecoveryTarget,
} from "../../node/protocols/recover/index.js";
import {
  refreshCodec,
  refreshSessionId,
  startRefresh,
  startRefreshAck,
} from "../../node/protocols/refresh/index.js";
import {
  reshareCodec,
  reshareSession,
  startReshareAck,
  startReshareDealer,
} from "../../node/protocols/reshare/index.js";
import type { Clock } from "../../node/runner/ports.js";
import { Runner, type SessionContext } from "../../node/runner/runner.js";
import { dealKey } from "../../test/helpers/dealer.js";
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
const publicKeys = new Map<number, Uint8Array>();
const publicKeyOf = (id: number) => {
  let k = publicKeys.get(id);
  if (!k) publicKeys.set(id, (k = identityPublicKey(seedOf(id))));
  return k;
};
const verify: StatementVerifier = (id, bytes, sig) => verifyFrameBytes(publicKeyOf(id), bytes, sig);
const signer = (id: number) => (bytes: Uint8Array) => signFrameBytes(seedOf(id), bytes);

/** One Runner per member on a fresh in-memory network. */
class Cluster {
  readonly net = new MemoryNetwork();
  readonly runners = new Map<number, Runner>();
  private sessions = 0;
  constructor(readonly ids: readonly number[]) {
    for (const id of ids) {
      const auth = ed25519Authenticator(seedOf(id), (peer) => publicKeyOf(Number(peer.slice(5))));
      this.runners.set(id, new Runner({ transport: this.net.transport(peerOf(id)), auth, clock }));
    }
  }

  /** Runs one session among `members`; every member's start comes from `start(self, ctx)`. */
  run<M, R>(
    sessionId: Uint8Array,
    codec: MessageCodec<M>,
    members: readonly number[],
    start: (self: number, ctx: SessionContext) => Start<M, R>,
  ): Promise<R[]> {
    const peers = new Map(members.map((id) => [id, peerOf(id)]));
    return Promise.all(
      members.map((self) =>
        this.runners.get(self)!.run({
          sessionId,
          codec,
          self,
          members: peers,
          roundTimeoutMs: 300_000,
          rng: seededRng(`bench-${self}-${(this.sessions += 1)}`),
          start: (ctx) => start(self, ctx),
        }),
      ),
    );
  }

  bytesSent(): number {
    return [...this.net.traffic.values()].reduce((acc, t) => acc + t.bytesSent, 0);
  }
}

const ids = (n: number) => Array.from({ length: n }, (_, k) => k + 1);

async function refresh(shares: Map<number, KeyShare>, run: number): Promise<number> {
  const members = ids(shares.size);
  const cluster = new Cluster(members);
  const requestId = `bench-${run}`;
  const sessionId = refreshSessionId(shares.get(1)!.public, { requestId });
  const outputs = await cluster.run(sessionId, refreshCodec, members, (self, ctx) =>
    startRefresh(shares.get(self)!, { requestId, verifyFrame: ctx.verifyFrame }),
  );
  const pendings = outputs.map((o) => preparePending(o, signer(o.share.self)));
  await cluster.run(ackSessionId(sessionId), lifecycleCodec(PROTOCOL_IDS.refresh), members, (self) =>
    startRefreshAck(pendings[self - 1], verify),
  );
  return cluster.bytesSent() / members.length;
}

async function recover(shares: Map<number, KeyShare>, run: number): Promise<number> {
  const members = ids(shares.size);
  const cluster = new Cluster(members);
  const pub = shares.get(1)!.public;
  const params = { helpers: members.slice(1), target: 1, requestId: `bench-${run}` };
  const { sessionId } = recoverySession(pub, params);
  const results = await cluster.run(sessionId, recoverCodec, members, (self, ctx) =>
    self === 1
      ? startRecoveryTarget(pub, 1, { ...params, verifyFrame: ctx.verifyFrame })
      : startRecoveryHelper(shares.get(self)!, { ...params, verifyFrame: ctx.verifyFrame }),
  );
  const target = results[0];
  if (target.role !== "target" || target.share.secretShare !== shares.get(1)!.secretShare) {
    throw new Error("recovery returned a wrong share");
  }
  return cluster.bytesSent() / members.length;
}

async function reshare(shares: Map<number, KeyShare>, run: number): Promise<number> {
  const members = ids(shares.size);
  const cluster = new Cluster(members);
  const pub = shares.get(1)!.public;
  const params = {
    dealers: members,
    newParticipants: members,
    newDegree: pub.degree,
    requestId: `bench-${run}`,
  };
  const { sessionId } = reshareSession(pub, params);
  const results = await cluster.run(sessionId, reshareCodec, members, (self, ctx) =>
    startReshareDealer(shares.get(self)!, { ...params, verifyFrame: ctx.verifyFrame, sign: signer(self) }),
  );
  const pendings = results.map((r, k) => {
    if (r.role !== "member") throw new Error("every member stays in this benchmark");
    return preparePending(r.output, signer(k + 1));
  });
  await cluster.run(ackSessionId(sessionId), lifecycleCodec(PROTOCOL_IDS.reshare), members, (self) =>
    startReshareAck(pendings[self - 1], verify),
  );
  return cluster.bytesSent() / members.length;
}

async function dkg(shares: Map<number, KeyShare>, run: number): Promise<number> {
  const members = ids(shares.size);
  const degree = shares.get(1)!.public.degree;
  const cluster = new Cluster(members);
  const sessionId = dkgSessionId({
    scheme: "schnorr",
    keyId: "bench",
    degree,
    members,
    nonce: `bench-${run}`,
  });
  await cluster.run(sessionId, dkgCodec, members, (_self, ctx) =>
    startDkg({ ...ctx, scheme: "schnorr", keyId: "bench", degree }),
  );
  return cluster.bytesSent() / members.length;
}

const PROTOCOLS = [
  ["refresh (+ACK)", refresh, "5 + 1"],
  ["recover (n−1 helpers)", recover, "4"],
  ["reshare n→n (+ACK)", reshare, "3 + 1"],
  ["baseline: DKG", dkg, "7"],
] as const;

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function main(args: string[]): Promise<void> {
  const sizes = (arg(args, "--sizes") ?? "3,5,10,20").split(",").map(Number);
  const runsArg = arg(args, "--runs");
  console.log(
    `Key lifecycle benchmark — ${machineLine()}; all members in one process, runner + memory transport`,
  );
  const rows: unknown[][] = [];
  for (const n of sizes) {
    const degree = Math.floor((n - 1) / 2);
    const runs = runsArg ? Number(runsArg) : n >= 10 ? 3 : 5;
    const { shares } = dealKey(
      { scheme: "schnorr", degree, participants: ids(n) },
      seededRng(`bench-key-${n}`),
    );
    for (const [name, fn, rounds] of PROTOCOLS) {
      await fn(shares, -1); // warm-up (JIT, noble precomputes)
      const wall: number[] = [];
      const cpu: number[] = [];
      let bytes = 0;
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        const { value, cpuMs: c } = await cpuMs(() => fn(shares, r));
        wall.push(performance.now() - t0);
        cpu.push(c / n);
        bytes = value;
      }
      rows.push([n, degree, name, rounds, median(wall), median(cpu), Math.round(bytes), runs]);
    }
  }
  printTable(
    "Key lifecycle over runner + in-memory transport (ms; bytes per member)",
    ["n", "degree", "protocol", "rounds", "wall ms (median)", "CPU ms/member", "bytes sent/member", "runs"],
    rows,
  );
}
