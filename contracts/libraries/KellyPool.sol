// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @title KellyPool
/// @notice Fixed-point math of the joint Kelly pool: sealed forecasts, their log-likelihood on
///         the revealed labels, the tempered score, and the settlement that pays operator i
///         Pot * w_i / Z with w_i = s_i e^(score_i - M), the community's subsidy S being a seed
///         bet on the uniform forecast. `protocol/pool.py` mirrors every function to the wei.
/// @dev All probabilities, scores and eta are wad (1e18); stakes, the subsidy and payouts are
///      token units (wei). Formulas and rounding:
///
///      Forecasts (calldata `bytes`): item-major, per item K - 1 big-endian uint64 wad values
///          r_0..r_{K-2} (8 bytes each), the last implied as r_{K-1} = WAD - sum_j r_j. Every
///          r_j, the implied one included, must lie in [EPS_WAD, WAD - EPS_WAD] (EPS = 0.005), so
///          lnWad is defined and >= ln 0.005 ~ -5.3 per item. Length items * (K - 1) * 8 (512
///          bytes for 64 binary items).
///      Labels (`uint256[]` words): 4-bit lanes, 64 items per word, lane = outcome + 1, lane 0 =
///          void item (no label: skipped by every score, the seed's too). This is exactly how
///          PredictionGame stores revealed outcomes (`_outcomes`), so the game passes its words
///          as they are: one SLOAD per 64 items and no re-encoding, where a `bytes` of one uint8
///          per item would cost 16 gas of calldata per item plus a check against storage.
///      L      = sum over labelled items of lnWad(r[y])              (exact integer, <= 0)
///      score  = (L * eta) / WAD, Solidity signed division           (truncates toward zero: UP for L < 0)
///      seed   = score of the forecast floor(WAD / K) on outcomes 0..K-2 (rest implied) on every item
///      M      = max of seed (if S > 0) and score_i of revealed operators with s_i > 0 (seed if none).
///               Payouts do not depend on M in exact arithmetic; with this M the largest entry's
///               weight is its whole amount, so Z > 0 whenever anything with a stake is scored.
///      w_i    = floor(s_i * expWad(score_i - M) / WAD)              (DOWN; 0 if unrevealed or s_i = 0)
///      w_0    = floor(S * expWad(seed - M) / WAD)                   (DOWN)
///      Z      = w_0 + sum_i w_i;  Pot = S + sum of all stakes (an unrevealed stake stays in Pot)
///      payout_i = floor(Pot * w_i / Z), 512-bit precision           (DOWN; 0 for all if Z = 0)
///      refund = Pot - sum_i payout_i >= 0: the community gets the dust and any forfeits, so
///               sum payouts + refund = Pot exactly, and the community loses at most S.
///
///      A game settles in O(n) + O(1) per claim: store each operator's (stake, score, scored) and
///      track M as scores arrive (order-independent: a max); at finalize compute
///      Z = weight(S, seed, M) + sum_i weight(s_i, score_i, M) and refund = Pot - sum_i
///      payout(Pot, w_i, Z); a claim is payout(Pot, weight(s_i, score_i, M), Z). `settle` is that
///      composition over memory arrays (the reference, and what the harness tests).
library KellyPool {
    /// @notice The number of outcomes K is not in [MIN_OUTCOMES, MAX_OUTCOMES].
    /// @param outcomes The K given.
    error OutcomeCountOutOfRange(uint256 outcomes);
    /// @notice The forecast bytes are not items * (K - 1) * 8 long.
    /// @param expected The length items and K require.
    /// @param actual The length given.
    error ForecastLengthMismatch(uint256 expected, uint256 actual);
    /// @notice A probability outside [EPS_WAD, WAD - EPS_WAD].
    /// @param item The item index.
    /// @param outcome The outcome (K - 1 for the implied one).
    /// @param probabilityWad The probability (the implied one may be negative).
    error ProbabilityOutOfRange(uint256 item, uint256 outcome, int256 probabilityWad);
    /// @notice Fewer label words than ceil(items / 64).
    /// @param items The number of items.
    /// @param words The number of label words given.
    error LabelsTooShort(uint256 items, uint256 words);
    /// @notice A label lane holding an outcome index >= K.
    /// @param item The item index.
    /// @param outcome The outcome the lane holds (lane - 1).
    error LabelOutOfRange(uint256 item, uint256 outcome);
    /// @notice An item index at or beyond the number of items.
    /// @param item The index asked for.
    /// @param items The number of items.
    error ItemOutOfRange(uint256 item, uint256 items);
    /// @notice eta (wad) is 0 or above MAX_ETA_WAD.
    /// @param etaWad The eta given.
    error EtaOutOfRange(uint256 etaWad);
    /// @notice |L| above MAX_ABS_LOG_LIKELIHOOD_WAD (unreachable by valid forecasts).
    /// @param logLikelihoodWad The L given.
    error LogLikelihoodOutOfRange(int256 logLikelihoodWad);
    /// @notice `weight` asked for a score above the maximum it is taken relative to.
    /// @param scoreWad The score.
    /// @param maxScoreWad The maximum M.
    error ScoreAboveMax(int256 scoreWad, int256 maxScoreWad);
    /// @notice The settlement's per-operator arrays differ in length.
    /// @param stakes The number of stakes.
    /// @param other The length of the first array that differs (scores, then revealed).
    error SettlementLengthMismatch(uint256 stakes, uint256 other);

    /// @notice A settled round (see the formulas above); arrays in operator order.
    /// @param payouts Payout of each operator (wei), rounded down.
    /// @param weights w_i of each operator (0 if unrevealed or unstaked).
    /// @param seedWeight w_0, the community seed's weight.
    /// @param totalWeight Z = w_0 + sum w_i.
    /// @param maxScore M.
    /// @param pot S + sum of all stakes.
    /// @param refund Pot - sum payouts: what goes back to the community.
    struct Settlement {
        uint256[] payouts;
        uint256[] weights;
        uint256 seedWeight;
        uint256 totalWeight;
        int256 maxScore;
        uint256 pot;
        uint256 refund;
    }

    uint256 internal constant WAD = 1e18;
    /// @dev EPS = 0.005: every probability lies in [EPS_WAD, WAD - EPS_WAD].
    uint256 internal constant EPS_WAD = 5e15;
    uint256 internal constant MIN_OUTCOMES = 2;
    /// @dev Label lanes are 4 bits holding outcome + 1, so K <= 15 (and K * EPS < 1).
    uint256 internal constant MAX_OUTCOMES = 15;
    /// @dev Bytes per encoded probability (a big-endian uint64).
    uint256 internal constant VALUE_BYTES = 8;
    uint256 internal constant MAX_ETA_WAD = 1e20;
    /// @dev Keeps L * eta inside int256 (2**128 * 1e20 < 2**195); valid forecasts reach at most
    ///      5.3e18 per item.
    int256 internal constant MAX_ABS_LOG_LIKELIHOOD_WAD = 2 ** 128;

    uint256 private constant MAX_P_WAD = WAD - EPS_WAD;

    // ---------------------------------------------------------------------------------
    // Commitment and forecasts
    // ---------------------------------------------------------------------------------

    /// @notice The commitment an operator posts during trading.
    /// @dev keccak256(abi.encode(round, operator, modelHash, forecasts, salt)).
    /// @param round The round.
    /// @param operator The committing address.
    /// @param modelHash The model the forecasts come from.
    /// @param forecasts The encoded forecasts (not validated here).
    /// @param salt The operator's secret salt.
    /// @return The commitment hash.
    function commitment(uint256 round, address operator, bytes32 modelHash, bytes calldata forecasts, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(round, operator, modelHash, forecasts, salt));
    }

    /// @notice Bytes of a forecast of `items` items with `outcomes` outcomes: items * (K - 1) * 8.
    /// @param items The number of items.
    /// @param outcomes K, in [MIN_OUTCOMES, MAX_OUTCOMES].
    /// @return The length in bytes.
    function forecastLength(uint256 items, uint256 outcomes) internal pure returns (uint256) {
        _checkOutcomes(outcomes);
        return items * (outcomes - 1) * VALUE_BYTES;
    }

    /// @notice Reverts unless `forecasts` is a valid forecast of `items` items (length, every
    ///         probability and every implied one in [EPS_WAD, WAD - EPS_WAD]).
    /// @dev Reverts with the first failure in item order (an item's explicit values before its
    ///      implied one), as `decode_forecasts` does.
    /// @param forecasts The encoded forecasts.
    /// @param items The number of items.
    /// @param outcomes K.
    function validate(bytes calldata forecasts, uint256 items, uint256 outcomes) internal pure {
        uint256 stride = _checkLength(forecasts, items, outcomes);
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := forecasts.offset
        }
        // unchecked: ptr + i * stride stays within the calldata length checked above.
        unchecked {
            for (uint256 i; i < items; ++i) {
                _probabilityOf(ptr + i * stride, i, outcomes, outcomes);
            }
        }
    }

    /// @notice The K probabilities (the implied last one included) of one item, validated.
    /// @param forecasts The encoded forecasts (its length is checked against items and K).
    /// @param items The number of items.
    /// @param outcomes K.
    /// @param item The item, below `items`.
    /// @return p The K wad probabilities, summing to exactly WAD.
    function probabilities(bytes calldata forecasts, uint256 items, uint256 outcomes, uint256 item)
        internal
        pure
        returns (uint256[] memory p)
    {
        uint256 stride = _checkLength(forecasts, items, outcomes);
        if (item >= items) revert ItemOutOfRange(item, items);
        p = new uint256[](outcomes);
        // unchecked: item < items, so the item's bytes lie within the checked length; once the
        // item is valid its K - 1 values are each <= WAD and sum to at most WAD - EPS_WAD.
        unchecked {
            uint256 ptr;
            assembly ("memory-safe") {
                ptr := add(forecasts.offset, mul(item, stride))
            }
            _probabilityOf(ptr, item, outcomes, outcomes);
            uint256 sum;
            for (uint256 j; j < outcomes - 1; ++j) {
                uint256 v;
                assembly ("memory-safe") {
                    v := shr(192, calldataload(add(ptr, shl(3, j))))
                }
                p[j] = v;
                sum += v;
            }
            p[outcomes - 1] = WAD - sum;
        }
    }

    // ---------------------------------------------------------------------------------
    // Scores
    // ---------------------------------------------------------------------------------

    /// @notice L = sum over labelled items of lnWad(r[y]): the forecasts' log-likelihood (wad, <= 0).
    /// @dev Exact integer sum of solady lnWad values (no rounding beyond lnWad's own). Every item's
    ///      forecast is validated (void items too), each item's values before its label, so a
    ///      valid forecast never makes this revert. Gas: see the harness test (~K-independent
    ///      per-item loop around one lnWad).
    /// @param forecasts The encoded forecasts.
    /// @param labelWords The labels as 4-bit lanes (outcome + 1, 0 = void), 64 items per word.
    /// @param items The number of items.
    /// @param outcomes K.
    /// @return ll The log-likelihood L in wad.
    function logLikelihood(bytes calldata forecasts, uint256[] memory labelWords, uint256 items, uint256 outcomes)
        internal
        pure
        returns (int256 ll)
    {
        uint256 stride = _checkLength(forecasts, items, outcomes);
        _checkLabels(labelWords, items);
        uint256 ptr;
        uint256 words;
        assembly ("memory-safe") {
            ptr := forecasts.offset
            words := add(labelWords, 0x20)
        }
        // unchecked: offsets stay within the checked calldata and label lengths; |ll| grows by at
        // most 5.3e18 per item, far from 2**255; i < items cannot wrap.
        unchecked {
            uint256 word;
            if (outcomes == 2) {
                // Binary: one value per item, the implied one is valid iff it is.
                for (uint256 i; i < items; ++i) {
                    if (i & 63 == 0) {
                        assembly ("memory-safe") {
                            word := mload(add(words, shl(5, shr(6, i)))) // words[i / 64]
                        }
                    }
                    uint256 v;
                    assembly ("memory-safe") {
                        v := shr(192, calldataload(add(ptr, shl(3, i))))
                    }
                    if (v < EPS_WAD || v > MAX_P_WAD) revert ProbabilityOutOfRange(i, 0, int256(v));
                    uint256 lane = word & 15;
                    word >>= 4;
                    if (lane == 0) continue;
                    if (lane > 2) revert LabelOutOfRange(i, lane - 1);
                    ll += FixedPointMathLib.lnWad(int256(lane == 1 ? v : WAD - v));
                }
            } else {
                for (uint256 i; i < items; ++i) {
                    if (i & 63 == 0) {
                        assembly ("memory-safe") {
                            word := mload(add(words, shl(5, shr(6, i))))
                        }
                    }
                    uint256 lane = word & 15;
                    word >>= 4;
                    // lane 0 (void) asks for outcome K: none, the item is only validated.
                    uint256 k = lane == 0 ? outcomes : lane - 1;
                    uint256 p = _probabilityOf(ptr + i * stride, i, outcomes, k);
                    if (lane == 0) continue;
                    if (k >= outcomes) revert LabelOutOfRange(i, k);
                    ll += FixedPointMathLib.lnWad(int256(p));
                }
            }
        }
    }

    /// @notice The tempered score eta * L in wad.
    /// @dev (L * eta) / WAD with Solidity's signed division, which truncates toward zero: for
    ///      L < 0 the score rounds UP (toward 0), by less than 1 wei.
    /// @param logLikelihoodWad L, |L| <= MAX_ABS_LOG_LIKELIHOOD_WAD.
    /// @param etaWad eta in wad, 1 <= eta <= MAX_ETA_WAD.
    /// @return The score in wad.
    function score(int256 logLikelihoodWad, uint256 etaWad) internal pure returns (int256) {
        if (logLikelihoodWad > MAX_ABS_LOG_LIKELIHOOD_WAD || logLikelihoodWad < -MAX_ABS_LOG_LIKELIHOOD_WAD) {
            revert LogLikelihoodOutOfRange(logLikelihoodWad);
        }
        if (etaWad == 0 || etaWad > MAX_ETA_WAD) revert EtaOutOfRange(etaWad);
        // unchecked: |L * eta| <= 2**128 * 1e20 < 2**195; the divisor is the constant WAD.
        unchecked {
            return (logLikelihoodWad * int256(etaWad)) / int256(WAD);
        }
    }

    /// @notice The community seed's score: `score(logLikelihood(uniform, labels))`, exactly.
    /// @dev The uniform forecast puts u = floor(WAD / K) on outcomes 0..K-2 and WAD - (K - 1) u on
    ///      the last, so L = (labelled - onLast) lnWad(u) + onLast lnWad(WAD - (K - 1) u): the same
    ///      integer as the per-item sum, with two lnWad calls. Same rounding as `score`.
    /// @param labelWords The labels (4-bit lanes, as for `logLikelihood`).
    /// @param items The number of items.
    /// @param outcomes K.
    /// @param etaWad eta in wad.
    /// @return The seed score in wad.
    function seedScore(uint256[] memory labelWords, uint256 items, uint256 outcomes, uint256 etaWad)
        internal
        pure
        returns (int256)
    {
        _checkOutcomes(outcomes);
        _checkLabels(labelWords, items);
        uint256 labelled;
        uint256 onLast;
        // unchecked: counters <= items; (K - 1) u <= WAD; the two products are bounded by
        // items * 5.3e18.
        unchecked {
            uint256 word;
            for (uint256 i; i < items; ++i) {
                if (i & 63 == 0) word = labelWords[i >> 6];
                uint256 lane = word & 15;
                word >>= 4;
                if (lane == 0) continue;
                if (lane > outcomes) revert LabelOutOfRange(i, lane - 1);
                ++labelled;
                if (lane == outcomes) ++onLast;
            }
            uint256 u = WAD / outcomes;
            int256 ll = int256(labelled - onLast) * FixedPointMathLib.lnWad(int256(u))
                + int256(onLast) * FixedPointMathLib.lnWad(int256(WAD - (outcomes - 1) * u));
            return score(ll, etaWad);
        }
    }

    // ---------------------------------------------------------------------------------
    // Settlement
    // ---------------------------------------------------------------------------------

    /// @notice An entry's weight: floor(amount * expWad(score - maxScore) / WAD), at most `amount`.
    /// @dev Rounds DOWN. expWad of a non-positive argument lies in [0, WAD] (0 below ~-41.4), so
    ///      the 512-bit fullMulDiv never overflows. The difference is checked arithmetic: scores
    ///      from `score` are below 2**135 in magnitude, so only arbitrary inputs can make it panic.
    /// @param amount The stake (or the subsidy, for the seed).
    /// @param scoreWad The entry's score.
    /// @param maxScoreWad M, at least `scoreWad`.
    /// @return The weight (0 if amount is 0).
    function weight(uint256 amount, int256 scoreWad, int256 maxScoreWad) internal pure returns (uint256) {
        if (scoreWad > maxScoreWad) revert ScoreAboveMax(scoreWad, maxScoreWad);
        if (amount == 0) return 0;
        return FixedPointMathLib.fullMulDiv(amount, uint256(FixedPointMathLib.expWad(scoreWad - maxScoreWad)), WAD);
    }

    /// @notice A payout: floor(pot * w / totalWeight) in 512-bit precision (DOWN); 0 if totalWeight is 0.
    /// @param pot S + all stakes.
    /// @param w The entry's weight.
    /// @param totalWeight Z.
    /// @return The payout in wei.
    function payout(uint256 pot, uint256 w, uint256 totalWeight) internal pure returns (uint256) {
        if (totalWeight == 0) return 0;
        return FixedPointMathLib.fullMulDiv(pot, w, totalWeight);
    }

    /// @notice Settle a round over memory arrays (O(n)); see the formulas in the library's doc.
    /// @dev Sum payouts + refund = pot exactly; refund >= 0 (each payout rounds down and
    ///      sum w_i <= Z). Permuting the operators permutes the results (integer sums and a max).
    /// @param subsidy S, the community's seed amount.
    /// @param seedScoreWad The seed's score (`seedScore`).
    /// @param stakes Each operator's stake (committed, revealed or not).
    /// @param scores Each operator's score (ignored where not revealed).
    /// @param revealed Whether each operator revealed (and so was scored).
    /// @return s The settlement.
    function settle(
        uint256 subsidy,
        int256 seedScoreWad,
        uint256[] memory stakes,
        int256[] memory scores,
        bool[] memory revealed
    ) internal pure returns (Settlement memory s) {
        uint256 n = stakes.length;
        if (scores.length != n) revert SettlementLengthMismatch(n, scores.length);
        if (revealed.length != n) revert SettlementLengthMismatch(n, revealed.length);
        uint256 pot = subsidy;
        for (uint256 i; i < n; ++i) {
            pot += stakes[i]; // checked: a pot beyond 2**256 panics
        }
        int256 m = seedScoreWad;
        bool any = subsidy != 0;
        for (uint256 i; i < n; ++i) {
            if (revealed[i] && stakes[i] != 0) {
                if (!any || scores[i] > m) m = scores[i];
                any = true;
            }
        }
        s.weights = new uint256[](n);
        s.payouts = new uint256[](n);
        // With S = 0 the seed may score above M (it is not in the max): it has no weight.
        uint256 z = subsidy == 0 ? 0 : weight(subsidy, seedScoreWad, m);
        s.seedWeight = z;
        // unchecked: each weight is at most its amount, so z <= pot; payouts sum to at most pot.
        unchecked {
            for (uint256 i; i < n; ++i) {
                if (revealed[i] && stakes[i] != 0) {
                    uint256 w = weight(stakes[i], scores[i], m);
                    s.weights[i] = w;
                    z += w;
                }
            }
            uint256 paid;
            for (uint256 i; i < n; ++i) {
                uint256 p = payout(pot, s.weights[i], z);
                s.payouts[i] = p;
                paid += p;
            }
            s.refund = pot - paid;
        }
        s.totalWeight = z;
        s.maxScore = m;
        s.pot = pot;
    }

    // ---------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------

    /// @dev Validate one item at calldata position `ptr` (K - 1 big-endian uint64 values) and
    ///      return its probability of outcome k (0 if k >= K: validation only).
    function _probabilityOf(uint256 ptr, uint256 item, uint256 outcomes, uint256 k) private pure returns (uint256 pk) {
        // unchecked: K - 1 >= 1; the sum of <= 14 values <= WAD cannot overflow, and int256 casts
        // of values < 2**64 (and of the sum) are exact.
        unchecked {
            uint256 last = outcomes - 1;
            uint256 sum;
            for (uint256 j; j < last; ++j) {
                uint256 v;
                assembly ("memory-safe") {
                    v := shr(192, calldataload(add(ptr, shl(3, j))))
                }
                if (v < EPS_WAD || v > MAX_P_WAD) revert ProbabilityOutOfRange(item, j, int256(v));
                if (j == k) pk = v;
                sum += v;
            }
            int256 implied = int256(WAD) - int256(sum);
            if (implied < int256(EPS_WAD) || implied > int256(MAX_P_WAD)) {
                revert ProbabilityOutOfRange(item, last, implied);
            }
            if (k == last) pk = uint256(implied);
        }
    }

    /// @dev Check K and the forecast length; return the bytes per item, (K - 1) * 8.
    function _checkLength(bytes calldata forecasts, uint256 items, uint256 outcomes)
        private
        pure
        returns (uint256 stride)
    {
        _checkOutcomes(outcomes);
        stride = (outcomes - 1) * VALUE_BYTES;
        uint256 expected = items * stride;
        if (forecasts.length != expected) revert ForecastLengthMismatch(expected, forecasts.length);
    }

    /// @dev Check there are ceil(items / 64) label words.
    function _checkLabels(uint256[] memory labelWords, uint256 items) private pure {
        if (labelWords.length < (items + 63) / 64) revert LabelsTooShort(items, labelWords.length);
    }

    function _checkOutcomes(uint256 outcomes) private pure {
        if (outcomes < MIN_OUTCOMES || outcomes > MAX_OUTCOMES) revert OutcomeCountOutOfRange(outcomes);
    }
}
