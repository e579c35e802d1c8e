/**
 * TEST ONLY: FROST fixtures — dealt schnorr keys of either y parity, a two-round session run through
 * the in-memory simulator (with codec round-trips and tamper hooks), and a one-round session with
 * pre-published commitments run through the nonce pools' `respond`.
 */
import { hasOddY, seededRng, type Rng } from "../../../node/crypto/index.js";
import type { KeyShare } from "../../../node/protocol/key-share.js";
import type { Start, Transition } from "../../../node/protocol/round.js";
import {
  FROST_ROUND,
  decodeCommitmentBatch,
  encodeCommitmentBatch,
  frostCodec,
  startFrostCoordinator,
  startFrostSigner,
  type FrostMessage,
  type FrostResult,
  type FrostSessionParams,
  type FrostSignature,
} from "../../../node/protocols/frost/index.js";
import { CommitmentBook, FrostNoncePool } from "../../../node/runner/nonce-pool.js";
import { dealKey } from "../../helpers/dealer.js";
import { simulate, type Delivery, type SimulationResult } from "../../helpers/simulate.js";
import { MemoryShareStore } from "./memory-share-store.js";

/** Shares of a dealt schnorr key for members 1..members; `oddY` forces the group key's y parity. */
export function frostKey(opts: {
  members: number;
  degree: number;
  seed: string;
  oddY?: boolean;
  keyId?: string;
}): Map<number, KeyShare> {
  const participants = Array.from({ length: opts.members }, (_, i) => i + 1);
  for (let attempt = 0; ; attempt++) {
    const { shares } = dealKey(
      { scheme: "schnorr", degree: opts.degree, participants, keyId: opts.keyId ?? `frost-${opts.seed}` },
      seededRng(`${opts.seed}/${attempt}`),
    );
    const Y = shares.get(1)!.public.publicKey;
    if (opts.oddY === undefined || hasOddY(Y) === opts.oddY) return shares;
  }
}

export function params(
  p: Partial<FrostSessionParams> & Pick<FrostSessionParams, "signers">,
): FrostSessionParams {
  return {
    variant: p.variant ?? "bip340",
    requestId: p.requestId ?? "request-1",
    coordinator: p.coordinator ?? p.signers[0],
    signers: p.signers,
    message: p.message ?? new TextEncoder().encode("shardless frost test message"),
  };
}

/** Two-round session among the signers and the coordinator, through the simulator and the codec. */
export function runTwoRound(
  shares: ReadonlyMap<number, KeyShare>,
  session: FrostSessionParams,
  opts: { tamper?: (d: Delivery<FrostMessage>) => FrostMessage | null; rng?: (member: number) => Rng } = {},
): SimulationResult<FrostResult> {
  const rng = opts.rng ?? ((m: number) => seededRng(`nonces-${session.requestId}-${m}`));
  const starts = new Map<number, Start<FrostMessage, FrostResult>>();
  starts.set(
    session.coordinator,
    startFrostCoordinator({ key: shares.get(session.coordinator)!, session, rng: rng(session.coordinator) }),
  );
  for (const id of session.signers) {
    if (id !== session.coordinator)
      starts.set(id, startFrostSigner({ keyShare: shares.get(id)!, session, rng: rng(id) }));
  }
  return simulate(starts, { codec: frostCodec, tamper: opts.tamper });
}

/** The coordinator's verified signature; fails the test with the outcome otherwise. */
export function signatureOf(sim: SimulationResult<FrostResult>, coordinator: number): FrostSignature {
  const o = sim.outcomes.get(coordinator);
  if (o?.kind !== "done" || o.result.role !== "coordinator") {
    throw new Error(
      `coordinator did not finish: ${o?.kind} ${o?.kind === "abort" ? o.error.code + " " + o.error.message : ""}`,
    );
  }
  return o.result.signature;
}

/** Every member's nonce pool (on its own store) and the coordinators' commitment books. */
export class PooledGroup {
  readonly stores = new Map<number, MemoryShareStore>();
  readonly pools = new Map<number, FrostNoncePool>();
  readonly books = new Map<number, CommitmentBook>();

  constructor(readonly shares: ReadonlyMap<number, KeyShare>) {
    for (const [id, share] of shares) {
      const store = new MemoryShareStore();
      this.stores.set(id, store);
      this.pools.set(id, new FrostNoncePool({ store, keyShare: share }));
      this.books.set(id, new CommitmentBook(share.public, id));
    }
  }

  /**
   * Every member pre-generates `count` nonce pairs for each coordinator (itself included) and publishes
   * each batch, through the codec, to that coordinator only. Returns the bytes of one batch.
   */
  async publish(count: number, seed = "pool"): Promise<number> {
    let bytes = 0;
    for (const [id, pool] of this.pools) {
      for (const [coordinator, book] of this.books) {
        const batch = await pool.generate(count, {
          coordinator,
          rng: seededRng(`${seed}-${id}-${coordinator}`),
        });
        if (coordinator === id) continue; // its own nonces stay in its pool
        const wire = encodeCommitmentBatch(batch);
        bytes = wire.length;
        book.add(id, decodeCommitmentBatch(wire));
      }
    }
    return bytes;
  }

  /**
   * One-round session: the coordinator takes one published commitment per other signer (and consumes
   * one of its own pooled nonces if it signs), sends the requests; each signer answers via its pool.
   */
  async sign(
    session: FrostSessionParams,
    opts: { tamper?: (from: number, m: FrostMessage) => FrostMessage } = {},
  ): Promise<{ transition: Transition<FrostMessage, FrostResult>; bytesSent: Map<number, number> }> {
    const coordinator = session.coordinator;
    const others = session.signers.filter((id) => id !== coordinator);
    const commitments = this.books.get(coordinator)!.takeFor(others);
    if (!commitments) throw new Error("no pre-published commitments left");
    const ownNonces = session.signers.includes(coordinator)
      ? ((await this.pools.get(coordinator)!.consumeNext()) ?? undefined)
      : undefined;
    const start = startFrostCoordinator({
      key: this.shares.get(coordinator)!,
      session,
      prepublished: { commitments, ownNonces },
    });
    const bytesSent = new Map<number, number>();
    const count = (id: number, b: Uint8Array) => bytesSent.set(id, (bytesSent.get(id) ?? 0) + b.length);
    const replies: [number, FrostMessage][] = [];
    for (const o of start.outgoing) {
      const to = o.to as number;
      const wire = frostCodec.encode(o.message);
      count(coordinator, wire);
      const { outgoing } = await this.pools
        .get(to)!
        .respond(coordinator, frostCodec.decode(FROST_ROUND.sign, wire));
      for (const reply of outgoing) {
        const m = opts.tamper ? opts.tamper(to, reply.message) : reply.message;
        const back = frostCodec.encode(m);
        count(to, back);
        replies.push([to, frostCodec.decode(FROST_ROUND.share, back)]);
      }
    }
    let t = start.round.finalize(seededRng("coordinator"));
    if (t.kind !== "next") return { transition: t, bytesSent };
    for (const [from, m] of replies) t.round.receive(from, m);
    t = t.round.finalize(seededRng("coordinator"));
    return { transition: t, bytesSent };
  }
}
