// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {GroupSignature} from "../lib/GroupSignature.sol";
import {Secp256k1} from "../lib/Secp256k1.sol";
import {IConfidentialPayloads} from "./IConfidentialPayloads.sol";

/**
 * @dev Base contract for payloads encrypted to a Shardless group (see {IConfidentialPayloads}).
 *
 * An inheriting contract stores ciphertexts with {_storePayload}, decides when a payload may be revealed
 * by overriding {_revealPolicy}, asks for a reveal with {_requestReveal}, and consumes plaintexts in
 * {_onPayloadRevealed}. Flow: `_requestReveal` emits {RevealRequested}; members check {revealAllowed} at a
 * confirmed block, decrypt jointly, and the group signs {revealDigest}; anyone then submits the plaintext
 * with {revealPayload}. The reveal signature is ECDSA (`r ‖ s ‖ v` over the digest itself, no EIP-191
 * prefix) or BIP-340 Schnorr (`Rx ‖ Ry ‖ z`), verified with {GroupSignature}.
 */
abstract contract ConfidentialPayloads is IConfidentialPayloads {
    bytes32 public constant REVEAL_TYPEHASH =
        keccak256("ShardlessReveal(uint256 chainId,address target,uint256 id,bytes32 plaintextHash)");

    struct StoredPayload {
        bytes32 topic;
        address submitter;
        PayloadStatus status;
        bytes ciphertext;
    }

    mapping(uint256 id => StoredPayload) private _payloads;
    uint256 private _payloadCount;
    RevealAuthority private _authority;

    /**
     * @dev Sets the reveal authority.
     *
     * Requirements:
     *
     * - `authority` is well formed (see {_setRevealAuthority}).
     */
    constructor(RevealAuthority memory authority) {
        _setRevealAuthority(authority);
    }

    /**
     * @dev Accepts the plaintext of payload `id` and hands it to {_onPayloadRevealed}.
     *
     * Requirements:
     *
     * - the payload's reveal was requested and {revealAllowed} still holds.
     * - `signature` is the authority's signature of `revealDigest(id, keccak256(plaintext))`.
     *
     * Emits a {PayloadRevealed} event.
     */
    function revealPayload(uint256 id, bytes calldata plaintext, bytes calldata signature) external {
        StoredPayload storage stored = _requirePayload(id);
        if (stored.status != PayloadStatus.RevealRequested) {
            revert ConfidentialPayloadsUnexpectedStatus(id, stored.status);
        }
        if (!_revealPolicy(id)) revert ConfidentialPayloadsRevealNotAllowed(id);
        bytes32 digest = revealDigest(id, keccak256(plaintext));
        RevealAuthority storage authority = _authority;
        bool valid = authority.scheme == AuthorityScheme.Ecdsa
            ? GroupSignature.verifyEcdsa(digest, signature, authority.signer)
            : GroupSignature.verifySchnorr(digest, signature, authority.px);
        if (!valid) revert ConfidentialPayloadsInvalidSignature(id, digest);
        stored.status = PayloadStatus.Revealed;
        emit PayloadRevealed(id, plaintext);
        _onPayloadRevealed(id, plaintext);
    }

    /// @inheritdoc IConfidentialPayloads
    function revealAllowed(uint256 id) public view returns (bool) {
        return _payloads[id].status == PayloadStatus.RevealRequested && _revealPolicy(id);
    }

    /// @inheritdoc IConfidentialPayloads
    function revealDigest(uint256 id, bytes32 plaintextHash) public view returns (bytes32) {
        return keccak256(abi.encode(REVEAL_TYPEHASH, block.chainid, address(this), id, plaintextHash));
    }

    /// @inheritdoc IConfidentialPayloads
    function payloadLabel(uint256 id) external view returns (uint256 chainId, address target, bytes32 topic) {
        return (block.chainid, address(this), _requirePayload(id).topic);
    }

    /// @inheritdoc IConfidentialPayloads
    function payload(uint256 id) external view returns (Payload memory) {
        StoredPayload storage stored = _requirePayload(id);
        return Payload(stored.topic, stored.submitter, stored.status, stored.ciphertext);
    }

    /// @inheritdoc IConfidentialPayloads
    function payloadCount() external view returns (uint256) {
        return _payloadCount;
    }

    /// @inheritdoc IConfidentialPayloads
    function revealAuthority() external view returns (RevealAuthority memory) {
        return _authority;
    }

    /**
     * @dev Stores `ciphertext` under a new id with the label topic `topic`, submitted by the caller.
     *
     * Requirements:
     *
     * - `ciphertext` is not empty.
     *
     * Emits a {PayloadStored} event.
     */
    function _storePayload(bytes32 topic, bytes calldata ciphertext) internal returns (uint256 id) {
        if (ciphertext.length == 0) revert ConfidentialPayloadsEmptyCiphertext();
        id = ++_payloadCount;
        StoredPayload storage stored = _payloads[id];
        stored.topic = topic;
        stored.submitter = msg.sender;
        stored.status = PayloadStatus.Stored;
        stored.ciphertext = ciphertext;
        emit PayloadStored(id, topic, msg.sender, keccak256(ciphertext));
    }

    /**
     * @dev Requests the reveal of payload `id`.
     *
     * Requirements:
     *
     * - the payload is `Stored` (not yet requested or revealed).
     * - {_revealPolicy} allows it.
     *
     * Emits a {RevealRequested} event.
     */
    function _requestReveal(uint256 id) internal {
        StoredPayload storage stored = _requirePayload(id);
        if (stored.status != PayloadStatus.Stored) revert ConfidentialPayloadsUnexpectedStatus(id, stored.status);
        if (!_revealPolicy(id)) revert ConfidentialPayloadsRevealNotAllowed(id);
        stored.status = PayloadStatus.RevealRequested;
        emit RevealRequested(id, block.chainid, address(this), stored.topic);
    }

    /**
     * @dev Sets the key that signs reveals.
     *
     * Requirements:
     *
     * - ECDSA: `signer` is not zero and `px` is zero.
     * - Schnorr: `signer` is zero and `px` is the x coordinate of a curve point, 0 < px < n (ecrecover limit).
     *
     * Emits a {RevealAuthoritySet} event.
     */
    function _setRevealAuthority(RevealAuthority memory authority) internal {
        if (authority.scheme == AuthorityScheme.Ecdsa) {
            if (authority.signer == address(0) || authority.px != 0) revert ConfidentialPayloadsInvalidAuthority();
        } else {
            if (authority.signer != address(0) || authority.px == 0 || authority.px >= Secp256k1.N) {
                revert ConfidentialPayloadsInvalidAuthority();
            }
            (bool onCurve, ) = Secp256k1.liftX(authority.px, false);
            if (!onCurve) revert ConfidentialPayloadsInvalidAuthority();
        }
        _authority = authority;
        emit RevealAuthoritySet(authority.scheme, authority.signer, authority.px);
    }

    /// @dev Status of payload `id` (`None` if it does not exist).
    function _payloadStatus(uint256 id) internal view returns (PayloadStatus) {
        return _payloads[id].status;
    }

    /**
     * @dev The inheriting contract's rule: whether payload `id` may be revealed now. Must be a pure
     * function of contract state and block context so that members can evaluate it at a confirmed block.
     */
    function _revealPolicy(uint256 id) internal view virtual returns (bool);

    /// @dev Called once with the verified plaintext of payload `id`.
    function _onPayloadRevealed(uint256 id, bytes calldata plaintext) internal virtual;

    function _requirePayload(uint256 id) private view returns (StoredPayload storage stored) {
        stored = _payloads[id];
        if (stored.status == PayloadStatus.None) revert ConfidentialPayloadsUnknownPayload(id);
    }
}
