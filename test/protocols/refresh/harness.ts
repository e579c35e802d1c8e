/**
 * TEST ONLY: shared helpers for the lifecycle tests (refresh, recover, reshare):
 *   - member identities (Ed25519, node/crypto/identity.ts) that sign frames and ACK/ABORT statements;
 *   - `withSignedFrames`: makes every delivered message carry a signed wire frame, as the runner does,
 *     so echo-broadcast reveals (node/protocol/echo.ts) hold real evidence;
 *   - outcome accessors that fail with a readable reason.
 */
import assert from "node:assert/strict";
import { seededRng } from "../../../node/crypto/index.js";
import { identityPublicKey, signFrameBytes, verifyFrameBytes } from "../../../node/crypto/identity.js";
import type { Rng } from "../../../node/crypto/rng.js";
import type { VerifyFrame } from "../../../node/protocol/echo.js";
import type { ShardlessError } from "../../../node/protocol/errors.js";
import { frameSigningBytes } from "../../../node/protocol/frame.js";
import type { MessageCodec, Round, Start, Transition } from "../../../node/protocol/round.js";
import type { StatementSigner, StatementVerifier } from "../../../node/protocols/lifecycle/ack.js";
import type { MemberOutcome, SimulationResult } from "../../helpers/simulate.js";

export interface Identities {
  signer(id: number): StatementSigner;
  readonly verify: StatementVerifier;
  readonly verifyFrame: VerifyFrame;
  signFrame(id: number, bytes: Uint8Array): Uint8Array;
}

/** One Ed25519 identity per member id (deterministic from `seed`); unknown ids never verify. */
export function identities(ids: readonly number[], seed = "identities"): Identities {
  const seeds = new Map(ids.map((id) => [id, seededRng(`${seed}-${id}`)(32)] as const));
  const publics = new Map([...seeds].map(([id, sk]) => [id, identityPublicKey(sk)] as const));
  const signFrame = (id: number, bytes: Uint8Array) => {
    const sk = seeds.get(id);
    if (!sk) throw new Error(`no identity for ${id}`);
    return signFrameBytes(sk, bytes);
  };
  const verify: StatementVerifier = (id, bytes, signature) => {
    const pk = publics.get(id);
    return pk !== undefined && verifyFrameBytes(pk, bytes, signature);
  };
  return {
    signer: (id) => (statement) => signFrame(id, statement),
    verify,
    verifyFrame: (sender, frame) => verify(sender, frame.bytes, frame.signature),
    signFrame,
  };
}

/** Wraps a round and every round after it with `f`. */
export function mapRounds<M, R>(start: Start<M, R>, f: (round: Round<M, R>) => Round<M, R>): Start<M, R> {
  const wrap = (round: Round<M, R>): Round<M, R> => {
    const inner = f(round);
    return {
      get protocol() {
        return inner.protocol;
      },
      get number() {
        return inner.number;
      },
      get self() {
        return inner.self;
      },
      get expected() {
        return inner.expected;
      },
      receive: (from, message, frame) => inner.receive(from, message, frame),
      ready: () => inner.ready(),
      missing: () => inner.missing(),
      finalize(rng: Rng): Transition<M, R> {
        const t = inner.finalize(rng);
        return t.kind === "next" ? { ...t, round: wrap(t.round) } : t;
      },
    };
  };
  return { round: wrap(start.round), outgoing: start.outgoing };
}

/**
 * Every message a member receives arrives with the frame its sender signed (what the runner attaches),
 * built from the message's canonical encoding.
 */
export function withSignedFrames<M, R>(
  start: Start<M, R>,
  opts: { sessionId: Uint8Array; codec: MessageCodec<M>; ids: Identities },
): Start<M, R> {
  return mapRounds(start, (round) => ({
    protocol: round.protocol,
    number: round.number,
    self: round.self,
    expected: round.expected,
    receive(from, message) {
      const bytes = frameSigningBytes({
        protocolId: opts.codec.protocolId,
        sessionId: opts.sessionId,
        round: round.number,
        from,
        to: round.self,
        payload: opts.codec.encode(message),
      });
      // Signed on first use: only echo reveals read signatures, and signing every frame is slow.
      let signature: Uint8Array | undefined;
      const frame = {
        bytes,
        get signature() {
          return (signature ??= opts.ids.signFrame(from, bytes));
        },
      };
      round.receive(from, message, frame);
    },
    ready: () => round.ready(),
    missing: () => round.missing(),
    finalize: (rng) => round.finalize(rng),
  }));
}

export function outcomeOf<R>(sim: SimulationResult<R>, id: number): MemberOutcome<R> {
  const o = sim.outcomes.get(id);
  assert.ok(o, `no outcome for ${id}`);
  return o;
}

export function doneResult<R>(sim: SimulationResult<R>, id: number): R {
  const o = outcomeOf(sim, id);
  if (o.kind === "done") return o.result;
  const detail =
    o.kind === "abort" ? `${o.error.name}: ${o.error.message}` : `stuck in round ${o.round} for ${o.missing}`;
  assert.fail(`member ${id} did not finish: ${detail}`);
}

export function abortOf<R>(sim: SimulationResult<R>, id: number): ShardlessError {
  const o = outcomeOf(sim, id);
  if (o.kind === "abort") return o.error;
  assert.fail(`member ${id} did not abort: ${o.kind}`);
}

export function stuckOf<R>(sim: SimulationResult<R>, id: number): { round: number; missing: number[] } {
  const o = outcomeOf(sim, id);
  if (o.kind === "stuck") return { round: o.round, missing: o.missing };
  assert.fail(`member ${id} is not stuck: ${o.kind}`);
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);
