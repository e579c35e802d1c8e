/** TEST-ONLY fixture for the decrypt protocol: a dealt encryption key and a simulated run. */
import { encodePoint, seededRng, utf8ToBytes } from "../../../node/crypto/index.js";
import { encodeTdh2Ciphertext, tdh2Encrypt } from "../../../node/crypto/tdh2.js";
import type { KeyPublic } from "../../../node/protocol/key-share.js";
import type { Start } from "../../../node/protocol/round.js";
import {
  CollectSharesRound,
  DecryptionFailedError,
  decryptCodec,
  decryptSessionId,
  startDecryption,
  startMember,
  type DecryptMessage,
  type DecryptPolicy,
  type DecryptRequestFields,
  type DecryptionResult,
  type MemberContext,
  type ShareRelease,
} from "../../../node/protocols/decrypt/index.js";
import { dealKey } from "../../helpers/dealer.js";
import { simulate, type Delivery, type SimulationResult } from "../../helpers/simulate.js";

export const allowAll: DecryptPolicy = () => ({ allowed: true, reason: "test-allow" });
export const denyAll: DecryptPolicy = () => ({ allowed: false, reason: "test-deny" });

export function setup(degree: number, n: number, seed: string) {
  const ids = Array.from({ length: n }, (_, k) => k + 1);
  const dealt = dealKey(
    { scheme: "encryption", degree, participants: ids, keyId: `enc-${seed}` },
    seededRng(seed),
  );
  const pub: KeyPublic = dealt.shares.get(1)!.public;
  const member = (id: number, policy: DecryptPolicy = allowAll): MemberContext => ({
    share: dealt.shares.get(id)!,
    policy,
  });
  return { dealt, pub, ids, member, groupKey: encodePoint(pub.publicKey) };
}

export function tdh2Request(pub: KeyPublic, msg: string, label: string, requestId = "req-1", seed = "enc") {
  const ciphertext = encodeTdh2Ciphertext(
    tdh2Encrypt(utf8ToBytes(msg), utf8ToBytes(label), pub.publicKey, seededRng(seed)),
  );
  return { scheme: "tdh2", requestId, ciphertext } satisfies DecryptRequestFields;
}

type Outcome = DecryptionResult | ShareRelease;

export interface RunOptions {
  readonly combiner: number;
  readonly members: readonly number[];
  readonly local?: MemberContext;
  readonly policies?: ReadonlyMap<number, DecryptPolicy>;
  readonly tamper?: (d: Delivery<DecryptMessage>) => DecryptMessage | null;
  readonly silent?: ReadonlyMap<number, number>;
}

/** Runs one decryption in memory through the codec; returns the simulation (combiner + asked members). */
export function run(
  fx: ReturnType<typeof setup>,
  request: DecryptRequestFields,
  opts: RunOptions,
): SimulationResult<Outcome> {
  const sessionId = decryptSessionId(fx.pub, request);
  const starts = new Map<number, Start<DecryptMessage, Outcome>>();
  starts.set(
    opts.combiner,
    startDecryption({
      self: opts.combiner,
      key: fx.pub,
      request,
      members: opts.members,
      ...(opts.local ? { local: opts.local } : {}),
    }) as Start<DecryptMessage, Outcome>,
  );
  for (const id of opts.members) {
    const member = fx.member(id, opts.policies?.get(id) ?? allowAll);
    starts.set(
      id,
      startMember({ member, combiner: opts.combiner, sessionId }) as Start<DecryptMessage, Outcome>,
    );
  }
  return simulate(starts, {
    codec: decryptCodec,
    ...(opts.tamper ? { tamper: opts.tamper } : {}),
    ...(opts.silent ? { silent: opts.silent } : {}),
  });
}

export function combinerResult(sim: SimulationResult<Outcome>, combiner: number): DecryptionResult {
  const o = sim.outcomes.get(combiner);
  if (o?.kind !== "done") throw new Error(`combiner did not finish: ${o?.kind}`);
  return o.result as DecryptionResult;
}

/**
 * Drives one session by hand (no simulate) so tests can reach the combiner's round-2 object (timeout,
 * progress, retry). Members in `withhold` never answer. Returns the collect round after all answers.
 */
export function driveByHand(
  fx: ReturnType<typeof setup>,
  start: Start<DecryptMessage, DecryptionResult>,
  combiner: number,
  opts: { withhold?: readonly number[]; policies?: ReadonlyMap<number, DecryptPolicy>; seed?: string } = {},
): CollectSharesRound {
  const rng = seededRng(opts.seed ?? "by-hand");
  const open = start.round.finalize(rng);
  if (open.kind !== "next" || !(open.round instanceof CollectSharesRound))
    throw new Error("expected round 2");
  const collect = open.round;
  for (const o of start.outgoing) {
    const to = o.to as number;
    if (opts.withhold?.includes(to)) continue;
    const request = decryptCodec.decode(1, decryptCodec.encode(o.message));
    const member = fx.member(to, opts.policies?.get(to) ?? allowAll);
    const m = startMember({ member, combiner, sessionId: collect.ctx.sessionId });
    m.round.receive(combiner, request);
    const t = m.round.finalize(rng);
    for (const out of t.outgoing ?? [])
      collect.receive(to, decryptCodec.decode(2, decryptCodec.encode(out.message)));
  }
  return collect;
}

/** The error of an aborted outcome or transition (throws if it did not abort). */
export function abortError(o: { kind: string; error?: unknown } | undefined): unknown {
  if (o?.kind !== "abort") throw new Error(`expected an abort, got ${o?.kind}`);
  return o.error;
}

/** The DecryptionFailedError of an aborted combiner (throws for anything else). */
export function failure(o: { kind: string; error?: unknown } | undefined): DecryptionFailedError {
  const e = abortError(o);
  if (!(e instanceof DecryptionFailedError))
    throw new Error(`expected DecryptionFailedError, got ${String(e)}`);
  return e;
}
