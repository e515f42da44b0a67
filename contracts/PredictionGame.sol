// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPredictionGame} from "./interfaces/IPredictionGame.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "./interfaces/IRandomnessSource.sol";
import {LMSR} from "./libraries/LMSR.sol";

/// @title PredictionGame
/// @notice Rounds and their per-item LMSR markets. See IPredictionGame for the protocol.
/// @dev Storage per round: market quantities and trader shares are uint128 pairs packed two
/// outcomes per slot (slot = item * _slots + outcome / 2); revealed outcomes are 4-bit lanes,
/// 64 items per slot; a trader's cost is kept per listing (the unit that can be voided), so
/// refunds and obligations never loop over traders.
contract PredictionGame is IPredictionGame, Ownable {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    uint256 private constant MASK128 = type(uint128).max;

    IERC20 public immutable collateral;
    ICommunityRegistry public immutable registry;
    IModelRegistry public immutable models;
    IRandomnessSource public randomness;
    /// @notice Where leftover subsidy and slashed bonds go.
    address public treasury;
    /// @notice K, fixed at deployment (2 ≤ K ≤ 4).
    uint256 public immutable outcomeCount;
    uint256 private immutable _slots; // storage slots per item: ceil(K / 2)
    /// @notice Committee seats per round.
    uint256 public committeeSize;
    /// @notice Items one member may list per round.
    uint256 public maxItemsPerMember;

    uint64 private _roundCount;
    mapping(uint64 => RoundInfo) private _rounds;
    // slither-disable-next-line uninitialized-state: written through storage refs (`ls.push` in list)
    mapping(uint64 => Listing[]) private _listings;
    mapping(uint64 => address[]) private _committee;
    mapping(uint64 => mapping(address => uint256)) private _seat; // index + 1
    mapping(uint64 => mapping(uint256 => bytes32)) private _commitments;
    mapping(uint64 => mapping(uint256 => uint256)) private _q; // packed quantities
    mapping(uint64 => mapping(uint256 => uint256)) private _outcomes; // 4-bit lanes
    mapping(uint64 => mapping(address => Trader)) private _traders;
    mapping(uint64 => mapping(address => mapping(uint256 => uint256))) private _shares; // packed
    mapping(uint64 => mapping(address => mapping(uint256 => uint256))) private _listingCost;

    constructor(
        IERC20 collateral_,
        ICommunityRegistry registry_,
        IModelRegistry models_,
        IRandomnessSource randomness_,
        address governance,
        address treasury_,
        uint256 outcomeCount_,
        uint256 committeeSize_,
        uint256 maxItemsPerMember_
    ) Ownable(governance) {
        if (outcomeCount_ < 2 || outcomeCount_ > 4) revert InvalidOutcomeCount(outcomeCount_);
        collateral = collateral_;
        registry = registry_;
        models = models_;
        randomness = randomness_;
        // slither-disable-next-line missing-zero-check: known, the security issue adds the check (with setTreasury)
        treasury = treasury_;
        outcomeCount = outcomeCount_;
        _slots = (outcomeCount_ + 1) / 2;
        _setCommitteeSize(committeeSize_);
        _setMaxItems(maxItemsPerMember_);
    }

    // ================================================================ governance

    function setCommitteeSize(uint256 seats) external onlyOwner {
        _setCommitteeSize(seats);
    }

    function setMaxItemsPerMember(uint256 quota) external onlyOwner {
        _setMaxItems(quota);
    }

    function setRandomness(IRandomnessSource source) external onlyOwner {
        randomness = source;
    }

    function setTreasury(address treasury_) external onlyOwner {
        // slither-disable-next-line missing-zero-check: known, the security issue rejects setTreasury(0)
        treasury = treasury_;
    }

    function _setCommitteeSize(uint256 seats) private {
        // uint8 listingCount and the per-trade listing scan bound the committee.
        if (seats == 0 || seats > 32) revert InvalidParameter(seats);
        committeeSize = seats;
    }

    function _setMaxItems(uint256 quota) private {
        if (quota == 0 || quota > 4096) revert InvalidParameter(quota);
        maxItemsPerMember = quota;
    }

    /// @inheritdoc IPredictionGame
    function openRound(uint256 subsidyWad, uint256 liquidityWad, uint64 listingSecs, uint64 tradingSecs, uint64 revealSecs)
        external
        onlyOwner
        returns (uint64 round)
    {
        uint64 prev = _roundCount;
        if (prev != 0 && _rounds[prev].status == Status.Open) revert PreviousRoundActive(prev);
        if (listingSecs == 0 || tradingSecs == 0 || revealSecs == 0) {
            revert InvalidDeadlines(listingSecs, tradingSecs, revealSecs);
        }
        // (0, 0) opens a sealed round: no LMSR market (a pool game's SealedPool is its market).
        if ((liquidityWad | subsidyWad) != 0) {
            uint256 perItem = LMSR.maxLossUp(liquidityWad, outcomeCount);
            if (subsidyWad < perItem) revert SubsidyTooSmall(subsidyWad, perItem);
        }
        round = prev + 1;
        _roundCount = round;
        RoundInfo storage r = _rounds[round];
        r.listingEnds = uint64(block.timestamp) + listingSecs;
        r.tradingEnds = r.listingEnds + tradingSecs;
        r.revealEnds = r.tradingEnds + revealSecs;
        r.openBlock = uint64(block.number);
        r.liquidityWad = liquidityWad.toUint128();
        r.subsidyWad = subsidyWad.toUint128();
        r.status = Status.Open;
        collateral.safeTransferFrom(msg.sender, address(this), subsidyWad);
        emit RoundOpened(round, subsidyWad, liquidityWad, r.listingEnds, r.tradingEnds, r.revealEnds, r.openBlock);
    }

    /// @inheritdoc IPredictionGame
    function cancelRound(uint64 round) external onlyOwner {
        RoundInfo storage r = _openRound(round);
        r.status = Status.Cancelled;
        address[] storage seats = _committee[round];
        for (uint256 i; i < seats.length; ++i) {
            // slither-disable-next-line calls-loop,reentrancy-events: trusted immutable registry; <= 32 seats
            registry.releaseBond(seats[i], round);
        }
        r.obligationsWad = r.collectedWad; // every trader gets its cost back
        uint256 back = r.subsidyWad;
        r.treasuryReturnWad = uint128(back);
        collateral.safeTransfer(treasury, back);
        emit RoundCancelled(round, back);
    }

    // ================================================================ committee

    /// @inheritdoc IPredictionGame
    function electCommittee(uint64 round) external returns (address[] memory seated) {
        RoundInfo storage r = _openRound(round);
        if (r.elected) revert AlreadyElected(round);
        if (block.timestamp >= r.listingEnds) revert ListingClosed(round, r.listingEnds);
        uint256 ready = randomness.readyAt(r.openBlock);
        if (block.number < ready) revert SeedNotReady(round, ready, block.number);
        bytes32 seed = randomness.seed(round, r.openBlock);
        // slither-disable-next-line reentrancy-benign,reentrancy-events: registry is the immutable, trusted registry
        seated = registry.electCommittee(round, r.openBlock, committeeSize, seed);
        r.elected = true;
        for (uint256 i; i < seated.length; ++i) {
            _committee[round].push(seated[i]);
            _seat[round][seated[i]] = i + 1;
        }
        emit CommitteeSeated(round, seated);
    }

    /// @inheritdoc IPredictionGame
    function list(uint64 round, bytes32[] calldata labelCommitments, bytes32 itemsRoot, bytes32 keyHash) external {
        RoundInfo storage r = _openRound(round);
        if (!r.elected) revert NotElected(round);
        if (block.timestamp >= r.listingEnds) revert ListingClosed(round, r.listingEnds);
        if (_seat[round][msg.sender] == 0) revert NotCommitteeMember(round, msg.sender);
        Listing[] storage ls = _listings[round];
        for (uint256 i; i < ls.length; ++i) {
            if (ls[i].member == msg.sender) revert AlreadyListed(round, msg.sender);
        }
        uint256 count = labelCommitments.length;
        if (count == 0) revert EmptyListing(round);
        if (count > maxItemsPerMember) revert QuotaExceeded(round, count, maxItemsPerMember);
        uint256 b = r.liquidityWad;
        if (b != 0) {
            uint256 needed = r.reservedWad + count * LMSR.maxLossUp(b, outcomeCount);
            if (needed > r.subsidyWad) revert SubsidyExhausted(round, needed, r.subsidyWad);
            r.reservedWad = uint128(needed);
        }

        uint32 first = r.itemCount;
        mapping(uint256 => bytes32) storage c = _commitments[round];
        for (uint256 i; i < count; ++i) {
            c[first + i] = labelCommitments[i];
        }
        r.itemCount = first + uint32(count);
        r.listingCount += 1;
        ls.push(Listing(msg.sender, first, uint32(count), false, false, itemsRoot, keyHash, 0, 0));
        emit Listed(round, msg.sender, ls.length - 1, first, labelCommitments, itemsRoot, keyHash);
    }

    // ================================================================ trading

    /// @dev What one trade call keeps in memory: the round's parameters and the listings' ranges.
    struct TradeCtx {
        uint64 round;
        uint256 b;
        uint256 itemCount;
        uint256[] listingEnd; // exclusive end item of each listing
        bool[] listingVoid;
        uint256[] listingCost; // cost this call adds per listing
        uint256[] q; // the current item's quantities
        uint256 newPositions;
    }

    /// @inheritdoc IPredictionGame
    function trade(
        uint64 round,
        bytes32 modelHash,
        uint256[] calldata orders,
        uint256[] calldata beliefs,
        uint256 maxCostWad
    ) external returns (uint256 costWad, uint256 executed) {
        if (beliefs.length != orders.length) revert LengthMismatch(orders.length, beliefs.length);
        TradeCtx memory ctx = _enterTrade(round, modelHash);
        uint256[] memory skipped;
        (costWad, executed, skipped) = _fillAll(ctx, orders);
        if (costWad > maxCostWad) revert CostAboveMax(costWad, maxCostWad);
        _book(ctx, costWad);
        if (costWad != 0) collateral.safeTransferFrom(msg.sender, address(this), costWad);
        emit Traded(round, msg.sender, modelHash, costWad, orders, beliefs, skipped);
    }

    /// @dev Every check a trade makes before touching a market; loads the call's context.
    function _enterTrade(uint64 round, bytes32 modelHash) private returns (TradeCtx memory ctx) {
        RoundInfo storage r = _openRound(round);
        if (r.liquidityWad == 0) revert NoLmsrMarket(round);
        uint64 listingEnds = r.listingEnds;
        if (block.timestamp < listingEnds) revert TradingNotOpen(round, listingEnds);
        if (block.timestamp >= r.tradingEnds) revert TradingClosed(round, r.tradingEnds);
        if (_seat[round][msg.sender] != 0) revert CommitteeCannotTrade(round, msg.sender);
        _commitModel(_traders[round][msg.sender], round, modelHash, listingEnds);
        ctx = _context(round, r);
    }

    function _fillAll(TradeCtx memory ctx, uint256[] calldata orders)
        private
        returns (uint256 costWad, uint256 executed, uint256[] memory skipped)
    {
        skipped = new uint256[]((orders.length + 255) / 256);
        for (uint256 i; i < orders.length; ++i) {
            uint256 cost = _fill(ctx, orders[i]);
            if (cost == type(uint256).max) {
                skipped[i >> 8] |= 1 << (i & 255);
            } else {
                costWad += cost;
                ++executed;
            }
        }
    }

    /// @dev Write one trade call's totals: per listing (for void refunds), per trader, per round.
    function _book(TradeCtx memory ctx, uint256 costWad) private {
        Listing[] storage ls = _listings[ctx.round];
        mapping(uint256 => uint256) storage lc = _listingCost[ctx.round][msg.sender];
        for (uint256 j; j < ctx.listingCost.length; ++j) {
            uint256 c = ctx.listingCost[j];
            if (c != 0) {
                lc[j] += c;
                ls[j].collectedWad += uint128(c); // c ≤ costWad, which toUint128 checks below
            }
        }
        uint128 cost = costWad.toUint128();
        Trader storage t = _traders[ctx.round][msg.sender];
        t.costWad += cost;
        t.positions += uint32(ctx.newPositions);
        _rounds[ctx.round].collectedWad += cost;
    }

    /// @dev The first trade of a round fixes the trader's model; it must be the caller's and
    /// registered before listing ended.
    function _commitModel(Trader storage t, uint64 round, bytes32 modelHash, uint64 listingEnds) private {
        bytes32 committed = t.modelHash;
        if (committed == bytes32(0)) {
            address operator = models.operatorOf(modelHash);
            if (operator != msg.sender) revert NotModelOperator(modelHash, msg.sender, operator);
            uint64 registeredAt = models.registeredAt(modelHash);
            if (registeredAt >= listingEnds) revert ModelRegisteredLate(modelHash, registeredAt, listingEnds);
            t.modelHash = modelHash;
        } else if (committed != modelHash) {
            revert ModelHashMismatch(round, committed, modelHash);
        }
    }

    function _context(uint64 round, RoundInfo storage r) private view returns (TradeCtx memory ctx) {
        Listing[] storage ls = _listings[round];
        uint256 n = ls.length;
        ctx.round = round;
        ctx.b = r.liquidityWad;
        ctx.itemCount = r.itemCount;
        ctx.listingEnd = new uint256[](n);
        ctx.listingVoid = new bool[](n);
        ctx.listingCost = new uint256[](n);
        ctx.q = new uint256[](outcomeCount);
        for (uint256 j; j < n; ++j) {
            Listing storage l = ls[j];
            ctx.listingEnd[j] = uint256(l.firstItem) + l.count;
            ctx.listingVoid[j] = l.voided;
        }
    }

    /// @dev Index of the listing that holds `item` (listings cover contiguous ranges in order).
    function _listingIndex(uint256[] memory listingEnd, uint256 item) private pure returns (uint256 j) {
        while (item >= listingEnd[j]) ++j;
    }

    /// @dev Execute one order; returns its cost, or type(uint256).max when skipped.
    function _fill(TradeCtx memory ctx, uint256 order) private returns (uint256 cost) {
        uint256 item = uint32(order);
        uint256 k = uint8(order >> 32);
        uint256 shares = uint96(order >> 40);
        if (item >= ctx.itemCount) revert UnknownItem(ctx.round, item);
        if (k >= outcomeCount) revert InvalidOutcome(item, k);
        if (shares == 0) revert ZeroShares(item);
        uint256 j = _listingIndex(ctx.listingEnd, item);
        if (ctx.listingVoid[j]) return type(uint256).max;

        // slither-disable-next-line unused-return: the price before is not needed, the limit bounds the average price
        (cost,) = LMSR.quote(_loadQ(ctx, item), k, shares, ctx.b);
        // Average price above the limit: ceil(cost 1e18 / shares) > limit iff cost 1e18 > limit shares.
        unchecked {
            // cost < 2^130 (quantities < 2^128), so cost 1e18 < 2^190; limit shares < 2^64 2^96.
            if (cost * 1e18 > uint256(uint64(order >> 136)) * shares) return type(uint256).max;
        }
        _credit(ctx, item, k, shares);
        ctx.listingCost[j] += cost;
    }

    /// @dev Unpack `item`'s quantities into ctx.q (reused across orders: no allocation per item).
    function _loadQ(TradeCtx memory ctx, uint256 item) private view returns (uint256[] memory q) {
        mapping(uint256 => uint256) storage qs = _q[ctx.round];
        q = ctx.q;
        uint256 base = item * _slots;
        for (uint256 s; s < _slots; ++s) {
            uint256 w = qs[base + s];
            q[2 * s] = w & MASK128;
            if (2 * s + 1 < q.length) q[2 * s + 1] = w >> 128;
        }
    }

    /// @dev Add `shares` of outcome k to the market's quantity and to the caller's position.
    function _credit(TradeCtx memory ctx, uint256 item, uint256 k, uint256 shares) private {
        uint256 base = item * _slots;
        uint256 slot = base + k / 2;
        uint256 shift = (k & 1) * 128;
        uint256 newQ = ctx.q[k] + shares;
        if (newQ > MASK128) revert InvalidParameter(newQ);
        mapping(uint256 => uint256) storage qs = _q[ctx.round];
        qs[slot] = (qs[slot] & ~(MASK128 << shift)) | (newQ << shift);

        mapping(uint256 => uint256) storage pos = _shares[ctx.round][msg.sender];
        uint256 held = pos[slot];
        if (held == 0 && _positionEmpty(pos, base)) ++ctx.newPositions;
        uint256 mine = ((held >> shift) & MASK128) + shares; // ≤ newQ < 2^128: no overflow into the other lane
        pos[slot] = (held & ~(MASK128 << shift)) | (mine << shift);
    }

    function _positionEmpty(mapping(uint256 => uint256) storage pos, uint256 base) private view returns (bool) {
        for (uint256 s; s < _slots; ++s) {
            if (pos[base + s] != 0) return false;
        }
        return true;
    }

    // ================================================================ reveal and settle

    /// @inheritdoc IPredictionGame
    function reveal(uint64 round, uint8[] calldata outcomes, bytes32[] calldata salts, bytes32 key) external {
        RoundInfo storage r = _openRound(round);
        if (block.timestamp < r.tradingEnds) revert RevealNotOpen(round, r.tradingEnds);
        if (block.timestamp >= r.revealEnds) revert RevealClosed(round, r.revealEnds);
        (Listing storage l, uint256 index) = _listingOf(round, msg.sender);
        if (l.revealed) revert AlreadyRevealed(round, msg.sender);
        if (l.voided) revert ListingVoided(round, msg.sender);
        uint256 count = l.count;
        if (outcomes.length != count) revert LengthMismatch(count, outcomes.length);
        if (salts.length != count) revert LengthMismatch(count, salts.length);
        if (keccak256(abi.encodePacked(key)) != l.keyHash) revert KeyMismatch(round, msg.sender, l.keyHash);

        l.payoutOwedWad = _revealItems(round, l.firstItem, outcomes, salts).toUint128();
        l.revealed = true;
        emit Revealed(round, msg.sender, index, outcomes, salts, key);
    }

    /// @dev Check each (outcome, salt) against its commitment, write the outcome lanes, and
    /// return the shares of the revealed outcomes (what the listing's holders are owed).
    function _revealItems(uint64 round, uint256 first, uint8[] calldata outcomes, bytes32[] calldata salts)
        private
        returns (uint256 owed)
    {
        mapping(uint256 => bytes32) storage c = _commitments[round];
        mapping(uint256 => uint256) storage qs = _q[round];
        mapping(uint256 => uint256) storage lanes = _outcomes[round];
        uint256 wordIndex = first >> 6;
        uint256 word = lanes[wordIndex];
        for (uint256 i; i < outcomes.length; ++i) {
            uint256 item = first + i;
            uint256 k = outcomes[i];
            if (k >= outcomeCount) revert InvalidOutcome(item, k);
            if (keccak256(abi.encodePacked(uint8(k), salts[i])) != c[item]) revert RevealMismatch(round, item);
            if (item >> 6 != wordIndex) {
                lanes[wordIndex] = word;
                wordIndex = item >> 6;
                word = lanes[wordIndex];
            }
            word |= (k + 1) << ((item & 63) * 4);
            owed += (qs[item * _slots + k / 2] >> ((k & 1) * 128)) & MASK128;
        }
        lanes[wordIndex] = word;
    }

    /// @inheritdoc IPredictionGame
    function claimLeakedLabel(uint64 round, uint256 item, uint8 outcome, bytes32 salt) external {
        RoundInfo storage r = _openRound(round);
        if (block.timestamp >= r.tradingEnds) revert TradingClosed(round, r.tradingEnds);
        if (item >= r.itemCount) revert UnknownItem(round, item);
        if (keccak256(abi.encodePacked(outcome, salt)) != _commitments[round][item]) revert RevealMismatch(round, item);
        Listing[] storage ls = _listings[round];
        uint256 j;
        while (item >= uint256(ls[j].firstItem) + ls[j].count) ++j;
        Listing storage l = ls[j];
        if (l.voided) revert ListingVoided(round, l.member);
        l.voided = true;
        // slither-disable-next-line reentrancy-events: registry is the immutable, trusted registry; voided set before
        uint256 bond = registry.slashBond(l.member, round, msg.sender);
        emit LabelLeaked(round, l.member, item, msg.sender, bond);
    }

    /// @inheritdoc IPredictionGame
    function settle(uint64 round) external {
        RoundInfo storage r = _openRound(round);
        if (block.timestamp < r.revealEnds) revert SettleTooEarly(round, r.revealEnds);
        Listing[] storage ls = _listings[round];
        // slither-disable-next-line uninitialized-local: an accumulator, zero by default
        uint256 obligations;
        // slither-disable-next-line uninitialized-local: an accumulator, zero by default
        uint256 voidedItems;
        for (uint256 j; j < ls.length; ++j) {
            Listing storage l = ls[j];
            if (!l.revealed && !l.voided) {
                l.voided = true;
                // Known: settle sets its status after these calls (the security issue reorders it).
                // slither-disable-next-line calls-loop,reentrancy-events: trusted registry; <= 32 listings
                uint256 slashed = registry.slashBond(l.member, round, treasury);
                emit ListingVoidedEvent(round, l.member, j, slashed);
            }
            if (l.voided) {
                obligations += l.collectedWad;
                voidedItems += l.count;
            } else {
                obligations += l.payoutOwedWad;
            }
        }
        address[] storage seats = _committee[round];
        for (uint256 i; i < seats.length; ++i) {
            // slither-disable-next-line calls-loop: registry is the immutable, trusted registry; <= 32 seats
            registry.releaseBond(seats[i], round);
        }
        // The market maker's loss per revealed item is at most b ln K ≤ maxLossUp (costs round
        // up), and reservedWad holds maxLossUp per listed item, so this never underflows.
        uint256 back = uint256(r.subsidyWad) + r.collectedWad - obligations;
        r.obligationsWad = obligations.toUint128();
        r.treasuryReturnWad = back.toUint128();
        r.status = Status.Settled;
        if (back != 0) collateral.safeTransfer(treasury, back);
        emit Settled(round, obligations, back, voidedItems);
    }

    /// @inheritdoc IPredictionGame
    function redeem(uint64 round, uint256[] calldata items) external returns (uint256 amountWad) {
        RoundInfo storage r = _rounds[round];
        Status status = r.status;
        if (status != Status.Settled && status != Status.Cancelled) revert NotSettled(round, status);
        Trader storage t = _traders[round][msg.sender];
        if (t.redeemed) revert AlreadyRedeemed(round, msg.sender);
        // slither-disable-next-line uninitialized-local: zero in a cancelled round, else set by _settlePositions
        uint256 payout;
        uint256 refund;
        // slither-disable-next-line uninitialized-local: zero in a cancelled round (its one call is the last)
        uint256 left;
        if (status == Status.Cancelled) {
            refund = t.costWad;
        } else {
            uint256 cleared;
            (payout, refund, cleared) = _settlePositions(round, r.itemCount, items);
            left = t.positions - cleared; // cleared counts held items only: <= positions
            t.positions = uint32(left);
        }
        amountWad = payout + refund;
        r.paidOutWad += amountWad.toUint128();
        // Both stay below the round's obligations (< 2^128): paidOutWad above checks the sum.
        uint256 totalPayout = t.payoutWad + payout;
        uint256 totalRefund = t.refundWad + refund;
        t.payoutWad = uint128(totalPayout);
        t.refundWad = uint128(totalRefund);
        if (left == 0) {
            t.redeemed = true;
            int256 profit = int256(totalPayout + totalRefund) - int256(uint256(t.costWad));
            // slither-disable-next-line reentrancy-events: models is the immutable, trusted registry; redeemed set before
            if (t.modelHash != bytes32(0)) models.recordProfit(t.modelHash, round, profit);
            emit Redeemed(round, msg.sender, t.modelHash, totalPayout, totalRefund, profit);
        } else {
            emit RedeemedPart(round, msg.sender, payout, refund, left);
        }
        if (amountWad != 0) collateral.safeTransfer(msg.sender, amountWad);
    }

    /// @dev Clear the caller's positions on `items`: shares of revealed outcomes pay 1 each; void
    /// listings refund the caller's cost on them (once: the cost is deleted). Returns the number
    /// of items that held a position (cleared now; repeats and empty items count for nothing).
    function _settlePositions(uint64 round, uint256 itemCount, uint256[] calldata items)
        private
        returns (uint256 payout, uint256 refund, uint256 cleared)
    {
        Listing[] storage ls = _listings[round];
        for (uint256 j; j < ls.length; ++j) {
            if (ls[j].voided) {
                uint256 c = _listingCost[round][msg.sender][j];
                if (c != 0) {
                    refund += c;
                    delete _listingCost[round][msg.sender][j];
                }
            }
        }
        mapping(uint256 => uint256) storage pos = _shares[round][msg.sender];
        mapping(uint256 => uint256) storage lanes = _outcomes[round];
        for (uint256 i; i < items.length; ++i) {
            uint256 item = items[i];
            if (item >= itemCount) revert UnknownItem(round, item);
            uint256 base = item * _slots;
            uint256 lane = (lanes[item >> 6] >> ((item & 63) * 4)) & 15; // 0 = void (never revealed)
            // slither-disable-next-line uninitialized-local: false until a non-empty slot is found
            bool held;
            for (uint256 s; s < _slots; ++s) {
                uint256 w = pos[base + s];
                if (w == 0) continue;
                held = true;
                delete pos[base + s];
                if (lane != 0 && (lane - 1) / 2 == s) payout += (w >> (((lane - 1) & 1) * 128)) & MASK128;
            }
            if (held) ++cleared;
        }
        // A void listing's items never got an outcome lane (lane 0): they pay nothing here and
        // their cost came back above, once per listing.
    }

    // ================================================================ views

    function _openRound(uint64 round) private view returns (RoundInfo storage r) {
        r = _rounds[round];
        if (r.status != Status.Open) {
            if (r.status == Status.None) revert UnknownRound(round);
            revert RoundNotOpen(round, r.status);
        }
    }

    function _listingOf(uint64 round, address member) private view returns (Listing storage, uint256) {
        Listing[] storage ls = _listings[round];
        for (uint256 j; j < ls.length; ++j) {
            if (ls[j].member == member) return (ls[j], j);
        }
        revert NothingListed(round, member);
    }

    /// @inheritdoc IPredictionGame
    function roundCount() external view returns (uint64) {
        return _roundCount;
    }

    /// @inheritdoc IPredictionGame
    function phase(uint64 round) external view returns (Phase) {
        RoundInfo storage r = _rounds[round];
        if (r.status == Status.None) return Phase.None;
        if (r.status == Status.Settled) return Phase.Settled;
        if (r.status == Status.Cancelled) return Phase.Cancelled;
        if (block.timestamp >= r.revealEnds) return Phase.Settleable;
        if (block.timestamp >= r.tradingEnds) return Phase.Revealing;
        if (block.timestamp >= r.listingEnds) return Phase.Trading;
        return r.elected ? Phase.Listing : Phase.Electing;
    }

    /// @inheritdoc IPredictionGame
    function roundInfo(uint64 round) external view returns (RoundInfo memory) {
        return _rounds[round];
    }

    /// @inheritdoc IPredictionGame
    function listings(uint64 round) external view returns (Listing[] memory) {
        return _listings[round];
    }

    /// @inheritdoc IPredictionGame
    function committee(uint64 round) external view returns (address[] memory) {
        return _committee[round];
    }

    /// @inheritdoc IPredictionGame
    function traderOf(uint64 round, address trader) external view returns (Trader memory) {
        return _traders[round][trader];
    }

    /// @inheritdoc IPredictionGame
    function sharesOf(uint64 round, address trader, uint256 item) external view returns (uint256[] memory s) {
        return _unpack(_shares[round][trader], item);
    }

    /// @inheritdoc IPredictionGame
    function quantities(uint64 round, uint256 item) external view returns (uint256[] memory) {
        return _unpack(_q[round], item);
    }

    function _unpack(mapping(uint256 => uint256) storage m, uint256 item) private view returns (uint256[] memory v) {
        v = new uint256[](outcomeCount);
        for (uint256 k; k < outcomeCount; ++k) {
            v[k] = (m[item * _slots + k / 2] >> ((k & 1) * 128)) & MASK128;
        }
    }

    /// @inheritdoc IPredictionGame
    function outcomeOf(uint64 round, uint256 item) external view returns (uint256) {
        return (_outcomes[round][item >> 6] >> ((item & 63) * 4)) & 15;
    }

    /// @inheritdoc IPredictionGame
    function outcomeWords(uint64 round) external view returns (uint256[] memory words) {
        mapping(uint256 => uint256) storage lanes = _outcomes[round];
        words = new uint256[]((uint256(_rounds[round].itemCount) + 63) >> 6);
        for (uint256 i; i < words.length; ++i) {
            words[i] = lanes[i];
        }
    }

    /// @inheritdoc IPredictionGame
    function labelCommitment(uint64 round, uint256 item) external view returns (bytes32) {
        return _commitments[round][item];
    }

    /// @inheritdoc IPredictionGame
    function costOnListing(uint64 round, address trader, uint256 listingIndex) external view returns (uint256) {
        return _listingCost[round][trader][listingIndex];
    }
}
