/**
 * The invite of one key's resharing (reshare.ts): what every participant must agree on, its strict
 * encoding, and the checks a participant makes before it deals or receives — the invite is the registry's
 * pending change (committee, party ids, dealers' old ids) and the registry vouches for the old package.
 */
import { memberSetHash } from "../adapters/chain/record.js";
import { bytesToHex } from "../crypto/hash.js";
import { ByteWriter, decodeWith } from "../protocol/codec.js";
import { decodeKeyPublic, encodeKeyPublic, type KeyPublic } from "../protocol/key-share.js";
import type { GroupMember } from "./groups.js";
import type { Invite } from "./invite.js";
import type { ReshareRoster } from "./reshare-roster.js";

/** What every participant must agree on, carried by the invite. */
export interface ReshareInviteParams {
  readonly dealers: readonly number[];
  /** Old member id of each dealer, aligned with `dealers`. */
  readonly dealerOldIds: readonly number[];
  readonly newParticipants: readonly number[];
  readonly newDegree: number;
  /** memberSetHash of the pending committee (32 bytes). */
  readonly newMemberSetHash: Uint8Array;
  /** P^e, the package being reshared (new members trust it only if the registry vouches for it). */
  readonly oldPublic: KeyPublic;
}

export function encodeParams(p: ReshareInviteParams): Uint8Array {
  return new ByteWriter()
    .u16s(p.dealers)
    .u16s(p.dealerOldIds)
    .u16s(p.newParticipants)
    .u16(p.newDegree)
    .fixed(p.newMemberSetHash, 32)
    .bytes(encodeKeyPublic(p.oldPublic))
    .finish();
}

export function decodeParams(bytes: Uint8Array): ReshareInviteParams {
  return decodeWith(bytes, (r) => ({
    dealers: r.u16s(1024),
    dealerOldIds: r.u16s(1024),
    newParticipants: r.u16s(1024),
    newDegree: r.u16(),
    newMemberSetHash: r.fixed(32),
    oldPublic: decodeKeyPublic(r.bytes()),
  }));
}

/**
 * Lowering a key's degree lowers how many colluders can steal it, and the registry's pending change does
 * not carry the degree (the coordinator picks it): a member takes part in a decrease only when its own
 * configuration allows it (`reshare.allowDegreeDecrease` on every member). Raising it is always allowed.
 */
export function degreeChangeAllowed(oldDegree: number, newDegree: number, allowDecrease: boolean): boolean {
  return newDegree >= oldDegree || allowDecrease;
}

const sameIds = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Is the invite this node's view of the pending change: committee, party ids, dealers and their old ids? */
export function matchesPendingChange(
  invite: Invite,
  p: ReshareInviteParams,
  pending: readonly GroupMember[],
  roster: ReshareRoster,
): boolean {
  const participants = [...new Set([...p.dealers, ...p.newParticipants])].sort((a, b) => a - b);
  return (
    memberSetHash(pending.map((m) => m.operator)) === `0x${bytesToHex(p.newMemberSetHash)}` &&
    sameIds(p.newParticipants, roster.newParticipants) &&
    p.dealerOldIds.length === p.dealers.length &&
    p.dealers.every(
      (id, k) => roster.dealers.includes(id) && (roster.oldIds.get(id) ?? id) === p.dealerOldIds[k],
    ) &&
    sameIds(invite.participants, participants) &&
    p.oldPublic.keyId === invite.keyId &&
    p.oldPublic.epoch === invite.epoch
  );
}
