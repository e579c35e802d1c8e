/**
 * TEST ONLY: drives presigning and signing of the threshold ECDSA protocol in memory (all members in one
 * process) through test/helpers/simulate.ts, with the wire codecs, and per-member presignature stores
 * used in the order a runner must use them (agree → consume → share).
 */
import { seededRng } from "../../../node/crypto/index.js";
import type { KeyShare } from "../../../node/protocol/key-share.js";
import type { Start } from "../../../node/protocol/round.js";
import {
  presignCodec,
  presignSessionId,
  signCodec,
  startPresign,
  type EcdsaSignature,
  type PresignMessage,
  type Presignature,
  type PresignaturePublic,
  type SignMessage,
  type SignRequest,
} from "../../../node/protocols/ecdsa/index.js";
import {
  PresignatureStore,
  startSignAgreementFromStore,
  startSignShareFromStore,
} from "../../../node/runner/presignatures.js";
import { dealKey, type DealtKey } from "../../helpers/dealer.js";
import { simulate, type Delivery, type SimulationResult } from "../../helpers/simulate.js";
import { MemoryShareStore } from "./memory-share-store.js";

export function dealEcdsaKey(n: number, degree: number, seed = `key-${n}-${degree}`, epoch = 0): DealtKey {
  const participants = Array.from({ length: n }, (_, i) => i + 1);
  return dealKey(
    { scheme: "ecdsa", degree, participants, keyId: `key-${n}-${degree}`, epoch },
    seededRng(seed),
  );
}

export interface RunOptions<M> {
  readonly tamper?: (d: Delivery<M>) => M | null;
  readonly silent?: ReadonlyMap<number, number>;
  readonly seed?: string;
}

export function runPresign(
  shares: ReadonlyMap<number, KeyShare>,
  signers: readonly number[],
  batch: number,
  opts: RunOptions<PresignMessage> & { requestId?: string } = {},
): SimulationResult<Presignature[]> {
  const key = shares.get(signers[0])!.public;
  const sessionId = presignSessionId({
    keyId: key.keyId,
    epoch: key.epoch,
    signers,
    batch,
    requestId: opts.requestId ?? "presign-1",
  });
  const seed = opts.seed ?? "presign";
  const starts = new Map<number, Start<PresignMessage, Presignature[]>>();
  for (const id of signers) {
    starts.set(
      id,
      startPresign({ share: shares.get(id)!, signers, batch, sessionId }, seededRng(`${seed}-${id}`)),
    );
  }
  return simulate(starts, {
    codec: presignCodec,
    tamper: opts.tamper,
    silent: opts.silent,
    rng: (id) => seededRng(`${seed}-finalize-${id}`),
  });
}

/** Every member's presignatures; throws unless all finished. */
export function presignAll(
  shares: ReadonlyMap<number, KeyShare>,
  signers: readonly number[],
  batch: number,
  opts: RunOptions<PresignMessage> & { requestId?: string } = {},
): Map<number, Presignature[]> {
  const sim = runPresign(shares, signers, batch, opts);
  const out = new Map<number, Presignature[]>();
  for (const [id, o] of sim.outcomes) {
    if (o.kind !== "done") throw new Error(`member ${id} did not finish presigning: ${o.kind}`);
    out.set(id, o.result);
  }
  return out;
}

/** One PresignatureStore per member (over a MemoryShareStore), filled with that member's output. */
export async function storesWith(
  presigs: ReadonlyMap<number, readonly Presignature[]>,
  backing = new Map<number, MemoryShareStore>(),
): Promise<{ stores: Map<number, PresignatureStore>; backing: Map<number, MemoryShareStore> }> {
  const stores = new Map<number, PresignatureStore>();
  for (const [id, list] of presigs) {
    if (!backing.has(id)) backing.set(id, new MemoryShareStore());
    const store = new PresignatureStore(backing.get(id)!);
    await store.add(list);
    stores.set(id, store);
  }
  return { stores, backing };
}

export interface SignRun {
  /** Outcome of the agreement round (null if some signer refused to start). */
  readonly agreement: SimulationResult<SignRequest> | null;
  /** Outcome of the share round (null if agreement did not complete everywhere). */
  readonly shares: SimulationResult<EcdsaSignature | null> | null;
  /** Errors thrown by signers that refused to take part, per member. */
  readonly refusals: Map<number, unknown>;
}

/**
 * The signer-side flow a runner performs: agreement (S0) from each store, then — only where the
 * agreement completed — consume and share (S1), then finish (erase) whatever the outcome.
 * `requests` lets a test give members different requests (equivocating coordinator).
 */
export async function signWithStores(
  stores: ReadonlyMap<number, PresignatureStore>,
  presig: PresignaturePublic,
  digest: Uint8Array,
  degree: number,
  opts: {
    requests?: ReadonlyMap<number, SignRequest>;
    agreeOptions?: RunOptions<SignMessage>;
    shareOptions?: RunOptions<SignMessage>;
    keyEpoch?: number;
  } = {},
): Promise<SignRun> {
  const key = { keyId: presig.keyId, degree, epoch: opts.keyEpoch ?? presig.epoch };
  const base: SignRequest = {
    keyId: presig.keyId,
    epoch: presig.epoch,
    presigId: presig.presigId,
    signers: presig.signers,
    combiner: presig.signers[0],
    digest,
  };
  const refusals = new Map<number, unknown>();
  const agreeStarts = new Map<number, Start<SignMessage, SignRequest>>();
  for (const id of presig.signers) {
    try {
      agreeStarts.set(
        id,
        await startSignAgreementFromStore(stores.get(id)!, opts.requests?.get(id) ?? base, key, id),
      );
    } catch (e) {
      refusals.set(id, e);
    }
  }
  if (refusals.size > 0) return { agreement: null, shares: null, refusals };
  const agreement = simulate(agreeStarts, { codec: signCodec, ...opts.agreeOptions });
  const agreed = new Map<number, SignRequest>();
  for (const [id, o] of agreement.outcomes) if (o.kind === "done") agreed.set(id, o.result);
  if (agreed.size !== presig.signers.length) return { agreement, shares: null, refusals };

  const shareStarts = new Map<number, Start<SignMessage, EcdsaSignature | null>>();
  for (const [id, request] of agreed) {
    try {
      shareStarts.set(id, await startSignShareFromStore(stores.get(id)!, request, key));
    } catch (e) {
      refusals.set(id, e);
    }
  }
  const shares = simulate(shareStarts, { codec: signCodec, ...opts.shareOptions });
  for (const id of shareStarts.keys()) await stores.get(id)!.finish(presig.presigId);
  return { agreement, shares, refusals };
}

/** The signatures the share round produced (only the combiner's session yields one). */
export function signaturesOf(run: SignRun): EcdsaSignature[] {
  if (!run.shares) return [];
  return [...run.shares.outcomes.values()].flatMap((o) => (o.kind === "done" && o.result ? [o.result] : []));
}

/**
 * A group ECDSA key with presignatures ready at every member, and a `sign(digest)` that runs the whole
 * signer-side flow with the next presignature (one process, all members).
 */
export async function thresholdSigner(
  n: number,
  degree: number,
  batch: number,
  seed = `signer-${n}-${degree}`,
) {
  const key = dealEcdsaKey(n, degree, seed);
  const signers = Array.from({ length: 2 * degree + 1 }, (_, i) => i + 1);
  const presigs = presignAll(key.shares, signers, batch, { requestId: seed });
  const { stores } = await storesWith(presigs);
  const queue = [...presigs.get(signers[0])!];
  const publicKey = key.shares.get(1)!.public.publicKey;
  return {
    key,
    publicKey,
    async sign(digest: Uint8Array): Promise<EcdsaSignature> {
      const presig = queue.shift();
      if (!presig) throw new Error("out of presignatures");
      const sigs = signaturesOf(await signWithStores(stores, presig, digest, degree));
      if (sigs.length !== 1) throw new Error("threshold signing did not complete");
      return sigs[0];
    },
  };
}
