// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @dev Example of a contract owned by a Shardless group address: only the group (a transaction signed by
 * the group's threshold ECDSA key, e.g. `npx hardhat shardless send`) may bump the counter. Shows that a
 * group key is an ordinary `msg.sender` to contracts.
 */
contract GroupCounter {
    /// @dev The caller is not the group address.
    error GroupCounterUnauthorized(address caller, address group);

    /// @dev The counter was bumped by the group.
    event Bumped(uint256 count);

    address public immutable group;
    uint256 private _count;

    constructor(address group_) {
        group = group_;
    }

    /**
     * @dev Adds one to the counter.
     *
     * Requirements:
     * - the caller is `group`.
     *
     * Emits a {Bumped} event.
     */
    function bump() external {
        if (msg.sender != group) revert GroupCounterUnauthorized(msg.sender, group);
        emit Bumped(++_count);
    }

    function count() external view returns (uint256) {
        return _count;
    }
}
