/** The Ethereum address of a group public key: the last 20 bytes of keccak256(X ‖ Y), EIP-55 checksummed. */
import { getAddress, hexlify } from "ethers";
import { encodePointUncompressed, keccak256, type Point } from "../crypto/index.js";

export function ethereumAddress(publicKey: Point): string {
  const xy = encodePointUncompressed(publicKey).subarray(1);
  return getAddress(hexlify(keccak256(xy).subarray(12)));
}
