/**
 * Installs each scheme's module (ecdsa, frost, decryption, lifecycle) into the node: their invite
 * handlers, their services, and the record signer keygen uses to publish keys.
 */
import type { SchemeServices } from "./coordinator.js";
import type { NodeContext } from "./context.js";
import { DecryptService } from "./decrypt.js";
import { EcdsaService } from "./ecdsa.js";
import { FrostService } from "./frost.js";
import type { Invitations } from "./invites.js";
import type { RecordSigner } from "./keygen.js";
import type { SignGate } from "./sign-gate.js";
import { NotSupportedError } from "./coordinator.js";
import { requireHeldKey } from "./keys-util.js";

export interface InstalledSchemes {
  readonly services: SchemeServices[];
  readonly signRecord: RecordSigner;
  onPeersChanged?(): void;
  onEpochAdvanced?(keyId: string, epoch: number): Promise<void>;
  onShareRecovered?(keyId: string): void;
  /** A key was published in the registry: its signing state (the presignature pool) can warm up now. */
  onKeyPublished?(keyId: string): void;
  /** Restores what the last graceful stop kept, then warms up (awaited before the API opens). */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export function installSchemes(
  ctx: NodeContext,
  invitations: Invitations,
  opts: { presignPoolDepth: number; gate: SignGate },
): InstalledSchemes {
  const ecdsa = new EcdsaService(ctx, invitations, { poolDepth: opts.presignPoolDepth }, opts.gate);
  const frost = new FrostService(ctx, invitations, opts.gate);
  const decryption = new DecryptService(ctx, invitations);
  const bySchemeSign: SchemeServices["sign"] = (keyId, payload, requestId) => {
    const scheme = requireHeldKey(ctx, keyId).share.public.scheme; // NOT_FOUND for a key not held here
    if (scheme === "schnorr") return frost.sign(keyId, payload, requestId);
    if (scheme === "ecdsa") return ecdsa.sign(keyId, payload, requestId);
    throw new NotSupportedError(`signing with ${scheme} key ${keyId} is not available`);
  };
  return {
    services: [
      {
        sign: bySchemeSign,
        keyExtras: (keyId) => {
          const depth = ecdsa.poolDepth(keyId);
          return depth === undefined ? {} : { presignatures: depth };
        },
        decrypt: (keyId, ciphertext, format, requestId, payload) =>
          decryption.decrypt(keyId, ciphertext, format, requestId, payload),
      },
    ],
    onPeersChanged: () => ecdsa.warmUp(),
    onEpochAdvanced: (keyId, epoch) => ecdsa.onEpochAdvanced(keyId, epoch),
    onShareRecovered: (keyId) => ecdsa.forgetPool(keyId),
    onKeyPublished: () => ecdsa.warmUp(),
    start: () => ecdsa.start(),
    stop: () => ecdsa.stop(),
    signRecord: async (_groupId, signerKeyId, digest) => {
      const scheme = ctx.keys.get(signerKeyId)?.share.public.scheme;
      if (scheme === "schnorr") return frost.signRecord(signerKeyId, digest);
      if (scheme === "ecdsa") return ecdsa.signRecord(signerKeyId, digest);
      throw new NotSupportedError(`records cannot be signed with ${scheme ?? "unknown"} key ${signerKeyId}`);
    },
  };
}
