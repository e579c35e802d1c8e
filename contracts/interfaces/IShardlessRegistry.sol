// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @dev Public source of truth of a Shardless deployment: which members exist, which groups they form,
 * which group keys exist and which refresh epoch each key is in. Every key record (publication, epoch
 * advance, membership change) is signed by a group key over {recordDigest}, which proves the members hold
 * a working sharing of that key.
 */
interface IShardlessRegistry {
    /// @dev Lifecycle of a member. `None` means the operator was never admitted.
    enum MemberStatus {
        None,
        Active,
        Removed
    }

    /// @dev Signature scheme of a group key. Keys of different schemes are different secrets.
    enum Scheme {
        Ecdsa,
        Schnorr,
        Encryption
    }

    /// @dev Lifecycle of a key. `None` means the key id does not exist.
    enum KeyStatus {
        None,
        Requested,
        Active,
        Retired
    }

    /// @dev A member as returned by {getMember}.
    struct Member {
        address operator;
        string peerId;
        string[] multiaddrs;
        MemberStatus status;
    }

    /**
     * @dev A key as returned by {getKey}. `publicKey` is the 33-byte compressed point (empty while
     * `Requested`); `ethAddress` is set for ECDSA keys only; `degree` is the degree t of the sharing
     * polynomial (t + 1 colluders could steal the key).
     */
    struct Key {
        uint256 keyId;
        uint256 groupId;
        Scheme scheme;
        KeyStatus status;
        uint16 degree;
        uint64 epoch;
        address ethAddress;
        bytes32 commitmentDigest;
        bytes publicKey;
    }

    /**
     * @dev The new sharing of one key after a membership change: new epoch, new degree, digest of the new
     * Feldman commitments, and the group signature over the resulting record (see {recordDigest}).
     */
    struct KeyReshare {
        uint256 keyId;
        uint64 epoch;
        uint16 degree;
        bytes32 commitmentDigest;
        uint256 signerKeyId;
        bytes signature;
    }

    /// @dev The operator address is zero.
    error ShardlessRegistryZeroAddress();

    /// @dev `operator` is already an active member.
    error ShardlessRegistryMemberExists(address operator);

    /// @dev `operator` is not an active member (never admitted, or removed).
    error ShardlessRegistryMemberNotActive(address operator);

    /// @dev `account` is not a member of `groupId`.
    error ShardlessRegistryNotGroupMember(uint256 groupId, address account);

    /// @dev The libp2p peer id is empty.
    error ShardlessRegistryEmptyPeerId();

    /// @dev The libp2p peer id is already used by the active member `operator`.
    error ShardlessRegistryPeerIdTaken(address operator);

    /// @dev More multiaddrs than allowed.
    error ShardlessRegistryTooManyMultiaddrs(uint256 count, uint256 max);

    /// @dev A peer id or multiaddr is longer than allowed.
    error ShardlessRegistryStringTooLong(uint256 length, uint256 max);

    /// @dev `groupId` does not exist.
    error ShardlessRegistryUnknownGroup(uint256 groupId);

    /// @dev A group must have between 2 and the maximum group size members.
    error ShardlessRegistryInvalidGroupSize(uint256 size);

    /// @dev `operator` appears twice in a member list.
    error ShardlessRegistryDuplicateMember(address operator);

    /// @dev `degree` is invalid for `scheme` in a group of `groupSize` (1 <= t < n; ECDSA needs n >= 2t+1).
    error ShardlessRegistryInvalidDegree(Scheme scheme, uint256 degree, uint256 groupSize);

    /// @dev The caller is neither an admin nor a key requester.
    error ShardlessRegistryUnauthorizedRequester(address account);

    /// @dev `keyId` does not exist.
    error ShardlessRegistryUnknownKey(uint256 keyId);

    /// @dev The key `keyId` is in `status`, which does not allow the operation.
    error ShardlessRegistryUnexpectedKeyStatus(uint256 keyId, KeyStatus status);

    /// @dev The public key is not a valid compressed point for the key's scheme.
    error ShardlessRegistryInvalidPublicKey(Scheme scheme, bytes publicKey);

    /// @dev The public key (or its negation, which has the same x coordinate) belongs to key `keyId`.
    error ShardlessRegistryPublicKeyTaken(uint256 keyId);

    /// @dev A commitment digest must not be zero.
    error ShardlessRegistryZeroCommitmentDigest();

    /// @dev `epoch` is not above the key's current epoch (replayed or stale record).
    error ShardlessRegistryStaleEpoch(uint256 keyId, uint64 currentEpoch, uint64 epoch);

    /// @dev `signerKeyId` may not sign records of `keyId`.
    error ShardlessRegistryInvalidSigner(uint256 keyId, uint256 signerKeyId);

    /// @dev The signature is not a valid signature of `digest` by the key `signerKeyId`.
    error ShardlessRegistryInvalidSignature(uint256 signerKeyId, bytes32 digest);

    /// @dev A membership change of `groupId` is pending; keys cannot be requested or refreshed meanwhile.
    error ShardlessRegistryMembershipChangePending(uint256 groupId);

    /// @dev No membership change of `groupId` was requested.
    error ShardlessRegistryNoMembershipChangePending(uint256 groupId);

    /// @dev The group has the key `keyId` waiting for its key generation.
    error ShardlessRegistryKeyGenerationPending(uint256 groupId, uint256 keyId);

    /// @dev The reshares do not list the group's active keys in order (0 means none expected / provided).
    error ShardlessRegistryReshareMismatch(uint256 groupId, uint256 expectedKeyId, uint256 providedKeyId);

    /// @dev Emitted when `operator` is admitted as a member.
    event MemberAdded(address indexed operator, string peerId, string[] multiaddrs);

    /// @dev Emitted when `operator` is removed.
    event MemberRemoved(address indexed operator);

    /// @dev Emitted when `operator` replaces its multiaddrs.
    event MemberUpdated(address indexed operator, string[] multiaddrs);

    /// @dev Emitted when a group is created; member i is `members[i - 1]`.
    event GroupCreated(uint256 indexed groupId, address[] members, bytes32 memberSetHash);

    /// @dev Emitted when a key is requested; the group's members run the key generation.
    event KeyRequested(uint256 indexed keyId, uint256 indexed groupId, Scheme scheme, uint16 degree);

    /// @dev Emitted when a key's public key is published at epoch 0.
    event KeyPublished(
        uint256 indexed keyId,
        uint256 indexed groupId,
        Scheme scheme,
        bytes publicKey,
        address ethAddress,
        bytes32 commitmentDigest
    );

    /// @dev Emitted when a key moves to a new sharing (refresh, or resharing during a membership change).
    event EpochAdvanced(
        uint256 indexed keyId,
        uint256 indexed groupId,
        uint64 epoch,
        uint16 degree,
        bytes32 commitmentDigest
    );

    /// @dev Emitted when an admin asks a group to reshare its keys to `members`.
    event MembershipChangeRequested(uint256 indexed groupId, address[] members, bytes32 memberSetHash);

    /// @dev Emitted when a group's keys were reshared and `members` became its committee.
    event MembershipChanged(uint256 indexed groupId, address[] members, bytes32 memberSetHash);

    /// @dev Emitted when a key is retired; its public key stays reserved.
    event KeyRetired(uint256 indexed keyId, uint256 indexed groupId);

    /// @dev Admits `operator` with its libp2p identity.
    function addMember(address operator, string calldata peerId, string[] calldata multiaddrs) external;

    /// @dev Removes `operator`; nodes stop accepting its connections.
    function removeMember(address operator) external;

    /// @dev Replaces the caller's multiaddrs.
    function updateMultiaddrs(string[] calldata multiaddrs) external;

    /// @dev Creates a group of `members` (ordered) and returns its id.
    function createGroup(address[] calldata members) external returns (uint256 groupId);

    /// @dev Requests a new key of `scheme` and `degree` for `groupId` and returns its id.
    function requestKey(uint256 groupId, Scheme scheme, uint16 degree) external returns (uint256 keyId);

    /// @dev Publishes the public key of a requested key, at epoch 0.
    function publishKey(
        uint256 keyId,
        bytes calldata publicKey,
        bytes32 commitmentDigest,
        uint256 signerKeyId,
        bytes calldata signature
    ) external;

    /// @dev Records a refresh of `keyId` to `epoch` (same members, same degree).
    function advanceEpoch(
        uint256 keyId,
        uint64 epoch,
        bytes32 commitmentDigest,
        uint256 signerKeyId,
        bytes calldata signature
    ) external;

    /// @dev Asks the group to reshare all its active keys to `members`.
    function requestMembershipChange(uint256 groupId, address[] calldata members) external;

    /// @dev Completes the pending membership change with one signed reshare per active key.
    function changeMembership(uint256 groupId, KeyReshare[] calldata reshares) external;

    /// @dev Retires a requested or active key.
    function retireKey(uint256 keyId) external;

    /// @dev Returns the member record of `operator` (status `None` if unknown).
    function getMember(address operator) external view returns (Member memory);

    /// @dev Returns the operator addresses of all active members.
    function activeMembers() external view returns (address[] memory);

    /// @dev Number of groups created; ids run from 1 to this value.
    function groupCount() external view returns (uint256);

    /// @dev Number of keys requested; ids run from 1 to this value.
    function keyCount() external view returns (uint256);

    /// @dev Ordered members of `groupId`; member index i is position i - 1.
    function groupMembers(uint256 groupId) external view returns (address[] memory);

    /// @dev {memberSetHash} of the group's current members.
    function groupMemberSetHash(uint256 groupId) external view returns (bytes32);

    /// @dev Member index (1..n) of `operator` in `groupId`, or 0 if it is not a member.
    function memberIndex(uint256 groupId, address operator) external view returns (uint256);

    /// @dev Members of the pending membership change of `groupId` (empty if none).
    function pendingMembers(uint256 groupId) external view returns (address[] memory);

    /// @dev Key ids of `groupId`, in request order.
    function groupKeys(uint256 groupId) external view returns (uint256[] memory);

    /// @dev Returns the key `keyId`.
    function getKey(uint256 keyId) external view returns (Key memory);

    /// @dev Key id whose public key is exactly `publicKey` (33 bytes), or 0.
    function keyIdByPublicKey(bytes calldata publicKey) external view returns (uint256);

    /// @dev Current epoch of `keyId`.
    function currentEpoch(uint256 keyId) external view returns (uint64);

    /// @dev keccak256(abi.encode(members)): the member-set hash bound into records.
    function memberSetHash(address[] calldata members) external pure returns (bytes32);

    /// @dev The digest a group key signs for a key record in this registry on this chain.
    function recordDigest(
        uint256 groupId,
        uint256 keyId,
        uint64 epoch,
        bytes calldata publicKey,
        bytes32 commitmentDigest,
        bytes32 memberSetHash_,
        uint16 degree
    ) external view returns (bytes32);
}
