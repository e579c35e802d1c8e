// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {GroupSignature} from "../lib/GroupSignature.sol";
import {Secp256k1} from "../lib/Secp256k1.sol";

/**
 * @dev Test and benchmark harness exposing the internal library functions. The `measure*` variants also
 * return the gas spent inside the verification alone (without call overhead or calldata).
 */
contract GroupSignatureHarness {
    function verifyEcdsa(bytes32 digest, bytes calldata signature, address signer) external pure returns (bool) {
        return GroupSignature.verifyEcdsa(digest, signature, signer);
    }

    function verifySchnorr(bytes32 digest, bytes calldata signature, uint256 px) external pure returns (bool) {
        return GroupSignature.verifySchnorr(digest, signature, px);
    }

    function measureEcdsa(
        bytes32 digest,
        bytes calldata signature,
        address signer
    ) external view returns (bool ok, uint256 gasUsed) {
        bytes memory sig = signature;
        uint256 before = gasleft();
        ok = GroupSignature.verifyEcdsa(digest, sig, signer);
        gasUsed = before - gasleft();
    }

    function measureSchnorr(
        bytes32 digest,
        bytes calldata signature,
        uint256 px
    ) external view returns (bool ok, uint256 gasUsed) {
        bytes memory sig = signature;
        uint256 before = gasleft();
        ok = GroupSignature.verifySchnorr(digest, sig, px);
        gasUsed = before - gasleft();
    }

    function schnorrChallenge(uint256 rx, uint256 px, bytes32 message) external pure returns (uint256) {
        return GroupSignature.schnorrChallenge(rx, px, message);
    }

    function decompress(bytes calldata compressed) external view returns (bool ok, uint256 x, uint256 y) {
        return Secp256k1.decompress(compressed);
    }

    function isOnCurve(uint256 x, uint256 y) external pure returns (bool) {
        return Secp256k1.isOnCurve(x, y);
    }
}
