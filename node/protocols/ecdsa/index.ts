/**
 * Honest-majority threshold ECDSA (Damgård–Jakobsen–Nielsen–Pagter–Østergård; specs/ecdsa.md):
 * batched presigning (presign/, three rounds) and one-round online signing preceded by request
 * agreement (sign/). Pure round state machines; the runner drives them and keeps presignatures in
 * node/runner/presignatures.ts.
 */
export * from "./presign/params.js";
export * from "./presign/messages.js";
export * from "./presign/presignature.js";
export * from "./presign/consistency.js";
export { startPresign, PresignDealRound } from "./presign/round1.js";
export { PresignOpenRound, roundTwoView, type PresignSecrets } from "./presign/round2.js";
export { PresignAuthenticateRound } from "./presign/round3.js";
export * from "./sign/request.js";
export * from "./sign/messages.js";
export * from "./sign/agree.js";
export * from "./sign/share.js";
export * from "./sign/combine.js";
