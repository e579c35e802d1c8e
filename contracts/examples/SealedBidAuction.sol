// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ConfidentialPayloads} from "../confidential/ConfidentialPayloads.sol";
import {ISealedBidAuction} from "./ISealedBidAuction.sol";

/**
 * @dev Example of {ConfidentialPayloads}: a sealed-bid first-price auction (the 2008 Danish sugar-beet
 * auction, on a chain). Bids are ciphertexts for the group's encryption key, one per bidder, submitted
 * before `biddingDeadline`. Reveals are allowed only from the bidding deadline until the auction is
 * finalized. The winner is the highest revealed valid amount; ties go to the earlier bid.
 *
 * Each bid's label topic includes the bidder's address ({bidTopic}). A bidder who copies another
 * bidder's ciphertext submits it under a different label, so the members refuse to decrypt it: copying
 * a bid does not let anyone mirror it.
 *
 * Liveness: bids still unrevealed at `revealDeadline` are ignored by {finalize}. Deposits and payment
 * are left out to keep the example small.
 */
contract SealedBidAuction is ConfidentialPayloads, ISealedBidAuction {
    bytes32 public constant BID_TOPIC = keccak256("shardless.examples.SealedBidAuction.bid");

    uint64 public immutable biddingDeadline;
    uint64 public immutable revealDeadline;

    mapping(address bidder => uint256 bidId) private _bidIdOf;
    mapping(uint256 bidId => Bid) private _bids;
    uint256[] private _bidIds;
    uint256 private _revealedCount;
    uint256 private _leadingBidId;
    bool private _finalized;

    /**
     * @dev Requirements:
     *
     * - `block.timestamp < biddingDeadline < revealDeadline`.
     * - `authority` is a well-formed reveal authority.
     */
    constructor(
        RevealAuthority memory authority,
        uint64 biddingDeadline_,
        uint64 revealDeadline_
    ) ConfidentialPayloads(authority) {
        if (biddingDeadline_ <= block.timestamp || revealDeadline_ <= biddingDeadline_) {
            revert SealedBidAuctionInvalidDeadlines(biddingDeadline_, revealDeadline_);
        }
        biddingDeadline = biddingDeadline_;
        revealDeadline = revealDeadline_;
    }

    /**
     * @dev Places the caller's encrypted bid, labelled with {bidTopic} of the caller.
     *
     * Requirements:
     *
     * - bidding is open and the caller has not bid yet.
     * - `ciphertext` is not empty.
     *
     * Emits a {BidPlaced} event.
     */
    function submitBid(bytes calldata ciphertext) external returns (uint256 bidId) {
        if (block.timestamp >= biddingDeadline) revert SealedBidAuctionBiddingClosed(biddingDeadline);
        uint256 previous = _bidIdOf[msg.sender];
        if (previous != 0) revert SealedBidAuctionAlreadyBid(msg.sender, previous);
        bidId = _storePayload(bidTopic(msg.sender), ciphertext);
        _bidIdOf[msg.sender] = bidId;
        _bids[bidId].bidder = msg.sender;
        _bidIds.push(bidId);
        emit BidPlaced(bidId, msg.sender);
    }

    /**
     * @dev Requests the reveal of `bidId`.
     *
     * Requirements:
     *
     * - `bidId` is a bid whose reveal was not requested yet.
     * - bidding is closed and the auction is not finalized.
     *
     * Emits a {RevealRequested} event.
     */
    function requestReveal(uint256 bidId) external {
        if (_bids[bidId].bidder == address(0)) revert SealedBidAuctionUnknownBid(bidId);
        _requireBiddingClosed();
        _requestReveal(bidId);
    }

    /**
     * @dev Requests the reveal of every bid whose reveal was not requested yet.
     *
     * Requirements:
     *
     * - bidding is closed and the auction is not finalized.
     *
     * Emits a {RevealRequested} event per bid.
     */
    function requestAllReveals() external {
        _requireBiddingClosed();
        for (uint256 i = 0; i < _bidIds.length; ++i) {
            uint256 bidId = _bidIds[i];
            if (_payloadStatus(bidId) == PayloadStatus.Stored) _requestReveal(bidId);
        }
    }

    /**
     * @dev Fixes the winner.
     *
     * Requirements:
     *
     * - the auction is not finalized and bidding is closed.
     * - every bid is revealed, or the reveal deadline has passed.
     *
     * Emits an {AuctionFinalized} event.
     */
    function finalize() external {
        _requireBiddingClosed();
        uint256 unrevealed = _bidIds.length - _revealedCount;
        if (unrevealed != 0 && block.timestamp < revealDeadline) {
            revert SealedBidAuctionRevealsPending(unrevealed, revealDeadline);
        }
        _finalized = true;
        Bid storage winning = _bids[_leadingBidId];
        emit AuctionFinalized(winning.bidder, winning.amount, _leadingBidId);
    }

    /// @inheritdoc ISealedBidAuction
    function bidTopic(address bidder) public pure returns (bytes32) {
        return keccak256(abi.encode(BID_TOPIC, bidder));
    }

    /// @inheritdoc ISealedBidAuction
    function bid(uint256 bidId) external view returns (Bid memory) {
        Bid memory stored = _bids[bidId];
        if (stored.bidder == address(0)) revert SealedBidAuctionUnknownBid(bidId);
        return stored;
    }

    /// @inheritdoc ISealedBidAuction
    function bidIds() external view returns (uint256[] memory) {
        return _bidIds;
    }

    /// @inheritdoc ISealedBidAuction
    function leader() external view returns (address bidder, uint256 amount, uint256 bidId, bool finalized) {
        Bid storage leading = _bids[_leadingBidId];
        return (leading.bidder, leading.amount, _leadingBidId, _finalized);
    }

    /// @dev Reveals are allowed from the bidding deadline until the auction is finalized.
    function _revealPolicy(uint256) internal view override returns (bool) {
        return block.timestamp >= biddingDeadline && !_finalized;
    }

    /// @dev Records the amount (plaintext = abi.encode(uint256 amount)) and updates the leader.
    function _onPayloadRevealed(uint256 bidId, bytes calldata plaintext) internal override {
        Bid storage revealed = _bids[bidId];
        revealed.revealed = true;
        ++_revealedCount;
        if (plaintext.length == 32) {
            uint256 amount = uint256(bytes32(plaintext));
            revealed.valid = true;
            revealed.amount = amount;
            if (_isBetter(bidId, amount)) _leadingBidId = bidId;
        }
        emit BidRevealed(bidId, revealed.bidder, revealed.amount, revealed.valid);
    }

    /// @dev Higher amount wins; on a tie the earlier (lower) bid id wins.
    function _isBetter(uint256 bidId, uint256 amount) private view returns (bool) {
        uint256 current = _leadingBidId;
        if (current == 0) return true;
        uint256 best = _bids[current].amount;
        return amount > best || (amount == best && bidId < current);
    }

    function _requireBiddingClosed() private view {
        if (_finalized) revert SealedBidAuctionFinalized();
        if (block.timestamp < biddingDeadline) revert SealedBidAuctionBiddingOpen(biddingDeadline);
    }
}
