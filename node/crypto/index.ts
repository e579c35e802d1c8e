/** The crypto core: pure functions over @noble. See each module's header. */
export * from "./rng.js";
export * from "./hash.js";
export * from "./secp256k1.js";
export * from "./polynomial.js";
export * from "./vss.js";
export * from "./transcript.js";
export * from "./aead.js";
export * from "./proofs/schnorr-pok.js";
export * from "./proofs/dleq.js";
