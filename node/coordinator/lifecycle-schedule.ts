/**
 * Scheduled refresh (issue 8; docs/configuration.md `refresh`): a key is refreshed every N blocks of the
 * registry's chain, counted from the block of its last epoch (KeyPublished or EpochAdvanced). Only one
 * member triggers it — the lowest member id among the key's participants, and only when all of them are
 * online (a refresh needs every participant) — so the trigger is deterministic; the invite flow declines a
 * second concurrent refresh of the same key (lifecycle.ts), so even two triggers never refresh twice.
 */

export interface RefreshSchedule {
  /** Every key's period in blocks; absent: on demand only. */
  readonly everyBlocks?: number;
  /** Per key id: its own period, 0 for on demand only. */
  readonly keys?: Readonly<Record<string, { readonly everyBlocks: number }>>;
}

/** The period of `keyId` in blocks, or undefined if it is refreshed on demand only. */
export function refreshPeriod(schedule: RefreshSchedule, keyId: string): number | undefined {
  const n = schedule.keys?.[keyId]?.everyBlocks ?? schedule.everyBlocks;
  return n !== undefined && n > 0 ? n : undefined;
}

export interface ScheduleInput {
  readonly period: number | undefined;
  /** Block of the key's last epoch (undefined until the follower has seen it). */
  readonly lastEpochBlock: number | undefined;
  readonly height: number;
  readonly self: number;
  readonly participants: readonly number[];
  readonly online: readonly number[];
}

/** True if this member should trigger the key's refresh now. */
export function refreshDue(i: ScheduleInput): boolean {
  if (i.period === undefined || i.lastEpochBlock === undefined) return false;
  if (i.height < i.lastEpochBlock + i.period) return false;
  if (!i.participants.every((id) => i.online.includes(id))) return false;
  return Math.min(...i.participants) === i.self;
}
