/**
 * This member's key shares, persisted in the ShareStore (encrypted at rest, atomic writes):
 *   shares/<groupId>/<keyId>/<epoch>   the KeyShare of that epoch
 * The current share of a key is the one with the highest *committed* epoch. A new epoch's share is
 * written first (so a crash never loses the last working share) and the older ones are erased only
 * after the registry has advanced the epoch (invariant 5).
 */
import { decodeKeyShare, encodeKeyShare, type KeyShare } from "../protocol/key-share.js";
import type { ShareStore } from "../runner/ports.js";

export interface HeldKey {
  readonly groupId: string;
  readonly share: KeyShare;
}

const pathOf = (groupId: string, keyId: string, epoch: number) => `shares/${groupId}/${keyId}/${epoch}`;

export class KeyRing {
  private readonly current = new Map<string, HeldKey>();
  /** Keys whose registry publication differs from our DKG output: never used (keygen.ts). */
  readonly disputed = new Set<string>();

  constructor(private readonly store: ShareStore) {}

  /** Loads the highest stored epoch of every key. */
  async load(): Promise<void> {
    for (const path of await this.store.list("shares/")) {
      const [, groupId, keyId, epochText] = path.split("/");
      const epoch = Number(epochText);
      const held = this.current.get(keyId);
      if (held && held.share.public.epoch >= epoch) continue;
      const bytes = await this.store.get(path);
      if (!bytes) continue;
      this.current.set(keyId, { groupId, share: decodeKeyShare(bytes) });
    }
  }

  get(keyId: string): HeldKey | undefined {
    return this.current.get(keyId);
  }

  all(): HeldKey[] {
    return [...this.current.values()];
  }

  /** Stores a share durably; it becomes current if its epoch is the highest. */
  async put(groupId: string, share: KeyShare): Promise<void> {
    await this.store.put(pathOf(groupId, share.public.keyId, share.public.epoch), encodeKeyShare(share));
    const held = this.current.get(share.public.keyId);
    if (!held || held.share.public.epoch <= share.public.epoch)
      this.current.set(share.public.keyId, { groupId, share });
  }

  /** Erases every stored epoch of `keyId` below `epoch` (after the registry confirmed `epoch`). */
  async eraseBelow(groupId: string, keyId: string, epoch: number): Promise<void> {
    for (const path of await this.store.list(`shares/${groupId}/${keyId}/`)) {
      if (Number(path.split("/")[3]) < epoch) await this.store.delete(path);
    }
  }

  /** Forgets a key entirely (removed from the committee by a reshare). */
  async erase(groupId: string, keyId: string): Promise<void> {
    for (const path of await this.store.list(`shares/${groupId}/${keyId}/`)) await this.store.delete(path);
    this.current.delete(keyId);
  }
}
