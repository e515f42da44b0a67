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
///      L      = sum over groups of 8 consecutive items of lnWad((Qa >> 120)(Qb >> 120)) - LN_GROUP_OFFSET,
///               Qa, Qb the exact products of the group's two halves' factors f = r[y] (WAD for a void
///               item or past the end); 0 for an all-void group. ~ sum of ln r[y] over labelled items
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

    /// @dev Items per lnWad in `logLikelihood` (two halves of 4: a product of 4 factors <= 1e18
    ///      is <= 1e72 < 2**240, and two of them shifted right by GROUP_SHIFT multiply below 2**240).
    uint256 internal constant GROUP = 8;
    uint256 internal constant GROUP_SHIFT = 120;
    /// @dev lnWad(((1e72 >> 120))**2): an all-WAD (all-void) group's lnWad, so such a group is
    ///      exactly 0 (its lnWad is skipped); within 0.14 wei of (126 ln 10 - 240 ln 2) 1e18, the
    ///      exact offset of ln(Qa Qb / 1e144) from lnWad((Qa >> 120)(Qb >> 120)).
    int256 internal constant LN_GROUP_OFFSET_WAD = 123770398382862881926;

    /// @dev WAD ** 4: a half group's product when its 4 factors are all WAD.
    uint256 private constant WAD_POW_4 = 1e72;
    uint256 private constant MAX_P_WAD = WAD - EPS_WAD;
    /// @dev WAD - 2 EPS_WAD: v is in [EPS_WAD, WAD - EPS_WAD] iff v - EPS_WAD (wrapping) <= SPAN_WAD.
    // slither-disable-next-line too-many-digits: WAD - 2 EPS_WAD written out, as WAD and EPS_WAD are
    uint256 private constant SPAN_WAD = 990000000000000000;
    uint256 private constant MASK64 = 0xffffffffffffffff;
    // Four 64-bit lanes (binary word-wide checks): 2**63 - EPS_WAD, 2**63 - (WAD - EPS_WAD) - 1,
    // the top 4 bits, the top bit, WAD / 2, WAD, 1 and 12 (label bits 2-3), in every lane.
    uint256 private constant LANES_LO_ADD = 0x7fee3c86c81f80007fee3c86c81f80007fee3c86c81f80007fee3c86c81f8000;
    uint256 private constant LANES_HI_ADD = 0x72310cc5907c7fff72310cc5907c7fff72310cc5907c7fff72310cc5907c7fff;
    // slither-disable-next-line too-many-digits: four 64-bit lanes written exactly in hex (see above)
    uint256 private constant LANES_TOP4 = 0xf000000000000000f000000000000000f000000000000000f000000000000000;
    // slither-disable-next-line too-many-digits: four 64-bit lanes written exactly in hex (see above)
    uint256 private constant LANES_TOP1 = 0x8000000000000000800000000000000080000000000000008000000000000000;
    // slither-disable-next-line too-many-digits: four 64-bit lanes written exactly in hex (see above)
    uint256 private constant LANES_HALF = 0x06f05b59d3b2000006f05b59d3b2000006f05b59d3b2000006f05b59d3b20000;
    // slither-disable-next-line too-many-digits: four 64-bit lanes written exactly in hex (see above)
    uint256 private constant LANES_WAD = 0x0de0b6b3a76400000de0b6b3a76400000de0b6b3a76400000de0b6b3a7640000;
    // slither-disable-next-line too-many-digits: four 64-bit lanes written exactly in hex (see above)
    uint256 private constant LANES_ONE = 0x0000000000000001000000000000000100000000000000010000000000000001;
    // slither-disable-next-line too-many-digits: four 64-bit lanes written exactly in hex (see above)
    uint256 private constant LANES_FOUR_UP = 0x000000000000000c000000000000000c000000000000000c000000000000000c; // bits 2, 3

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
        if (outcomes == 2) {
            // Binary, 4 values per calldataload, checked word-wide as in `_logLikelihoodBinary` (the
            // missing values of a last partial word become WAD/2); the implied one is valid iff v is.
            uint256 bad;
            uint256 w;
            uint256 first;
            assembly ("memory-safe") {
                for {} lt(first, items) { first := add(first, 4) } {
                    w := calldataload(add(ptr, shl(3, first)))
                    let n := sub(items, first)
                    if lt(n, 4) {
                        let keep := not(shr(shl(6, n), not(0)))
                        w := or(and(w, keep), and(LANES_HALF, not(keep)))
                    }
                    if iszero(
                        and(
                            and(iszero(and(w, LANES_TOP4)), eq(and(add(w, LANES_LO_ADD), LANES_TOP1), LANES_TOP1)),
                            iszero(and(add(w, LANES_HI_ADD), LANES_TOP1))
                        )
                    ) {
                        bad := 1
                        break
                    }
                }
            }
            if (bad != 0) _binaryGroupRevert(w, 0, first);
            return;
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

    /// @notice L, the forecasts' log-likelihood on the labels (wad, < 0 unless every item is void):
    ///         the sum over labelled items of ln r[y], evaluated eight items per lnWad.
    /// @dev Items are taken in groups of GROUP = 8 consecutive items (0-7, 8-15, ...). Each item's
    ///      factor is r[y] (wad), or WAD if it is void or past the last item. A group's two halves
    ///      have exact integer products Qa, Qb <= 1e72 < 2**240 (>= 0.005**4 1e72 > 2**208), and
    ///          L = sum over groups of lnWad((Qa >> 120) (Qb >> 120)) - LN_GROUP_OFFSET_WAD,
    ///      an all-void group (Qa = Qb = 1e72) counting exactly 0 (its lnWad skipped, which changes
    ///      nothing by the choice of the offset). As lnWad(x) = ln(x / 1e18) 1e18, each group is
    ///      ln(Qa Qb / 1e144) = the sum of its 8 ln r[y] up to lnWad's own error, the shifts'
    ///      relative truncation (< 2**-88: < 1e-26 nats) and < 1 wei of offset rounding: one lnWad
    ///      per 8 items where a per-item sum takes 8 (and accumulates 8 roundings). Every item's
    ///      forecast is validated (void items too), each item's values before its label, so a
    ///      valid forecast never makes this revert.
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
        _checkLength(forecasts, items, outcomes);
        _checkLabels(labelWords, items);
        if (outcomes == 2) return _logLikelihoodBinary(forecasts, labelWords, items);
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := forecasts.offset
        }
        uint256 stride = (outcomes - 1) * VALUE_BYTES;
        // unchecked: offsets stay within the checked calldata and label lengths; half-group
        // products of 4 factors <= 1e18 are <= 1e72 < 2**240; |ll| grows by at most 42.4e18 per
        // group, far from 2**255; i < items cannot wrap.
        unchecked {
            uint256 word;
            uint256 qa; // the group's first half's product, once complete
            uint256 q = 1; // the running half's product
            uint256 end = (items + 7) & ~uint256(7); // padded to whole groups
            for (uint256 i; i < end; ++i) {
                if (i < items) {
                    if (i & 63 == 0) word = labelWords[i >> 6];
                    uint256 lane = word & 15;
                    word >>= 4;
                    // lane 0 (void) asks for outcome K: none, the item is only validated.
                    uint256 k = lane == 0 ? outcomes : lane - 1;
                    uint256 p = _probabilityOf(ptr + i * stride, i, outcomes, k);
                    if (lane != 0) {
                        if (k >= outcomes) revert LabelOutOfRange(i, k);
                        q *= p;
                    } else {
                        q *= WAD;
                    }
                } else {
                    q *= WAD;
                }
                if (i & 3 == 3) {
                    if (i & 4 == 0) qa = q;
                    else ll += _group(qa, q);
                    q = 1;
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
    ///      the last; this runs logLikelihood's grouped sum on those values straight from the
    ///      labels (no forecast bytes), so it is the same integer. Same rounding as `score`.
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
        // slither-disable-next-line uninitialized-local: an accumulator, zero by default
        int256 ll;
        // unchecked: as in logLikelihood; (K - 1) u <= WAD.
        unchecked {
            // slither-disable-next-line divide-before-multiply: u = floor(WAD / K) defines the uniform forecast
            uint256 u = WAD / outcomes;
            uint256 uLast = WAD - (outcomes - 1) * u;
            // slither-disable-next-line uninitialized-local: loaded at item 0 (i & 63 == 0)
            uint256 word;
            // slither-disable-next-line uninitialized-local: set when the first half group closes
            uint256 qa;
            uint256 q = 1;
            for (uint256 i; i < items; ++i) {
                if (i & 63 == 0) word = labelWords[i >> 6];
                uint256 lane = word & 15;
                word >>= 4;
                if (lane > outcomes) revert LabelOutOfRange(i, lane - 1);
                q *= lane == 0 ? WAD : lane == outcomes ? uLast : u;
                (ll, qa, q) = _step(ll, qa, q, i);
            }
            for (uint256 i = items; i & 7 != 0; ++i) {
                q *= WAD;
                (ll, qa, q) = _step(ll, qa, q, i);
            }
        }
        return score(ll, etaWad);
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
            // slither-disable-next-line uninitialized-local: an accumulator, zero by default
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
        uint256 err; // 0, or 1 + the outcome whose probability is out of range
        uint256 value;
        assembly ("memory-safe") {
            let last := sub(outcomes, 1)
            let sum := 0
            for { let j := 0 } lt(j, last) { j := add(j, 1) } {
                let v := shr(192, calldataload(add(ptr, shl(3, j))))
                // v in [EPS, WAD - EPS] iff v - EPS (wrapping below EPS) <= SPAN
                if gt(sub(v, EPS_WAD), SPAN_WAD) {
                    err := add(j, 1)
                    value := v
                    break
                }
                if eq(j, k) { pk := v }
                sum := add(sum, v) // <= 14 values <= WAD: no overflow
            }
            if iszero(err) {
                let implied := sub(WAD, sum) // two's complement: negative if sum > WAD
                if gt(sub(implied, EPS_WAD), SPAN_WAD) {
                    err := add(last, 1)
                    value := implied
                }
                if eq(k, last) { pk := implied }
            }
        }
        if (err != 0) revert ProbabilityOutOfRange(item, err - 1, int256(value));
    }

    /// @dev After item i's factor entered q: close a half group (i = 3 mod 8) or a group (i = 7 mod 8).
    function _step(int256 ll, uint256 qa, uint256 q, uint256 i) private pure returns (int256, uint256, uint256) {
        if (i & 3 != 3) return (ll, qa, q);
        if (i & 4 == 0) return (ll, q, 1);
        return (ll + _group(qa, q), 0, 1);
    }

    /// @dev A group's log: lnWad((qa >> 120)(qb >> 120)) - LN_GROUP_OFFSET_WAD, 0 if all its factors are WAD.
    function _group(uint256 qa, uint256 qb) private pure returns (int256) {
        if (qa == WAD_POW_4 && qb == WAD_POW_4) return 0;
        // unchecked: both shifted products are < 2**120; the offset is below any lnWad of a
        // product > 2**176 (lnWad(2**176) ~ 80.5e18), no wrap either way.
        unchecked {
            return FixedPointMathLib.lnWad(int256((qa >> GROUP_SHIFT) * (qb >> GROUP_SHIFT))) - LN_GROUP_OFFSET_WAD;
        }
    }

    /// @dev logLikelihood for K = 2 (length and labels already checked): a group of 8 items (two
    ///      half groups of 4) per iteration, with word-wide ("SWAR") checks. One calldataload reads
    ///      a half's 4 values (8 bytes each, the first item in the top lane) and 16 bits of the
    ///      label word its 4 lanes; in a last partial group the missing values become WAD/2 and
    ///      their lanes void, whatever the calldata holds there. Checks, on 4 lanes at once: v < 2**60
    ///      (top 4 bits clear), then with that headroom bit 63 of v + 2**63 - EPS is set iff
    ///      v >= EPS and bit 63 of v + 2**63 - (WAD - EPS) - 1 iff v > WAD - EPS (no carry crosses a
    ///      lane); a label nibble >= 3 has bit 2 or 3, or bits 0 and 1, set. If a half fails,
    ///      `_binaryGroupRevert` finds its first failure in item order and reverts with it (the
    ///      first half first). A valid v implies a valid WAD - v. Factors: lane 0 -> WAD, lane 1
    ///      (outcome 0) -> v, lane 2 (outcome 1) -> WAD - v.
    function _logLikelihoodBinary(bytes calldata forecasts, uint256[] memory labelWords, uint256 items)
        private
        pure
        returns (int256 ll)
    {
        uint256 groups = (items + 7) >> 3;
        uint256 word;
        // unchecked: as in logLikelihood.
        unchecked {
            for (uint256 g; g < groups; ++g) {
                uint256 qa;
                uint256 qb;
                uint256 bad; // 0: valid, 1: the first half fails, 2: the second
                uint256 wBad;
                uint256 lBad;
                assembly ("memory-safe") {
                    // Keep the top k lanes of a half (k >= 4: all); the others become WAD/2, void.
                    function clip(w, lanes, k) -> w2, l2 {
                        w2 := w
                        l2 := lanes
                        if lt(k, 4) {
                            let keep := not(shr(shl(6, k), not(0)))
                            w2 := or(and(w, keep), and(LANES_HALF, not(keep)))
                            l2 := and(lanes, sub(shl(shl(2, k), 1), 1))
                        }
                    }
                    // A half's product of factors, and whether its values and labels are valid.
                    function half(w, lanes) -> q, ok {
                        // The 4 label nibbles spread to the low bits of the 4 value lanes.
                        let spread := or(
                            or(shl(192, and(lanes, 15)), shl(128, and(shr(4, lanes), 15))),
                            or(shl(64, and(shr(8, lanes), 15)), shr(12, lanes))
                        )
                        ok := and(
                            and(iszero(and(w, LANES_TOP4)), eq(and(add(w, LANES_LO_ADD), LANES_TOP1), LANES_TOP1)),
                            and(
                                iszero(and(add(w, LANES_HI_ADD), LANES_TOP1)),
                                iszero(or(and(spread, LANES_FOUR_UP), and(and(spread, shr(1, spread)), LANES_ONE)))
                            )
                        )
                        // Lane masks (a 0/1 bit times 2**64 - 1 fills its lane, no carry): outcome 0
                        // takes v, outcome 1 takes WAD - v, void takes WAD.
                        let m1 := mul(and(spread, LANES_ONE), MASK64)
                        let m2 := mul(and(shr(1, spread), LANES_ONE), MASK64)
                        let f := or(or(and(w, m1), and(sub(LANES_WAD, w), m2)), and(LANES_WAD, not(or(m1, m2))))
                        q := mul(mul(shr(192, f), and(shr(128, f), MASK64)), mul(and(shr(64, f), MASK64), and(f, MASK64)))
                    }
                    if iszero(and(g, 7)) { word := mload(add(add(labelWords, 0x20), shl(5, shr(3, g)))) } // words[g / 8]
                    let at := add(forecasts.offset, shl(6, g))
                    let n := sub(items, shl(3, g)) // items from this group on (>= 1)
                    let w, l := clip(calldataload(at), and(word, 0xffff), n)
                    let ok
                    qa, ok := half(w, l)
                    if iszero(ok) {
                        bad := 1
                        wBad := w
                        lBad := l
                    }
                    let k := 0
                    if gt(n, 4) { k := sub(n, 4) }
                    w, l := clip(calldataload(add(at, 32)), and(shr(16, word), 0xffff), k)
                    qb, ok := half(w, l)
                    if and(iszero(bad), iszero(ok)) {
                        bad := 2
                        wBad := w
                        lBad := l
                    }
                    word := shr(32, word)
                }
                if (bad != 0) _binaryGroupRevert(wBad, lBad, (g << 3) + ((bad - 1) << 2));
                ll += _group(qa, qb);
            }
        }
    }

    /// @dev Revert with the first failure (in item order, an item's value before its label) of a
    ///      binary group whose word-wide check failed: one exists among its lanes.
    function _binaryGroupRevert(uint256 w, uint256 lanes, uint256 first) private pure {
        for (uint256 t; t < 4; ++t) {
            uint256 v = (w >> (192 - 64 * t)) & MASK64;
            if (v < EPS_WAD || v > MAX_P_WAD) revert ProbabilityOutOfRange(first + t, 0, int256(v));
            uint256 lane = (lanes >> (4 * t)) & 15;
            if (lane > 2) revert LabelOutOfRange(first + t, lane - 1);
        }
        assert(false); // unreachable: the word-wide check failed on one of these lanes
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
