/** Byte helpers for the coordinator. */
import { randomBytes } from "node:crypto";
export { bytesToHex, hexToBytes } from "../crypto/hash.js";

/** `n` random bytes as hex (request ids, never secrets). */
export const randomBytesHex = (n: number) => randomBytes(n).toString("hex");
