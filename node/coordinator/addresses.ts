/** Ethereum address of a secp256k1 public key: last 20 bytes of keccak256(x ‖ y), EIP-55 checksummed. */
import { getAddress } from "ethers";
import { bytesToHex, keccak256 } from "../crypto/hash.js";
import { encodePointUncompressed, type Point } from "../crypto/secp256k1.js";

export function ethereumAddress(P: Point): string {
  return getAddress("0x" + bytesToHex(keccak256(encodePointUncompressed(P).subarray(1)).subarray(12)));
}
