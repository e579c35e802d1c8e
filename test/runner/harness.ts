/**
 * TEST ONLY: a group of in-process members, each with its own Runner, Ed25519 identity and memory
 * transport on one MemoryNetwork; plus a manual clock and frame re-signing for equivocation faults.
 */
import { ed25519Authenticator, identityPublicKey, signFrameBytes } from "../../node/crypto/identity.js";
import { sha256, utf8ToBytes } from "../../node/crypto/hash.js";
import { MemoryNetwork } from "../../node/adapters/memory/index.js";
import { decodeFrame, encodeFrame, frameSigningBytes, type Frame } from "../../node/protocol/frame.js";
import { FrameRejectedError } from "../../node/runner/errors.js";
import type { Clock } from "../../node/runner/ports.js";
import { Runner, type RunnerOptions } from "../../node/runner/runner.js";

export const peerOf = (id: number) => `peer-${id}`;
export const seedOf = (id: number) => sha256(utf8ToBytes(`identity-${id}`));

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  private t = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => x.live);
  }
}

/** Real, process-keeping timers (the default systemClock unrefs its timers). */
export const liveClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

export interface Member {
  readonly id: number;
  readonly runner: Runner;
  readonly rejected: FrameRejectedError[];
}

export interface Group {
  readonly net: MemoryNetwork;
  readonly members: Map<number, Member>;
  readonly peers: Map<number, string>;
}

const publicKeys = new Map<string, Uint8Array>();
export function publicKeyOf(peer: string): Uint8Array | undefined {
  const m = /^peer-(\d+)$/.exec(peer);
  if (!m) return undefined;
  let key = publicKeys.get(peer);
  if (!key) publicKeys.set(peer, (key = identityPublicKey(seedOf(Number(m[1])))));
  return key;
}

export function makeGroup(
  ids: readonly number[],
  opts: { clock?: Clock; runner?: Partial<RunnerOptions> } = {},
): Group {
  const net = new MemoryNetwork({ clock: opts.clock });
  const peers = new Map(ids.map((id) => [id, peerOf(id)]));
  const members = new Map<number, Member>();
  for (const id of ids) {
    const rejected: FrameRejectedError[] = [];
    const runner = new Runner({
      transport: net.transport(peerOf(id)),
      auth: ed25519Authenticator(seedOf(id), publicKeyOf),
      clock: opts.clock ?? liveClock,
      onRejected: (e) => rejected.push(e),
      ...opts.runner,
    });
    members.set(id, { id, runner, rejected });
  }
  return { net, members, peers };
}

/** Re-encodes a frame with changes and a fresh signature by member `signer` (a validly signed lie). */
export function resign(bytes: Uint8Array, change: (f: Frame) => Partial<Frame>, signer: number): Uint8Array {
  const f = { ...decodeFrame(bytes) };
  const changed = { ...f, ...change(f) };
  return encodeFrame({ ...changed, signature: signFrameBytes(seedOf(signer), frameSigningBytes(changed)) });
}

/** Settles a promise into a tagged outcome (so tests can await several that may reject). */
export async function outcome<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}
