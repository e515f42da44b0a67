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
/// An order whose average price, cost / shares rounded up, is above its limit is skipped, not
/// reverted: an executed order never costs more than shares × limit, however the price moved
/// before it (what a sandwich can take from one order is bounded by its limit).
///
/// Sealed rounds: `openRound(0, 0, ...)` opens a round without LMSR markets (the market of a
/// pool game is the separate SealedPool, which reads this round's committee, listings and
/// labels). Listing reserves no subsidy (only the quota bounds it), `trade` reverts with
/// NoLmsrMarket, and reveal, settle, redeem and cancelRound run as usual with nothing to pay.
///
/// Redeem is callable in batches: each call clears the positions on the items given and pays
/// them (void-listing refunds come with the first call); the call that clears the last
/// position marks the trader redeemed, records the round's profit in the model registry and
/// emits Redeemed with the totals; earlier calls emit RedeemedPart.
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
        uint32 positions; // items with a non-zero position (redeem clears them)
        bool redeemed; // the last position was cleared: profit recorded, Redeemed emitted
        uint128 payoutWad; // paid by redeem so far for revealed outcomes
        uint128 refundWad; // refunded by redeem so far (void listings, or the whole cost if cancelled)
    }

    // ---------------------------------------------------------------- errors
    /// @notice Raised by every round action but `redeem` (electCommittee, list, trade, reveal,
    /// claimLeakedLabel, settle, cancelRound) when `round` was never opened.
    /// @param round The round number given.
    error UnknownRound(uint64 round);
    /// @notice Raised by the same actions as `UnknownRound` when `round` is no longer open: it
    /// was settled or cancelled.
    /// @param round The round number given.
    /// @param status The round's status (Settled or Cancelled).
    error RoundNotOpen(uint64 round, Status status);
    /// @notice Raised by `openRound` while the latest round is still open (neither settled nor
    /// cancelled): one round runs at a time.
    /// @param previous The latest round, still open.
    error PreviousRoundActive(uint64 previous);
    /// @notice Raised by `openRound` when any of the three phase durations is zero.
    /// @param listingSecs Length of the listing phase given (seconds).
    /// @param tradingSecs Length of the trading phase given (seconds).
    /// @param revealSecs Length of the reveal phase given (seconds).
    error InvalidDeadlines(uint64 listingSecs, uint64 tradingSecs, uint64 revealSecs);
    /// @notice Raised by `openRound` when the subsidy cannot cover even one item's worst-case
    /// market-maker loss, LMSR.maxLossUp(liquidityWad, K) = b ln K rounded up. (A zero liquidity
    /// with a non-zero subsidy, or a liquidity outside LMSR's range, reverts LiquidityOutOfRange
    /// first; subsidy and liquidity both 0 open a sealed round.)
    /// @param subsidyWad The subsidy given (wad).
    /// @param perItemWad The worst-case loss of one item's market (wad).
    error SubsidyTooSmall(uint256 subsidyWad, uint256 perItemWad);
    /// @notice Raised by the constructor when the number of outcomes K is not in [2, 4].
    /// @param outcomeCount The K given.
    error InvalidOutcomeCount(uint256 outcomeCount);
    /// @notice Raised by the constructor and `setCommitteeSize` for 0 or more than 32 committee
    /// seats, by the constructor and `setMaxItemsPerMember` for a per-member quota of 0 or more
    /// than 4096 items, and by `trade` when an outcome's outstanding quantity would exceed
    /// 2^128 - 1 wad (a backstop: LMSR.quote rejects such an order first with QuantityOutOfRange).
    /// @param value The rejected value: seats, quota (items), or the new quantity (wad).
    error InvalidParameter(uint256 value);
    /// @notice Raised by `electCommittee` when the round's committee was already elected.
    /// @param round The round.
    error AlreadyElected(uint64 round);
    /// @notice Raised by `list` before the round's committee is elected.
    /// @param round The round.
    error NotElected(uint64 round);
    /// @notice Raised by `electCommittee` before the randomness source's seed for the round can
    /// be read (block.number < randomness.readyAt(openBlock)).
    /// @param round The round.
    /// @param readyAtBlock First block number at which the seed can be read.
    /// @param currentBlock The current block number.
    error SeedNotReady(uint64 round, uint256 readyAtBlock, uint256 currentBlock);
    /// @notice Raised by `electCommittee` and `list` at or after the round's listing deadline.
    /// @param round The round.
    /// @param listingEnds The listing deadline (unix timestamp, seconds).
    error ListingClosed(uint64 round, uint64 listingEnds);
    /// @notice Raised by `list` when the caller holds no seat on the round's committee.
    /// @param round The round.
    /// @param account The caller.
    error NotCommitteeMember(uint64 round, address account);
    /// @notice Raised by `list` when the caller already listed in this round (one listing per
    /// member and round).
    /// @param round The round.
    /// @param member The caller.
    error AlreadyListed(uint64 round, address member);
    /// @notice Raised by `list` with no label commitments.
    /// @param round The round.
    error EmptyListing(uint64 round);
    /// @notice Raised by `list` with more label commitments than `maxItemsPerMember`.
    /// @param round The round.
    /// @param count The number of items given.
    /// @param quota The per-member quota (items).
    error QuotaExceeded(uint64 round, uint256 count, uint256 quota);
    /// @notice Raised by `list` when the round's subsidy cannot reserve the worst-case loss of
    /// every listed item including these: reservedWad + count * maxLossUp(b, K) > subsidyWad.
    /// @param round The round.
    /// @param neededWad The reservation the listing would bring the round to (wad).
    /// @param availableWad The round's subsidy (wad).
    error SubsidyExhausted(uint64 round, uint256 neededWad, uint256 availableWad);
    /// @notice Raised by `trade` before the round's listing deadline (trading opens then).
    /// @param round The round.
    /// @param listingEnds The listing deadline (unix timestamp, seconds).
    error TradingNotOpen(uint64 round, uint64 listingEnds);
    /// @notice Raised by `trade` and `claimLeakedLabel` at or after the round's trading deadline.
    /// @param round The round.
    /// @param tradingEnds The trading deadline (unix timestamp, seconds).
    error TradingClosed(uint64 round, uint64 tradingEnds);
    /// @notice Raised by `trade` in a sealed round (opened with liquidity 0 and subsidy 0): it
    /// has no LMSR market; its market, if any, is the SealedPool.
    /// @param round The round.
    error NoLmsrMarket(uint64 round);
    /// @notice Raised by `trade` when the caller holds a seat on the round's committee.
    /// @param round The round.
    /// @param trader The caller.
    error CommitteeCannotTrade(uint64 round, address trader);
    /// @notice Raised by the caller's first `trade` of a round when the model registry does not
    /// name the caller as `modelHash`'s operator (operator is zero for an unregistered model).
    /// @param modelHash The model hash given.
    /// @param trader The caller.
    /// @param operator The model's registered operator (zero if unregistered).
    error NotModelOperator(bytes32 modelHash, address trader, address operator);
    /// @notice Raised by the caller's first `trade` of a round when `modelHash` was registered at
    /// or after the round's listing deadline.
    /// @param modelHash The model hash given.
    /// @param registeredAt When the model was registered (unix timestamp, seconds).
    /// @param listingEnds The round's listing deadline (unix timestamp, seconds).
    error ModelRegisteredLate(bytes32 modelHash, uint64 registeredAt, uint64 listingEnds);
    /// @notice Raised by a later `trade` of the caller in a round with another model hash than
    /// its first trade of the round fixed.
    /// @param round The round.
    /// @param committed The model hash fixed by the caller's first trade of the round.
    /// @param given The model hash given.
    error ModelHashMismatch(uint64 round, bytes32 committed, bytes32 given);
    /// @notice Raised by `trade` when `beliefs` and `orders` differ in length, and by `reveal`
    /// when `outcomes` or `salts` does not have one entry per item of the caller's listing.
    /// @param expected The required length (orders, or the listing's item count).
    /// @param given The length given (beliefs, outcomes or salts).
    error LengthMismatch(uint256 expected, uint256 given);
    /// @notice Raised by `trade`, `claimLeakedLabel` and `redeem` for an item id at or above the
    /// round's item count (never listed).
    /// @param round The round.
    /// @param item The item id given.
    error UnknownItem(uint64 round, uint256 item);
    /// @notice Raised by `trade` (an order's outcome) and `reveal` (a revealed outcome) for an
    /// outcome index not below K.
    /// @param item The item id.
    /// @param outcome The outcome index given.
    error InvalidOutcome(uint256 item, uint256 outcome);
    /// @notice Raised by `trade` for an order of zero shares.
    /// @param item The order's item id.
    error ZeroShares(uint256 item);
    /// @notice Raised by `trade` when the total cost of the executed orders exceeds the caller's
    /// maximum.
    /// @param costWad The total cost (wad, rounded up).
    /// @param maxCostWad The caller's maximum (wad).
    error CostAboveMax(uint256 costWad, uint256 maxCostWad);
    /// @notice Raised by `reveal` before the round's trading deadline (revealing opens then).
    /// @param round The round.
    /// @param tradingEnds The trading deadline (unix timestamp, seconds).
    error RevealNotOpen(uint64 round, uint64 tradingEnds);
    /// @notice Raised by `reveal` at or after the round's reveal deadline.
    /// @param round The round.
    /// @param revealEnds The reveal deadline (unix timestamp, seconds).
    error RevealClosed(uint64 round, uint64 revealEnds);
    /// @notice Raised by `reveal` when the caller has no listing in the round.
    /// @param round The round.
    /// @param member The caller.
    error NothingListed(uint64 round, address member);
    /// @notice Raised by `reveal` when the caller's listing was already revealed.
    /// @param round The round.
    /// @param member The caller.
    error AlreadyRevealed(uint64 round, address member);
    /// @notice Raised by `reveal` when the caller's listing was voided by a leaked-label claim,
    /// and by `claimLeakedLabel` when the item's listing is already void.
    /// @param round The round.
    /// @param member The listing's member.
    error ListingVoided(uint64 round, address member);
    /// @notice Raised by `reveal` when keccak256(abi.encodePacked(key)) is not the listing's
    /// committed key hash.
    /// @param round The round.
    /// @param member The caller.
    /// @param keyHash The key hash committed at listing.
    error KeyMismatch(uint64 round, address member, bytes32 keyHash);
    /// @notice Raised by `reveal` and `claimLeakedLabel` when
    /// keccak256(abi.encodePacked(uint8 outcome, bytes32 salt)) is not the item's label commitment.
    /// @param round The round.
    /// @param item The item id whose commitment did not match.
    error RevealMismatch(uint64 round, uint256 item);
    /// @notice Raised by `settle` before the round's reveal deadline.
    /// @param round The round.
    /// @param revealEnds The reveal deadline (unix timestamp, seconds).
    error SettleTooEarly(uint64 round, uint64 revealEnds);
    /// @notice Raised by `redeem` while the round is neither settled nor cancelled (also for a
    /// round never opened, status None).
    /// @param round The round.
    /// @param status The round's status.
    error NotSettled(uint64 round, Status status);
    /// @notice Raised by `redeem` when the caller's redemption in this round is complete (its
    /// last position was cleared, or the round was cancelled and its cost refunded).
    /// @param round The round.
    /// @param trader The caller.
    error AlreadyRedeemed(uint64 round, address trader);

    // ---------------------------------------------------------------- events
    /// @notice Round `round` opened and was funded by governance; its deadlines are fixed.
    /// @param round The new round number (1, 2, ...).
    /// @param subsidyWad Collateral pulled from governance to back the round's markets (wad).
    /// @param liquidityWad LMSR liquidity b of every item's market (wad).
    /// @param listingEnds Listing deadline: trading opens then (unix timestamp, seconds).
    /// @param tradingEnds Trading deadline: revealing opens then (unix timestamp, seconds).
    /// @param revealEnds Reveal deadline: settling opens then (unix timestamp, seconds).
    /// @param openBlock Block number at which the round opened (the election seed's base).
    event RoundOpened(
        uint64 indexed round,
        uint256 subsidyWad,
        uint256 liquidityWad,
        uint64 listingEnds,
        uint64 tradingEnds,
        uint64 revealEnds,
        uint64 openBlock
    );
    /// @notice `committee` was elected and seated for `round`; their bonds are locked.
    /// @param round The round.
    /// @param committee The seated members, in seat order.
    event CommitteeSeated(uint64 indexed round, address[] committee);
    /// @notice `member` listed items [firstItem, firstItem + labelCommitments.length).
    /// @param round The round.
    /// @param member The committee member who listed.
    /// @param listingIndex Index of the listing in the round's listings (0-based).
    /// @param firstItem Item id of the listing's first item.
    /// @param labelCommitments One keccak256(abi.encodePacked(uint8 outcome, bytes32 salt)) per item.
    /// @param itemsRoot Merkle root of the signed listed items (features, commitment, round, nonce).
    /// @param keyHash keccak256 of the validation batch key, revealed later.
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
    /// `orders` of the orders whose limit price was passed or whose listing is void; `beliefs`
    /// are the model's per item.
    /// @param round The round.
    /// @param trader The caller.
    /// @param modelHash The model that made the trade.
    /// @param costWad Total cost of the executed orders (wad, rounded up).
    /// @param orders The orders as given (encoding in the interface notice).
    /// @param beliefs The model's probabilities per order's item (wad, 64-bit lanes).
    /// @param skipped Bitmap of skipped orders: bit (i mod 256) of word i / 256 is order i.
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
    /// @param round The round.
    /// @param member The committee member who revealed.
    /// @param listingIndex Index of the listing in the round's listings (0-based).
    /// @param outcomes The outcome index of each of the listing's items, in item order.
    /// @param salts The salt of each item's label commitment, in item order.
    /// @param key The validation batch key (its keccak256 is the listing's keyHash).
    event Revealed(
        uint64 indexed round, address indexed member, uint256 listingIndex, uint8[] outcomes, bytes32[] salts, bytes32 key
    );
    /// @notice `claimant` showed `member`'s label for `item` before trading closed: the listing is
    /// void and the claimant took the bond.
    /// @param round The round.
    /// @param member The committee member whose label leaked.
    /// @param item The item id whose label was shown.
    /// @param claimant The caller, who received the bond.
    /// @param bondWad The member's whole bond, slashed to the claimant (wad).
    event LabelLeaked(uint64 indexed round, address indexed member, uint256 item, address claimant, uint256 bondWad);
    /// @notice `member`'s listing was voided at settle (no reveal in time): its bond went to the
    /// treasury and its traders get their cost on it back.
    /// @param round The round.
    /// @param member The committee member who did not reveal.
    /// @param listingIndex Index of the listing in the round's listings (0-based).
    /// @param bondSlashedWad The member's whole bond, slashed to the treasury (wad).
    event ListingVoidedEvent(uint64 indexed round, address indexed member, uint256 listingIndex, uint256 bondSlashedWad);
    /// @notice Round settled: `obligationsWad` stays for holders, `treasuryReturnWad` went back.
    /// @param round The round.
    /// @param obligationsWad What holders can redeem: payouts of revealed items plus refunds of
    /// void listings' costs (wad).
    /// @param treasuryReturnWad Subsidy plus collected costs minus obligations, sent to the
    /// treasury (wad).
    /// @param voidedItems Number of items in void listings.
    event Settled(uint64 indexed round, uint256 obligationsWad, uint256 treasuryReturnWad, uint256 voidedItems);
    /// @notice Governance cancelled `round`; traders redeem their cost.
    /// @param round The round.
    /// @param treasuryReturnWad The whole subsidy, sent back to the treasury (wad).
    event RoundCancelled(uint64 indexed round, uint256 treasuryReturnWad);
    /// @notice `trader` redeemed its last position (the final `redeem` call of the round): the
    /// totals over all its redeem calls, `payoutWad` from revealed items, `refundWad` from void
    /// ones; `profitWad` = payout + refund - cost is the realised profit of `modelHash` in
    /// `round`, recorded once in the model registry.
    /// @param round The round.
    /// @param trader The caller.
    /// @param modelHash The model fixed by the trader's first trade of the round (zero if none).
    /// @param payoutWad The trader's shares of each revealed item's outcome; a share pays one
    /// unit of collateral (wad).
    /// @param refundWad The trader's cost on void listings, or its whole cost in a cancelled
    /// round (wad).
    /// @param profitWad payoutWad + refundWad - the trader's cost in the round (wad, signed).
    event Redeemed(
        uint64 indexed round,
        address indexed trader,
        bytes32 indexed modelHash,
        uint256 payoutWad,
        uint256 refundWad,
        int256 profitWad
    );
    /// @notice A `redeem` call that left positions to clear: what this call paid.
    /// @param round The round.
    /// @param trader The caller.
    /// @param payoutWad This call's shares of revealed outcomes (wad).
    /// @param refundWad This call's refunds of void listings' costs (wad; only the first call has any).
    /// @param positionsLeft Items the caller still holds a position on.
    event RedeemedPart(
        uint64 indexed round, address indexed trader, uint256 payoutWad, uint256 refundWad, uint256 positionsLeft
    );

    // ---------------------------------------------------------------- actions
    /// @notice Open and fund the next round (governance). Pulls `subsidyWad` from the caller.
    /// (0, 0) for subsidy and liquidity opens a sealed round, without LMSR markets.
    function openRound(uint256 subsidyWad, uint256 liquidityWad, uint64 listingSecs, uint64 tradingSecs, uint64 revealSecs)
        external
        returns (uint64 round);
    /// @notice Elect the round's committee from the randomness source's seed (anyone).
    function electCommittee(uint64 round) external returns (address[] memory seated);
    /// @notice List the caller's validation items (committee members, before listingEnds).
    function list(uint64 round, bytes32[] calldata labelCommitments, bytes32 itemsRoot, bytes32 keyHash) external;
    /// @notice Buy shares over many items with `modelHash`; reverts if the cost exceeds `maxCostWad`.
    /// @return costWad what was paid (rounded up).
    /// @return executed orders not skipped.
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
    /// @notice Redeem the caller's positions on `items` in `round` (any batch; items without a
    /// position pay nothing). The call that clears the last position completes the redemption.
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
    /// @notice The round's revealed outcomes as stored: 4-bit lanes, 64 items per word (item i is
    /// bits [4 (i mod 64), 4 (i mod 64) + 4) of word i / 64), lane = outcome + 1, 0 while
    /// unrevealed or void; the lanes past the last item are 0. What KellyPool scores against.
    /// @dev Final once the round is Settled: every listing is then revealed or void.
    /// @param round The round.
    /// @return words ceil(itemCount / 64) words (none for a round never opened).
    function outcomeWords(uint64 round) external view returns (uint256[] memory words);
    /// @notice K, the number of outcomes of every item (fixed at deployment, 2 <= K <= 4).
    /// @return K.
    function outcomeCount() external view returns (uint256);
    function labelCommitment(uint64 round, uint256 item) external view returns (bytes32);
    function costOnListing(uint64 round, address trader, uint256 listingIndex) external view returns (uint256);
}
