// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IPredictionGame} from "./interfaces/IPredictionGame.sol";
import {ISealedPool} from "./interfaces/ISealedPool.sol";
import {KellyPool} from "./libraries/KellyPool.sol";

/// @title SealedPool
/// @notice Sealed-round joint Kelly pools beside the PredictionGame. See ISealedPool for the
/// protocol, the stake cap and the conservation invariant; KellyPool for the math.
/// @dev Storage per round: four slots (S and the stakes; the game's deadlines and item count,
/// cached by the first commit, with the counters and status; two for the settlement: the seed's
/// score is only in the Finalized event). Per commit three
/// slots (commitment, model hash, stake with score and flags); no per-item storage: forecasts
/// live in calldata and events, and the commitment binds them, so scoring re-shows them. Payouts
/// are not stored: a claim recomputes its own from the round's M, Z and Pot with the same
/// KellyPool calls `settle` made at finalize, so it is the same integer.
contract SealedPool is ISealedPool, Ownable {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SafeCast for int256;

    /// @notice Most commits per round: finalize is O(operators) and must fit a block.
    uint256 public constant MAX_OPERATORS = 1024;
    /// @notice Most forecast values (items * (K - 1)) per round: 96 KiB of forecasts, so one
    /// operator's reveal or scoring fits a transaction.
    uint256 public constant MAX_FORECAST_VALUES = 12_288;
    /// @notice Largest stake cap factor c (wad): 1000.
    uint256 public constant MAX_CAP_FACTOR_WAD = 1e21;

    /// @dev One pool round. Slot 0: S, sum of stakes. Slot 1: the game's deadlines and item count
    /// (cached at the first commit; tradingEnds = 0 while not cached), counters, status.
    /// Slots 2-3: written once, at finalize (slot 3's refund at cancel).
    struct Round {
        uint128 subsidyWad;
        uint128 stakeWad;
        uint64 listingEnds;
        uint64 tradingEnds;
        uint32 itemCount;
        uint16 operatorCount;
        uint16 revealedCount;
        uint16 scoredCount;
        Status status;
        uint128 poolStakeWad;
        uint128 totalWeight;
        int128 maxScoreWad;
        uint128 refundWad;
    }

    /// @dev One operator's commit in a round; stakeWad != 0 marks it as existing.
    struct Commit {
        bytes32 commitment;
        bytes32 modelHash;
        uint96 stakeWad;
        int128 scoreWad;
        bool revealed;
        bool scored;
        bool claimed;
    }

    /// @inheritdoc ISealedPool
    IPredictionGame public immutable game;
    /// @notice The collateral (the CommunityToken).
    IERC20 public immutable token;
    /// @notice The model registry (operators and registration times of model hashes).
    IModelRegistry public immutable models;
    /// @inheritdoc ISealedPool
    uint256 public immutable etaWad;
    /// @inheritdoc ISealedPool
    uint64 public immutable revealWindowSecs;
    /// @inheritdoc ISealedPool
    uint256 public immutable stakeCapFactorWad;
    /// @inheritdoc ISealedPool
    uint256 public immutable outcomeCount;
    /// @inheritdoc ISealedPool
    address public treasury;

    mapping(uint64 => Round) private _rounds;
    mapping(uint64 => mapping(address => Commit)) private _commits;

    /// @notice Deploy a pool beside `game_`; its terms (eta, W, c) are fixed for every round.
    /// @param game_ The PredictionGame whose rounds, committee and labels the pool follows.
    /// @param token_ The collateral (the game's CommunityToken).
    /// @param models_ The ModelRegistry.
    /// @param governance The owner (may set the treasury); zero reverts OwnableInvalidOwner.
    /// @param treasury_ Where the community's refunds go.
    /// @param etaWad_ eta (wad), in (0, KellyPool.MAX_ETA_WAD]; 0.2e18 by default.
    /// @param revealWindowSecs_ W > 0: reveals take the last W seconds of the game's trading phase.
    /// @param stakeCapFactorWad_ c (wad), in (0, MAX_CAP_FACTOR_WAD]: pool stakes sum to <= c S.
    constructor(
        IPredictionGame game_,
        IERC20 token_,
        IModelRegistry models_,
        address governance,
        address treasury_,
        uint256 etaWad_,
        uint64 revealWindowSecs_,
        uint256 stakeCapFactorWad_
    ) Ownable(governance) {
        if (address(game_) == address(0)) revert ZeroAddress(0);
        if (address(token_) == address(0)) revert ZeroAddress(1);
        if (address(models_) == address(0)) revert ZeroAddress(2);
        if (treasury_ == address(0)) revert ZeroAddress(3);
        if (etaWad_ == 0 || etaWad_ > KellyPool.MAX_ETA_WAD) revert InvalidEta(etaWad_);
        if (revealWindowSecs_ == 0) revert InvalidRevealWindow(revealWindowSecs_);
        if (stakeCapFactorWad_ == 0 || stakeCapFactorWad_ > MAX_CAP_FACTOR_WAD) {
            revert InvalidStakeCapFactor(stakeCapFactorWad_);
        }
        uint256 k = game_.outcomeCount();
        if (k < KellyPool.MIN_OUTCOMES || k > KellyPool.MAX_OUTCOMES) revert InvalidOutcomeCount(k);
        game = game_;
        token = token_;
        models = models_;
        treasury = treasury_;
        etaWad = etaWad_;
        revealWindowSecs = revealWindowSecs_;
        stakeCapFactorWad = stakeCapFactorWad_;
        outcomeCount = k;
    }

    // ================================================================ governance

    /// @inheritdoc ISealedPool
    function setTreasury(address treasury_) external onlyOwner {
        if (treasury_ == address(0)) revert ZeroAddress(3);
        treasury = treasury_;
        emit TreasuryChanged(treasury_);
    }

    // ================================================================ funding and commits

    /// @inheritdoc ISealedPool
    function fund(uint64 round, uint256 subsidyWad) external {
        Round storage r = _openPoolRound(round);
        if (subsidyWad == 0) revert ZeroAmount(round);
        IPredictionGame.RoundInfo memory info = _openGameRound(round);
        uint64 ends = _commitEndsOf(info.tradingEnds);
        if (block.timestamp >= ends) revert CommitClosed(round, ends);
        uint256 subsidy = uint256(r.subsidyWad) + subsidyWad;
        _checkPot(round, subsidy, r.stakeWad);
        r.subsidyWad = uint128(subsidy); // fits: _checkPot
        r.status = Status.Open;
        emit Funded(round, msg.sender, subsidyWad, subsidy);
        token.safeTransferFrom(msg.sender, address(this), subsidyWad);
    }

    /// @inheritdoc ISealedPool
    function commit(uint64 round, bytes32 modelHash, bytes32 commitment, uint256 stakeWad) external {
        Round storage r = _openPoolRound(round);
        if (stakeWad == 0) revert ZeroAmount(round);
        (uint64 listingEnds, uint64 tradingEnds) = _schedule(round, r);
        if (block.timestamp < listingEnds) revert CommitNotOpen(round, listingEnds);
        uint64 ends = _commitEndsOf(tradingEnds);
        if (block.timestamp >= ends) revert CommitClosed(round, ends);
        _checkNotCommittee(round);
        _checkModel(modelHash, listingEnds);
        Commit storage c = _commits[round][msg.sender];
        if (c.stakeWad != 0) revert AlreadyCommitted(round, msg.sender, c.commitment);
        uint256 count = r.operatorCount;
        if (count >= MAX_OPERATORS) revert TooManyOperators(round, MAX_OPERATORS);
        uint256 stakes = uint256(r.stakeWad) + stakeWad;
        _checkPot(round, r.subsidyWad, stakes);

        c.commitment = commitment;
        c.modelHash = modelHash;
        c.stakeWad = stakeWad.toUint96();
        r.stakeWad = uint128(stakes); // fits: _checkPot
        r.operatorCount = uint16(count + 1); // count < MAX_OPERATORS < 2**16
        r.status = Status.Open;
        emit Committed(round, msg.sender, modelHash, commitment, stakeWad);
        token.safeTransferFrom(msg.sender, address(this), stakeWad);
    }

    /// @inheritdoc ISealedPool
    function reveal(uint64 round, bytes calldata forecasts, bytes32 salt) external {
        Round storage r = _openPoolRound(round);
        Commit storage c = _commitOf(round, msg.sender);
        uint64 tradingEnds = r.tradingEnds;
        uint64 ends = _commitEndsOf(tradingEnds);
        if (block.timestamp < ends) revert RevealNotOpen(round, ends);
        if (block.timestamp >= tradingEnds) revert RevealClosed(round, tradingEnds);
        if (c.revealed) revert AlreadyRevealed(round, msg.sender);
        bytes32 modelHash = c.modelHash;
        _checkCommitment(round, msg.sender, c.commitment, modelHash, forecasts, salt);
        KellyPool.validate(forecasts, r.itemCount, outcomeCount);

        c.revealed = true;
        r.revealedCount += 1; // <= operatorCount < 2**16
        emit ForecastRevealed(round, msg.sender, modelHash, forecasts, salt);
    }

    // ================================================================ scoring and settlement

    /// @inheritdoc ISealedPool
    function score(
        uint64 round,
        address[] calldata operators,
        bytes[] calldata forecasts,
        bytes32[] calldata salts
    ) external {
        Round storage r = _openPoolRound(round);
        _checkGamePhase(round, IPredictionGame.Phase.Settled);
        uint256 n = operators.length;
        _checkLengths(n, forecasts.length, salts.length);
        Pass memory p = Pass(round, r.stakeWad, 0, r.itemCount, game.outcomeWords(round), 0);
        for (uint256 i; i < n; ++i) {
            address op = operators[i];
            Commit storage c = _commitOf(round, op);
            if (!c.revealed) revert NotRevealed(round, op);
            if (c.scored) revert AlreadyScored(round, op);
            _score(p, op, c, forecasts[i], salts[i]);
        }
        r.scoredCount += uint16(n); // each scored once, so <= revealedCount < 2**16
    }

    /// @inheritdoc ISealedPool
    function finalize(
        uint64 round,
        address[] calldata operators,
        bytes[] calldata forecasts,
        bytes32[] calldata salts
    ) external {
        Round storage r = _openPoolRound(round);
        _checkGamePhase(round, IPredictionGame.Phase.Settled);
        if (operators.length != r.operatorCount) revert OperatorCountMismatch(round, r.operatorCount, operators.length);
        _checkLengths(operators.length, forecasts.length, salts.length);
        uint256[] memory words = game.outcomeWords(round);
        (uint256[] memory stakes, int256[] memory scores, bool[] memory revealed) =
            _collect(round, r, operators, forecasts, salts, words);
        _settle(round, r, words, stakes, scores, revealed);
    }

    /// @inheritdoc ISealedPool
    function cancel(uint64 round) external {
        Round storage r = _openPoolRound(round);
        _checkGamePhase(round, IPredictionGame.Phase.Cancelled);
        uint256 back = r.subsidyWad;
        r.refundWad = uint128(back);
        r.status = Status.Cancelled;
        emit RoundCancelled(round, back);
        if (back != 0) token.safeTransfer(treasury, back);
    }

    /// @inheritdoc ISealedPool
    function claim(uint64 round) external returns (uint256 amountWad) {
        Round storage r = _rounds[round];
        Commit storage c = _commitOf(round, msg.sender);
        if (c.claimed) revert AlreadyClaimed(round, msg.sender);
        Status status = r.status;
        uint256 stake = c.stakeWad;
        // slither-disable-next-line uninitialized-local: zero unless set below (finalized or cancelled)
        uint256 excess;
        // slither-disable-next-line uninitialized-local: zero unless the round is finalized
        uint256 payout;
        if (status == Status.Finalized) {
            (, excess, payout) = _settled(r, c, stake);
        } else if (status == Status.Cancelled) {
            excess = stake;
        } else {
            revert NotFinalized(round, status);
        }
        c.claimed = true;
        amountWad = excess + payout;
        emit Claimed(round, msg.sender, c.modelHash, stake, excess, payout, c.scoreWad);
        // The registry's profit record (information only: models are ranked by their scores).
        if (status == Status.Finalized) models.recordProfit(c.modelHash, round, int256(amountWad) - int256(stake));
        if (amountWad != 0) token.safeTransfer(msg.sender, amountWad);
    }

    // ================================================================ views

    /// @inheritdoc ISealedPool
    function commitEnds(uint64 round) external view returns (uint64) {
        uint64 tradingEnds = _rounds[round].tradingEnds;
        if (tradingEnds == 0) tradingEnds = game.roundInfo(round).tradingEnds;
        return tradingEnds == 0 ? 0 : _commitEndsOf(tradingEnds);
    }

    /// @inheritdoc ISealedPool
    function roundState(uint64 round) external view returns (RoundState memory st) {
        Round storage r = _rounds[round];
        st.subsidyWad = r.subsidyWad;
        st.stakeWad = r.stakeWad;
        st.poolStakeWad = r.poolStakeWad;
        st.potWad = r.status == Status.Finalized ? uint256(r.subsidyWad) + r.poolStakeWad : 0;
        st.refundWad = r.refundWad;
        st.totalWeight = r.totalWeight;
        st.maxScoreWad = r.maxScoreWad;
        st.commitEnds = r.tradingEnds == 0 ? 0 : _commitEndsOf(r.tradingEnds);
        st.revealEnds = r.tradingEnds;
        st.itemCount = r.itemCount;
        st.operatorCount = r.operatorCount;
        st.revealedCount = r.revealedCount;
        st.scoredCount = r.scoredCount;
        st.status = r.status;
    }

    /// @inheritdoc ISealedPool
    function operatorState(uint64 round, address operator) external view returns (OperatorState memory st) {
        Round storage r = _rounds[round];
        Commit storage c = _commits[round][operator];
        st.modelHash = c.modelHash;
        st.commitment = c.commitment;
        st.stakeWad = c.stakeWad;
        st.scoreWad = c.scoreWad;
        st.revealed = c.revealed;
        st.scored = c.scored;
        st.claimed = c.claimed;
        if (r.status == Status.Finalized && st.stakeWad != 0) {
            (st.poolStakeWad, st.excessWad, st.payoutWad) = _settled(r, c, st.stakeWad);
        } else if (r.status == Status.Cancelled) {
            st.excessWad = st.stakeWad;
        }
    }

    // ================================================================ internals

    /// @dev The pool round, unless it is finalized or cancelled.
    function _openPoolRound(uint64 round) private view returns (Round storage r) {
        r = _rounds[round];
        Status status = r.status;
        if (status == Status.Finalized || status == Status.Cancelled) revert RoundClosed(round, status);
    }

    /// @dev The game's round, which must be open.
    function _openGameRound(uint64 round) private view returns (IPredictionGame.RoundInfo memory info) {
        info = game.roundInfo(round);
        if (info.status != IPredictionGame.Status.Open) {
            if (info.status == IPredictionGame.Status.None) revert UnknownRound(round);
            revert GameRoundNotOpen(round, info.status);
        }
    }

    /// @dev The game round's listingEnds and tradingEnds, read from the game (and its item count
    /// checked and cached) at the round's first commit. The deadlines are fixed when the game
    /// opens a round, and its item count once listing ends (`list` reverts from listingEnds on),
    /// which is before any commit.
    function _schedule(uint64 round, Round storage r) private returns (uint64 listingEnds, uint64 tradingEnds) {
        tradingEnds = r.tradingEnds;
        if (tradingEnds != 0) return (r.listingEnds, tradingEnds);
        IPredictionGame.RoundInfo memory info = _openGameRound(round);
        listingEnds = info.listingEnds;
        tradingEnds = info.tradingEnds;
        if (block.timestamp < listingEnds) revert CommitNotOpen(round, listingEnds);
        uint256 maxItems = MAX_FORECAST_VALUES / (outcomeCount - 1);
        if (info.itemCount > maxItems) revert RoundTooLarge(round, info.itemCount, maxItems);
        r.listingEnds = listingEnds;
        r.tradingEnds = tradingEnds;
        r.itemCount = info.itemCount;
    }

    /// @dev commitEnds = tradingEnds - W (0 if W reaches back to the epoch).
    function _commitEndsOf(uint64 tradingEnds) private view returns (uint64) {
        return tradingEnds > revealWindowSecs ? tradingEnds - revealWindowSecs : 0;
    }

    /// @dev Revert unless S + sum of stakes fits 128 bits (so Pot, Z and the refund do).
    function _checkPot(uint64 round, uint256 subsidyWad, uint256 stakesWad) private pure {
        if (subsidyWad + stakesWad > type(uint128).max) revert PotTooLarge(round, subsidyWad, stakesWad);
    }

    /// @dev The caller must hold no seat on the round's committee (elected before listing ends,
    /// so final at any commit; at most 32 seats).
    function _checkNotCommittee(uint64 round) private view {
        address[] memory seats = game.committee(round);
        for (uint256 i; i < seats.length; ++i) {
            if (seats[i] == msg.sender) revert CommitteeCannotCommit(round, msg.sender);
        }
    }

    /// @dev As the game checks a trade's model: the caller's, registered before listing ended.
    function _checkModel(bytes32 modelHash, uint64 listingEnds) private view {
        address operator = models.operatorOf(modelHash);
        if (operator != msg.sender) revert NotModelOperator(modelHash, msg.sender, operator);
        uint64 registeredAt = models.registeredAt(modelHash);
        if (registeredAt >= listingEnds) revert ModelRegisteredLate(modelHash, registeredAt, listingEnds);
    }

    /// @dev The game's round must be in `want` (Settled: labels final; Cancelled).
    function _checkGamePhase(uint64 round, IPredictionGame.Phase want) private view {
        IPredictionGame.Phase phase = game.phase(round);
        if (phase != want) revert WrongGamePhase(round, phase);
    }

    /// @dev One forecast and one salt per operator.
    function _checkLengths(uint256 n, uint256 forecasts, uint256 salts) private pure {
        if (forecasts != n) revert LengthMismatch(n, forecasts);
        if (salts != n) revert LengthMismatch(n, salts);
    }

    /// @dev An existing commit of `operator` in `round`.
    function _commitOf(uint64 round, address operator) private view returns (Commit storage c) {
        c = _commits[round][operator];
        if (c.stakeWad == 0) revert NotCommitted(round, operator);
    }

    /// @dev The forecasts and salt must open the operator's commitment (KellyPool.commitment).
    function _checkCommitment(
        uint64 round,
        address operator,
        bytes32 expected,
        bytes32 modelHash,
        bytes calldata forecasts,
        bytes32 salt
    ) private pure {
        bytes32 got = KellyPool.commitment(round, operator, modelHash, forecasts, salt);
        if (got != expected) revert CommitmentMismatch(round, operator, expected, got);
    }

    /// @dev Score a revealed commit: re-check its commitment, then eta * logLikelihood on the labels.
    function _score(Pass memory p, address operator, Commit storage c, bytes calldata forecasts, bytes32 salt)
        private
        returns (int256 scoreWad)
    {
        bytes32 modelHash = c.modelHash;
        _checkCommitment(p.round, operator, c.commitment, modelHash, forecasts, salt);
        int256 ll = KellyPool.logLikelihood(forecasts, p.words, p.items, outcomeCount);
        scoreWad = KellyPool.score(ll, etaWad);
        c.scoreWad = scoreWad.toInt128(); // |score| <= 5.3e18 * items * eta / 1e18 < 2**127
        c.scored = true;
        ++p.scored;
        emit Scored(p.round, operator, modelHash, ll, scoreWad);
    }

    /// @dev What scoring reads per commit (in `score` and finalize's pass over the commits).
    struct Pass {
        uint64 round;
        uint256 totalStakeWad; // sum s
        uint256 cap; // T
        uint256 items;
        uint256[] words;
        uint256 scored; // commits scored in this call
    }

    /// @dev finalize's pass over every commit: check the list, cap each stake, score whoever is
    /// revealed and not scored; the arrays KellyPool.settle takes.
    function _collect(
        uint64 round,
        Round storage r,
        address[] calldata operators,
        bytes[] calldata forecasts,
        bytes32[] calldata salts,
        uint256[] memory words
    ) private returns (uint256[] memory stakes, int256[] memory scores, bool[] memory revealed) {
        Pass memory p = Pass(round, r.stakeWad, _cap(r.subsidyWad), r.itemCount, words, 0);
        stakes = new uint256[](operators.length);
        scores = new int256[](operators.length);
        revealed = new bool[](operators.length);
        // slither-disable-next-line uninitialized-local: address(0), below every operator
        address prev;
        for (uint256 i; i < operators.length; ++i) {
            address op = operators[i];
            if (op <= prev) revert OperatorsNotAscending(round, i, op); // also rejects address(0)
            prev = op;
            (stakes[i], scores[i], revealed[i]) = _entry(p, op, forecasts[i], salts[i]);
        }
        r.scoredCount += uint16(p.scored); // each scored once, so <= revealedCount < 2**16
    }

    /// @dev One commit in finalize's pass: its pool stake s', and its score if it revealed
    /// (scoring it now if no one did).
    function _entry(Pass memory p, address op, bytes calldata forecasts, bytes32 salt)
        private
        returns (uint256 poolStake, int256 scoreWad, bool revealed)
    {
        Commit storage c = _commitOf(p.round, op);
        poolStake = _poolStake(c.stakeWad, p.totalStakeWad, p.cap);
        revealed = c.revealed;
        if (!revealed) return (poolStake, 0, false);
        if (c.scored) return (poolStake, c.scoreWad, true);
        scoreWad = _score(p, op, c, forecasts, salt);
    }

    /// @dev finalize's settlement: KellyPool.settle over the collected arrays, the round's results
    /// stored, the community's refund sent to the treasury.
    function _settle(
        uint64 round,
        Round storage r,
        uint256[] memory words,
        uint256[] memory stakes,
        int256[] memory scores,
        bool[] memory revealed
    ) private {
        uint256 subsidy = r.subsidyWad;
        int256 seed = KellyPool.seedScore(words, r.itemCount, outcomeCount, etaWad);
        KellyPool.Settlement memory s = KellyPool.settle(subsidy, seed, stakes, scores, revealed);
        // s.pot = S + sum s' <= S + sum s < 2**128 (_checkPot); Z <= pot; refund <= pot.
        uint256 poolStake = s.pot - subsidy;
        r.poolStakeWad = uint128(poolStake);
        r.totalWeight = uint128(s.totalWeight);
        r.maxScoreWad = s.maxScore.toInt128();
        r.refundWad = uint128(s.refund);
        r.status = Status.Finalized;
        emit Finalized(round, s.pot, poolStake, s.totalWeight, s.maxScore, seed, s.refund);
        if (s.refund != 0) token.safeTransfer(treasury, s.refund);
    }

    /// @dev T = floor(c * S / 1e18), the most the pool stakes may sum to (rounded DOWN).
    function _cap(uint256 subsidyWad) private view returns (uint256) {
        return FixedPointMathLib.fullMulDiv(subsidyWad, stakeCapFactorWad, KellyPool.WAD);
    }

    /// @dev s' = s if the stakes sum to at most T, else floor(s * T / sum) (rounded DOWN, so
    /// sum s' <= T).
    function _poolStake(uint256 stakeWad, uint256 totalStakeWad, uint256 cap) private pure returns (uint256) {
        if (totalStakeWad <= cap) return stakeWad;
        return FixedPointMathLib.fullMulDiv(stakeWad, cap, totalStakeWad);
    }

    /// @dev A finalized commit's pool stake s', excess s - s' and payout: the same KellyPool.weight
    /// and KellyPool.payout calls as KellyPool.settle at finalize, on the same values.
    function _settled(Round storage r, Commit storage c, uint256 stakeWad)
        private
        view
        returns (uint256 poolStake, uint256 excess, uint256 payout)
    {
        uint256 total = r.stakeWad;
        uint256 subsidy = r.subsidyWad;
        poolStake = _poolStake(stakeWad, total, _cap(subsidy));
        excess = stakeWad - poolStake; // poolStake <= stakeWad: T < sum, so s T / sum < s
        if (c.scored && poolStake != 0) {
            uint256 w = KellyPool.weight(poolStake, c.scoreWad, r.maxScoreWad);
            payout = KellyPool.payout(subsidy + r.poolStakeWad, w, r.totalWeight);
        }
    }
}
