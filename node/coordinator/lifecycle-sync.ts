/**
 * Converging to the registry's epoch (specs/protocols.md §4 "Crash-safe transition", step 5): at start
 * and on every EpochAdvanced, each key this member holds is compared with the registry's current epoch
 * and commitment digest (protocols/lifecycle/registry-sync.ts decides; this applies the plan):
 *   a pending share the registry confirms is promoted, a stale or superseded one is discarded, an
 *   undecided one is kept (our ACK may be in someone's certificate);
 *   once our epoch is the registry's, older shares and certificates are erased (the caller drops the
 *   old epochs' presignatures);
 *   an epoch committed locally (certificate) that the registry does not show yet is "unpublished": the
 *   lifecycle service retries publishing it.
 * Store layout next to the key ring's `shares/<groupId>/<keyId>/<epoch>`:
 *   pending/<groupId>/<keyId>/<epoch>        the PendingEpoch record (secret)
 *   certificates/<groupId>/<keyId>/<epoch>   the commit certificate of that epoch (public)
 */
import { hexToBytes } from "../crypto/hash.js";
import { ShardlessError } from "../protocol/errors.js";
import {
  decodeCertificate,
  decodePendingEpoch,
  planRegistrySync,
  type CommitCertificate,
  type PendingEpoch,
  type StatementVerifier,
  type SyncPlan,
} from "../protocols/lifecycle/index.js";
import type { NodeContext } from "./context.js";
import type { CrashPoint } from "./lifecycle-faults.js";

export const pendingPath = (groupId: string, keyId: string, epoch: number) =>
  `pending/${groupId}/${keyId}/${epoch}`;
export const certificatePath = (groupId: string, keyId: string, epoch: number) =>
  `certificates/${groupId}/${keyId}/${epoch}`;

/** Verifies ACK statements against the identity keys of the group's members. */
export function ackVerifier(
  ctx: NodeContext,
  groupId: string,
  participants: readonly number[],
): StatementVerifier {
  const peers = ctx.groups.peerMap(groupId, participants);
  return (member, statement, signature) => {
    const peer = peers.get(member);
    return peer !== undefined && ctx.auth.verify(peer, statement, signature);
  };
}

const epochOf = (path: string) => Number(path.split("/")[3]);

/**
 * Called as soon as the key ring's current share of `keyId` moved to `epoch`. Presignature pools must
 * follow at once: a pool still at the old epoch would refill for an epoch this member no longer holds.
 */
export type SwitchHook = (keyId: string, epoch: number) => Promise<void>;

export class EpochSync {
  /** Keys committed locally past the registry: keyId → earliest time (ms) to try publishing. */
  readonly unpublished = new Map<string, number>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly crash: CrashPoint,
    private readonly onSwitch: SwitchHook = async () => {},
  ) {}

  /** Converges `keyId` to the registry; runs after any sync of the same key still in flight. */
  sync(keyId: string): Promise<SyncPlan | undefined> {
    const previous = this.queues.get(keyId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.syncNow(keyId));
    this.queues.set(keyId, next);
    return next;
  }

  /** Every key held (at start: catches transitions interrupted while the node was down). */
  async syncAll(): Promise<void> {
    for (const held of this.ctx.keys.all()) {
      const keyId = held.share.public.keyId;
      await this.sync(keyId).catch((e: unknown) =>
        this.ctx.logger.warn(
          { keyId, error: e instanceof ShardlessError ? e.code : String(e) },
          "epoch sync failed",
        ),
      );
    }
  }

  private async syncNow(keyId: string): Promise<SyncPlan | undefined> {
    const held = this.ctx.keys.get(keyId);
    if (!held) return undefined;
    const { groupId } = held;
    const info = await this.ctx.registry.getKey(BigInt(keyId));
    if (info.status !== "active") return undefined;
    const registry = {
      epoch: Number(info.epoch),
      commitmentDigest: hexToBytes(info.commitmentDigest.slice(2)),
    };
    const verify = ackVerifier(this.ctx, groupId, held.share.public.participants);
    const certificates = await this.certificates(groupId, keyId);
    let plan: SyncPlan | undefined;
    // Oldest pending record first; each may change what we hold for the next.
    for (const pending of await this.pendings(groupId, keyId)) {
      const heldEpoch = this.ctx.keys.get(keyId)?.share.public.epoch ?? null;
      plan = planRegistrySync({ heldEpoch, pending, certificates }, registry, verify);
      await this.applyPending(groupId, keyId, pending, plan);
    }
    const heldEpoch = this.ctx.keys.get(keyId)?.share.public.epoch ?? null;
    plan = planRegistrySync({ heldEpoch, pending: null, certificates }, registry, verify);
    if (plan.state === "settled") {
      this.unpublished.delete(keyId);
      await this.eraseOlder(groupId, keyId, registry.epoch);
    } else if (plan.state === "unpublished") {
      if (!this.unpublished.has(keyId)) this.unpublished.set(keyId, this.ctx.clock.now());
    } else if (plan.state === "behind") {
      this.ctx.logger.warn(
        { keyId, epoch: heldEpoch, registryEpoch: registry.epoch },
        "registry is at an epoch this member does not hold: recovery needed",
      );
    }
    return plan;
  }

  private async applyPending(groupId: string, keyId: string, pending: PendingEpoch, plan: SyncPlan) {
    const epoch = pending.share.public.epoch;
    const log = { keyId, epoch, because: "because" in plan.pending ? plan.pending.because : undefined };
    switch (plan.pending.action) {
      case "promote":
        await this.ctx.keys.put(groupId, pending.share);
        await this.onSwitch(keyId, epoch);
        await this.ctx.store.delete(pendingPath(groupId, keyId, epoch));
        this.ctx.logger.info({ ...log, event: "pending-promoted" }, "pending epoch promoted");
        return;
      case "discard":
        await this.ctx.store.delete(pendingPath(groupId, keyId, epoch));
        this.ctx.logger.info({ ...log, event: "pending-discarded" }, "pending epoch discarded");
        return;
      case "keep":
        this.ctx.logger.info(
          { keyId, epoch, event: "pending-kept" },
          "pending epoch kept: no certificate or registry decision yet",
        );
        return;
      default:
        return;
    }
  }

  /** Erases shares and certificates of epochs below the registry's (after the crash hook's last step). */
  private async eraseOlder(groupId: string, keyId: string, epoch: number): Promise<void> {
    const older = (await this.ctx.store.list(`shares/${groupId}/${keyId}/`)).filter(
      (p) => epochOf(p) < epoch,
    );
    if (older.length > 0) {
      this.crash("registry-advanced");
      await this.ctx.keys.eraseBelow(groupId, keyId, epoch);
      this.ctx.logger.info({ keyId, epoch, event: "old-shares-erased" }, "older epochs' shares erased");
    }
    for (const path of await this.ctx.store.list(`certificates/${groupId}/${keyId}/`)) {
      if (epochOf(path) <= epoch) await this.ctx.store.delete(path);
    }
  }

  private async pendings(groupId: string, keyId: string): Promise<PendingEpoch[]> {
    const out: PendingEpoch[] = [];
    for (const path of await this.ctx.store.list(`pending/${groupId}/${keyId}/`)) {
      const bytes = await this.ctx.store.get(path);
      if (bytes) out.push(decodePendingEpoch(bytes));
    }
    return out.sort((a, b) => a.share.public.epoch - b.share.public.epoch);
  }

  private async certificates(groupId: string, keyId: string): Promise<CommitCertificate[]> {
    const out: CommitCertificate[] = [];
    for (const path of await this.ctx.store.list(`certificates/${groupId}/${keyId}/`)) {
      const bytes = await this.ctx.store.get(path);
      if (bytes) out.push(decodeCertificate(bytes));
    }
    return out;
  }
}
