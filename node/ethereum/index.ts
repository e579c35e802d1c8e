/** Ethereum helpers for group ECDSA keys: digests to sign, the group address, signature assembly. */
export * from "./digest.js";
export * from "./address.js";
export * from "./signature.js";
