/**
 * FROST threshold Schnorr signing on secp256k1 (specs/protocols.md §7): RFC 9591 FROST(secp256k1,
 * SHA-256) and the BIP-340/Taproot variant, as pure round state machines around noble's implementation.
 * Entry points: start.ts; pre-published nonces: runner/nonce-pool.ts; retries: retry.ts; encoders:
 * encoding.ts.
 */
export * from "./constants.js";
export * from "./suite.js";
export * from "./key-package.js";
export * from "./nonces.js";
export * from "./messages.js";
export * from "./codec.js";
export * from "./session.js";
export * from "./result.js";
export * from "./round1-commit.js";
export * from "./round2-sign.js";
export * from "./round3-aggregate.js";
export * from "./start.js";
export * from "./retry.js";
export * from "./encoding.js";
