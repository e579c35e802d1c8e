/**
 * FROST wire constants and caps (specs/protocols.md §7). Decoders check every length against these caps
 * before allocating; rounds check them again on in-memory messages.
 */

/** Version byte that opens every encoded FROST message. */
export const FROST_WIRE_VERSION = 1;

/** Round numbers carried by the messages (the runner stamps them on frames). */
export const FROST_ROUND = {
  /** Round 1: a signer's nonce commitment (D_i, E_i), signer → coordinator. */
  commit: 1,
  /** Round 2: the coordinator's sign request (message + commitment list B), coordinator → signers. */
  sign: 2,
  /** Round 3: a signer's signature share z_i, signer → coordinator. */
  share: 3,
} as const;

/** Largest message a FROST session signs (RFC 9591 allows any length; BIP-340 on-chain uses 32 bytes). */
export const MAX_SIGN_MESSAGE_BYTES = 64 * 1024;
/** Longest request id (UTF-8 bytes). */
export const MAX_REQUEST_ID_BYTES = 256;
/** Most signers in one session (groups have at most 64 members, key-share.ts). */
export const MAX_SIGNERS = 64;
/** Most nonce commitments in one pre-published batch. */
export const MAX_COMMITMENT_BATCH = 1024;
