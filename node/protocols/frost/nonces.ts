/**
 * One signer's FROST nonce pair (d_i, e_i) with its public commitment (D_i, E_i) = (d_i·G, e_i·G)
 * (RFC 9591 §5.1; specs/protocols.md §7.2 round 1), as a single-use object: `take()` hands the secret
 * out exactly once, later calls throw ConsumedError. A nonce used twice with different challenges
 * reveals the secret share, so every path that signs goes through `take()`.
 */
import {
  bytesToHex,
  concatBytes,
  decodePoint,
  encodePoint,
  decodeNonZeroScalar,
  sha256,
  utf8ToBytes,
  wipe,
  assertRng,
  defaultRng,
  type Point,
  type Rng,
} from "../../crypto/index.js";
import { ConsumedError } from "../../protocol/errors.js";
import type { KeyShare } from "../../protocol/key-share.js";
import { frostSecretPackage } from "./key-package.js";
import { frostSuite, type FrostVariant, type NobleNonces } from "./suite.js";

/** The public half of a nonce pair: hiding D_i and binding E_i. */
export interface NonceCommitment {
  readonly hiding: Point;
  readonly binding: Point;
}

/** A member's commitment inside a commitment list B. */
export interface SigningCommitment extends NonceCommitment {
  readonly member: number;
}

const NONCE_ID_DOMAIN = utf8ToBytes("shardless/frost/nonce-id/v1");

/**
 * A nonce pair's id: the first 16 bytes of SHA-256(domain ‖ D ‖ E), in hex. Derived from the commitment,
 * so a sign request names the nonce it wants simply by containing the commitment, and a coordinator
 * cannot point a commitment at a different nonce.
 */
export function nonceId(commitment: NonceCommitment): string {
  const digest = sha256(
    concatBytes(NONCE_ID_DOMAIN, encodePoint(commitment.hiding), encodePoint(commitment.binding)),
  );
  return bytesToHex(digest.subarray(0, 16));
}

export function sameCommitment(a: NonceCommitment, b: NonceCommitment): boolean {
  return a.hiding.equals(b.hiding) && a.binding.equals(b.binding);
}

export class SigningNonces {
  #secret: NobleNonces | undefined;

  private constructor(
    readonly member: number,
    readonly commitment: NonceCommitment,
    secret: NobleNonces,
  ) {
    this.#secret = secret;
  }

  /**
   * Fresh nonces by noble's `commit`: RFC 9591 nonce_generate, d = H3(random32 ‖ ser(s_i)), hedged with
   * the secret share against a weak `rng`. `variant` picks H3's context string; the nonce is a uniform
   * scalar either way, so a pair made under one suite may sign under the other (the nonce pool uses
   * "rfc9591" for all its nonces).
   */
  static generate(share: KeyShare, variant: FrostVariant, rng: Rng = defaultRng): SigningNonces {
    assertRng(rng);
    const nobleRng = (length?: number) => rng(length ?? 32);
    const { nonces, commitments } = frostSuite(variant).commit(frostSecretPackage(share, variant), nobleRng);
    const commitment = { hiding: decodePoint(commitments.hiding), binding: decodePoint(commitments.binding) };
    return new SigningNonces(share.self, commitment, nonces);
  }

  /**
   * Rebuilds a stored pair (nonce pool). Not re-derived here: noble's `signShare` recomputes d·G and
   * e·G and refuses to sign unless they equal this member's commitment in B, so a corrupt record cannot
   * sign.
   */
  static restore(
    member: number,
    hiding: Uint8Array,
    binding: Uint8Array,
    commitment: NonceCommitment,
  ): SigningNonces {
    decodeNonZeroScalar(hiding);
    decodeNonZeroScalar(binding);
    return new SigningNonces(member, commitment, { hiding: hiding.slice(), binding: binding.slice() });
  }

  get id(): string {
    return nonceId(this.commitment);
  }

  get consumed(): boolean {
    return this.#secret === undefined;
  }

  /**
   * The secret nonces, exactly once. The caller signs with them and erases them (noble's `signShare`
   * zeroes both arrays in place).
   */
  take(): NobleNonces {
    const secret = this.#secret;
    if (secret === undefined)
      throw new ConsumedError(`nonce ${this.id} of member ${this.member} was already used`);
    this.#secret = undefined;
    return secret;
  }

  /** Copies of the secret scalars for durable storage. Only the nonce pool calls this. */
  exportSecret(): { hiding: Uint8Array; binding: Uint8Array } {
    const secret = this.#secret;
    if (secret === undefined)
      throw new ConsumedError(`nonce ${this.id} of member ${this.member} was already used`);
    return { hiding: secret.hiding.slice(), binding: secret.binding.slice() };
  }

  /** Erases the secret without using it (abandoned session). */
  erase(): void {
    if (this.#secret) wipe(this.#secret.hiding, this.#secret.binding);
    this.#secret = undefined;
  }
}
