/**
 * Where the share store's key comes from. The store uses envelope encryption: every file is sealed under
 * a random 32-byte *data key*, and the store header keeps that data key only in *wrapped* form. A
 * KeyProvider wraps and unwraps it with a *wrapping key* it controls:
 *
 * - PassphraseKeyProvider: wrapping key = scrypt(passphrase, salt), N = 2^15, r = 8, p = 1 (32 MiB, about
 *   0.1 s), 16-byte random salt stored in the header; AES-256-GCM wrap.
 * - KeyFileKeyProvider: wrapping key = the 32 bytes of a key file (raw, or 64 hex characters).
 * - An HSM/PKCS#11 provider (not implemented) fits the same interface with `kind: "pkcs11"`, params such as
 *   `{ module, slot, keyLabel }`, and wrap/unwrap done inside the token (C_WrapKey/C_UnwrapKey with
 *   CKM_AES_KEY_WRAP_PAD, or C_Encrypt/C_Decrypt with CKM_AES_GCM under a non-extractable key) so the
 *   wrapping key never leaves the HSM. Only the data key is in process memory while the node runs.
 *
 * Changing the passphrase only rewraps the data key (no file is rewritten). The `aad` passed by the store
 * binds the wrapped key to one store; providers also bind their own kind and parameters, so editing the
 * header (e.g. lowering the scrypt cost) makes unwrapping fail.
 */
import { scrypt as scryptCallback } from "node:crypto";
import { readFile } from "node:fs/promises";
import { aeadOpen, aeadSeal } from "../../crypto/aead.js";
import { concatBytes, utf8ToBytes } from "../../crypto/hash.js";
import { defaultRng, type Rng } from "../../crypto/rng.js";
import { ParameterError } from "../../protocol/errors.js";
import { StoreKeyError } from "./errors.js";

export const DATA_KEY_BYTES = 32;

/** A data key in wrapped form, as stored in the store header. */
export interface WrappedDataKey {
  /** Which provider wrapped it. */
  kind: string;
  /** Public provider parameters (salt, KDF cost, HSM key label...). */
  params: Record<string, string | number>;
  /** The wrapped data key. */
  wrapped: Uint8Array;
}

export interface KeyProvider {
  /** Stable identifier recorded in the header ("scrypt", "key-file", "pkcs11"...). */
  readonly kind: string;
  /** Wraps a fresh data key for a new store (or to change the wrapping key). */
  wrap(dataKey: Uint8Array, aad: Uint8Array): Promise<WrappedDataKey>;
  /** Unwraps; throws StoreKeyError if this provider's wrapping key does not open it. */
  unwrap(wrapped: WrappedDataKey, aad: Uint8Array): Promise<Uint8Array>;
}

/** The AAD of a wrap: the store's context plus this provider's kind and parameters, canonically encoded. */
function wrapAad(aad: Uint8Array, kind: string, params: Record<string, string | number>): Uint8Array {
  const canonical = JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
  return concatBytes(aad, utf8ToBytes(`\0${kind}\0${canonical}`));
}

function unwrapWith(kek: Uint8Array, w: WrappedDataKey, aad: Uint8Array): Uint8Array {
  try {
    const key = aeadOpen(kek, w.wrapped, wrapAad(aad, w.kind, w.params));
    if (key.length !== DATA_KEY_BYTES) throw new Error("bad data key length");
    return key;
  } catch (cause) {
    throw new StoreKeyError("wrong passphrase or key for this share store (or a tampered header)", [], {
      cause,
    });
  } finally {
    kek.fill(0);
  }
}

export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** The documented default: N = 2^15, r = 8, p = 1 (needs 32 MiB; about 0.1 s on the project's VMs). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;

function checkCost(c: ScryptCost): void {
  const pow2 = Number.isInteger(c.N) && c.N >= 2 ** 10 && c.N <= 2 ** 20 && (c.N & (c.N - 1)) === 0;
  if (!pow2) throw new StoreKeyError("scrypt N must be a power of two in [2^10, 2^20]");
  if (!Number.isInteger(c.r) || c.r < 1 || c.r > 32) throw new StoreKeyError("scrypt r must be in [1, 32]");
  if (!Number.isInteger(c.p) || c.p < 1 || c.p > 16) throw new StoreKeyError("scrypt p must be in [1, 16]");
}

function scrypt(passphrase: Uint8Array, salt: Uint8Array, c: ScryptCost): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    scryptCallback(
      passphrase,
      salt,
      32,
      { N: c.N, r: c.r, p: c.p, maxmem: 256 * c.N * c.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))),
    ),
  );
}

export interface PassphraseKeyProviderInit {
  /** The passphrase (from an environment variable or a file; config.ts resolves which). */
  passphrase: string | Uint8Array;
  /**
   * scrypt cost for newly wrapped keys (existing stores use the cost recorded in their header).
   * @default DEFAULT_SCRYPT_COST (N = 2^15, r = 8, p = 1)
   */
  cost?: ScryptCost;
  /**
   * Randomness for salts.
   * @default defaultRng
   */
  rng?: Rng;
}

export class PassphraseKeyProvider implements KeyProvider {
  readonly kind = "scrypt";
  private readonly passphrase: Uint8Array;
  private readonly cost: ScryptCost;
  private readonly rng: Rng;

  constructor(init: PassphraseKeyProviderInit) {
    this.passphrase =
      typeof init.passphrase === "string" ? utf8ToBytes(init.passphrase) : init.passphrase.slice();
    if (this.passphrase.length === 0) throw new ParameterError("`passphrase` must not be empty");
    this.cost = init.cost ?? DEFAULT_SCRYPT_COST;
    checkCost(this.cost);
    this.rng = init.rng ?? defaultRng;
  }

  async wrap(dataKey: Uint8Array, aad: Uint8Array): Promise<WrappedDataKey> {
    const salt = this.rng(SALT_BYTES);
    const params = {
      N: this.cost.N,
      r: this.cost.r,
      p: this.cost.p,
      salt: Buffer.from(salt).toString("hex"),
    };
    const kek = await scrypt(this.passphrase, salt, this.cost);
    try {
      return {
        kind: this.kind,
        params,
        wrapped: aeadSeal(kek, dataKey, wrapAad(aad, this.kind, params), this.rng),
      };
    } finally {
      kek.fill(0);
    }
  }

  async unwrap(w: WrappedDataKey, aad: Uint8Array): Promise<Uint8Array> {
    const { N, r, p, salt } = w.params;
    const cost = { N: Number(N), r: Number(r), p: Number(p) };
    checkCost(cost);
    if (typeof salt !== "string" || !/^([0-9a-f]{2}){16,64}$/.test(salt))
      throw new StoreKeyError("bad scrypt salt");
    return unwrapWith(await scrypt(this.passphrase, Buffer.from(salt, "hex"), cost), w, aad);
  }
}

export interface KeyFileKeyProviderInit {
  /** A file holding the 32-byte wrapping key, raw or as 64 hex characters. */
  path: string;
  /**
   * Randomness for the wrap nonce.
   * @default defaultRng
   */
  rng?: Rng;
}

export class KeyFileKeyProvider implements KeyProvider {
  readonly kind = "key-file";
  constructor(private readonly init: KeyFileKeyProviderInit) {}

  /** Reads the key file; throws ParameterError naming the file if it is not a 32-byte key. */
  async readKey(): Promise<Uint8Array> {
    const raw = new Uint8Array(await readFile(this.init.path));
    if (raw.length === DATA_KEY_BYTES) return raw;
    const text = Buffer.from(raw).toString("utf8").trim();
    raw.fill(0);
    if (/^(0x)?[0-9a-fA-F]{64}$/.test(text))
      return new Uint8Array(Buffer.from(text.replace(/^0x/, ""), "hex"));
    throw new ParameterError(`key file ${this.init.path} must hold 32 raw bytes or 64 hex characters`);
  }

  async wrap(dataKey: Uint8Array, aad: Uint8Array): Promise<WrappedDataKey> {
    const kek = await this.readKey();
    try {
      return {
        kind: this.kind,
        params: {},
        wrapped: aeadSeal(kek, dataKey, wrapAad(aad, this.kind, {}), this.init.rng ?? defaultRng),
      };
    } finally {
      kek.fill(0);
    }
  }

  async unwrap(w: WrappedDataKey, aad: Uint8Array): Promise<Uint8Array> {
    return unwrapWith(await this.readKey(), w, aad);
  }
}
