// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @dev Ciphertexts encrypted to a group's encryption key, stored on-chain and revealed only when the
 * contract's own rules allow it. The label of payload `id` is (chain id, contract address, topic): the
 * client binds it into the ciphertext, and members release decryption shares only if {revealAllowed}
 * holds for `id` at a confirmed block. The plaintext comes back with a signature by the group's reveal
 * authority key over {revealDigest}.
 */
interface IConfidentialPayloads {
    /// @dev Scheme of the reveal authority key (a group signing key; encryption keys never sign).
    enum AuthorityScheme {
        Ecdsa,
        Schnorr
    }

    /// @dev Lifecycle of a payload. `None` means the id does not exist.
    enum PayloadStatus {
        None,
        Stored,
        RevealRequested,
        Revealed
    }

    /**
     * @dev The group key that signs reveals: an ECDSA key by its Ethereum address (`px` = 0), or a Schnorr
     * key by its BIP-340 x-only coordinate (`signer` = 0).
     */
    struct RevealAuthority {
        AuthorityScheme scheme;
        address signer;
        uint256 px;
    }

    /// @dev A payload as returned by {payload}.
    struct Payload {
        bytes32 topic;
        address submitter;
        PayloadStatus status;
        bytes ciphertext;
    }

    /// @dev A ciphertext must not be empty.
    error ConfidentialPayloadsEmptyCiphertext();

    /// @dev Payload `id` does not exist.
    error ConfidentialPayloadsUnknownPayload(uint256 id);

    /// @dev Payload `id` is in `status`, which does not allow the operation.
    error ConfidentialPayloadsUnexpectedStatus(uint256 id, PayloadStatus status);

    /// @dev The contract's rules do not allow revealing payload `id` now.
    error ConfidentialPayloadsRevealNotAllowed(uint256 id);

    /// @dev The signature is not a valid reveal signature by the authority for payload `id`.
    error ConfidentialPayloadsInvalidSignature(uint256 id, bytes32 digest);

    /// @dev The reveal authority is malformed (wrong fields for its scheme, or not a curve point).
    error ConfidentialPayloadsInvalidAuthority();

    /// @dev Emitted when a ciphertext is stored under `id`.
    event PayloadStored(uint256 indexed id, bytes32 indexed topic, address indexed submitter, bytes32 ciphertextHash);

    /// @dev Emitted when the contract's rules request the reveal of `id`; (chainId, target, topic) is its label.
    event RevealRequested(uint256 indexed id, uint256 chainId, address target, bytes32 topic);

    /// @dev Emitted when the plaintext of `id` is accepted.
    event PayloadRevealed(uint256 indexed id, bytes plaintext);

    /// @dev Emitted when the reveal authority is set.
    event RevealAuthoritySet(AuthorityScheme scheme, address signer, uint256 px);

    /// @dev Accepts the plaintext of payload `id` with the authority's `signature` over {revealDigest}.
    function revealPayload(uint256 id, bytes calldata plaintext, bytes calldata signature) external;

    /// @dev Whether members may release decryption shares for `id` now (reveal requested and still allowed).
    function revealAllowed(uint256 id) external view returns (bool);

    /// @dev keccak256(abi.encode(REVEAL_TYPEHASH, block.chainid, address(this), id, plaintextHash)).
    function revealDigest(uint256 id, bytes32 plaintextHash) external view returns (bytes32);

    /// @dev The label components bound into the ciphertext of `id`.
    function payloadLabel(uint256 id) external view returns (uint256 chainId, address target, bytes32 topic);

    /// @dev Returns payload `id`.
    function payload(uint256 id) external view returns (Payload memory);

    /// @dev Number of payloads stored; ids run from 1 to this value.
    function payloadCount() external view returns (uint256);

    /// @dev The key that signs reveals.
    function revealAuthority() external view returns (RevealAuthority memory);
}
