/**
 * Presignature pools that outlive a graceful restart: at stop the coordinator saves the ids of each key's
 * ready presignatures, `presign-pools/<hex(keyId)>`, and the next start takes them back (reading a
 * record deletes it, so a pool is restored at most once). The presignatures themselves never leave the
 * members' PresignatureStores; a saved id only says "this coordinator may offer it again". Single use
 * does not depend on this list: each member's durable "consumed" state refuses a second digest whatever
 * a coordinator offers (runner/presignatures.ts).
 */
import { ByteWriter, decodeWith } from "../protocol/codec.js";
import { DecodeError } from "../protocol/errors.js";
import type { Logger, ShareStore } from "../runner/ports.js";
import { bytesToHex, hexToBytes } from "./util-bytes.js";
import { utf8ToBytes } from "../crypto/hash.js";

const PREFIX = "presign-pools";
const RECORD_VERSION = 1;
const PRESIG_ID_BYTES = 32;
/** Far above any pool depth: bounds what a corrupt record can make us allocate. */
const MAX_SAVED = 65_536;

const pathOf = (keyId: string) => `${PREFIX}/${bytesToHex(utf8ToBytes(keyId))}`;

/** Saves the ids of `keyId`'s ready presignatures for the next start (replacing any saved before). */
export async function savePool(
  store: ShareStore,
  keyId: string,
  presigIds: readonly string[],
): Promise<void> {
  const w = new ByteWriter().u8(RECORD_VERSION).string(keyId).u32(presigIds.length);
  for (const id of presigIds) w.fixed(hexToBytes(id), PRESIG_ID_BYTES);
  await store.put(pathOf(keyId), w.finish());
}

/**
 * Takes every saved pool out of the store: key id → presignature ids. A record that does not decode is
 * deleted and reported, never trusted (its presignatures then simply stay unused until their epoch ends).
 */
export async function takeSavedPools(store: ShareStore, logger: Logger): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const path of await store.list(`${PREFIX}/`)) {
    try {
      const bytes = await store.get(path);
      if (bytes === null) continue;
      const { keyId, ids } = decodeWith(bytes, (r) => {
        const version = r.u8();
        if (version !== RECORD_VERSION) throw new DecodeError(`saved presignature pool version ${version}`);
        const keyId = r.string(256);
        const count = r.u32();
        if (count > MAX_SAVED) throw new DecodeError(`saved presignature pool of ${count} ids`);
        const ids = Array.from({ length: count }, () => bytesToHex(r.fixed(PRESIG_ID_BYTES, "presigId")));
        return { keyId, ids };
      });
      if (pathOf(keyId) !== path) throw new DecodeError("saved presignature pool stored under another key");
      out.set(keyId, ids);
    } catch (e) {
      logger.warn(
        { path, error: e instanceof Error ? e.name : "unknown" },
        "saved presignature pool unreadable; its presignatures are not offered again",
      );
    } finally {
      await store.delete(path);
    }
  }
  return out;
}
