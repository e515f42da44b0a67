"""Property-based sequences of trades, reveals and non-reveals on anvil.

Each example deploys a fresh game, runs random batched trades from three traders (with random
limit prices, so some orders are skipped), lets each committee member reveal or stay silent,
settles and redeems everything, each trader in random batches of items. After every step: the
contract's balance covers every unredeemed payout and refund; the market maker never pays out more than the subsidy; the
Python mirror reproduces every trade's cost to the wei; rounding dust stays with the market."""

from __future__ import annotations

from decimal import Decimal, getcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import lmsr
from protocol.chain import GameParams
from protocol.chain.devkit import DevGame
from protocol.orders import Order, belief_from_floats

pytestmark = pytest.mark.integration
WAD = 10**18
getcontext().prec = 80


def exact_cost(q: list[int], b: int) -> Decimal:
    """C(q) = b ln Σ exp(q_k / b) in 80-digit decimals (the arbitrary-precision reference)."""
    bd = Decimal(b) / WAD
    return bd * sum((Decimal(x) / WAD / bd).exp() for x in q).ln()


order_st = st.tuples(
    st.integers(0, 11),  # item (reduced mod item count)
    st.integers(0, 1),  # outcome
    st.integers(1, 3 * WAD),  # shares
    st.sampled_from([WAD, WAD // 2, 3 * WAD // 4, WAD // 5]),  # limit price
)
trade_st = st.tuples(st.integers(0, 2), st.lists(order_st, min_size=1, max_size=6))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    b=st.sampled_from([WAD // 10, WAD // 2, 2 * WAD]),
    sizes=st.lists(st.integers(1, 4), min_size=3, max_size=3),
    trades=st.lists(trade_st, min_size=1, max_size=8),
    reveals=st.lists(st.booleans(), min_size=3, max_size=3),
    labels_seed=st.integers(0, 2**32),
)
def test_collateral_is_conserved_and_mirror_agrees(devnet, b, sizes, trades, reveals, labels_seed) -> None:
    import random

    rng = random.Random(labels_seed)
    game = DevGame.launch(devnet.url, n_members=4, n_traders=3, params=GameParams(fixed_seed=b"\x05" * 32))
    g, token = game.chain.game, game.chain.token
    game_addr = game.deployment.addresses["PredictionGame"]
    subsidy = game.subsidy_for(sum(sizes) + 2, b)  # a little more than the listed items need
    rnd = game.open_round(b, subsidy_wad=subsidy)
    listings = [game.list_random(rnd, m, n, rng) for m, n in zip(game.elect(rnd), sizes)]
    n_items = sum(sizes)
    hashes = [game.register_model(t) for t in game.traders]
    game.to_phase(rnd, "trading")

    q = {i: [0, 0] for i in range(n_items)}
    held: dict[int, set[int]] = {0: set(), 1: set(), 2: set()}
    collected = 0
    exact_total = Decimal(0)
    for who, raw in trades:
        orders, expected, touched = [], 0, []
        for item, k, shares, limit in raw:
            item %= n_items
            cost, _ = lmsr.quote(q[item], k, shares, b)
            order = Order(item, k, shares, limit)
            orders.append(order)
            if not order.within_limit(cost):  # average price above the limit: skipped
                continue
            before = exact_cost(q[item], b)
            q[item][k] += shares
            exact_total += exact_cost(q[item], b) - before
            expected += cost
            touched.append(item)
        beliefs = [belief_from_floats([0.5, 0.5])] * len(orders)
        receipt = g.trade(game.traders[who], rnd, hashes[who], orders, beliefs, 10**30)
        assert g.traded_in(receipt).cost_wad == expected  # mirror == contract
        collected += expected
        held[who].update(touched)
        assert token.balance_of(game_addr) == subsidy + collected

    assert all(g.quantities(rnd, i) == q[i] for i in range(n_items))
    # Costs round up: the market collected at least the exact LMSR cost, by a bounded dust.
    dust = Decimal(collected) - exact_total * WAD
    assert 0 <= dust <= 10**6 * (len(trades) * 6)

    game.to_phase(rnd, "revealing")
    for lst, does in zip(listings, reveals):
        if does:
            game.reveal(lst)
    game.to_phase(rnd, "settleable")
    g.settle(game.governance, rnd)
    info = g.round_info(rnd)
    assert token.balance_of(game_addr) == info.obligations_wad  # covers payouts and refunds
    assert info.obligations_wad <= info.collected_wad + info.reserved_wad  # loss ≤ subsidy

    paid = 0
    for who, trader in enumerate(game.traders):
        before = token.balance_of(trader.address)
        mine = rng.sample(sorted(held[who]), len(held[who]))
        cuts = sorted(rng.sample(range(1, len(mine)), min(2, max(len(mine) - 1, 0)))) if len(mine) > 1 else []
        for start, end in zip([0, *cuts], [*cuts, len(mine)]):
            g.redeem(trader, rnd, mine[start:end])
            assert token.balance_of(game_addr) == info.obligations_wad - paid - (
                token.balance_of(trader.address) - before
            )
        assert g.trader(rnd, trader.address).redeemed
        paid += token.balance_of(trader.address) - before
        assert token.balance_of(game_addr) == info.obligations_wad - paid
    assert token.balance_of(game_addr) == 0
    assert paid <= subsidy + collected
