/**
 * specs/protocols.md §4 "Crash-safe transition", step 1: the pending epoch. A refresh or reshare ends
 * (for each member that gets a new share) with an EpochOutput; the runner turns it into a PendingEpoch
 * with `preparePending`, persists it atomically *next to* the current epoch (never over it), and only
 * then broadcasts the ACK it contains (ack-round.ts). The member's own signed ACK is part of the record,
 * so "pending exists" always means "my ACK may be out": the restart rule (restart.ts) never drops it
 * without an ABORT, and resends the same ACK when asking peers.
 */
import { bytesEqual } from "../../crypto/hash.js";
import { ByteWriter, decodeWith } from "../../protocol/codec.js";
import { DecodeError, ParameterError } from "../../protocol/errors.js";
import { decodeKeyShare, encodeKeyShare, keyPublicDigest, type KeyShare } from "../../protocol/key-share.js";
import { DIGEST_BYTES, readAck, signAck, writeAck, type SignedAck, type StatementSigner } from "./ack.js";

export type LifecycleProtocol = "refresh" | "reshare";
const PROTOCOLS: readonly LifecycleProtocol[] = ["refresh", "reshare"];

/** What a refresh/reshare run returns to a member that receives a new share. */
export interface EpochOutput {
  readonly protocol: LifecycleProtocol;
  readonly sessionId: Uint8Array;
  /** The new share; `share.public` is P^{e+1} (epoch e+1). Secret. */
  readonly share: KeyShare;
  /** Digest chaining the run's echo digests: every member that finished holds the same value. */
  readonly transcriptDigest: Uint8Array;
  /**
   * The new roster: the commit certificate needs an ACK from each of them, and only their signed ABORT
   * cancels the change. Keeping one set for both is what makes "ACK xor ABORT per member" imply that a
   * certificate and an ABORT can never both exist unless someone signed both.
   */
  readonly roster: readonly number[];
  /** Members the run proved misbehaving but could exclude (refresh: dealers outside QUAL). */
  readonly culprits: readonly number[];
}

export interface PendingEpoch extends Omit<EpochOutput, "culprits"> {
  /** H(P^{e+1}). */
  readonly packageDigest: Uint8Array;
  /** This member's ACK(sid, e+1, H(P^{e+1})), signed before the record is persisted. */
  readonly ownAck: SignedAck;
}

/** Signs this member's ACK and builds the record to persist. */
export function preparePending(output: EpochOutput, sign: StatementSigner): PendingEpoch {
  const packageDigest = keyPublicDigest(output.share.public);
  if (!output.roster.includes(output.share.self)) {
    throw new ParameterError("only a member of the new roster holds a pending epoch");
  }
  const ownAck = signAck(output.share.self, output.sessionId, output.share.public.epoch, packageDigest, sign);
  return {
    protocol: output.protocol,
    sessionId: output.sessionId,
    share: output.share,
    transcriptDigest: output.transcriptDigest,
    roster: output.roster,
    packageDigest,
    ownAck,
  };
}

/** The pending epoch number (e+1). */
export const pendingEpochNumber = (p: PendingEpoch): number => p.share.public.epoch;

/** Serialises the pending record for the (encrypted, atomic) share store. The result is secret. */
export function encodePendingEpoch(p: PendingEpoch): Uint8Array {
  const w = new ByteWriter()
    .u8(PROTOCOLS.indexOf(p.protocol))
    .fixed(p.sessionId, DIGEST_BYTES)
    .fixed(p.transcriptDigest, DIGEST_BYTES)
    .u16s(p.roster);
  writeAck(w, p.ownAck);
  return w.bytes(encodeKeyShare(p.share)).finish();
}

/** Strict decoding; re-derives the package digest and checks the stored ACK is for it. */
export function decodePendingEpoch(bytes: Uint8Array): PendingEpoch {
  return decodeWith(bytes, (r) => {
    const protocol = PROTOCOLS[r.u8()];
    if (!protocol) throw new DecodeError("unknown lifecycle protocol");
    const sessionId = r.fixed(DIGEST_BYTES, "session id");
    const transcriptDigest = r.fixed(DIGEST_BYTES, "transcript digest");
    const roster = r.u16s(1024);
    const ownAck = readAck(r);
    const share = decodeKeyShare(r.bytes());
    const packageDigest = keyPublicDigest(share.public);
    if (
      ownAck.signer !== share.self ||
      !roster.includes(share.self) ||
      ownAck.epoch !== share.public.epoch ||
      !bytesEqual(ownAck.sessionId, sessionId) ||
      !bytesEqual(ownAck.packageDigest, packageDigest)
    ) {
      throw new DecodeError("pending record: own ACK does not match the stored share");
    }
    return { protocol, sessionId, share, transcriptDigest, roster, packageDigest, ownAck };
  });
}
