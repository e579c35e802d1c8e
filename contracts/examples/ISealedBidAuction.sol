// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @dev Sealed-bid first-price auction whose bids are encrypted to a Shardless group: nobody, not even a
 * single member, can read a bid before the bidding deadline. The revealed plaintext of a bid is
 * `abi.encode(uint256 amount)` (32 bytes); any other plaintext makes the bid invalid (ignored).
 */
interface ISealedBidAuction {
    /// @dev A revealed bid as returned by {bid}.
    struct Bid {
        address bidder;
        bool revealed;
        bool valid;
        uint256 amount;
    }

    /// @dev The reveal deadline must be after the bidding deadline, which must be in the future.
    error SealedBidAuctionInvalidDeadlines(uint64 biddingDeadline, uint64 revealDeadline);

    /// @dev Bidding closed at `deadline`.
    error SealedBidAuctionBiddingClosed(uint64 deadline);

    /// @dev Bidding is open until `deadline`.
    error SealedBidAuctionBiddingOpen(uint64 deadline);

    /// @dev `bidder` already placed bid `bidId`.
    error SealedBidAuctionAlreadyBid(address bidder, uint256 bidId);

    /// @dev `bidId` is not a bid of this auction.
    error SealedBidAuctionUnknownBid(uint256 bidId);

    /// @dev Bids are still unrevealed and the reveal deadline has not passed.
    error SealedBidAuctionRevealsPending(uint256 unrevealed, uint64 revealDeadline);

    /// @dev The auction is already finalized.
    error SealedBidAuctionFinalized();

    /// @dev Emitted when `bidder` places the encrypted bid `bidId`.
    event BidPlaced(uint256 indexed bidId, address indexed bidder);

    /// @dev Emitted when bid `bidId` is revealed; `valid` is false when the plaintext was malformed.
    event BidRevealed(uint256 indexed bidId, address indexed bidder, uint256 amount, bool valid);

    /// @dev Emitted once the winner is fixed (`winner` = 0 when no valid bid was revealed).
    event AuctionFinalized(address indexed winner, uint256 amount, uint256 bidId);

    /// @dev Places the caller's encrypted bid.
    function submitBid(bytes calldata ciphertext) external returns (uint256 bidId);

    /// @dev Requests the reveal of one bid (after the bidding deadline).
    function requestReveal(uint256 bidId) external;

    /// @dev Requests the reveal of every bid not yet requested (after the bidding deadline).
    function requestAllReveals() external;

    /// @dev Fixes the winner once every bid is revealed, or after the reveal deadline.
    function finalize() external;

    /// @dev The label topic of `bidder`'s bid: keccak256(abi.encode(BID_TOPIC, bidder)).
    function bidTopic(address bidder) external pure returns (bytes32);

    /// @dev Returns bid `bidId`.
    function bid(uint256 bidId) external view returns (Bid memory);

    /// @dev Bid ids in submission order.
    function bidIds() external view returns (uint256[] memory);

    /// @dev Current leader among revealed valid bids (bidder 0 if none) and whether the auction is final.
    function leader() external view returns (address bidder, uint256 amount, uint256 bidId, bool finalized);
}
