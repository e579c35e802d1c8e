/**
 * Installs each scheme's module (ecdsa, frost, decryption, lifecycle) into the node: their invite
 * handlers, their services, and the record signer keygen uses to publish keys.
 */
import { NotSupportedError, type SchemeServices } from "./coordinator.js";
import type { NodeContext } from "./context.js";
import type { Invitations } from "./invites.js";
import type { RecordSigner } from "./keygen.js";

export interface InstalledSchemes {
  readonly services: SchemeServices[];
  readonly signRecord: RecordSigner;
  onPeersChanged?(): void;
  start?(): void;
  stop?(): Promise<void>;
}

export function installSchemes(
  _ctx: NodeContext,
  _invitations: Invitations,
  _opts: { presignPoolDepth: number },
): InstalledSchemes {
  return {
    services: [],
    signRecord: async () => {
      throw new NotSupportedError("no signing scheme installed");
    },
  };
}
