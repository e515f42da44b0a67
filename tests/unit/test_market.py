"""Market replay: decoded Traded events rebuild every item's quantities and a trader's holdings
and spending, to the wei of the exact mirror; a plan's stored cost is what a replay charges."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from operator_node.state import OperatorState
from operator_node.strategy import Plan, kelly_orders, max_cost
from protocol import lmsr
from protocol.chain.views import Listing, Redeemed, RedeemedPart, RoundInfo, Traded, Trader
from protocol.market import MarketView, replay
from protocol.orders import Order, belief_from_floats

pytestmark = pytest.mark.unit
WAD = 10**18
B = WAD // 2
ALICE, BOB = "0x" + "a1" * 20, "0x" + "b0" * 20


def event(trader: str, orders: list[Order], skipped: AbstractSet[int] = frozenset(), cost: int = 0) -> dict[str, Any]:
    """A Traded event's args as web3 decodes them (orders packed, skipped as a bitmap)."""
    words = [0] * ((len(orders) + 255) // 256 or 1)
    for n in skipped:
        words[n >> 8] |= 1 << (n & 255)
    return {
        "round": 1,
        "trader": trader,
        "modelHash": b"\x01" * 32,
        "costWad": cost,
        "orders": [o.encode() for o in orders],
        "beliefs": [belief_from_floats([0.4, 0.6])] * len(orders),
        "skipped": words,
    }


def test_traded_decodes_orders_and_the_skipped_bitmap_across_words() -> None:
    orders = [Order(i, i % 2, WAD + i, limit_wad=WAD // 2) for i in range(300)]
    t = Traded.decode(event(ALICE, orders, skipped={0, 255, 256, 299}), block_number=7)
    assert t.orders == tuple(orders) and t.block_number == 7
    assert [n for n in range(300) if t.skipped(n)] == [0, 255, 256, 299]
    assert t.executed == [o for n, o in enumerate(orders) if n not in (0, 255, 256, 299)]
    assert t.belief(3, 2) == [4 * WAD // 10, 6 * WAD // 10]


def test_replay_rebuilds_quantities_holdings_and_spending() -> None:
    trades = [
        Traded.decode(event(ALICE, [Order(0, 1, WAD), Order(1, 0, 2 * WAD)])),
        Traded.decode(event(BOB, [Order(0, 0, 3 * WAD), Order(2, 1, WAD)], skipped={1})),
        Traded.decode(event(ALICE, [Order(0, 1, WAD)])),
    ]
    fills: list[tuple[int, list[int]]] = []
    view = replay(trades, B, 2, trader=ALICE, on_fill=lambda o, q: fills.append((o.item, list(q))))
    assert view.quantities == {0: [3 * WAD, 2 * WAD], 1: [2 * WAD, 0]}  # item 2 only in a skipped order
    assert view.held == {0: [0, 2 * WAD], 1: [2 * WAD, 0]}
    first = lmsr.quote([0, 0], 1, WAD, B)[0]
    last = lmsr.quote([3 * WAD, WAD], 1, WAD, B)[0]
    assert view.spent == {0: first + last, 1: lmsr.quote([0, 0], 0, 2 * WAD, B)[0]}
    assert (view.events, view.mine, view.others) == (3, 2, 1)
    assert fills == [(0, [0, WAD]), (1, [2 * WAD, 0]), (0, [3 * WAD, WAD]), (0, [3 * WAD, 2 * WAD])]
    assert view.quantities_of(5, 2) == [0, 0] and view.held_of(2, 2) == [0, 0]


def test_replay_without_a_trader_counts_no_one_as_mine() -> None:
    view = replay([Traded.decode(event(ALICE, [Order(0, 1, WAD)]))], B, 2)
    assert (view.events, view.mine, view.held, view.spent) == (1, 0, {}, {})
    assert replay([], B, 3) == MarketView({}, {}, {}, 0)


@settings(max_examples=25, deadline=None)
@given(
    p=st.lists(st.floats(0.05, 0.95), min_size=1, max_size=6),
    prior=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1), st.integers(1, 2 * WAD)), max_size=6),
)
def test_a_plans_cost_is_what_replaying_it_charges(p: list[float], prior: list[tuple[int, int, int]]) -> None:
    """What `_send` used to re-quote is the cost the planner already computed."""
    before = [Traded.decode(event(BOB, [Order(i, k, x) for i, k, x in prior]))] if prior else []
    market = replay(before, B, 2)
    beliefs = {i: [1 - pi, pi] for i, pi in enumerate(p)}
    plan = kelly_orders({i: market.quantities_of(i, 2) for i in beliefs}, beliefs, 5 * WAD, B)
    mine = replay([*before, Traded.decode(event(ALICE, plan.orders))], B, 2, trader=ALICE)
    assert sum(mine.spent.values()) == plan.cost_wad
    assert plan.max_cost_wad == max_cost(plan.cost_wad) == plan.cost_wad + plan.cost_wad // 50 + 10**6


def test_operator_state_stores_a_plan_as_planned(tmp_path: Path) -> None:
    st_ = OperatorState(tmp_path / "op.sqlite")
    plan = Plan([Order(3, 1, 10**22 + 7, limit_wad=WAD // 3), Order(0, 0, 5)], {3: [0.2, 0.8], 0: [0.9, 0.1]}, 10**22)
    row = st_.plan_trade(4, 0, plan, market_events=2)
    assert st_.trades(4) == [row]
    assert row.orders == plan.orders and row.beliefs == plan.order_beliefs()
    assert (row.cost_wad, row.max_cost_wad, row.status) == (10**22, max_cost(10**22), "planned")
    assert st_.plan_trade(4, 1, Plan([], {}, 0), market_events=3).status == "empty"
    st_.close()


def test_round_info_and_listing_views() -> None:
    info = RoundInfo.decode([10, 20, 30, 5, B, 7 * WAD, WAD, 12, 3, 2, True, 1, 2, 3, 4])
    assert info.status == "settled" and info.liquidity_wad == B and info.item_count == 12
    assert [info.start_of(ph) for ph in ("trading", "revealing", "settleable")] == [10, 20, 30]
    assert not info.sealed
    assert RoundInfo.decode([10, 20, 30, 5, 0, 0, 0, 12, 3, 1, True, 0, 0, 0, 0]).sealed
    lst = Listing.decode([ALICE, 4, 3, False, True, b"\x02" * 32, b"\x03" * 32, 9, 0])
    assert list(lst.items) == [4, 5, 6] and lst.voided and lst.items_root == b"\x02" * 32


def test_trader_and_redeem_event_views() -> None:
    tr = Trader.decode([b"\x01" * 32, 5 * WAD, 40, False, 2 * WAD, WAD])
    assert (tr.positions, tr.redeemed, tr.payout_wad, tr.refund_wad) == (40, False, 2 * WAD, WAD)
    part = RedeemedPart.decode({"round": 3, "trader": ALICE, "payoutWad": 2, "refundWad": 1, "positionsLeft": 7}, 9)
    assert (part.amount_wad, part.positions_left, part.block_number) == (3, 7, 9)
    ev = Redeemed.decode(
        {"round": 3, "trader": ALICE, "modelHash": b"\x01" * 32, "payoutWad": 5, "refundWad": 1, "profitWad": -4}
    )
    assert (ev.amount_wad, ev.profit_wad) == (6, -4)


def test_an_order_fills_while_its_average_price_is_within_its_limit() -> None:
    o = Order(0, 1, 3 * WAD, limit_wad=WAD // 2)
    assert o.within_limit(3 * WAD // 2)  # exactly 0.5 per share
    assert not o.within_limit(3 * WAD // 2 + 1)  # ceil(cost / shares) = 0.5 + 1 wei
    odd = Order(0, 1, 3, limit_wad=WAD // 3)  # the contract's test: cost · 1e18 <= limit · shares
    assert odd.within_limit(0) and not odd.within_limit(1)
    assert Order(0, 0, 7).within_limit(7)  # the default limit, 1 per share, never binds
