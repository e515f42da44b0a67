"""protocol/lmsr.py against an 80-digit decimal reference: bounds, rounding and no-arbitrage."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal, localcontext

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from protocol import lmsr
from protocol.errors import HayekError

pytestmark = pytest.mark.unit

ONE = lmsr.ONE_X96
WAD = lmsr.WAD
MAX_Q = lmsr.MAX_QUANTITY_WAD
PREC = 80


# --------------------------------------------------------------------------------------
# Reference (80 significant digits)
# --------------------------------------------------------------------------------------


def exact_cost(q: list[int], b: int) -> Decimal:
    """C(q) = m + b ln sum exp((q_k - m) / b), in wei."""
    with localcontext() as ctx:
        ctx.prec = PREC
        m = max(q)
        s = sum(_exp_or_zero(Decimal(qk - m) / b) for qk in q)
        return m + b * s.ln()


def exact_price(q: list[int], k: int, b: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = PREC
        m = max(q)
        w = [_exp_or_zero(Decimal(qj - m) / b) for qj in q]
        return w[k] / sum(w)


def _exp_or_zero(x: Decimal) -> Decimal:
    # exp(-200) < 1e-86: below the reference's own precision relative to the max term (1).
    return Decimal(0) if x < -200 else x.exp()


# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------

liquidity = st.one_of(
    st.integers(lmsr.MIN_LIQUIDITY_WAD, lmsr.MAX_LIQUIDITY_WAD),
    st.integers(15, 27).map(lambda e: 10**e),
    st.integers(10**17, 10**19),
)


@st.composite
def states(draw: st.DrawFn) -> tuple[list[int], int]:
    """(q, b): quantities spread around the scale of b, with ties, zeros and huge gaps."""
    b = draw(liquidity)
    n = draw(st.sampled_from([2, 3, 4]))
    base = draw(st.integers(0, MAX_Q // 2))
    spread = st.one_of(st.integers(0, 3 * b), st.integers(0, 80 * b), st.just(0), st.integers(0, MAX_Q // 2))
    q = [min(MAX_Q, base + draw(spread)) for _ in range(n)]
    if draw(st.booleans()):
        q = [min(v, draw(st.integers(0, 3 * b))) for v in q]
    return q, b


@st.composite
def trades(draw: st.DrawFn) -> tuple[list[int], int, int, int]:
    q, b = draw(states())
    k = draw(st.integers(0, len(q) - 1))
    shares = draw(st.one_of(st.integers(0, 5 * b), st.integers(0, 100 * b), st.just(1)))
    return q, k, min(shares, MAX_Q - q[k]), b


# --------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------


@given(x=st.one_of(st.integers(-41 * WAD, 135 * WAD), st.integers(-WAD, WAD), st.integers(-42 * WAD, -40 * WAD)))
def test_exp_wad_is_within_one_part_in_1e18_of_exp(x):
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = (Decimal(x) / WAD).exp() * WAD

        got = lmsr.exp_wad(x)

        assert abs(got - exact) <= 2 * max(exact, Decimal(WAD)) / WAD


@given(y=st.one_of(st.integers(1, 2**255 - 1), st.integers(1, 10**22), st.integers(WAD, 4 * WAD)))
def test_ln_wad_is_within_two_wei_of_ln(y):
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = (Decimal(y) / WAD).ln() * WAD

        got = lmsr.ln_wad(y)

        assert abs(got - exact) <= 2


def test_solady_ports_hit_known_values():
    assert lmsr.exp_wad(0) == WAD
    assert lmsr.exp_wad(WAD) == 2718281828459045235
    assert lmsr.exp_wad(-41446531673892822313) == 0
    assert lmsr.ln_wad(WAD) == 0
    assert lmsr.ln_wad(1) == -41446531673892822313
    with pytest.raises(lmsr.ExpOverflow):
        lmsr.exp_wad(135305999368893231589)
    with pytest.raises(lmsr.LnWadUndefined):
        lmsr.ln_wad(0)


def _half_ln2_points() -> st.SearchStrategy[int]:
    """x where range reduction leaves |y| near its maximum ln2 / 2 (the worst case)."""
    return st.tuples(st.integers(0, 96), st.integers(-(2**70), 2**70)).map(
        lambda kv: max(0, (2 * kv[0] + 1) * lmsr.LN2_X96 // 2 + kv[1])
    )


@given(x=st.one_of(st.integers(0, 70 * ONE), st.integers(0, ONE), _half_ln2_points()))
def test_exp_neg_x96_is_within_its_proven_bound(x):
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = (-Decimal(x) / ONE).exp() * ONE

        got = lmsr.exp_neg_x96(x)

        assert abs(got - exact) <= lmsr.EXP_ERR_X96
        assert 0 <= got <= ONE


@given(
    s=st.one_of(
        st.integers(ONE, 4 * ONE),
        st.integers(ONE, ONE + 2**80),
        st.sampled_from([94218694570555024373110687280, 133245355690767209784526313331]).flatmap(
            lambda t: st.integers(t - 2**70, t + 2**70)
        ),
    )
)
def test_ln_x96_is_within_its_proven_bound_and_non_negative(s):
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = (Decimal(s) / ONE).ln() * ONE

        got = lmsr.ln_x96(s)

        assert abs(got - exact) <= lmsr.LN_ERR_X96
        assert got >= 0


def test_kernels_are_exact_at_their_anchors():
    assert lmsr.exp_neg_x96(0) == ONE
    assert lmsr.exp_neg_x96(lmsr.EXP_CUTOFF_X96) == 0
    assert lmsr.ln_x96(ONE) == 0


# --------------------------------------------------------------------------------------
# Costs, quotes, prices
# --------------------------------------------------------------------------------------


@given(state=states())
def test_cost_bounds_bracket_the_exact_cost(state):
    q, b = state
    exact = exact_cost(q, b)

    down, up = lmsr.cost_bounds(q, b)

    assert down <= exact <= up
    assert up - down <= 2 * lmsr.eps(b, len(q))
    assert (lmsr.cost_down(q, b), lmsr.cost_up(q, b)) == (down, up)


@given(trade=trades())
def test_quote_never_undercharges_the_exact_cost(trade):
    q, k, shares, b = trade
    after = q.copy()
    after[k] += shares

    cost, _ = lmsr.quote(q, k, shares, b)

    assert cost >= exact_cost(after, b) - exact_cost(q, b)
    assert cost == lmsr.cost_up(after, b) - lmsr.cost_down(q, b)


@given(trade=trades())
def test_quote_does_not_modify_its_input(trade):
    q, k, shares, b = trade
    before = q.copy()

    lmsr.quote(q, k, shares, b)

    assert q == before


@given(state=states())
def test_prices_round_down_and_sum_to_one_within_k_wei(state):
    q, b = state
    n = len(q)

    got = [lmsr.price_wad(q, k, b) for k in range(n)]

    for k in range(n):
        assert got[k] <= exact_price(q, k, b) * WAD
    assert WAD - n - 1 <= sum(got) <= WAD


@given(trade=trades())
def test_quote_reports_the_price_before_the_trade(trade):
    q, k, shares, b = trade

    _, price = lmsr.quote(q, k, shares, b)

    assert price == lmsr.price_wad(q, k, b)


@given(trade=trades(), cuts=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5))
def test_splitting_a_trade_never_makes_it_cheaper(trade, cuts):
    q, k, shares, b = trade
    assume(shares > 0)  # a zero-share trade has no parts to split into
    points = sorted({0, shares, *(int(c * shares) for c in cuts)})
    whole, _ = lmsr.quote(q, k, shares, b)

    total = 0
    state = q.copy()
    for lo, hi in itertools.pairwise(points):
        part, _ = lmsr.quote(state, k, hi - lo, b)
        total += part
        state[k] += hi - lo

    assert total >= whole


@given(b=liquidity, n=st.sampled_from([2, 3, 4]))
def test_max_loss_up_covers_b_ln_k_by_at_most_two_wei(b, n):
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = b * Decimal(n).ln()

        got = lmsr.max_loss_up(b, n)

        assert exact <= got <= exact + 2


@settings(max_examples=60)
@given(
    b=liquidity,
    n=st.sampled_from([2, 3, 4]),
    buys=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**6)), min_size=1, max_size=12),
)
def test_market_maker_never_loses_more_than_max_loss_up(b, n, buys):
    q = [0] * n
    collected = 0
    for k, scale in buys:
        shares = b * scale // 10**5  # up to 10 b per buy
        cost, _ = lmsr.quote(q, k % n, shares, b)
        collected += cost
        q[k % n] += shares

    worst_payout = max(q)  # the winning outcome pays 1 wad per share, rounded down: exact

    assert worst_payout - collected <= lmsr.max_loss_up(b, n)
    assert collected >= exact_cost(q, b) - exact_cost([0] * n, b)


@given(state=states(), buys=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**6)), max_size=6))
def test_any_buy_path_costs_at_least_cost_up_minus_cost_down(state, buys):
    q, b = state
    start = q.copy()
    total = 0
    for k, scale in buys:
        k %= len(q)
        shares = min(b * scale // 10**5, MAX_Q - q[k])
        total += lmsr.quote(q, k, shares, b)[0]
        q[k] += shares

    if buys:
        assert total >= lmsr.cost_up(q, b) - lmsr.cost_down(start, b)


def test_eps_stays_within_a_few_wei_up_to_b_1e24():
    assert lmsr.eps(10**18, 2) == 2
    assert lmsr.eps(10**24, 4) <= 10
    assert lmsr.eps(10**27, 4) <= 5000


# --------------------------------------------------------------------------------------
# Input errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "field", "value"),
    [
        (lambda: lmsr.quote([0, 0], 0, 1, 10**15 - 1), lmsr.LiquidityOutOfRange, "b_wad", 10**15 - 1),
        (lambda: lmsr.max_loss_up(10**27 + 1, 2), lmsr.LiquidityOutOfRange, "b_wad", 10**27 + 1),
        (lambda: lmsr.quote([0] * 5, 0, 1, WAD), lmsr.OutcomeCountOutOfRange, "outcomes", 5),
        (lambda: lmsr.cost_up([0], WAD), lmsr.OutcomeCountOutOfRange, "outcomes", 1),
        (lambda: lmsr.quote([0, 0, 0], 3, 1, WAD), lmsr.OutcomeOutOfRange, "outcome", 3),
        (lambda: lmsr.quote([MAX_Q + 1, 0], 1, 1, WAD), lmsr.QuantityOutOfRange, "q_wad", MAX_Q + 1),
        (lambda: lmsr.quote([MAX_Q, 0, 0], 0, 1, WAD), lmsr.QuantityOutOfRange, "q_wad", MAX_Q + 1),
        (lambda: lmsr.quote([0, 0], 0, 2**256 - 1, WAD), lmsr.QuantityOutOfRange, "q_wad", 2**256 - 1),
    ],
)
def test_bad_inputs_raise_typed_errors_with_evidence(call, error, field, value):
    with pytest.raises(error) as info:
        call()

    assert isinstance(info.value, HayekError)
    assert isinstance(info.value, ValueError)
    assert getattr(info.value, field) == value


# --------------------------------------------------------------------------------------
# Float conveniences
# --------------------------------------------------------------------------------------


@given(state=states())
def test_float_prices_agree_with_price_wad(state):
    q, b = state

    got = lmsr.prices(q, b)

    assert math.isclose(sum(got), 1.0, rel_tol=1e-12)
    for k, p in enumerate(got):
        assert abs(p - lmsr.price_wad(q, k, b) / WAD) <= 1e-12


@given(
    b=st.integers(10**17, 10**21),
    q=st.lists(st.integers(0, 10**21), min_size=2, max_size=4),
    k=st.integers(0, 3),
    target=st.floats(0.02, 0.98),
)
def test_shares_to_reach_moves_the_price_to_the_target(b, q, k, target):
    k %= len(q)

    shares = lmsr.shares_to_reach(q, k, target, b)
    after = q.copy()
    after[k] += shares
    reached = lmsr.price_wad(after, k, b) / WAD

    if shares == 0:
        assert lmsr.price_wad(q, k, b) / WAD >= target - 1e-9
    else:
        assert abs(reached - target) <= 1e-9
