/**
 * TEST ONLY: runs refresh sessions in memory (simulate.ts), then the runner's part of the crash-safe
 * transition: prepare + "persist" the pending epoch, and run the ACK session.
 */
import { seededRng } from "../../../node/crypto/index.js";
import type { KeyShare } from "../../../node/protocol/key-share.js";
import { PROTOCOL_IDS, type Start } from "../../../node/protocol/round.js";
import {
  lifecycleCodec,
  preparePending,
  signAbort,
  startAbortAnnouncement,
  type CommitCertificate,
  type EpochOutput,
  type LifecycleMessage,
  type PendingEpoch,
} from "../../../node/protocols/lifecycle/index.js";
import {
  refreshCodec,
  refreshSessionId,
  startRefresh,
  startRefreshAck,
  type RefreshMessage,
} from "../../../node/protocols/refresh/index.js";
import { simulate, type SimulateOptions } from "../../helpers/simulate.js";
import { withSignedFrames, type Identities } from "./harness.js";

export const REQUEST_ID = "refresh-test";

export interface RunRefreshOptions extends Omit<SimulateOptions<RefreshMessage>, "codec"> {
  readonly ids: Identities;
  /** Members running a given (cheating) start instead of the honest one. */
  readonly replace?: ReadonlyMap<number, Start<RefreshMessage, EpochOutput>>;
}

export function runRefresh(shares: ReadonlyMap<number, KeyShare>, opts: RunRefreshOptions) {
  const first = shares.values().next().value!;
  const sessionId = refreshSessionId(first.public, { requestId: REQUEST_ID });
  const starts = new Map<number, Start<RefreshMessage, EpochOutput>>();
  for (const [id, share] of shares) {
    const start =
      opts.replace?.get(id) ??
      startRefresh(
        share,
        { requestId: REQUEST_ID, verifyFrame: opts.ids.verifyFrame },
        seededRng(`refresh-${id}`),
      );
    starts.set(id, withSignedFrames(start, { sessionId, codec: refreshCodec, ids: opts.ids }));
  }
  return simulate(starts, { codec: refreshCodec, ...opts });
}

/**
 * The runner's ACK phase: members with an output persist a pending epoch and ACK; `aborters` announce a
 * signed ABORT instead (as after a LocalAbortError).
 */
export function runAckSession(
  pendings: ReadonlyMap<number, PendingEpoch>,
  ids: Identities,
  aborters: ReadonlyMap<number, Start<LifecycleMessage, CommitCertificate>> = new Map(),
) {
  const starts = new Map<number, Start<LifecycleMessage, CommitCertificate>>(aborters);
  for (const [id, pending] of pendings) starts.set(id, startRefreshAck(pending, ids.verify));
  return simulate(starts, { codec: lifecycleCodec(PROTOCOL_IDS.refresh) });
}

export function pendingsOf(outputs: ReadonlyMap<number, EpochOutput>, ids: Identities) {
  return new Map([...outputs].map(([id, out]) => [id, preparePending(out, ids.signer(id))] as const));
}

/** A member that never ACKs and announces a signed ABORT(sid, epoch) in the ACK session instead. */
export function abortAnnouncement(sessionId: Uint8Array, signer: number, epoch: number, ids: Identities) {
  const abort = signAbort(signer, sessionId, epoch, ids.signer(signer));
  return startAbortAnnouncement(abort, { protocol: "refresh", recipients: ["all"] });
}
