// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @dev Minimal secp256k1 helpers for validating group public keys on-chain: curve constants, the
 * on-curve test, point decompression (square root through the modexp precompile, p ≡ 3 mod 4) and the
 * Ethereum address of a point. Only public data passes through here, so nothing needs to be constant-time.
 */
library Secp256k1 {
    /// @dev Field prime p.
    uint256 internal constant P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f;
    /// @dev Group order n.
    uint256 internal constant N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    /// @dev (p + 1) / 4: a square root of a quadratic residue a is a^((p+1)/4) because p ≡ 3 (mod 4).
    uint256 private constant _SQRT_EXPONENT = 0x3fffffffffffffffffffffffffffffffffffffffffffffffffffffffbfffff0c;

    /// @dev Whether (x, y) is an affine point of y² = x³ + 7 with both coordinates reduced mod p.
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= P || y >= P) return false;
        return mulmod(y, y, P) == addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
    }

    /**
     * @dev Returns the y coordinate of the curve point with x coordinate `x` and the given y parity, or
     * `ok = false` when `x >= p` or no point has that x coordinate.
     */
    function liftX(uint256 x, bool oddY) internal view returns (bool ok, uint256 y) {
        if (x >= P) return (false, 0);
        uint256 rhs = addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
        y = _modExp(rhs, _SQRT_EXPONENT, P);
        if (mulmod(y, y, P) != rhs) return (false, 0);
        // y is never 0 on this curve (n is odd, so there is no point of order 2).
        if ((y & 1 == 1) != oddY) y = P - y;
        return (true, y);
    }

    /**
     * @dev Parses a 33-byte SEC1 compressed point (prefix 0x02 even y, 0x03 odd y) and checks that it is
     * on the curve. Returns `ok = false` for any other length, prefix, `x >= p` or an x off the curve.
     */
    function decompress(bytes memory compressed) internal view returns (bool ok, uint256 x, uint256 y) {
        if (compressed.length != 33) return (false, 0, 0);
        uint8 prefix = uint8(compressed[0]);
        if (prefix != 0x02 && prefix != 0x03) return (false, 0, 0);
        assembly ("memory-safe") {
            x := mload(add(compressed, 33))
        }
        (ok, y) = liftX(x, prefix == 0x03);
        if (!ok) return (false, 0, 0);
    }

    /// @dev Ethereum address of the affine point (x, y): the last 20 bytes of keccak256(x ‖ y).
    function toAddress(uint256 x, uint256 y) internal pure returns (address addr) {
        assembly ("memory-safe") {
            mstore(0x00, x)
            mstore(0x20, y)
            addr := and(keccak256(0x00, 0x40), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }

    /// @dev base^exponent mod modulus through the EIP-198 precompile at address 0x05.
    function _modExp(uint256 base, uint256 exponent, uint256 modulus) private view returns (uint256 result) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0x20)
            mstore(add(ptr, 0x20), 0x20)
            mstore(add(ptr, 0x40), 0x20)
            mstore(add(ptr, 0x60), base)
            mstore(add(ptr, 0x80), exponent)
            mstore(add(ptr, 0xa0), modulus)
            if iszero(staticcall(gas(), 0x05, ptr, 0xc0, ptr, 0x20)) {
                revert(0, 0)
            }
            result := mload(ptr)
        }
    }
}
