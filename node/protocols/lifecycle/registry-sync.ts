/**
 * specs/protocols.md §4 "Crash-safe transition", step 5 as the node applies it: the registry's current
 * epoch is the authority. After a restart, and whenever the registry's epoch of a key changes, a member
 * compares what it holds for the key (its committed share's epoch, a pending record, stored
 * certificates) with the registry's (epoch, commitment digest) and plans:
 *   pending for the registry's epoch and package   → promote it (the group signed it: it won);
 *   pending at or below an epoch we already hold    → discard (left over from a crash after the switch);
 *   pending at or below the registry's epoch, other → discard (the registry moved on without it);
 *   pending above the registry's epoch              → restart.ts: commit on a certificate, drop on a
 *                                                     signed ABORT, else keep it (our ACK may be out).
 * The old share is never touched here: it is erased only once the member's epoch equals the registry's.
 */
import { bytesEqual } from "../../crypto/hash.js";
import { commitmentDigest } from "../../protocol/key-share.js";
import type { StatementVerifier } from "./ack.js";
import type { CommitCertificate } from "./certificate.js";
import { pendingEpochNumber, type PendingEpoch } from "./pending.js";
import { decideRestart } from "./restart.js";

export interface RegistryEpoch {
  readonly epoch: number;
  /** The registry's commitment digest for `epoch` (32 bytes). */
  readonly commitmentDigest: Uint8Array;
}

export interface HeldEpochs {
  /** Epoch of the member's committed (current) share; null if it holds none. */
  readonly heldEpoch: number | null;
  readonly pending: PendingEpoch | null;
  /** Certificates the member stored (its own ACK sessions). */
  readonly certificates: readonly CommitCertificate[];
}

export type PendingAction =
  | { readonly action: "none" }
  | { readonly action: "promote"; readonly because: "registry" | "certificate" }
  | { readonly action: "discard"; readonly because: "committed" | "superseded" | "aborted" }
  | { readonly action: "keep" };

/**
 * settled:     the member's epoch is the registry's: erase older shares and presignatures.
 * unpublished: the member committed (certificate) an epoch the registry does not show yet: someone
 *              must sign and submit the epoch record; nothing is erased.
 * behind:      the registry is past every share the member holds: only recovery (§5) helps.
 * none:        the member holds no share of the key.
 */
export type EpochState = "settled" | "unpublished" | "behind" | "none";

export interface SyncPlan {
  readonly pending: PendingAction;
  /** The member's current epoch once `pending` is applied. */
  readonly epoch: number | null;
  readonly state: EpochState;
}

export function planRegistrySync(
  held: HeldEpochs,
  registry: RegistryEpoch,
  verify: StatementVerifier,
): SyncPlan {
  const pending = pendingAction(held, registry, verify);
  const promoted = pending.action === "promote" && held.pending !== null;
  const epoch = promoted ? pendingEpochNumber(held.pending!) : held.heldEpoch;
  let state: EpochState;
  if (epoch === null) state = "none";
  else if (epoch === registry.epoch) state = "settled";
  else if (epoch > registry.epoch) state = "unpublished";
  else state = "behind";
  return { pending, epoch, state };
}

function pendingAction(held: HeldEpochs, registry: RegistryEpoch, verify: StatementVerifier): PendingAction {
  const p = held.pending;
  if (!p) return { action: "none" };
  const epoch = pendingEpochNumber(p);
  if (held.heldEpoch !== null && epoch <= held.heldEpoch) return { action: "discard", because: "committed" };
  if (epoch === registry.epoch && bytesEqual(commitmentDigest(p.share.public), registry.commitmentDigest)) {
    return { action: "promote", because: "registry" };
  }
  if (epoch <= registry.epoch) return { action: "discard", because: "superseded" };
  const decision = decideRestart(p, { certificates: held.certificates }, verify);
  if (decision.action === "commit") return { action: "promote", because: "certificate" };
  if (decision.action === "drop") return { action: "discard", because: "aborted" };
  return { action: "keep" };
}
