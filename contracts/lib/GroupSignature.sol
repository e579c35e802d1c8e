// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Secp256k1} from "./Secp256k1.sol";

/**
 * @dev Verifies signatures made by a group key over a 32-byte digest.
 *
 * - ECDSA (threshold ECDSA keys): `signature = r ‖ s ‖ v` (65 bytes), checked with `ecrecover` against the
 *   key's Ethereum address. The digest is signed as is, without the EIP-191 prefix. High-s signatures and
 *   any `v` other than 27 or 28 are rejected, so each (digest, key) pair has exactly one valid encoding.
 * - Schnorr (FROST keys, BIP-340): `signature = Rx ‖ Ry ‖ z` (96 bytes). BIP-340 signatures are
 *   `Rx ‖ z`; the caller adds `Ry` (the even y of the nonce point) so the contract needs no square root.
 *   The key is the BIP-340 x-only key `Px`, i.e. the point with x = Px and even y. Verification uses the
 *   ecrecover trick of specs/protocols.md §7.4: `ecrecover(−z·Px, 27, Px, −c·Px)` is the address of
 *   z·G − c·P, which must equal the address of R. R must be on the curve with even y, otherwise an
 *   attacker could choose `Ry` freely and turn the 160-bit address match into a birthday search.
 *   Limitation: `ecrecover` needs `Px < n`, so x-only keys in [n, p) (probability ≈ 2^-128) are refused.
 *
 * Both functions return false instead of reverting so that callers can raise their own custom errors.
 */
library GroupSignature {
    /// @dev SHA-256("BIP0340/challenge"), the BIP-340 tag hash, precomputed.
    bytes32 private constant _CHALLENGE_TAG = 0x7bb52d7a9fef58323eb1bf7a407db382d2f3f2d81bb1224f49fe518f6d48d37c;
    uint256 private constant _HALF_N = Secp256k1.N >> 1;

    /// @dev Length of an ECDSA group signature: r ‖ s ‖ v.
    uint256 internal constant ECDSA_SIGNATURE_LENGTH = 65;
    /// @dev Length of a Schnorr group signature: Rx ‖ Ry ‖ z.
    uint256 internal constant SCHNORR_SIGNATURE_LENGTH = 96;

    /**
     * @dev Whether `signature` (r ‖ s ‖ v) is a canonical ECDSA signature of `digest` by `signer`.
     * False for a zero `signer`, a wrong length, v ∉ {27, 28}, r or s out of [1, n−1], or s > n/2.
     */
    function verifyEcdsa(bytes32 digest, bytes memory signature, address signer) internal pure returns (bool) {
        if (signer == address(0) || signature.length != ECDSA_SIGNATURE_LENGTH) return false;
        uint256 r;
        uint256 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        if (v != 27 && v != 28) return false;
        if (r == 0 || r >= Secp256k1.N || s == 0 || s > _HALF_N) return false;
        return ecrecover(digest, v, bytes32(r), bytes32(s)) == signer;
    }

    /**
     * @dev Whether `signature` (Rx ‖ Ry ‖ z) is a BIP-340 signature of the 32-byte message `digest` by the
     * x-only key `px`. False for a wrong length, `px` = 0 or `px >= n`, R off the curve or with odd y,
     * `z >= n`, or a mismatch.
     */
    function verifySchnorr(bytes32 digest, bytes memory signature, uint256 px) internal pure returns (bool) {
        if (signature.length != SCHNORR_SIGNATURE_LENGTH) return false;
        if (px == 0 || px >= Secp256k1.N) return false;
        uint256 rx;
        uint256 ry;
        uint256 z;
        assembly ("memory-safe") {
            rx := mload(add(signature, 0x20))
            ry := mload(add(signature, 0x40))
            z := mload(add(signature, 0x60))
        }
        if (ry & 1 == 1 || z >= Secp256k1.N || !Secp256k1.isOnCurve(rx, ry)) return false;
        uint256 c = schnorrChallenge(rx, px, digest);
        // ecrecover(h, v, r, s) = address(r⁻¹·(s·Q − h·G)) with Q = (r, parity v − 27). With r = Px, Q = P:
        // h = −z·Px and s = −c·Px give z·G − c·P.
        uint256 h = mulmod(Secp256k1.N - z, px, Secp256k1.N);
        uint256 s = mulmod(Secp256k1.N - c, px, Secp256k1.N);
        if (s == 0) return false;
        address recovered = ecrecover(bytes32(h), 27, bytes32(px), bytes32(s));
        return recovered != address(0) && recovered == Secp256k1.toAddress(rx, ry);
    }

    /// @dev BIP-340 challenge: int(tagged_hash("BIP0340/challenge", Rx ‖ Px ‖ msg)) mod n.
    function schnorrChallenge(uint256 rx, uint256 px, bytes32 message) internal pure returns (uint256) {
        return uint256(sha256(abi.encodePacked(_CHALLENGE_TAG, _CHALLENGE_TAG, rx, px, message))) % Secp256k1.N;
    }
}
