// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IShardlessRegistry} from "./interfaces/IShardlessRegistry.sol";
import {GroupSignature} from "./lib/GroupSignature.sol";
import {Secp256k1} from "./lib/Secp256k1.sol";

/**
 * @dev Registry of Shardless members, groups and group keys.
 *
 * Roles: `ADMIN_ROLE` admits and removes members, creates groups, requests keys and membership changes,
 * and retires keys; `REQUESTER_ROLE` may also request keys. `DEFAULT_ADMIN_ROLE` manages `ADMIN_ROLE`,
 * and `ADMIN_ROLE` manages `REQUESTER_ROLE`. Production deployments hand these roles to a multisig.
 *
 * Key records. Publishing a key, advancing its epoch and resharing it to a new committee each produce a
 * record (group, key, epoch, public key, commitment digest, member set, degree) that must be signed by a
 * group key over {recordDigest}. The digest binds the chain id and this registry's address, so a record
 * is valid on one deployment only, and the epoch must strictly increase, so an old record cannot be
 * replayed. Who signs:
 *
 * - An ECDSA key signs its own records: 65-byte `r ‖ s ‖ v` over the 32-byte digest itself (no EIP-191
 *   prefix), low-s, v ∈ {27, 28}, recovering to the key's Ethereum address. The address is derived on-chain
 *   from the compressed public key (decompression through the modexp precompile), so the caller passes
 *   only the 33-byte key.
 * - A Schnorr key signs its own records with BIP-340 over the digest as the 32-byte message, encoded
 *   `Rx ‖ Ry ‖ z` (see {GroupSignature}). Schnorr keys are BIP-340 x-only keys: they must be published
 *   with the 0x02 prefix (even y); a 0x03 key is refused rather than silently reinterpreted as its
 *   negation. Keys with x >= n cannot be verified with ecrecover and are refused too (probability 2^-128).
 * - An encryption key never signs (one secret is never used for two schemes). Its records are signed by
 *   the group's authority key: any active ECDSA or Schnorr key of the same group, named by the caller
 *   as `signerKeyId`. A group therefore needs an active signing key before it can publish encryption keys.
 *
 * Public keys are indexed by x coordinate, so neither P nor −P (the same secret up to sign) can be
 * registered twice, whatever the scheme.
 */
contract ShardlessRegistry is IShardlessRegistry, AccessControl {
    using EnumerableSet for EnumerableSet.AddressSet;

    bytes32 public constant ADMIN_ROLE = keccak256("ADMIN_ROLE");
    bytes32 public constant REQUESTER_ROLE = keccak256("REQUESTER_ROLE");

    bytes32 public constant RECORD_TYPEHASH =
        keccak256(
            "ShardlessKeyRecord(uint256 chainId,address registry,uint256 groupId,uint256 keyId,uint64 epoch,"
            "bytes32 publicKeyHash,bytes32 commitmentDigest,bytes32 memberSetHash,uint16 degree)"
        );

    uint256 public constant MAX_GROUP_SIZE = 128;
    uint256 public constant MAX_MULTIADDRS = 8;
    uint256 public constant MAX_STRING_LENGTH = 256;

    struct StoredMember {
        string peerId;
        string[] multiaddrs;
        MemberStatus status;
    }

    struct StoredGroup {
        address[] members;
        bytes32 memberSetHash;
        uint256[] keyIds;
        bool membershipChangePending;
        address[] pendingMembers;
        bytes32 pendingMemberSetHash;
        mapping(address operator => uint256 index) indexOf;
    }

    /// @dev First slot packs the lifecycle fields; the public key is stored as (prefix, x).
    struct StoredKey {
        uint64 groupId;
        Scheme scheme;
        KeyStatus status;
        uint16 degree;
        uint64 epoch;
        uint8 prefix;
        address ethAddress;
        uint256 x;
        bytes32 commitmentDigest;
    }

    mapping(address operator => StoredMember) private _members;
    EnumerableSet.AddressSet private _activeMembers;
    mapping(bytes32 peerIdHash => address operator) private _operatorByPeerId;

    mapping(uint256 groupId => StoredGroup) private _groups;
    uint256 private _groupCount;

    mapping(uint256 keyId => StoredKey) private _keys;
    uint256 private _keyCount;
    mapping(uint256 x => uint256 keyId) private _keyIdByX;

    /**
     * @dev Grants `DEFAULT_ADMIN_ROLE` and `ADMIN_ROLE` to `admin`.
     *
     * Requirements:
     *
     * - `admin` is not the zero address.
     */
    constructor(address admin) {
        if (admin == address(0)) revert ShardlessRegistryZeroAddress();
        _setRoleAdmin(REQUESTER_ROLE, ADMIN_ROLE);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ADMIN_ROLE, admin);
    }

    // ----------------------------------------------------------------------------------------- members

    /**
     * @dev Admits `operator` with its libp2p `peerId` and `multiaddrs`. A removed member may be re-admitted.
     *
     * Requirements:
     *
     * - the caller has `ADMIN_ROLE`.
     * - `operator` is not zero and not an active member.
     * - `peerId` is non-empty, at most `MAX_STRING_LENGTH` bytes, and not used by another active member.
     * - at most `MAX_MULTIADDRS` multiaddrs, each at most `MAX_STRING_LENGTH` bytes.
     *
     * Emits a {MemberAdded} event.
     */
    function addMember(
        address operator,
        string calldata peerId,
        string[] calldata multiaddrs
    ) external onlyRole(ADMIN_ROLE) {
        if (operator == address(0)) revert ShardlessRegistryZeroAddress();
        StoredMember storage member = _members[operator];
        if (member.status == MemberStatus.Active) revert ShardlessRegistryMemberExists(operator);
        uint256 peerIdLength = bytes(peerId).length;
        if (peerIdLength == 0) revert ShardlessRegistryEmptyPeerId();
        _checkStringLength(peerIdLength);
        bytes32 peerIdHash = keccak256(bytes(peerId));
        address holder = _operatorByPeerId[peerIdHash];
        if (holder != address(0)) revert ShardlessRegistryPeerIdTaken(holder);

        _operatorByPeerId[peerIdHash] = operator;
        member.peerId = peerId;
        member.status = MemberStatus.Active;
        _setMultiaddrs(member, multiaddrs);
        _activeMembers.add(operator);
        emit MemberAdded(operator, peerId, multiaddrs);
    }

    /**
     * @dev Removes the active member `operator` and frees its peer id. Groups keep listing it until a
     * membership change replaces it; nodes stop accepting its connections as soon as it is removed.
     *
     * Requirements:
     *
     * - the caller has `ADMIN_ROLE`.
     * - `operator` is an active member.
     *
     * Emits a {MemberRemoved} event.
     */
    function removeMember(address operator) external onlyRole(ADMIN_ROLE) {
        StoredMember storage member = _requireActiveMember(operator);
        member.status = MemberStatus.Removed;
        delete _operatorByPeerId[keccak256(bytes(member.peerId))];
        _activeMembers.remove(operator);
        emit MemberRemoved(operator);
    }

    /**
     * @dev Replaces the caller's multiaddrs.
     *
     * Requirements:
     *
     * - the caller is an active member.
     * - at most `MAX_MULTIADDRS` multiaddrs, each at most `MAX_STRING_LENGTH` bytes.
     *
     * Emits a {MemberUpdated} event.
     */
    function updateMultiaddrs(string[] calldata multiaddrs) external {
        StoredMember storage member = _requireActiveMember(msg.sender);
        _setMultiaddrs(member, multiaddrs);
        emit MemberUpdated(msg.sender, multiaddrs);
    }

    // ------------------------------------------------------------------------------------------ groups

    /**
     * @dev Creates a group whose member i is `members[i - 1]`.
     *
     * Requirements:
     *
     * - the caller has `ADMIN_ROLE`.
     * - 2 to `MAX_GROUP_SIZE` distinct active members.
     *
     * Emits a {GroupCreated} event.
     */
    function createGroup(address[] calldata members) external onlyRole(ADMIN_ROLE) returns (uint256 groupId) {
        bytes32 setHash = _checkMemberList(members);
        groupId = ++_groupCount;
        StoredGroup storage group = _groups[groupId];
        _setGroupMembers(group, members);
        group.memberSetHash = setHash;
        emit GroupCreated(groupId, members, setHash);
    }

    /**
     * @dev Asks `groupId` to reshare all its active keys to `members`; a later call replaces the pending
     * set. Members follow the event, run the resharing and submit {changeMembership}.
     *
     * Requirements:
     *
     * - the caller has `ADMIN_ROLE`.
     * - the group exists and has no key waiting for its key generation.
     * - 2 to `MAX_GROUP_SIZE` distinct active members.
     *
     * Emits a {MembershipChangeRequested} event.
     */
    function requestMembershipChange(uint256 groupId, address[] calldata members) external onlyRole(ADMIN_ROLE) {
        StoredGroup storage group = _requireGroup(groupId);
        uint256[] storage keyIds = group.keyIds;
        for (uint256 i = 0; i < keyIds.length; ++i) {
            if (_keys[keyIds[i]].status == KeyStatus.Requested) {
                revert ShardlessRegistryKeyGenerationPending(groupId, keyIds[i]);
            }
        }
        bytes32 setHash = _checkMemberList(members);
        group.membershipChangePending = true;
        group.pendingMembers = members;
        group.pendingMemberSetHash = setHash;
        emit MembershipChangeRequested(groupId, members, setHash);
    }

    /**
     * @dev Completes the pending membership change: every active key of the group moves to the new
     * committee with the given epoch, degree and commitment digest, each record signed per the contract's
     * signature rule over the *new* member set. Callable by anyone: the admin chose the members, and the
     * signatures prove the new committee holds working shares.
     *
     * Requirements:
     *
     * - a membership change of `groupId` is pending and its members are all still active.
     * - `reshares` lists the group's active keys exactly once, in {groupKeys} order.
     * - each reshare has a valid degree for the new size, a non-zero digest, an epoch above the key's
     *   current epoch and a valid signature by an allowed signer.
     *
     * Emits an {EpochAdvanced} event per key, then a {MembershipChanged} event.
     */
    function changeMembership(uint256 groupId, KeyReshare[] calldata reshares) external {
        StoredGroup storage group = _requireGroup(groupId);
        if (!group.membershipChangePending) revert ShardlessRegistryNoMembershipChangePending(groupId);
        bytes32 setHash = group.pendingMemberSetHash;
        address[] storage pending = group.pendingMembers;
        uint256 groupSize = pending.length;
        // A member removed since the request must not join the committee.
        for (uint256 i = 0; i < groupSize; ++i) _requireActiveMember(pending[i]);
        uint256[] storage keyIds = group.keyIds;
        uint256 next = 0;
        for (uint256 i = 0; i < keyIds.length; ++i) {
            uint256 keyId = keyIds[i];
            if (_keys[keyId].status != KeyStatus.Active) continue;
            if (next == reshares.length) revert ShardlessRegistryReshareMismatch(groupId, keyId, 0);
            KeyReshare calldata reshare = reshares[next++];
            if (reshare.keyId != keyId) revert ShardlessRegistryReshareMismatch(groupId, keyId, reshare.keyId);
            _reshareKey(groupId, reshare, setHash, groupSize);
        }
        if (next != reshares.length) revert ShardlessRegistryReshareMismatch(groupId, 0, reshares[next].keyId);

        _setGroupMembers(group, group.pendingMembers);
        group.memberSetHash = setHash;
        delete group.pendingMembers;
        delete group.pendingMemberSetHash;
        group.membershipChangePending = false;
        emit MembershipChanged(groupId, group.members, setHash);
    }

    // -------------------------------------------------------------------------------------------- keys

    /**
     * @dev Requests a key of `scheme` whose sharing polynomial has degree `degree` for `groupId`.
     *
     * Requirements:
     *
     * - the caller has `ADMIN_ROLE` or `REQUESTER_ROLE`.
     * - the group exists and no membership change is pending.
     * - 1 <= `degree` < n, and n >= 2·degree + 1 for ECDSA (n = group size).
     *
     * Emits a {KeyRequested} event.
     */
    function requestKey(uint256 groupId, Scheme scheme, uint16 degree) external returns (uint256 keyId) {
        if (!hasRole(ADMIN_ROLE, msg.sender) && !hasRole(REQUESTER_ROLE, msg.sender)) {
            revert ShardlessRegistryUnauthorizedRequester(msg.sender);
        }
        StoredGroup storage group = _requireGroup(groupId);
        if (group.membershipChangePending) revert ShardlessRegistryMembershipChangePending(groupId);
        _checkDegree(scheme, degree, group.members.length);
        keyId = ++_keyCount;
        StoredKey storage key = _keys[keyId];
        key.groupId = uint64(groupId);
        key.scheme = scheme;
        key.status = KeyStatus.Requested;
        key.degree = degree;
        group.keyIds.push(keyId);
        emit KeyRequested(keyId, groupId, scheme, degree);
    }

    /**
     * @dev Publishes the public key of the requested key `keyId` at epoch 0, with the digest of its
     * Feldman commitments and a group signature over the record (see the contract documentation for
     * who signs).
     *
     * The caller must be a member of the key's group: the self-signature proves that *someone* holds the
     * published key, so without this rule an outsider could publish a key of its own for the request.
     * Residual risk: one corrupt member could still publish a key it holds alone. Honest members compare
     * the published key with their own key-generation output and raise an alarm on a mismatch (the
     * admin then retires the key); requiring t + 1 operator attestations would close this gap on-chain.
     *
     * Requirements:
     *
     * - the caller is a member of the key's group.
     * - the key is `Requested`.
     * - `publicKey` is a 33-byte compressed point on the curve; for Schnorr, prefix 0x02 and x < n.
     * - no other key has the same x coordinate.
     * - `commitmentDigest` is not zero.
     * - `signature` is a valid signature of the record by `signerKeyId`, an allowed signer.
     *
     * Emits a {KeyPublished} event.
     */
    function publishKey(
        uint256 keyId,
        bytes calldata publicKey,
        bytes32 commitmentDigest,
        uint256 signerKeyId,
        bytes calldata signature
    ) external {
        StoredKey storage key = _requireKey(keyId);
        uint256 groupId = key.groupId;
        if (_groups[groupId].indexOf[msg.sender] == 0) revert ShardlessRegistryNotGroupMember(groupId, msg.sender);
        if (key.status != KeyStatus.Requested) revert ShardlessRegistryUnexpectedKeyStatus(keyId, key.status);
        if (commitmentDigest == bytes32(0)) revert ShardlessRegistryZeroCommitmentDigest();
        // Effects before the signature check: the check reads the key itself for self-signed records.
        _storePublicKey(keyId, key, publicKey, commitmentDigest);
        bytes32 digest = _recordDigest(
            groupId,
            keyId,
            0,
            keccak256(publicKey),
            commitmentDigest,
            _groups[groupId].memberSetHash,
            key.degree
        );
        _requireRecordSignature(keyId, key, signerKeyId, digest, signature);
        key.status = KeyStatus.Active;
        emit KeyPublished(keyId, groupId, key.scheme, publicKey, key.ethAddress, commitmentDigest);
    }

    /**
     * @dev Records a refresh of `keyId`: same members, same degree, new sharing with `commitmentDigest`,
     * at `epoch`. Members erase their old shares only after this event is confirmed.
     *
     * Requirements:
     *
     * - the key is `Active` and its group has no pending membership change.
     * - `epoch` is above the current epoch; `commitmentDigest` is not zero.
     * - `signature` is a valid signature of the record by `signerKeyId`, an allowed signer.
     *
     * Emits an {EpochAdvanced} event.
     */
    function advanceEpoch(
        uint256 keyId,
        uint64 epoch,
        bytes32 commitmentDigest,
        uint256 signerKeyId,
        bytes calldata signature
    ) external {
        StoredKey storage key = _requireKey(keyId);
        if (key.status != KeyStatus.Active) revert ShardlessRegistryUnexpectedKeyStatus(keyId, key.status);
        uint256 groupId = key.groupId;
        StoredGroup storage group = _groups[groupId];
        if (group.membershipChangePending) revert ShardlessRegistryMembershipChangePending(groupId);
        if (commitmentDigest == bytes32(0)) revert ShardlessRegistryZeroCommitmentDigest();
        if (epoch <= key.epoch) revert ShardlessRegistryStaleEpoch(keyId, key.epoch, epoch);

        bytes32 digest = _recordDigest(
            groupId,
            keyId,
            epoch,
            keccak256(_publicKeyBytes(key)),
            commitmentDigest,
            group.memberSetHash,
            key.degree
        );
        _requireRecordSignature(keyId, key, signerKeyId, digest, signature);
        key.epoch = epoch;
        key.commitmentDigest = commitmentDigest;
        emit EpochAdvanced(keyId, groupId, epoch, key.degree, commitmentDigest);
    }

    /**
     * @dev Retires `keyId`. Its public key stays reserved and can never be published again.
     *
     * Requirements:
     *
     * - the caller has `ADMIN_ROLE`.
     * - the key is `Requested` or `Active`.
     *
     * Emits a {KeyRetired} event.
     */
    function retireKey(uint256 keyId) external onlyRole(ADMIN_ROLE) {
        StoredKey storage key = _requireKey(keyId);
        if (key.status != KeyStatus.Requested && key.status != KeyStatus.Active) {
            revert ShardlessRegistryUnexpectedKeyStatus(keyId, key.status);
        }
        key.status = KeyStatus.Retired;
        emit KeyRetired(keyId, key.groupId);
    }

    // ------------------------------------------------------------------------------------------- views

    /// @inheritdoc IShardlessRegistry
    function getMember(address operator) external view returns (Member memory) {
        StoredMember storage member = _members[operator];
        return Member(operator, member.peerId, member.multiaddrs, member.status);
    }

    /// @inheritdoc IShardlessRegistry
    function activeMembers() external view returns (address[] memory) {
        return _activeMembers.values();
    }

    /// @inheritdoc IShardlessRegistry
    function groupCount() external view returns (uint256) {
        return _groupCount;
    }

    /// @inheritdoc IShardlessRegistry
    function keyCount() external view returns (uint256) {
        return _keyCount;
    }

    /// @inheritdoc IShardlessRegistry
    function groupMembers(uint256 groupId) external view returns (address[] memory) {
        return _requireGroup(groupId).members;
    }

    /// @inheritdoc IShardlessRegistry
    function groupMemberSetHash(uint256 groupId) external view returns (bytes32) {
        return _requireGroup(groupId).memberSetHash;
    }

    /// @inheritdoc IShardlessRegistry
    function memberIndex(uint256 groupId, address operator) external view returns (uint256) {
        return _requireGroup(groupId).indexOf[operator];
    }

    /// @inheritdoc IShardlessRegistry
    function pendingMembers(uint256 groupId) external view returns (address[] memory) {
        return _requireGroup(groupId).pendingMembers;
    }

    /// @inheritdoc IShardlessRegistry
    function groupKeys(uint256 groupId) external view returns (uint256[] memory) {
        return _requireGroup(groupId).keyIds;
    }

    /// @inheritdoc IShardlessRegistry
    function getKey(uint256 keyId) external view returns (Key memory) {
        StoredKey storage key = _requireKey(keyId);
        return
            Key({
                keyId: keyId,
                groupId: key.groupId,
                scheme: key.scheme,
                status: key.status,
                degree: key.degree,
                epoch: key.epoch,
                ethAddress: key.ethAddress,
                commitmentDigest: key.commitmentDigest,
                publicKey: _publicKeyBytes(key)
            });
    }

    /// @inheritdoc IShardlessRegistry
    function keyIdByPublicKey(bytes calldata publicKey) external view returns (uint256) {
        if (publicKey.length != 33) return 0;
        uint256 keyId = _keyIdByX[uint256(bytes32(publicKey[1:33]))];
        if (keyId == 0 || _keys[keyId].prefix != uint8(publicKey[0])) return 0;
        return keyId;
    }

    /// @inheritdoc IShardlessRegistry
    function currentEpoch(uint256 keyId) external view returns (uint64) {
        return _requireKey(keyId).epoch;
    }

    /// @inheritdoc IShardlessRegistry
    function memberSetHash(address[] calldata members) external pure returns (bytes32) {
        return keccak256(abi.encode(members));
    }

    /**
     * @dev keccak256(abi.encode(RECORD_TYPEHASH, block.chainid, address(this), groupId, keyId, epoch,
     * keccak256(publicKey), commitmentDigest, memberSetHash_, degree)). ECDSA keys sign it directly (no
     * EIP-191 prefix); Schnorr keys sign it as the 32-byte BIP-340 message.
     */
    function recordDigest(
        uint256 groupId,
        uint256 keyId,
        uint64 epoch,
        bytes calldata publicKey,
        bytes32 commitmentDigest,
        bytes32 memberSetHash_,
        uint16 degree
    ) external view returns (bytes32) {
        return _recordDigest(groupId, keyId, epoch, keccak256(publicKey), commitmentDigest, memberSetHash_, degree);
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IShardlessRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------------------------------- internal

    function _reshareKey(uint256 groupId, KeyReshare calldata reshare, bytes32 setHash, uint256 groupSize) private {
        uint256 keyId = reshare.keyId;
        StoredKey storage key = _keys[keyId];
        _checkDegree(key.scheme, reshare.degree, groupSize);
        if (reshare.commitmentDigest == bytes32(0)) revert ShardlessRegistryZeroCommitmentDigest();
        if (reshare.epoch <= key.epoch) revert ShardlessRegistryStaleEpoch(keyId, key.epoch, reshare.epoch);
        bytes32 digest = _recordDigest(
            groupId,
            keyId,
            reshare.epoch,
            keccak256(_publicKeyBytes(key)),
            reshare.commitmentDigest,
            setHash,
            reshare.degree
        );
        _requireRecordSignature(keyId, key, reshare.signerKeyId, digest, reshare.signature);
        key.epoch = reshare.epoch;
        key.degree = reshare.degree;
        key.commitmentDigest = reshare.commitmentDigest;
        emit EpochAdvanced(keyId, groupId, reshare.epoch, reshare.degree, reshare.commitmentDigest);
    }

    /// @dev Reverts unless `signature` is a valid signature of `digest` by a key allowed to sign for `keyId`.
    function _requireRecordSignature(
        uint256 keyId,
        StoredKey storage key,
        uint256 signerKeyId,
        bytes32 digest,
        bytes calldata signature
    ) private view {
        StoredKey storage signer = key;
        if (key.scheme == Scheme.Encryption) {
            // Unknown ids read an empty key whose groupId (0) never matches.
            signer = _keys[signerKeyId];
            if (
                signer.groupId != key.groupId ||
                signer.scheme == Scheme.Encryption ||
                signer.status != KeyStatus.Active
            ) revert ShardlessRegistryInvalidSigner(keyId, signerKeyId);
        } else if (signerKeyId != keyId) {
            revert ShardlessRegistryInvalidSigner(keyId, signerKeyId);
        }
        bool valid = signer.scheme == Scheme.Ecdsa
            ? GroupSignature.verifyEcdsa(digest, signature, signer.ethAddress)
            : GroupSignature.verifySchnorr(digest, signature, signer.x);
        if (!valid) revert ShardlessRegistryInvalidSignature(signerKeyId, digest);
    }

    function _recordDigest(
        uint256 groupId,
        uint256 keyId,
        uint64 epoch,
        bytes32 publicKeyHash,
        bytes32 commitmentDigest,
        bytes32 setHash,
        uint16 degree
    ) private view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    RECORD_TYPEHASH,
                    block.chainid,
                    address(this),
                    groupId,
                    keyId,
                    epoch,
                    publicKeyHash,
                    commitmentDigest,
                    setHash,
                    degree
                )
            );
    }

    /// @dev Validates `publicKey` for the key's scheme, reserves its x coordinate and stores it.
    function _storePublicKey(
        uint256 keyId,
        StoredKey storage key,
        bytes calldata publicKey,
        bytes32 commitmentDigest
    ) private {
        (uint256 x, uint8 prefix, address ethAddress) = _parsePublicKey(key.scheme, publicKey);
        uint256 holder = _keyIdByX[x];
        if (holder != 0) revert ShardlessRegistryPublicKeyTaken(holder);
        _keyIdByX[x] = keyId;
        key.prefix = prefix;
        key.x = x;
        key.ethAddress = ethAddress;
        key.commitmentDigest = commitmentDigest;
    }

    /// @dev Validates a compressed public key for `scheme`; returns x, the prefix and the ECDSA address.
    function _parsePublicKey(
        Scheme scheme,
        bytes calldata publicKey
    ) private view returns (uint256 x, uint8 prefix, address ethAddress) {
        (bool ok, uint256 px, uint256 py) = Secp256k1.decompress(publicKey);
        if (!ok) revert ShardlessRegistryInvalidPublicKey(scheme, publicKey);
        prefix = uint8(publicKey[0]);
        if (scheme == Scheme.Schnorr && (prefix != 0x02 || px >= Secp256k1.N)) {
            revert ShardlessRegistryInvalidPublicKey(scheme, publicKey);
        }
        if (scheme == Scheme.Ecdsa) ethAddress = Secp256k1.toAddress(px, py);
        return (px, prefix, ethAddress);
    }

    function _publicKeyBytes(StoredKey storage key) private view returns (bytes memory) {
        if (key.prefix == 0) return "";
        return abi.encodePacked(key.prefix, key.x);
    }

    /// @dev Replaces the group's members and their 1-based index lookup.
    function _setGroupMembers(StoredGroup storage group, address[] memory members) private {
        address[] storage old = group.members;
        for (uint256 i = 0; i < old.length; ++i) delete group.indexOf[old[i]];
        group.members = members;
        for (uint256 i = 0; i < members.length; ++i) group.indexOf[members[i]] = i + 1;
    }

    function _checkDegree(Scheme scheme, uint256 degree, uint256 groupSize) private pure {
        if (degree == 0 || degree >= groupSize || (scheme == Scheme.Ecdsa && groupSize < 2 * degree + 1)) {
            revert ShardlessRegistryInvalidDegree(scheme, degree, groupSize);
        }
    }

    /// @dev Checks a member list (size, active, distinct) and returns its member-set hash.
    function _checkMemberList(address[] calldata members) private view returns (bytes32) {
        uint256 size = members.length;
        if (size < 2 || size > MAX_GROUP_SIZE) revert ShardlessRegistryInvalidGroupSize(size);
        for (uint256 i = 0; i < size; ++i) {
            address operator = members[i];
            if (_members[operator].status != MemberStatus.Active) revert ShardlessRegistryMemberNotActive(operator);
            for (uint256 j = 0; j < i; ++j) {
                if (members[j] == operator) revert ShardlessRegistryDuplicateMember(operator);
            }
        }
        return keccak256(abi.encode(members));
    }

    function _setMultiaddrs(StoredMember storage member, string[] calldata multiaddrs) private {
        uint256 count = multiaddrs.length;
        if (count > MAX_MULTIADDRS) revert ShardlessRegistryTooManyMultiaddrs(count, MAX_MULTIADDRS);
        delete member.multiaddrs;
        for (uint256 i = 0; i < count; ++i) {
            _checkStringLength(bytes(multiaddrs[i]).length);
            member.multiaddrs.push(multiaddrs[i]);
        }
    }

    function _checkStringLength(uint256 length) private pure {
        if (length > MAX_STRING_LENGTH) revert ShardlessRegistryStringTooLong(length, MAX_STRING_LENGTH);
    }

    function _requireActiveMember(address operator) private view returns (StoredMember storage member) {
        member = _members[operator];
        if (member.status != MemberStatus.Active) revert ShardlessRegistryMemberNotActive(operator);
    }

    function _requireGroup(uint256 groupId) private view returns (StoredGroup storage) {
        if (groupId == 0 || groupId > _groupCount) revert ShardlessRegistryUnknownGroup(groupId);
        return _groups[groupId];
    }

    function _requireKey(uint256 keyId) private view returns (StoredKey storage) {
        if (keyId == 0 || keyId > _keyCount) revert ShardlessRegistryUnknownKey(keyId);
        return _keys[keyId];
    }
}
