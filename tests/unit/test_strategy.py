"""The Kelly strategy maximises expected log wealth and never overspends its bankroll."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from operator_node.strategy import expected_log_wealth, kelly_orders, kelly_shares, to_belief_orders
from protocol import lmsr

pytestmark = pytest.mark.unit
WAD = 10**18


@settings(max_examples=60, deadline=None)
@given(
    p1=st.floats(0.02, 0.98),
    q0=st.integers(0, 3 * WAD),
    q1=st.integers(0, 3 * WAD),
    wealth=st.integers(WAD // 100, 5 * WAD),
    b=st.sampled_from([WAD // 10, WAD // 2, 2 * WAD]),
)
def test_kelly_shares_maximise_expected_log_wealth(p1, q0, q1, wealth, b) -> None:
    q, p = [q0, q1], [1 - p1, p1]
    for k in (0, 1):
        x = kelly_shares(q, k, p, wealth, b)
        cost = lmsr.quote(q, k, x, b)[0] if x else 0
        assert cost <= wealth  # never more than the bankroll
        best = expected_log_wealth(q, k, p, x, wealth, b)
        # No nearby or far-away amount does better (checked numerically on a grid).
        for f in (0.0, 0.5, 0.9, 0.99, 1.01, 1.1, 2.0):
            y = int(x * f) if x else int(wealth * f)
            if y <= 0 or lmsr.quote(q, k, y, b)[0] > wealth:
                continue
            assert expected_log_wealth(q, k, p, y, wealth, b) <= best + 1e-9


def test_kelly_buys_nothing_without_an_edge() -> None:
    assert kelly_shares([0, 0], 1, [0.6, 0.4], WAD, WAD // 2) == 0
    assert kelly_shares([0, 0], 1, [0.5, 0.5], WAD, WAD // 2) == 0


def test_kelly_orders_respect_bankroll_and_limit_prices() -> None:
    b = WAD // 2
    quantities = {i: [0, 0] for i in range(16)}
    beliefs = {i: [0.2, 0.8] if i % 2 else [0.7, 0.3] for i in range(16)}
    plan = kelly_orders(quantities, beliefs, 4 * WAD, b)
    assert plan.cost_wad <= 4 * WAD
    assert len(plan.orders) == 16
    for o in plan.orders:
        assert o.outcome == (1 if o.item % 2 else 0)
        assert o.limit_wad == int(max(beliefs[o.item]) * WAD)


def test_kelly_with_the_whole_wealth_moves_price_towards_but_not_past_belief() -> None:
    b = WAD // 2
    x = kelly_shares([0, 0], 1, [0.2, 0.8], WAD, b)
    after = lmsr.prices([0, x], b)[1]
    assert 0.5 < after <= 0.8 + 1e-9


def test_to_belief_moves_prices_to_beliefs() -> None:
    b = WAD // 2
    plan = to_belief_orders({0: [0, 0]}, {0: [0.25, 0.75]}, 10 * WAD, b)
    (o,) = plan.orders
    assert abs(lmsr.prices([0, o.shares_wad], b)[1] - 0.75) < 1e-6


def test_kelly_accounts_for_shares_already_held() -> None:
    b = WAD // 2
    fresh = kelly_shares([0, 0], 1, [0.2, 0.8], WAD, b)
    assert kelly_shares([0, 0], 1, [0.2, 0.8], WAD, b, held=[0, fresh // 2]) < fresh
    assert kelly_shares([0, 0], 1, [0.2, 0.8], WAD, b, held=[0, 10 * WAD]) == 0
    # Holding much of outcome 1 makes buying some outcome 0 worthwhile even at a fair price.
    assert kelly_shares([0, 0], 0, [0.5, 0.5], WAD, b, held=[0, 5 * WAD]) > 0


def test_kelly_orders_rebalance_an_over_exposed_position() -> None:
    # Bought 3 shares of outcome 1 cheaply; the price is now 0.9, below the belief 0.95, yet
    # 3 shares with 0.5 cash left is far more exposure than Kelly wants at 0.9: buy outcome 0.
    b, cash, h1, p = WAD // 10, WAD // 2, 3 * WAD, [0.05, 0.95]
    q = [0, lmsr.shares_to_reach([0, 0], 1, 0.9, b)]
    plan = kelly_orders({0: q}, {0: p}, WAD, b, held={0: [0, h1]}, spent={0: WAD - cash})
    (o,) = plan.orders
    assert o.outcome == 0
    assert o.within_limit(lmsr.quote(q, 0, o.shares_wad, b)[0])  # its average price is within the limit

    def elw(x0: int) -> float:
        rest = cash - (lmsr.quote(q, 0, x0, b)[0] if x0 else 0)
        return p[0] * math.log(rest + x0) + p[1] * math.log(rest + h1)

    assert elw(o.shares_wad) > elw(0)
    for f in (0.5, 0.9, 1.1, 1.5):  # and it is the best amount
        assert elw(int(o.shares_wad * f)) <= elw(o.shares_wad) + 1e-12


def test_kelly_orders_plan_only_the_unspent_share_of_an_item() -> None:
    b = WAD // 2
    beliefs = {0: [0.2, 0.8], 1: [0.2, 0.8]}
    q = {0: [0, 0], 1: [0, 0]}
    plan = kelly_orders(q, beliefs, 2 * WAD, b, held={0: [0, 0], 1: [0, 0]}, spent={0: WAD})
    assert [o.item for o in plan.orders] == [1]  # item 0's share is spent already


@example(p1=0.5, q0=0, q1=6, bankroll=10**16, b=10**17, h0=0, h1=0)  # dust: 2 wei of shares cost 5 wei
@settings(max_examples=60, deadline=None)
@given(
    p1=st.floats(0.03, 0.97),
    q0=st.integers(0, 3 * WAD),
    q1=st.integers(0, 3 * WAD),
    bankroll=st.integers(WAD // 100, 20 * WAD),
    b=st.sampled_from([WAD // 10, WAD // 2, 2 * WAD]),
    h0=st.integers(0, 2 * WAD),
    h1=st.integers(0, 2 * WAD),
)
def test_undisturbed_plans_fill_within_their_limits(p1, q0, q1, bankroll, b, h0, h1) -> None:
    """The contract skips an order whose average price (cost / shares, rounded up) is above its
    limit: a plan executed on the quantities it was made on is never skipped (Kelly stops below
    the price up to which a share is worth buying, and to_belief stops at the belief; a dust
    order of a few wei, whose cost's rounding puts it above its limit, is not planned at all)."""
    q, p = [q0, q1], [1 - p1, p1]
    for held in (None, {0: [h0, h1]}):
        for plan in (
            kelly_orders({0: q}, {0: p}, bankroll, b, held=held),
            to_belief_orders({0: q}, {0: p}, bankroll, b),
        ):
            for o in plan.orders:
                cost = lmsr.quote(q, o.outcome, o.shares_wad, b)[0]
                assert o.within_limit(cost), (o, cost)
                assert cost <= o.shares_wad * o.limit_wad // WAD
