// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IPredictionGame
/// @notice Rounds of the iterated prediction game. Each round is funded with a subsidy,
/// gets an elected validation committee whose members list items (features public, labels
/// committed as keccak256(abi.encodePacked(uint8 outcome, bytes32 salt))), and every listed
/// item is its own LMSR market over K outcomes with liquidity b. Operators trade batches of
/// items; every trade carries the model hash that made it and that model's beliefs. After
/// trading the committee reveals labels and the batch key; the round settles; holders redeem.
///
/// Round n's deadlines are fixed when it opens: listingEnds < tradingEnds < revealEnds.
/// Listing is open in [open, listingEnds), trading in [listingEnds, tradingEnds), revealing in
/// [tradingEnds, revealEnds); settling from revealEnds on.
///
/// Order encoding (one uint256 per item), low bits first:
///   [0, 32) item id · [32, 40) outcome · [40, 136) shares (wad) · [136, 200) limit price (wad).
/// An order whose outcome price before the trade is above its limit is skipped, not reverted.
/// Belief encoding (one uint256 per item): K probabilities (wad) in 64-bit lanes, outcome 0 lowest.
interface IPredictionGame {
    enum Status {
        None,
        Open,
        Settled,
        Cancelled
    }

    enum Phase {
        None,
        Electing,
        Listing,
        Trading,
        Revealing,
        Settleable,
        Settled,
        Cancelled
    }

    struct RoundInfo {
        uint64 listingEnds;
        uint64 tradingEnds;
        uint64 revealEnds;
        uint64 openBlock;
        uint128 liquidityWad; // LMSR b
        uint128 subsidyWad; // funded by the treasury at open
        uint128 reservedWad; // itemCount * maxLossUp(b, K): the subsidy the listed items may need
        uint32 itemCount;
        uint8 listingCount;
        Status status;
        bool elected;
        uint128 collectedWad; // every trade's cost
        uint128 obligationsWad; // fixed at settle/cancel: payouts of revealed items + refunds of void ones
        uint128 paidOutWad; // redeemed so far
        uint128 treasuryReturnWad; // sent back to the treasury at settle/cancel
    }

    struct Listing {
        address member;
        uint32 firstItem;
        uint32 count;
        bool revealed;
        bool voided;
        bytes32 itemsRoot; // Merkle root of the signed listed items (features, commitment, round, nonce)
        bytes32 keyHash; // keccak256(validation batch key)
        uint128 collectedWad; // cost traders paid on this listing's items
        uint128 payoutOwedWad; // shares of the revealed outcomes, fixed at reveal
    }

    struct Trader {
        bytes32 modelHash; // fixed by the first trade of the round
        uint128 costWad;
        uint32 positions; // items with a non-zero position
        bool redeemed;
    }

    // ---------------------------------------------------------------- errors
    error UnknownRound(uint64 round);
    error RoundNotOpen(uint64 round, Status status);
    error PreviousRoundActive(uint64 previous);
    error InvalidDeadlines(uint64 listingSecs, uint64 tradingSecs, uint64 revealSecs);
    error SubsidyTooSmall(uint256 subsidyWad, uint256 perItemWad);
    error InvalidOutcomeCount(uint256 outcomeCount);
    error InvalidParameter(uint256 value);
    error AlreadyElected(uint64 round);
    error NotElected(uint64 round);
    error SeedNotReady(uint64 round, uint256 readyAtBlock, uint256 currentBlock);
    error ListingClosed(uint64 round, uint64 listingEnds);
    error NotCommitteeMember(uint64 round, address account);
    error AlreadyListed(uint64 round, address member);
    error EmptyListing(uint64 round);
    error QuotaExceeded(uint64 round, uint256 count, uint256 quota);
    error SubsidyExhausted(uint64 round, uint256 neededWad, uint256 availableWad);
    error TradingNotOpen(uint64 round, uint64 listingEnds);
    error TradingClosed(uint64 round, uint64 tradingEnds);
    error CommitteeCannotTrade(uint64 round, address trader);
    error NotModelOperator(bytes32 modelHash, address trader, address operator);
    error ModelRegisteredLate(bytes32 modelHash, uint64 registeredAt, uint64 listingEnds);
    error ModelHashMismatch(uint64 round, bytes32 committed, bytes32 given);
    error LengthMismatch(uint256 expected, uint256 given);
    error UnknownItem(uint64 round, uint256 item);
    error InvalidOutcome(uint256 item, uint256 outcome);
    error ZeroShares(uint256 item);
    error CostAboveMax(uint256 costWad, uint256 maxCostWad);
    error RevealNotOpen(uint64 round, uint64 tradingEnds);
    error RevealClosed(uint64 round, uint64 revealEnds);
    error NothingListed(uint64 round, address member);
    error AlreadyRevealed(uint64 round, address member);
    error ListingVoided(uint64 round, address member);
    error KeyMismatch(uint64 round, address member, bytes32 keyHash);
    error RevealMismatch(uint64 round, uint256 item);
    error SettleTooEarly(uint64 round, uint64 revealEnds);
    error NotSettled(uint64 round, Status status);
    error AlreadyRedeemed(uint64 round, address trader);
    error IncompleteRedeem(uint64 round, address trader, uint256 positions, uint256 redeemed);

    // ---------------------------------------------------------------- events
    /// @notice Round `round` opened with `subsidyWad` and liquidity `liquidityWad`.
    event RoundOpened(
        uint64 indexed round,
        uint256 subsidyWad,
        uint256 liquidityWad,
        uint64 listingEnds,
        uint64 tradingEnds,
        uint64 revealEnds,
        uint64 openBlock
    );
    /// @notice `committee` was seated for `round`.
    event CommitteeSeated(uint64 indexed round, address[] committee);
    /// @notice `member` listed items [firstItem, firstItem + labelCommitments.length).
    event Listed(
        uint64 indexed round,
        address indexed member,
        uint256 listingIndex,
        uint32 firstItem,
        bytes32[] labelCommitments,
        bytes32 itemsRoot,
        bytes32 keyHash
    );
    /// @notice `trader` traded with `modelHash`, paying `costWad`; `skipped` is a bitmap over
    /// `orders` of the orders whose limit price was passed; `beliefs` are the model's per item.
    event Traded(
        uint64 indexed round,
        address indexed trader,
        bytes32 indexed modelHash,
        uint256 costWad,
        uint256[] orders,
        uint256[] beliefs,
        uint256[] skipped
    );
    /// @notice `member` revealed its listing: `outcomes` with `salts`, and the batch `key`.
    event Revealed(
        uint64 indexed round, address indexed member, uint256 listingIndex, uint8[] outcomes, bytes32[] salts, bytes32 key
    );
    /// @notice `claimant` showed `member`'s label for `item` before trading closed: the listing is
    /// void and the claimant took the bond.
    event LabelLeaked(uint64 indexed round, address indexed member, uint256 item, address claimant, uint256 bondWad);
    /// @notice `member`'s listing was voided (no reveal in time): its traders get their cost back.
    event ListingVoidedEvent(uint64 indexed round, address indexed member, uint256 listingIndex, uint256 bondSlashedWad);
    /// @notice Round settled: `obligationsWad` stays for holders, `treasuryReturnWad` went back.
    event Settled(uint64 indexed round, uint256 obligationsWad, uint256 treasuryReturnWad, uint256 voidedItems);
    /// @notice Governance cancelled `round`; traders redeem their cost.
    event RoundCancelled(uint64 indexed round, uint256 treasuryReturnWad);
    /// @notice `trader` redeemed: `payoutWad` from revealed items, `refundWad` from void ones;
    /// `profitWad` = payout + refund - cost is the realised profit of `modelHash` in `round`.
    event Redeemed(
        uint64 indexed round,
        address indexed trader,
        bytes32 indexed modelHash,
        uint256 payoutWad,
        uint256 refundWad,
        int256 profitWad
    );

    // ---------------------------------------------------------------- actions
    /// @notice Open and fund the next round (governance). Pulls `subsidyWad` from the caller.
    function openRound(uint256 subsidyWad, uint256 liquidityWad, uint64 listingSecs, uint64 tradingSecs, uint64 revealSecs)
        external
        returns (uint64 round);
    /// @notice Elect the round's committee from the randomness source's seed (anyone).
    function electCommittee(uint64 round) external returns (address[] memory committee);
    /// @notice List the caller's validation items (committee members, before listingEnds).
    function list(uint64 round, bytes32[] calldata labelCommitments, bytes32 itemsRoot, bytes32 keyHash) external;
    /// @notice Buy shares over many items with `modelHash`; reverts if the cost exceeds `maxCostWad`.
    /// @return costWad what was paid (rounded up); @return executed orders not skipped.
    function trade(
        uint64 round,
        bytes32 modelHash,
        uint256[] calldata orders,
        uint256[] calldata beliefs,
        uint256 maxCostWad
    ) external returns (uint256 costWad, uint256 executed);
    /// @notice Reveal the caller's listing: every outcome with its salt, and the batch key.
    function reveal(uint64 round, uint8[] calldata outcomes, bytes32[] calldata salts, bytes32 key) external;
    /// @notice Show a committee label before trading closes: voids its listing, takes its bond.
    function claimLeakedLabel(uint64 round, uint256 item, uint8 outcome, bytes32 salt) external;
    /// @notice Settle after the reveal deadline (anyone): void unrevealed listings, slash their
    /// bonds, fix obligations, return the rest of the subsidy to the treasury.
    function settle(uint64 round) external;
    /// @notice Cancel an open round (governance): the subsidy returns, traders redeem their cost.
    function cancelRound(uint64 round) external;
    /// @notice Redeem every position of the caller in `round`: pass all items it holds.
    function redeem(uint64 round, uint256[] calldata items) external returns (uint256 amountWad);

    // ---------------------------------------------------------------- views
    function roundCount() external view returns (uint64);
    function phase(uint64 round) external view returns (Phase);
    function roundInfo(uint64 round) external view returns (RoundInfo memory);
    function listings(uint64 round) external view returns (Listing[] memory);
    function committee(uint64 round) external view returns (address[] memory);
    function traderOf(uint64 round, address trader) external view returns (Trader memory);
    function sharesOf(uint64 round, address trader, uint256 item) external view returns (uint256[] memory);
    function quantities(uint64 round, uint256 item) external view returns (uint256[] memory);
    /// @notice 0 while unrevealed, else outcome + 1.
    function outcomeOf(uint64 round, uint256 item) external view returns (uint256);
    function labelCommitment(uint64 round, uint256 item) external view returns (bytes32);
    function costOnListing(uint64 round, address trader, uint256 listingIndex) external view returns (uint256);
}
