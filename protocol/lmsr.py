"""Exact integer mirror of `contracts/libraries/LMSR.sol`: LMSR costs, quotes and prices to the wei.

Every function in the first part reproduces the Solidity library bit for bit (EVM `sar`
floors, `sdiv` truncates toward zero, products wrap modulo 2**256), so operators can plan
trades and tests can use it as the oracle. The error analysis that justifies `eps` lives in
the Solidity file; the last part holds float conveniences for planners, not for settlement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from protocol.errors import InputError

# --------------------------------------------------------------------------------------
# Errors (one per Solidity custom error, carrying the same evidence)
# --------------------------------------------------------------------------------------


class LMSRInputError(InputError, ValueError):
    """An LMSR input lies outside the range the library is proven for."""


class LiquidityOutOfRange(LMSRInputError):
    """`b_wad` is outside [MIN_LIQUIDITY_WAD, MAX_LIQUIDITY_WAD]."""

    def __init__(self, b_wad: int):
        self.b_wad = b_wad
        super().__init__(f"liquidity {b_wad} outside [{MIN_LIQUIDITY_WAD}, {MAX_LIQUIDITY_WAD}] wad")


class PriceOutOfRange(LMSRInputError):
    """A target price outside the open interval (0, 1)."""

    def __init__(self, price: float):
        self.price = price
        super().__init__(f"target price {price} not in (0, 1)")


class OutcomeCountOutOfRange(LMSRInputError):
    """The number of outcomes is not 2, 3 or 4."""

    def __init__(self, outcomes: int):
        self.outcomes = outcomes
        super().__init__(f"{outcomes} outcomes; LMSR supports {MIN_OUTCOMES}..{MAX_OUTCOMES}")


class OutcomeOutOfRange(LMSRInputError):
    """The outcome index is not below the number of outcomes."""

    def __init__(self, outcome: int, outcomes: int):
        self.outcome = outcome
        self.outcomes = outcomes
        super().__init__(f"outcome {outcome} out of range for {outcomes} outcomes")


class QuantityOutOfRange(LMSRInputError):
    """An outstanding share quantity (before or after a trade) exceeds MAX_QUANTITY_WAD."""

    def __init__(self, q_wad: int):
        self.q_wad = q_wad
        super().__init__(f"share quantity {q_wad} exceeds {MAX_QUANTITY_WAD} wad")


class ExpOverflow(LMSRInputError):
    """solady `expWad` input too large (mirrors `ExpOverflow()`)."""

    def __init__(self, x: int):
        self.x = x
        super().__init__(f"expWad overflow for x = {x}")


class LnWadUndefined(LMSRInputError):
    """solady `lnWad` input not positive (mirrors `LnWadUndefined()`)."""

    def __init__(self, x: int):
        self.x = x
        super().__init__(f"lnWad undefined for x = {x}")


# --------------------------------------------------------------------------------------
# Constants (identical to LMSR.sol)
# --------------------------------------------------------------------------------------

WAD = 10**18
ONE_X96 = 1 << 96
MIN_OUTCOMES = 2
MAX_OUTCOMES = 4
MIN_LIQUIDITY_WAD = 10**15
MAX_LIQUIDITY_WAD = 10**27
MAX_QUANTITY_WAD = (1 << 128) - 1  # quantities fit in uint128

LN2_X96 = 54916777467707473351141471128  # floor(ln 2 * 2**96)
HALF_LN2_X96 = LN2_X96 >> 1
EXP_CUTOFF_X96 = 67 << 96  # exp(-67) * 2**96 < 0.67: below one unit
SQRT2_MINUS_ONE_X96 = 32817379435307942243919926118  # floor(sqrt 2 * 2**96) - 2**96
LN_SQRT2_X96 = 27458388733853736675570735563  # floor(ln(floor(sqrt 2 * 2**96) / 2**96) * 2**96)
# floor(2**((2h + 1) / 4) * 2**96), h = 0..3: where lnX96 switches to the next c = 2**(i/2).
_LN_THRESHOLDS_X96 = (
    94218694570555024373110687280,
    133245355690767209784526313331,
    188437389141110048746221374560,
    266490711381534419569052626662,
)
# ceil(ln K * 2**128) for K = 2, 3, 4.
LN_OUTCOMES_X128_UP = {
    2: 235865763225513294137944142764154484400,
    3: 373838389916413667603494184660470824118,
    4: 471731526451026588275888285528308968799,
}
# Proven error bounds, in units of 2**-96 (derivation in LMSR.sol).
EXP_ERR_X96 = 454
LN_ERR_X96 = 355318

# floor(a_j * 2**96) for the [8/8] Pade approximant of exp, P(y) = sum_j a_j y^j with
# a_j = (16 - j)! 8! / (16! j! (8 - j)!), exp(y) ~ P(y) / P(-y).
_PADE_COEFFS_X96 = tuple(
    (math.factorial(16 - j) * math.factorial(8) * ONE_X96)
    // (math.factorial(16) * math.factorial(j) * math.factorial(8 - j))
    for j in range(9)
)
# floor(2**97 / (2i + 1)) for i = 0..9 (series of 2 atanh(z) / z in z**2).
_ATANH_COEFFS_X96 = tuple((2 * ONE_X96) // (2 * i + 1) for i in range(10))

_U256 = 1 << 256
_I255 = 1 << 255

# --------------------------------------------------------------------------------------
# EVM integer semantics
# --------------------------------------------------------------------------------------


def _wrap(v: int) -> int:
    """Two's-complement wrap of an int to the int256 range (what EVM arithmetic does)."""
    return ((v + _I255) % _U256) - _I255


def _sdiv(a: int, b: int) -> int:
    """EVM `sdiv`: truncates toward zero (and 0 for b == 0)."""
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return _wrap(q if (a < 0) == (b < 0) else -q)


def _shr(s: int, v: int) -> int:
    """EVM `shr`: logical shift of the unsigned view of v."""
    return (v % _U256) >> s if s < 256 else 0


def _shl(s: int, v: int) -> int:
    """EVM `shl` on the unsigned view, truncated to 256 bits (returned unsigned)."""
    return ((v % _U256) << s) % _U256 if s < 256 else 0


def _byte(i: int, w: int) -> int:
    """EVM `byte(i, w)`: the i-th most significant byte of w."""
    return ((w % _U256) >> (248 - 8 * i)) & 0xFF if i < 32 else 0


# --------------------------------------------------------------------------------------
# solady FixedPointMathLib ports (bit for bit, v0.1.26)
# --------------------------------------------------------------------------------------


class MulWadOverflow(LMSRInputError, OverflowError):
    """solady's `MulWadFailed`: x * y does not fit in 256 bits."""

    def __init__(self, x: int, y: int):
        self.x = x
        self.y = y
        super().__init__(f"MulWadFailed: {x} * {y} overflows 256 bits")


def mul_wad(x: int, y: int) -> int:
    """solady `mulWad`: x * y / 1e18, rounded down (unsigned)."""
    if y != 0 and x > (_U256 - 1) // y:
        raise MulWadOverflow(x, y)
    return x * y // WAD


def mul_wad_up(x: int, y: int) -> int:
    """solady `mulWadUp`: x * y / 1e18, rounded up (unsigned)."""
    if y != 0 and x > (_U256 - 1) // y:
        raise MulWadOverflow(x, y)
    return -(-x * y // WAD)


def exp_wad(x: int) -> int:
    """solady `expWad`: exp(x / 1e18) * 1e18 for a signed wad x, as solady computes it."""
    if x <= -41446531673892822313:
        return 0
    if x >= 135305999368893231589:
        raise ExpOverflow(x)
    x = _sdiv(_wrap(x << 78), 5**18)
    k = (_sdiv(_wrap(x << 96), 54916777467707473351141471128) + 2**95) >> 96
    x = _wrap(x - k * 54916777467707473351141471128)
    y = _wrap(x + 1346386616545796478920950773328)
    y = _wrap((_wrap(y * x) >> 96) + 57155421227552351082224309758442)
    p = _wrap(y + x - 94201549194550492254356042504812)
    p = _wrap((_wrap(p * y) >> 96) + 28719021644029726153956944680412240)
    p = _wrap(p * x + (4385272521454847904659076985693276 << 96))
    q = _wrap(x - 2855989394907223263936484059900)
    q = _wrap((_wrap(q * x) >> 96) + 50020603652535783019961831881945)
    q = _wrap((_wrap(q * x) >> 96) - 533845033583426703283633433725380)
    q = _wrap((_wrap(q * x) >> 96) + 3604857256930695427073651918091429)
    q = _wrap((_wrap(q * x) >> 96) - 14423608567350463180887372962807573)
    q = _wrap((_wrap(q * x) >> 96) + 26449188498355588339934803723976023)
    r = _sdiv(p, q)
    return _wrap(((r % _U256) * 3822833074963236453042738258902158003155416615667 % _U256) >> (195 - k))


def ln_wad(x: int) -> int:
    """solady `lnWad`: ln(x / 1e18) * 1e18 for a positive wad x, as solady computes it."""
    r = int((x % _U256) > 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF) << 7
    r |= int(_shr(r, x) > 0xFFFFFFFFFFFFFFFF) << 6
    r |= int(_shr(r, x) > 0xFFFFFFFF) << 5
    r |= int(_shr(r, x) > 0xFFFF) << 4
    r |= int(_shr(r, x) > 0xFF) << 3
    if x <= 0:
        raise LnWadUndefined(x)
    r ^= _byte(
        _shr(_shr(r, x), 0x8421084210842108CC6318C6DB6D54BE) & 0x1F,
        0xF8F9F9FAF9FDFAFBF9FDFCFDFAFBFCFEF9FAFDFAFCFCFBFEFAFAFCFBFFFFFFFF,
    )
    x = _shr(159, _shl(r, x))

    def m96(a: int, b: int) -> int:
        return _wrap(a * b) >> 96

    p = _wrap(
        m96(
            _wrap(
                43456485725739037958740375743393
                + m96(_wrap(24828157081833163892658089445524 + m96(_wrap(3273285459638523848632254066296 + x), x)), x)
            ),
            x,
        )
        - 11111509109440967052023855526967
    )
    p = _wrap(m96(p, x) - 45023709667254063763336534515857)
    p = _wrap(m96(p, x) - 14706773417378608786704636184526)
    p = _wrap(_wrap(p * x) - _wrap(795164235651350426258249787498 << 96))
    q = _wrap(5573035233440673466300451813936 + x)
    q = _wrap(71694874799317883764090561454958 + m96(x, q))
    q = _wrap(283447036172924575727196451306956 + m96(x, q))
    q = _wrap(401686690394027663651624208769553 + m96(x, q))
    q = _wrap(204048457590392012362485061816622 + m96(x, q))
    q = _wrap(31853899698501571402653359427138 + m96(x, q))
    q = _wrap(909429971244387300277376558375 + m96(x, q))
    p = _sdiv(p, q)
    p = _wrap(1677202110996718588342820967067443963516166 * p)
    p = _wrap(_wrap(16597577552685614221487285958193947469193820559219878177908093499208371 * _wrap(159 - r)) + p)
    p = _wrap(600920179829731861736702779321621459595472258049074101567377883020018308 + p)
    return p >> 174


# --------------------------------------------------------------------------------------
# LMSR core in 2**96 fixed point (mirrors LMSR.sol)
# --------------------------------------------------------------------------------------


def exp_neg_x96(x: int) -> int:
    """exp(-x / 2**96) * 2**96 for x >= 0, within EXP_ERR_X96 units (no direction)."""
    if x >= EXP_CUTOFF_X96:
        return 0
    k = (x + HALF_LN2_X96) // LN2_X96
    y = k * LN2_X96 - x  # signed, |y| <= ln2/2 * 2**96 + 1
    w = (y * y) >> 96
    a = _PADE_COEFFS_X96
    e = a[6] + ((a[8] * w) >> 96)
    e = a[4] + ((e * w) >> 96)
    e = a[2] + ((e * w) >> 96)
    e = a[0] + ((e * w) >> 96)
    o = a[5] + ((a[7] * w) >> 96)
    o = a[3] + ((o * w) >> 96)
    o = a[1] + ((o * w) >> 96)
    o = (o * y) >> 96
    return (((e + o) << 96) // (e - o)) >> k


def ln_x96(s: int) -> int:
    """ln(s / 2**96) * 2**96 for 2**96 <= s <= 4.0001 * 2**96, within LN_ERR_X96 units."""
    i = sum(s >= t for t in _LN_THRESHOLDS_X96)
    h, odd = i >> 1, i & 1
    c = (ONE_X96 + odd * SQRT2_MINUS_ONE_X96) << h
    z = _sdiv((s - c) << 96, s + c)
    w = (z * z) >> 96
    p = _ATANH_COEFFS_X96[-1]
    for d in reversed(_ATANH_COEFFS_X96[:-1]):
        p = d + ((p * w) >> 96)
    return h * LN2_X96 + odd * LN_SQRT2_X96 + ((p * z) >> 96)


def eps(b_wad: int, outcomes: int) -> int:
    """Bound on |approximate cost - exact cost| in wei (so costs are approx -/+ eps)."""
    _check_outcomes(outcomes)
    _check_liquidity(b_wad)
    return _eps(b_wad, outcomes)


def _eps(b_wad: int, outcomes: int) -> int:
    err = (outcomes - 1) * EXP_ERR_X96 + LN_ERR_X96
    return ((b_wad * err) >> 96) + 2


def _check_liquidity(b_wad: int) -> None:
    if not MIN_LIQUIDITY_WAD <= b_wad <= MAX_LIQUIDITY_WAD:
        raise LiquidityOutOfRange(b_wad)


def _check_outcomes(outcomes: int) -> None:
    if not MIN_OUTCOMES <= outcomes <= MAX_OUTCOMES:
        raise OutcomeCountOutOfRange(outcomes)


def _checked_max(q: Sequence[int]) -> int:
    _check_outcomes(len(q))
    for qj in q:
        if not 0 <= qj <= MAX_QUANTITY_WAD:
            raise QuantityOutOfRange(qj)
    return max(q)


def _term(m: int, qj: int, b_wad: int) -> int:
    x = ((m - qj) << 96) // b_wad
    return ONE_X96 if x == 0 else exp_neg_x96(x)  # exp_neg_x96(0) == ONE_X96 anyway


def _approx(m: int, s: int, b_wad: int) -> int:
    return m + ((b_wad * ln_x96(s)) >> 96)


def _price(ek: int, s: int, outcomes: int) -> int:
    if ek <= EXP_ERR_X96:
        return 0
    return (ek - EXP_ERR_X96) * WAD // (s + (outcomes - 1) * EXP_ERR_X96)


def cost_bounds(q: Sequence[int], b_wad: int) -> tuple[int, int]:
    """(cost_down, cost_up) with cost_down <= b ln sum exp(q/b) <= cost_up, in wei."""
    _check_liquidity(b_wad)
    m = _checked_max(q)
    s = sum(_term(m, qj, b_wad) for qj in q)
    approx = _approx(m, s, b_wad)
    e = _eps(b_wad, len(q))
    return (approx - e if approx > e else 0), approx + e


def cost_up(q: Sequence[int], b_wad: int) -> int:
    """LMSR cost C(q), rounded up (never below the exact cost)."""
    return cost_bounds(q, b_wad)[1]


def cost_down(q: Sequence[int], b_wad: int) -> int:
    """LMSR cost C(q), rounded down (never above the exact cost)."""
    return cost_bounds(q, b_wad)[0]


def quote(q: Sequence[int], k: int, shares_wad: int, b_wad: int) -> tuple[int, int]:
    """(cost_wad, price_before_wad) of buying `shares_wad` of outcome k at state q.

    cost = cost_up(q with q[k] += shares) - cost_down(q), so it is never below the exact
    cost and a split trade never costs less than the whole; the price rounds down.
    """
    n = len(q)
    _check_outcomes(n)
    if not 0 <= k < n:
        raise OutcomeOutOfRange(k, n)
    _check_liquidity(b_wad)
    m = _checked_max(q)
    qk = q[k]
    if not 0 <= shares_wad <= MAX_QUANTITY_WAD:
        raise QuantityOutOfRange(shares_wad)
    qk_after = qk + shares_wad
    if qk_after > MAX_QUANTITY_WAD:
        raise QuantityOutOfRange(qk_after)
    rest = sum(_term(m, q[j], b_wad) for j in range(n) if j != k)
    ek = _term(m, qk, b_wad)
    s = rest + ek
    e = _eps(b_wad, n)
    approx = _approx(m, s, b_wad)
    down = approx - e if approx > e else 0
    price = _price(ek, s, n)
    if qk_after <= m:
        s_after = rest + _term(m, qk_after, b_wad)
        m_after = m
    else:
        m_after = qk_after
        s_after = ONE_X96 + sum(_term(m_after, q[j], b_wad) for j in range(n) if j != k)
    up = _approx(m_after, s_after, b_wad) + e
    return up - down, price


def price_wad(q: Sequence[int], k: int, b_wad: int) -> int:
    """Price of outcome k in wad, rounded down (never above the exact price)."""
    n = len(q)
    _check_outcomes(n)
    if not 0 <= k < n:
        raise OutcomeOutOfRange(k, n)
    _check_liquidity(b_wad)
    m = _checked_max(q)
    ek = _term(m, q[k], b_wad)
    s = sum(_term(m, qj, b_wad) for qj in q)
    return _price(ek, s, n)


def max_loss_up(b_wad: int, outcomes: int) -> int:
    """b ln K in wei, rounded up: the subsidy that covers the market maker's worst case."""
    _check_outcomes(outcomes)
    _check_liquidity(b_wad)
    return (b_wad * LN_OUTCOMES_X128_UP[outcomes] + (1 << 128) - 1) >> 128


# --------------------------------------------------------------------------------------
# Float conveniences for planners (approximate; never used for settlement)
# --------------------------------------------------------------------------------------


def prices(q: Sequence[int], b_wad: int) -> list[float]:
    """Softmax prices of every outcome as floats (log-sum-exp offset, so no overflow)."""
    m = max(q)
    w = [math.exp((qj - m) / b_wad) for qj in q]
    s = math.fsum(w)
    return [x / s for x in w]


def shares_to_reach(q: Sequence[int], k: int, target_price: float, b_wad: int) -> int:
    """Shares (wei) of outcome k to buy so its price becomes `target_price`, rounded down.

    Closed form q_k' = b ln(t / (1 - t)) + b ln sum_{j != k} exp(q_j / b), evaluated
    relative to q_k so floats only see differences; returns 0 if the price is already at
    or above the target (buy-only markets cannot lower it).
    """
    if not 0.0 < target_price < 1.0:
        raise PriceOutOfRange(target_price)
    if not 0 <= k < len(q):
        raise OutcomeOutOfRange(k, len(q))
    others = [(q[j] - q[k]) / b_wad for j in range(len(q)) if j != k]
    top = max(others)
    lse = top + math.log(math.fsum(math.exp(v - top) for v in others))
    logit = math.log(target_price) - math.log1p(-target_price)
    shares = math.floor((logit + lse) * b_wad)
    return max(0, shares)
