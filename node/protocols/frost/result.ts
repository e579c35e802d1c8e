/** What a FROST session yields: the coordinator gets the verified signature, a signer a receipt. */
import type { Point } from "../../crypto/index.js";
import type { FrostVariant } from "./suite.js";

export interface FrostSignature {
  readonly variant: FrostVariant;
  readonly keyId: string;
  readonly epoch: number;
  readonly sessionId: Uint8Array;
  readonly message: Uint8Array;
  readonly signers: readonly number[];
  /** rfc9591: ser(R) ‖ ser(z), 65 bytes; bip340: x(R) ‖ ser(z), 64 bytes. */
  readonly signature: Uint8Array;
  /** The nonce point R (bip340: the even-y point, as the verifier lifts it). */
  readonly R: Point;
  readonly z: bigint;
  /** The key it verifies under: rfc9591 33-byte compressed, bip340 32-byte x-only. */
  readonly publicKey: Uint8Array;
}

export type FrostResult =
  | { readonly role: "coordinator"; readonly signature: FrostSignature }
  | { readonly role: "signer"; readonly sessionId: Uint8Array };
