// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title LMSR
/// @notice Fixed-point cost, quote and price of Hanson's logarithmic market scoring rule
///         C(q) = b ln sum_k exp(q_k / b) for K = 2..4 outcomes, buy-only.
/// @dev Quantities, costs and b are wad (1e18); internal values are 2**96 fixed point ("x96",
///      unit u = 2**-96). `protocol/lmsr.py` mirrors every function here bit for bit.
///
///      Rounding rule: the market maker never undercharges. One evaluation gives an
///      approximation A(q) with |A(q) - C(q)| < EPS, and
///          costDown(q) = A(q) - EPS <= C(q) <= A(q) + EPS = costUp(q),
///          quote(q -> q') = costUp(q') - costDown(q) >= C(q') - C(q).
///      As costUp(q) >= costDown(q) at every state, a trade split at states q_1..q_{n-1}
///      costs the whole trade plus sum_i (costUp(q_i) - costDown(q_i)) >= the whole trade.
///
///      Evaluation, with the log-sum-exp offset m = max_k q_k (so nothing overflows):
///          x_k = floor((m - q_k) 2**96 / b)         (x96, >= 0)
///          e_k = expNegX96(x_k)                     ~ 2**96 exp(-(m - q_k) / b), in [0, 2**96]
///          S   = sum_k e_k                          (exact integer sum, in [2**96, K 2**96])
///          A   = m + floor(b lnX96(S) / 2**96)
///      The maximal term is exactly 2**96 (x = 0), so S >= 2**96 and lnX96(S) >= 0.
///
///      Error bound (derivations of (1) and (3) at expNegX96 and lnX96):
///       (1) each non-maximal term is within EXP_ERR = 454 u of 2**96 exp(-(m - q_k)/b) at
///           the exact, untruncated ratio (the floored division is included);
///       (2) the sum adds exact integers: |S - S_exact| <= (K - 1) EXP_ERR u;
///       (3) ln is 1-Lipschitz on [1, inf) and S, S_exact >= 1, so that moves ln by at most
///           (K - 1) EXP_ERR u; lnX96 itself adds at most LN_ERR = 355318 u;
///       (4) so L = lnX96(S) is within E_K = (K - 1) 454 + 355318 u of ln(S_exact), and
///           A = m + floor(b L / 2**96) is within b E_K / 2**96 + 1 wei of C(q) (m is exact,
///           the floor costs < 1 wei).
///       EPS(b, K) = floor(b E_K / 2**96) + 2 > b E_K / 2**96 + 1.
///      EPS = 2 wei for b <= 2.2e23, 6 wei at b = 1e24, <= 4503 wei at b = 1e27 (the maximum).
///      (solady's WAD expWad/lnWad cap the accuracy at ~1e-18 relative to b: an EPS of ~1e7
///      wei at b = 1e24. Hence these x96 kernels, whose error bounds are also provable.)
library LMSR {
    /// @notice b is outside [MIN_LIQUIDITY_WAD, MAX_LIQUIDITY_WAD].
    /// @param bWad The liquidity parameter given.
    error LiquidityOutOfRange(uint256 bWad);
    /// @notice The number of outcomes is not in [MIN_OUTCOMES, MAX_OUTCOMES].
    /// @param outcomes The number of outcomes given (the length of q).
    error OutcomeCountOutOfRange(uint256 outcomes);
    /// @notice The outcome index is not below the number of outcomes.
    /// @param outcome The index given.
    /// @param outcomes The number of outcomes.
    error OutcomeOutOfRange(uint256 outcome, uint256 outcomes);
    /// @notice A quantity (outstanding, bought, or after the trade) exceeds MAX_QUANTITY_WAD.
    /// @param qWad The offending quantity.
    error QuantityOutOfRange(uint256 qWad);

    uint256 internal constant MIN_OUTCOMES = 2;
    uint256 internal constant MAX_OUTCOMES = 4;
    uint256 internal constant MIN_LIQUIDITY_WAD = 1e15;
    uint256 internal constant MAX_LIQUIDITY_WAD = 1e27;
    /// @dev Largest outstanding quantity of one outcome (inclusive): quantities fit in uint128.
    uint256 internal constant MAX_QUANTITY_WAD = type(uint128).max;
    /// @dev Proven error bounds in units of 2**-96: one exp term, and lnX96.
    uint256 internal constant EXP_ERR_X96 = 454;
    uint256 internal constant LN_ERR_X96 = 355318;

    // slither-disable-next-line too-many-digits: 2**96 written exactly in hex
    uint256 private constant ONE_X96 = 0x1000000000000000000000000; // 2**96
    uint256 private constant LN2_X96 = 54916777467707473351141471128; // floor(ln 2 * 2**96)
    uint256 private constant HALF_LN2_X96 = 27458388733853736675570735564; // LN2_X96 >> 1
    uint256 private constant EXP_CUTOFF_X96 = 5308286888455710618767444672512; // 67 * 2**96
    uint256 private constant SQRT2_MINUS_ONE_X96 = 32817379435307942243919926118; // floor(sqrt 2 * 2**96) - 2**96
    uint256 private constant LN_SQRT2_X96 = 27458388733853736675570735563; // floor(ln(floor(sqrt 2 * 2**96) / 2**96) * 2**96)
    uint256 private constant LN2_X128_UP = 235865763225513294137944142764154484400; // ceil(ln 2 * 2**128)
    uint256 private constant LN3_X128_UP = 373838389916413667603494184660470824118; // ceil(ln 3 * 2**128)
    uint256 private constant LN4_X128_UP = 471731526451026588275888285528308968799; // ceil(ln 4 * 2**128)
    uint256 private constant WAD = 1e18;

    // ---------------------------------------------------------------------------------
    // Market functions
    // ---------------------------------------------------------------------------------

    /// @notice Cost of buying `sharesWad` shares of outcome `k` at state `q`, and k's price before.
    /// @dev costWad = costUp(q with q[k] += sharesWad) - costDown(q): rounds UP, never below the
    ///      exact C(q') - C(q), and a split trade never costs less than the whole (see above);
    ///      buying 0 shares costs costUp(q) - costDown(q) <= 2 EPS. priceBeforeWad rounds DOWN
    ///      (never above the exact price). Does not modify `q`. K = 2 takes `quoteBinary`.
    /// @param q Outstanding shares per outcome (wad), 2 <= q.length <= 4, each < 2**128.
    /// @param k Outcome bought.
    /// @param sharesWad Shares bought (wad); q[k] + sharesWad must stay < 2**128.
    /// @param bWad Liquidity b (wad), 1e15 <= b <= 1e27.
    function quote(uint256[] memory q, uint256 k, uint256 sharesWad, uint256 bWad)
        internal
        pure
        returns (uint256 costWad, uint256 priceBeforeWad)
    {
        uint256 n = q.length;
        if (n == 2) return quoteBinary(_at(q, 0), _at(q, 1), k, sharesWad, bWad);
        _checkOutcomes(n);
        if (k >= n) revert OutcomeOutOfRange(k, n);
        _checkLiquidity(bWad);
        uint256 m = _checkedMax(q);
        uint256 qkAfter = _checkedAdd(_at(q, k), sharesWad);
        // The terms j != k are reused after the trade when the offset m stays: they are the
        // same numbers a fresh evaluation of the new state gives.
        uint256 rest;
        uint256 down;
        (rest, down, priceBeforeWad) = _before(q, k, m, bWad);
        unchecked {
            // If q[k] becomes the maximum, its term is exactly 2**96 and the others are redone.
            // Sums of <= 4 terms <= 2**96 cannot overflow; approxAfter + EPS = costUp(q')
            // >= C(q') >= C(q) >= down: no underflow; approxAfter <= 2**129 + b ln 4.
            uint256 approxAfter = qkAfter <= m
                ? _approx(m, rest + _term(m, qkAfter, bWad), bWad)
                : _approx(qkAfter, ONE_X96 + _sumExcept(q, k, qkAfter, bWad), bWad);
            costWad = approxAfter + _eps(bWad, n) - down;
        }
    }

    /// @notice `quote` for a binary market given as two scalars (no array needed).
    /// @dev Identical results to quote([q0Wad, q1Wad], k, sharesWad, bWad), same rounding:
    ///      cost rounds UP (costUp(q') - costDown(q)), price rounds DOWN.
    /// @param q0Wad Outstanding shares of outcome 0 (wad), < 2**128.
    /// @param q1Wad Outstanding shares of outcome 1 (wad), < 2**128.
    /// @param k Outcome bought (0 or 1).
    /// @param sharesWad Shares bought (wad); q[k] + sharesWad must stay < 2**128.
    /// @param bWad Liquidity b (wad), 1e15 <= b <= 1e27.
    // slither-disable-next-line cyclomatic-complexity: the binary hot path, written out on purpose (see inside)
    function quoteBinary(uint256 q0Wad, uint256 q1Wad, uint256 k, uint256 sharesWad, uint256 bWad)
        internal
        pure
        returns (uint256 costWad, uint256 priceBeforeWad)
    {
        // Written out without helpers: on this hot path internal calls cost more than the math.
        // The numbers are those of the general path: the larger quantity's term is exactly
        // 2**96 (expNegX96(0) == 2**96), the smaller one's is t, and S = 2**96 + t.
        if (k > 1) revert OutcomeOutOfRange(k, 2);
        _checkLiquidity(bWad);
        if ((q0Wad | q1Wad | sharesWad) > MAX_QUANTITY_WAD) {
            revert QuantityOutOfRange(q0Wad > MAX_QUANTITY_WAD ? q0Wad : q1Wad > MAX_QUANTITY_WAD ? q1Wad : sharesWad);
        }
        unchecked {
            // Overflow: inputs < 2**128 (so qkAfter < 2**129 and x < 2**224), b < 2**90,
            // lnX96 < 2**97, terms <= 2**96. costWad does not underflow since
            // costUp(q') >= C(q') >= C(q) >= down.
            (uint256 qk, uint256 qo) = k == 0 ? (q0Wad, q1Wad) : (q1Wad, q0Wad);
            uint256 qkAfter = qk + sharesWad;
            if (qkAfter > MAX_QUANTITY_WAD) revert QuantityOutOfRange(qkAfter);
            uint256 e = ((bWad * (EXP_ERR_X96 + LN_ERR_X96)) >> 96) + 2; // EPS(b, 2)
            uint256 m = qk > qo ? qk : qo;
            uint256 t;
            assembly ("memory-safe") {
                t := div(shl(96, sub(m, xor(xor(qk, qo), m))), bWad) // (max - min) 2**96 / b
            }
            t = expNegX96(t);
            uint256 down = m + ((bWad * lnX96(ONE_X96 + t)) >> 96);
            down = down > e ? down - e : 0;
            // _price(ek, 2**96 + t, 2) with ek = t for the smaller quantity, 2**96 otherwise.
            uint256 ek = qk < qo ? t : ONE_X96;
            priceBeforeWad = ek > EXP_ERR_X96 ? ((ek - EXP_ERR_X96) * WAD) / (ONE_X96 + t + EXP_ERR_X96) : 0;
            m = qkAfter > qo ? qkAfter : qo;
            assembly ("memory-safe") {
                t := div(shl(96, sub(m, xor(xor(qkAfter, qo), m))), bWad)
            }
            costWad = m + ((bWad * lnX96(ONE_X96 + expNegX96(t))) >> 96) + e - down;
        }
    }

    /// @notice Lower and upper bound on the exact cost C(q), from one evaluation.
    /// @dev costDownWad rounds DOWN (<= C(q), floored at 0), costUpWad rounds UP (>= C(q));
    ///      they differ by at most 2 EPS(b, K).
    /// @param q Outstanding shares per outcome (wad), 2 <= q.length <= 4, each < 2**128.
    /// @param bWad Liquidity b (wad), 1e15 <= b <= 1e27.
    function costBounds(uint256[] memory q, uint256 bWad)
        internal
        pure
        returns (uint256 costDownWad, uint256 costUpWad)
    {
        uint256 n = q.length;
        _checkOutcomes(n);
        _checkLiquidity(bWad);
        uint256 m = _checkedMax(q);
        uint256 approx = _approx(m, _sumExcept(q, n, m, bWad), bWad); // k = n: sum every term
        uint256 e = _eps(bWad, n);
        unchecked {
            // approx <= 2**129 + b ln 4 and e < 2**14; the subtraction is guarded.
            costDownWad = approx > e ? approx - e : 0;
            costUpWad = approx + e;
        }
    }

    /// @notice LMSR cost C(q) rounded UP: never below the exact real-number cost.
    /// @param q Outstanding shares per outcome (wad), 2 <= q.length <= 4, each < 2**128.
    /// @param bWad Liquidity b (wad), 1e15 <= b <= 1e27.
    function costUp(uint256[] memory q, uint256 bWad) internal pure returns (uint256 costWad) {
        (, costWad) = costBounds(q, bWad);
    }

    /// @notice LMSR cost C(q) rounded DOWN: never above the exact real-number cost.
    /// @param q Outstanding shares per outcome (wad), 2 <= q.length <= 4, each < 2**128.
    /// @param bWad Liquidity b (wad), 1e15 <= b <= 1e27.
    function costDown(uint256[] memory q, uint256 bWad) internal pure returns (uint256 costWad) {
        (costWad,) = costBounds(q, bWad);
    }

    /// @notice Price of outcome `k`, exp(q_k / b) / sum_j exp(q_j / b), in wad.
    /// @dev Rounds DOWN: never above the exact price. The K prices sum to at most 1e18 and
    ///      at least 1e18 - K (each floor loses < 1 wei, the lower-bound margin ~4e-26).
    /// @param q Outstanding shares per outcome (wad), 2 <= q.length <= 4, each < 2**128.
    /// @param k Outcome.
    /// @param bWad Liquidity b (wad), 1e15 <= b <= 1e27.
    function priceWad(uint256[] memory q, uint256 k, uint256 bWad) internal pure returns (uint256) {
        uint256 n = q.length;
        _checkOutcomes(n);
        if (k >= n) revert OutcomeOutOfRange(k, n);
        _checkLiquidity(bWad);
        uint256 m = _checkedMax(q);
        uint256 ek = _term(m, _at(q, k), bWad);
        unchecked {
            // The other terms sum to <= 3 2**96: no overflow.
            return _price(ek, _sumExcept(q, k, m, bWad) + ek, n);
        }
    }

    /// @notice Worst-case loss of the market maker, b ln K, rounded UP (>= the exact value).
    /// @dev ceil(b ceil(ln K 2**128) / 2**128): over the exact value by less than 2 wei.
    /// @param bWad Liquidity b (wad), 1e15 <= b <= 1e27.
    /// @param outcomes K, 2..4.
    function maxLossUp(uint256 bWad, uint256 outcomes) internal pure returns (uint256) {
        _checkOutcomes(outcomes);
        _checkLiquidity(bWad);
        uint256 lnK = outcomes == 2 ? LN2_X128_UP : outcomes == 3 ? LN3_X128_UP : LN4_X128_UP;
        unchecked {
            // b < 2**90 and lnK < 2**129: the sum is < 2**220.
            return (bWad * lnK + (2 ** 128 - 1)) >> 128;
        }
    }

    /// @notice EPS(b, K): a proven bound in wei on |approximate cost - exact cost|.
    /// @dev Rounds UP (it is a bound): floor(b ((K - 1) EXP_ERR + LN_ERR) / 2**96) + 2.
    /// @param bWad Liquidity b (wad), 1e15 <= b <= 1e27.
    /// @param outcomes K, 2..4.
    function eps(uint256 bWad, uint256 outcomes) internal pure returns (uint256) {
        _checkOutcomes(outcomes);
        _checkLiquidity(bWad);
        return _eps(bWad, outcomes);
    }

    // ---------------------------------------------------------------------------------
    // x96 kernels
    // ---------------------------------------------------------------------------------

    /// @notice exp(-x / 2**96) 2**96 for x >= 0 (x96 in, x96 out), in [0, 2**96].
    /// @dev Not directed: within 453 u of the exact value at the real ratio the caller
    ///      floored into x (EXP_ERR_X96 = 454); expNegX96(0) == 2**96 exactly.
    ///      Derivation (X = x u is the input, X_t in [X, X + u) the real ratio):
    ///      - X >= 67: returns 0, and 2**96 exp(-67) < 0.67 u.
    ///      - Range reduction: k = floor((x + floor(LN2 / 2)) / LN2) <= 97, y = k LN2 - x, so
    ///        |y| <= LN2 / 2 + 1 and exp(-X_t) = 2**-k exp(Y_t) with Y_t = k ln 2 - X_t.
    ///        LN2 is ln 2 floored (< 1 u, times k), so |Y_t - y u| < max(k, 1) u, which moves
    ///        the result by <= e^0.3466 max(k, 1) 2**-k u <= 1.42 u.
    ///      - exp(y) ~ P(y) / P(-y), the [8/8] Pade approximant, P(y) = sum_j a_j y^j with
    ///        a_j = (16 - j)! 8! / (16! j! (8 - j)!). Exactly (Hermite):
    ///          e^y P(-y) - P(y) = y^17 / 16! int_0^1 t^8 (1 - t)^8 e^(t y) dt,
    ///        so |e^y - P(y)/P(-y)| <= |y|^17 e^|y| 8!^2 / (16! 17! P(-|y|)) <= 437.5 u for
    ///        |y| <= 0.34658 (where P(-|y|) >= 0.840).
    ///      - Fixed point: P(+-y) = E(w) +- y O(w), w = y^2, E and O by Horner with
    ///        coefficients floor(a_j 2**96) (a_0, a_1 exact). Each Horner step adds < 1 u
    ///        (coefficient) + < 1 u (shift) and damps by w <= 0.1202: < 2.273 u each; the
    ///        floored w adds E' <= 0.118 u and y O' <= 0.006 u; y O adds 0.3466 x 2.273 + 1 u.
    ///        So num and den are each within 4.19 u of 2**96 P(+-y), and their quotient
    ///        within 4.19 (1 + 1.4143) / 0.840 + 1 = 13.1 u (the +1 is the floored division).
    ///      - p >> k floors: < 1 u when k > 0; the errors above shrink by 2**-k.
    ///      Total <= 1.42 + 437.5 + 13.1 + 1 = 453.0 u.
    ///      No overflow: k LN2 < 2**103; |y| < 2**95, so y^2, O y < 2**191; num < 2**97.
    /// @param x Exponent magnitude in x96 (the real exponent is -x / 2**96).
    function expNegX96(uint256 x) internal pure returns (uint256 r) {
        assembly ("memory-safe") {
            if lt(x, EXP_CUTOFF_X96) {
                // slither-disable-next-line divide-before-multiply: k = round(x / ln 2) on purpose
                let k := div(add(x, HALF_LN2_X96), LN2_X96)
                let y := sub(mul(k, LN2_X96), x) // signed, |y| <= LN2 / 2 + 1
                let w := shr(96, mul(y, y))
                // Even part E(w) = a0 + a2 w + a4 w^2 + a6 w^3 + a8 w^4, coefficients a_j 2**96.
                let e := add(384752148962045151483799, shr(96, mul(152679424191287758525, w))) // a6, a8
                e := add(126968209157474899989653766, shr(96, mul(e, w))) // a4 = 1/624
                e := add(9243285626664172719246794205, shr(96, mul(e, w))) // a2 = 7/60
                e := add(ONE_X96, shr(96, mul(e, w))) // a0 = 1
                // Odd part O(w) = a1 + a3 w + a5 w^2 + a7 w^3.
                let o := add(8464547277164993332643584, shr(96, mul(10992918541772718613822, w))) // a5, a7
                o := add(1320469375237738959892399172, shr(96, mul(o, w))) // a3 = 1/60
                o := add(39614081257132168796771975168, shr(96, mul(o, w))) // a1 = 1/2
                o := sar(96, mul(o, y)) // y O(w), signed
                // 2**96 P(y) / P(-y); both are positive (>= 0.84 2**96).
                r := shr(k, div(shl(96, add(e, o)), sub(e, o)))
            }
        }
    }

    /// @notice ln(s / 2**96) 2**96 for 2**96 <= s <= 4.0001 2**96 (x96 in, x96 out).
    /// @dev Not directed: within 355317.9 u of the exact value (LN_ERR_X96 = 355318);
    ///      lnX96(2**96) == 0 and the result is >= 0 on the domain.
    ///      Derivation: pick i in 0..4 with s / c in [2**-1/4, 2**1/4) (to 1 u), where
    ///      c = 2**(i/2) 2**96 (floor(sqrt2 2**96) << (i/2) for odd i); ln(s u) = ln(c u) + 2 atanh(Z)
    ///      with Z = (s - c) / (s + c), |Z| <= (2**1/4 - 1) / (2**1/4 + 1) = 0.0864273.
    ///      - ln(c u) = (i/2) LN2 + (i odd) LN_SQRT2, with LN2 floored and LN_SQRT2 the
    ///        floored ln of floor(sqrt2 2**96) u: < 2 + 1 u.
    ///      - z = sdiv((s - c) 2**96, s + c) is within 1 u of Z 2**96, and
    ///        d/dZ 2 atanh(Z) = 2 / (1 - Z^2) <= 2.0151: <= 2.0151 u.
    ///      - 2 atanh(z) = z G(w), G(w) = sum_i 2 w^i / (2i + 1), w = z^2 <= 0.00746967.
    ///        The floored w costs G' <= 0.6727 u; Horner on i < 10 with coefficients
    ///        floor(2**97 / (2i + 1)) costs < 2 / (1 - w) = 2.0151 u; the tail
    ///        sum_{i >= 10} 2 w^i / (2i + 1) <= 2 w^10 / (21 (1 - w)) is <= 355311.6 u once
    ///        multiplied by |z|. With the 0.0864 factor and the final floor:
    ///        0.0864 (0.6727 + 2.0151) + 355311.6 + 1 u.
    ///      Total <= 3 + 2.0151 + 0.2323 + 355311.6 + 1 = 355317.9 u, i.e. 4.5e-24 relative
    ///      to b: 6 wei at b = 1e24.
    ///      Non-negative: i = 0 means s >= 2**96, so z >= 0; i >= 1 means s >= 2**1/4 2**96
    ///      and the result is >= ln 2 / 4 - LN_ERR u > 0.
    ///      No overflow: |z| < 2**93 and p < 2.1 2**96, so every product is < 2**191.
    /// @param s Argument in x96, 2**96 <= s <= 4.0001 2**96.
    function lnX96(uint256 s) internal pure returns (uint256 r) {
        assembly ("memory-safe") {
            // i = number of thresholds 2**((2h + 1) / 4) 2**96 (floored) that s reaches.
            let i := add(
                add(iszero(lt(s, 94218694570555024373110687280)), iszero(lt(s, 133245355690767209784526313331))),
                add(iszero(lt(s, 188437389141110048746221374560)), iszero(lt(s, 266490711381534419569052626662)))
            )
            let h := shr(1, i)
            let odd := and(i, 1)
            let c := shl(h, add(ONE_X96, mul(odd, SQRT2_MINUS_ONE_X96))) // 2**(i/2) 2**96
            let z := sdiv(shl(96, sub(s, c)), add(s, c)) // signed
            let w := shr(96, mul(z, z))
            // G(w) = sum_{i < 10} 2 w^i / (2i + 1), coefficients floor(2**97 / (2i + 1)).
            let p := add(9320960295795804422769876510, shr(96, mul(8339806580448877641425678982, w))) // 2/17 + (2/19) w
            p := add(10563755001901911679139193378, shr(96, mul(p, w))) // 2/15
            p := add(12188948079117590399006761590, shr(96, mul(p, w))) // 2/13
            p := add(14405120457138970471553445515, shr(96, mul(p, w))) // 2/11
            p := add(17606258336503186131898655630, shr(96, mul(p, w))) // 2/9
            p := add(22636617861218382169583985810, shr(96, mul(p, w))) // 2/7
            p := add(31691265005705735037417580134, shr(96, mul(p, w))) // 2/5
            p := add(52818775009509558395695966890, shr(96, mul(p, w))) // 2/3
            p := add(158456325028528675187087900672, shr(96, mul(p, w))) // 2/1
            r := add(add(mul(h, LN2_X96), mul(odd, LN_SQRT2_X96)), sar(96, mul(p, z)))
        }
    }

    // ---------------------------------------------------------------------------------
    // Private helpers
    // ---------------------------------------------------------------------------------

    /// @dev q[j] without the bounds check; callers guarantee j < q.length.
    function _at(uint256[] memory q, uint256 j) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := mload(add(add(q, 0x20), shl(5, j)))
        }
    }

    function _checkOutcomes(uint256 n) private pure {
        if (n < MIN_OUTCOMES || n > MAX_OUTCOMES) revert OutcomeCountOutOfRange(n);
    }

    function _checkLiquidity(uint256 bWad) private pure {
        unchecked {
            // b < MIN wraps b - MIN above the bound: one comparison checks both ends.
            if (bWad - MIN_LIQUIDITY_WAD > MAX_LIQUIDITY_WAD - MIN_LIQUIDITY_WAD) revert LiquidityOutOfRange(bWad);
        }
    }

    /// @dev max_j q[j], reverting if any q[j] > MAX_QUANTITY_WAD (the first one, in order).
    function _checkedMax(uint256[] memory q) private pure returns (uint256 m) {
        uint256 all; // OR of all quantities: > MAX_QUANTITY_WAD = 2**128 - 1 iff one of them is
        assembly ("memory-safe") {
            let p := add(q, 0x20)
            for { let end := add(p, shl(5, mload(q))) } lt(p, end) { p := add(p, 0x20) } {
                let v := mload(p)
                all := or(all, v)
                if gt(v, m) { m := v }
            }
        }
        if (all > MAX_QUANTITY_WAD) {
            for (uint256 j;; ++j) {
                if (_at(q, j) > MAX_QUANTITY_WAD) revert QuantityOutOfRange(_at(q, j));
            }
        }
    }

    /// @dev qk + shares, reverting unless both and the sum are <= MAX_QUANTITY_WAD.
    function _checkedAdd(uint256 qk, uint256 sharesWad) private pure returns (uint256 qkAfter) {
        if (sharesWad > MAX_QUANTITY_WAD) revert QuantityOutOfRange(sharesWad);
        unchecked {
            qkAfter = qk + sharesWad; // both < 2**128 (qk was checked by the caller)
        }
        if (qkAfter > MAX_QUANTITY_WAD) revert QuantityOutOfRange(qkAfter);
    }

    /// @dev 2**96 exp(-(m - qj) / b) as the library evaluates it; requires qj <= m < 2**128
    ///      and b >= 1e15 (so (m - qj) << 96 < 2**224 and b != 0). x == 0 (always when
    ///      qj == m) skips the series: expNegX96(0) == 2**96 exactly.
    function _term(uint256 m, uint256 qj, uint256 bWad) private pure returns (uint256) {
        uint256 x;
        assembly ("memory-safe") {
            x := div(shl(96, sub(m, qj)), bWad) // floor((m - qj) 2**96 / b)
        }
        return x == 0 ? ONE_X96 : expNegX96(x);
    }

    /// @dev sum_{j != k} term(m, q[j]) (k >= q.length sums every term); requires q[j] <= m.
    ///      Same numbers as `_term`, written out to save the calls.
    function _sumExcept(uint256[] memory q, uint256 k, uint256 m, uint256 bWad)
        private
        pure
        returns (uint256 s)
    {
        uint256 n = q.length;
        unchecked {
            // Each term <= 2**96 and n <= 4: the sum is < 2**99; j < n <= 4.
            for (uint256 j; j < n; ++j) {
                if (j == k) continue;
                uint256 x;
                assembly ("memory-safe") {
                    x := div(shl(96, sub(m, mload(add(add(q, 0x20), shl(5, j))))), bWad)
                }
                s += x == 0 ? ONE_X96 : expNegX96(x);
            }
        }
    }

    /// @dev The state before a trade: the sum `rest` of the terms j != k, costDown (rounds
    ///      down, floored at 0) and the price of outcome k (rounds down).
    function _before(uint256[] memory q, uint256 k, uint256 m, uint256 bWad)
        private
        pure
        returns (uint256 rest, uint256 down, uint256 priceBeforeWad)
    {
        uint256 n = q.length;
        rest = _sumExcept(q, k, m, bWad);
        uint256 ek = _term(m, _at(q, k), bWad);
        unchecked {
            // rest + ek <= 4 2**96; the subtraction is guarded.
            down = _approx(m, rest + ek, bWad);
            uint256 e = _eps(bWad, n);
            down = down > e ? down - e : 0;
            priceBeforeWad = _price(ek, rest + ek, n);
        }
    }

    /// @dev A = m + floor(b lnX96(s) / 2**96): the cost approximation (not directed).
    function _approx(uint256 m, uint256 s, uint256 bWad) private pure returns (uint256) {
        unchecked {
            // b <= 1e27 < 2**90 and lnX96(s) < ln 4 2**96 + LN_ERR < 2**97: product < 2**187.
            return m + ((bWad * lnX96(s)) >> 96);
        }
    }

    /// @dev EPS(b, K) without input checks (b < 2**90 and the factor < 2**21: < 2**111).
    function _eps(uint256 bWad, uint256 n) private pure returns (uint256) {
        unchecked {
            return ((bWad * ((n - 1) * EXP_ERR_X96 + LN_ERR_X96)) >> 96) + 2;
        }
    }

    /// @dev floor((ek - EXP_ERR) 1e18 / (s + (K - 1) EXP_ERR)), 0 if ek <= EXP_ERR: a lower
    ///      bound on the exact price, since the exact term is >= ek - EXP_ERR, the exact sum is
    ///      <= s + (K - 1) EXP_ERR (one term is exact), and a / (a + c) grows with a.
    function _price(uint256 ek, uint256 s, uint256 n) private pure returns (uint256) {
        if (ek <= EXP_ERR_X96) return 0;
        unchecked {
            // ek <= 2**96, so (ek - EXP_ERR) 1e18 < 2**156; s >= 2**96 > 0.
            return ((ek - EXP_ERR_X96) * WAD) / (s + (n - 1) * EXP_ERR_X96);
        }
    }
}
