/**
 * FrameAuthenticator over the member's libp2p identity (Ed25519): the runner signs every outgoing frame
 * with it and verifies incoming frames against the key inlined in the sender's peer id, so a signed
 * frame is transferable evidence of what a member said (node/protocol/frame.ts).
 *
 * Two interchangeable implementations (same RFC 8032 signatures; each verifies the other's):
 * - Ed25519FrameAuthenticator: node:crypto (OpenSSL) with the key objects parsed once and cached. The
 *   default: on the project's VMs it signs and verifies 10–20x faster than pure JS, which matters for
 *   the 5 ms online-signing budget (every frame is signed once and verified by each recipient).
 * - identityFrameAuthenticator: node/crypto/identity.ts (noble, strict RFC 8032 verification).
 * Deviation, on purpose: the project takes its curve arithmetic from noble; frame authentication (not key
 * material of any group key) uses OpenSSL's Ed25519 because noble's costs ~1.5 ms per verification here,
 * which alone would dominate online signing and make a 20-member DKG 2.4x slower. Tests check that both
 * implementations produce and accept the same signatures.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import type { Ed25519PrivateKey } from "@libp2p/interface";
import {
  ED25519_SIGNATURE_BYTES,
  ed25519Authenticator,
  type Ed25519Authenticator,
} from "../../crypto/identity.js";
import { ParameterError } from "../../protocol/errors.js";
import type { FrameAuthenticator } from "../../runner/ports.js";
import { peerPublicKey } from "./identity.js";

const SEED_BYTES = 32;

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

function assertEd25519(key: Ed25519PrivateKey | undefined): asserts key is Ed25519PrivateKey {
  if (key?.type !== "Ed25519" || key.raw.length !== 2 * SEED_BYTES) {
    throw new ParameterError("`privateKey` expected a libp2p Ed25519 private key");
  }
}

export interface Ed25519FrameAuthenticatorInit {
  /** This member's identity key (identity.ts). */
  privateKey: Ed25519PrivateKey;
  /**
   * How many peers' parsed public keys to cache.
   * @default 1024
   */
  maxCachedPeers?: number;
}

export class Ed25519FrameAuthenticator implements FrameAuthenticator {
  private readonly secretKey: KeyObject;
  private readonly maxCachedPeers: number;
  private readonly keys = new Map<string, KeyObject | null>();

  constructor(init: Ed25519FrameAuthenticatorInit) {
    assertEd25519(init.privateKey);
    // libp2p's raw Ed25519 private key is seed ‖ public key.
    const raw = init.privateKey.raw;
    this.secretKey = createPrivateKey({
      key: {
        kty: "OKP",
        crv: "Ed25519",
        d: b64url(raw.subarray(0, SEED_BYTES)),
        x: b64url(raw.subarray(SEED_BYTES)),
      },
      format: "jwk",
    });
    this.maxCachedPeers = init.maxCachedPeers ?? 1024;
  }

  sign(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, bytes, this.secretKey));
  }

  /** False for an unknown/non-Ed25519 peer id, a malformed signature or a wrong one; never throws. */
  verify(peer: string, bytes: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
    const key = this.publicKey(peer);
    if (key === null) return false;
    try {
      return verify(null, bytes, key, signature);
    } catch {
      return false;
    }
  }

  private publicKey(peer: string): KeyObject | null {
    let key = this.keys.get(peer);
    if (key !== undefined) return key;
    try {
      key = createPublicKey({
        key: { kty: "OKP", crv: "Ed25519", x: b64url(peerPublicKey(peer)) },
        format: "jwk",
      });
    } catch {
      key = null;
    }
    if (this.keys.size >= this.maxCachedPeers) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(peer, key);
    return key;
  }
}

/** The same authenticator on node/crypto/identity.ts (pure JS, strict verification). */
export function identityFrameAuthenticator(privateKey: Ed25519PrivateKey): Ed25519Authenticator {
  assertEd25519(privateKey);
  return ed25519Authenticator(privateKey.raw.subarray(0, SEED_BYTES), (peer) => {
    try {
      return peerPublicKey(peer);
    } catch {
      return undefined;
    }
  });
}
