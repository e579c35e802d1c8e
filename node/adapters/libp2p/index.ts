/** libp2p adapter: the member mesh (Transport port), identity files and frame authentication. */
export * from "./constants.js";
export * from "./errors.js";
export * from "./identity.js";
export * from "./authenticator.js";
export * from "./allowlist.js";
export * from "./backoff.js";
export * from "./frame-decoder.js";
export * from "./mesh.js";
export * from "./transport.js";
