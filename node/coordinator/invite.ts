/**
 * Invitations: how the coordinator of a request (the member whose API received it) asks the other
 * participants to run a protocol session. An invite names everything the session depends on; each
 * receiver recomputes the session id from those fields (deriveSessionId), so an invite cannot smuggle a
 * session id that binds something else. Kind-specific parameters travel as bytes each handler decodes
 * strictly. A participant that refuses (policy, unknown key, stale epoch) answers with a Decline, so the
 * coordinator fails fast with the reason instead of waiting for a timeout.
 */
import { sha256 } from "../crypto/hash.js";
import { ByteWriter, decodeWith } from "../protocol/codec.js";
import { DecodeError } from "../protocol/errors.js";
import { deriveSessionId } from "../protocol/session.js";

export const INVITE_KINDS = [
  "dkg",
  "ecdsa-presign",
  "ecdsa-sign",
  "frost-sign",
  "decrypt",
  "refresh",
  "recover",
  "reshare",
] as const;
export type InviteKind = (typeof INVITE_KINDS)[number];

export interface Invite {
  readonly kind: InviteKind;
  readonly groupId: string;
  readonly keyId: string;
  readonly epoch: number;
  readonly requestId: string;
  /** Member ids taking part, ascending; includes the coordinator. */
  readonly participants: readonly number[];
  readonly coordinator: number;
  /** Kind-specific parameters (decoded by the kind's handler). */
  readonly params: Uint8Array;
}

export interface Decline {
  readonly code: string;
  readonly message: string;
}

/** Session ids of invites already seen: one invite is looked up several times on the signing path. */
const sessionIds = new WeakMap<Invite, Uint8Array>();

/**
 * The session id an invite binds: protocol kind, key, epoch, request, participants and params. Computed
 * once per invite object (invites are immutable); callers must not modify the bytes.
 */
export function inviteSessionId(i: Invite): Uint8Array {
  let id = sessionIds.get(i);
  if (!id) {
    id = computeInviteSessionId(i);
    sessionIds.set(i, id);
  }
  return id;
}

function computeInviteSessionId(i: Invite): Uint8Array {
  return deriveSessionId({
    protocol: `${i.kind}@${i.groupId}`,
    keyId: i.keyId,
    epoch: i.epoch,
    requestId: i.requestId,
    participants: i.participants,
    extra: sha256(new ByteWriter().u16(i.coordinator).bytes(i.params).finish()),
  });
}

const MSG_INVITE = 1;
const MSG_DECLINE = 2;
const MSG_DONE = 3;

/** Invite; decline (with reason); done (a participant finished its side, e.g. a recovered share stored). */
export type ControlMessage =
  { type: "invite"; invite: Invite } | { type: "decline"; decline: Decline } | { type: "done" };

export function encodeControl(m: ControlMessage): Uint8Array {
  const w = new ByteWriter();
  if (m.type === "done") return w.u8(MSG_DONE).finish();
  if (m.type === "invite") {
    const i = m.invite;
    w.u8(MSG_INVITE).u8(INVITE_KINDS.indexOf(i.kind)).string(i.groupId).string(i.keyId).u64(i.epoch);
    w.string(i.requestId).u16s(i.participants).u16(i.coordinator).bytes(i.params);
  } else {
    w.u8(MSG_DECLINE).string(m.decline.code).string(m.decline.message);
  }
  return w.finish();
}

export function decodeControl(bytes: Uint8Array): ControlMessage {
  return decodeWith(bytes, (r) => {
    const type = r.u8();
    if (type === MSG_DECLINE)
      return { type: "decline", decline: { code: r.string(64), message: r.string(1024) } };
    if (type === MSG_DONE) return { type: "done" };
    if (type !== MSG_INVITE) throw new DecodeError(`unknown control message ${type}`);
    const kind = INVITE_KINDS[r.u8()];
    if (!kind) throw new DecodeError("unknown invite kind");
    const groupId = r.string(128);
    const keyId = r.string(128);
    const epoch = r.u64();
    const requestId = r.string(128);
    const participants = r.u16s(1024);
    const coordinator = r.u16();
    const params = r.bytes(1 << 20);
    for (let k = 1; k < participants.length; k++) {
      if (participants[k] <= participants[k - 1])
        throw new DecodeError("participants not strictly ascending");
    }
    if (!participants.includes(coordinator)) throw new DecodeError("coordinator is not a participant");
    return {
      type: "invite",
      invite: { kind, groupId, keyId, epoch, requestId, participants, coordinator, params },
    };
  });
}
