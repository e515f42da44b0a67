"""The sequential LMSR's guards on anvil: sealed rounds (no LMSR market), batched redeem (no
redeem lock), and per-order limits on the average price (what a sandwich can take)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from operator_node.strategy import kelly_orders
from protocol import lmsr
from protocol.chain.devkit import CommitteeListing, DevGame
from protocol.chain.views import RedeemedPart
from protocol.orders import Order, belief_from_floats
from tests.integration.test_game_reverts import reverts

pytestmark = pytest.mark.integration

WAD = 10**18
B = WAD // 2


def open_and_list(game: DevGame, per_member: int, seed: int = 3) -> tuple[int, list[CommitteeListing]]:
    rng = random.Random(seed)
    rnd = game.open_round(B, items=per_member * 3)
    listings = [game.list_random(rnd, m, per_member, rng) for m in game.elect(rnd)]
    return rnd, listings


def evm_snapshot(game: DevGame) -> Any:
    return game.chain.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]


def evm_revert(game: DevGame, snap: Any) -> None:
    assert game.chain.w3.provider.make_request("evm_revert", [snap])["result"]  # type: ignore[arg-type]


# ---------------------------------------------------------------- sealed rounds


def test_open_round_rejects_half_a_market(game: DevGame) -> None:
    g, gov, d = game.chain.game, game.governance, game.durations
    e = reverts("LiquidityOutOfRange", lambda: g.open_round(gov, WAD, 0, d.listing, d.trading, d.reveal))
    assert e.args_["bWad"] == 0
    reverts("LiquidityOutOfRange", lambda: g.open_round(gov, 0, 10**15 - 1, d.listing, d.trading, d.reveal))
    e = reverts("SubsidyTooSmall", lambda: g.open_round(gov, 0, B, d.listing, d.trading, d.reveal))
    assert e.args_["subsidyWad"] == 0
    assert g.round_count() == 0


def test_sealed_round_lists_without_subsidy_refuses_trades_and_settles_with_nothing_to_pay(game: DevGame) -> None:
    g, token = game.chain.game, game.chain.token
    gov_before = token.balance_of(game.governance.address)
    rnd = game.open_round(0, subsidy_wad=0)
    info = g.round_info(rnd)
    assert (info.liquidity_wad, info.subsidy_wad, info.status, info.sealed) == (0, 0, "open", True)
    assert token.balance_of(game.governance.address) == gov_before
    rng = random.Random(5)
    quota = 64  # the devnet's maxItemsPerMember: the only bound on a sealed round's listings
    listings = [game.list_random(rnd, m, quota, rng) for m in game.elect(rnd)]
    info = g.round_info(rnd)
    assert (info.item_count, info.reserved_wad) == (3 * quota, 0)
    t = game.traders[0]
    h = game.register_model(t)
    game.to_phase(rnd, "trading")
    e = reverts(
        "NoLmsrMarket", lambda: g.trade(t, rnd, h, [Order(0, 1, WAD)], [belief_from_floats([0.5, 0.5])], 10**30)
    )
    assert e.args_["round"] == rnd
    game.to_phase(rnd, "revealing")
    for lst in listings[:2]:
        game.reveal(lst)  # the third stays silent: voided at settle, its bond slashed
    game.to_phase(rnd, "settleable")
    g.settle(game.governance, rnd)
    info = g.round_info(rnd)
    assert (info.status, info.obligations_wad, info.treasury_return_wad) == ("settled", 0, 0)
    assert all(g.outcome_of(rnd, i) == lab for lst in listings[:2] for i, lab in zip(lst.items, lst.labels))
    ev = g.redeemed_in(g.redeem(t, rnd, []))
    assert (ev.payout_wad, ev.refund_wad, ev.profit_wad) == (0, 0, 0)
    assert g.trader(rnd, t.address).redeemed
    assert token.balance_of(game.deployment.addresses["PredictionGame"]) == 0


def test_sealed_round_can_be_cancelled(game: DevGame) -> None:
    g = game.chain.game
    rnd = game.open_round(0, subsidy_wad=0)
    game.elect(rnd)
    ev = g.events(g.cancel(game.governance, rnd), "RoundCancelled")[0]
    assert ev["treasuryReturnWad"] == 0
    assert g.round_info(rnd).status == "cancelled"
    assert g.redeemed_in(g.redeem(game.traders[0], rnd, [])).amount_wad == 0
    assert game.open_round(B, items=4) == rnd + 1  # the next round opens as usual


# ---------------------------------------------------------------- batched redeem


def test_redeem_in_batches_pays_exactly_what_one_call_pays_and_records_profit_once(game: DevGame) -> None:
    rnd, listings = open_and_list(game, per_member=8)
    g, token = game.chain.game, game.chain.token
    game_addr = game.deployment.addresses["PredictionGame"]
    t = game.traders[0]
    h = game.register_model(t)
    game.to_phase(rnd, "trading")
    items = [i for lst in listings for i in lst.items]
    # Both outcomes on every third item (two lanes of one position), one outcome elsewhere.
    orders = [Order(i, i % 2, WAD // 3 + i) for i in items] + [Order(i, 1 - i % 2, WAD // 7) for i in items[::3]]
    g.trade(t, rnd, h, orders, [belief_from_floats([0.6, 0.4])] * len(orders), 10**30)
    cost = g.trader(rnd, t.address).cost_wad
    assert g.trader(rnd, t.address).positions == len(items)
    void_cost = g.cost_on_listing(rnd, t.address, 1)
    game.to_phase(rnd, "revealing")
    game.reveal(listings[0])
    game.reveal(listings[2])  # listings[1] stays silent: void, its cost refunded
    game.to_phase(rnd, "settleable")
    g.settle(game.governance, rnd)
    obligations = g.round_info(rnd).obligations_wad

    snap = evm_snapshot(game)
    before = token.balance_of(t.address)
    whole = g.redeemed_in(g.redeem(t, rnd, items))
    assert token.balance_of(t.address) - before == whole.amount_wad
    assert whole.refund_wad == void_cost and whole.profit_wad == whole.amount_wad - cost
    profit_once = game.chain.models.model(h).cumulative_profit_wad
    assert profit_once == whole.profit_wad
    evm_revert(game, snap)

    before = token.balance_of(t.address)
    rng = random.Random(11)
    shuffled = rng.sample(items, len(items))
    batches = [shuffled[i : i + 5] for i in range(0, len(shuffled), 5)]
    paid, left = 0, len(items)
    for n, batch in enumerate(batches[:-1]):
        part = g.redeem_result_in(g.redeem(t, rnd, batch))
        left -= len(batch)
        assert isinstance(part, RedeemedPart) and part.positions_left == left
        assert part.refund_wad == (void_cost if n == 0 else 0)  # void refunds come with the first call
        paid += part.amount_wad
        tr = g.trader(rnd, t.address)
        assert (tr.positions, tr.redeemed, tr.payout_wad + tr.refund_wad) == (left, False, paid)
        assert all(g.shares_of(rnd, t.address, i) == [0, 0] for i in batch)
        info = g.round_info(rnd)
        assert info.paid_out_wad == paid <= obligations
        assert token.balance_of(game_addr) == obligations - paid
        assert game.chain.models.model(h).rounds_traded == 0  # nothing recorded before the last call
    # Items already cleared pay nothing again; an unknown item reverts.
    again = g.redeem_result_in(g.redeem(t, rnd, batches[0] + batches[0]))
    assert (again.amount_wad, again.positions_left) == (0, left)
    reverts("UnknownItem", lambda: g.redeem(t, rnd, [len(items)]))
    final = g.redeemed_in(g.redeem(t, rnd, batches[-1]))
    assert (final.payout_wad, final.refund_wad, final.profit_wad) == (
        whole.payout_wad,
        whole.refund_wad,
        whole.profit_wad,
    )
    assert token.balance_of(t.address) - before == whole.amount_wad
    record = game.chain.models.model(h)
    assert (record.cumulative_profit_wad, record.rounds_traded) == (profit_once, 1)
    assert g.trader(rnd, t.address).redeemed
    assert g.round_info(rnd).paid_out_wad == whole.amount_wad
    reverts("AlreadyRedeemed", lambda: g.redeem(t, rnd, batches[-1]))


def test_cancelled_round_refunds_the_whole_cost_in_one_call(game: DevGame) -> None:
    rnd, listings = open_and_list(game, per_member=2)
    g, t = game.chain.game, game.traders[0]
    h = game.register_model(t)
    game.to_phase(rnd, "trading")
    items = [i for lst in listings for i in lst.items]
    g.trade(t, rnd, h, [Order(i, 0, WAD) for i in items], [belief_from_floats([0.6, 0.4])] * len(items), 10**30)
    cost = g.trader(rnd, t.address).cost_wad
    g.cancel(game.governance, rnd)
    ev = g.redeemed_in(g.redeem(t, rnd, items[:1]))  # the items do not matter: the cost comes back
    assert (ev.refund_wad, ev.payout_wad, ev.profit_wad) == (cost, 0, 0)
    reverts("AlreadyRedeemed", lambda: g.redeem(t, rnd, items))


# ---------------------------------------------------------------- sandwiches


def _sandwich(game: DevGame, push_to: float) -> dict[str, Any]:
    """An attacker front-runs an operator's planned Kelly trade, pushing each item's price of the
    outcome the operator buys to `push_to` of the way from the market price to its limit, then
    back-runs by buying the other outcome (a complete set: worth its shares whatever happens)."""
    rnd, listings = open_and_list(game, per_member=4, seed=9)
    g = game.chain.game
    victim, attacker = game.traders[0], game.traders[1]
    hv, ha = game.register_model(victim), game.register_model(attacker)
    game.to_phase(rnd, "trading")
    items = [i for lst in listings for i in lst.items]
    q = {i: g.quantities(rnd, i) for i in items}
    beliefs = {i: [0.25, 0.75] if i % 2 else [0.8, 0.2] for i in items}
    plan = kelly_orders(q, beliefs, 50 * WAD, B)
    assert len(plan.orders) == len(items)
    # Undisturbed, every order fills within its limit (the strategy's semantics).
    assert all(o.within_limit(lmsr.quote(q[o.item], o.outcome, o.shares_wad, B)[0]) for o in plan.orders)

    front = []
    for o in plan.orders:
        p = lmsr.prices(q[o.item], B)[o.outcome]
        target = p + push_to * (o.limit_wad / WAD - p)
        front.append(Order(o.item, o.outcome, max(1, lmsr.shares_to_reach(q[o.item], o.outcome, target, B))))
    belief = [belief_from_floats([0.5, 0.5])] * len(front)
    spent = g.traded_in(g.trade(attacker, rnd, ha, front, belief, 10**30)).cost_wad
    ev = g.traded_in(g.trade(victim, rnd, hv, plan.orders, plan.order_beliefs(), 10**30))
    back = [Order(o.item, 1 - o.outcome, o.shares_wad) for o in front]
    spent += g.traded_in(g.trade(attacker, rnd, ha, back, belief, 10**30)).cost_wad
    sets = sum(o.shares_wad for o in front)  # one of the two outcomes pays: the sets are worth this
    return {
        "victim_cost": ev.cost_wad,
        "executed": ev.executed,
        "undisturbed": sum(lmsr.quote(q[o.item], o.outcome, o.shares_wad, B)[0] for o in ev.executed),
        "bound": sum(o.shares_wad * o.limit_wad for o in ev.executed) // WAD,
        "attacker_profit": sets - spent,
        "orders": len(plan.orders),
    }


def test_a_sandwich_to_just_under_the_limit_skips_every_order_and_earns_the_attacker_nothing(game: DevGame) -> None:
    # The old rule (price before the order at most its limit) let all of these through, each
    # paying far above its limit: now each would cost more than its limit per share.
    r = _sandwich(game, push_to=0.98)
    assert r["executed"] == [] and r["victim_cost"] == 0
    assert r["attacker_profit"] <= 0  # the round trip only pays the rounding


def test_a_mild_sandwich_fills_within_the_limit_and_takes_at_most_the_orders_edge(game: DevGame) -> None:
    r = _sandwich(game, push_to=0.2)
    assert len(r["executed"]) == r["orders"]
    assert r["undisturbed"] < r["victim_cost"] <= r["bound"]  # never more than Σ shares × limit
    # The attacker's gain is the victim's extra cost (path independence; quotes round up by at
    # most 2 EPS per order), so at most the orders' edge, Σ shares × limit - undisturbed cost.
    dust = 2 * lmsr.eps(B, 2) * r["orders"]
    assert 0 < r["attacker_profit"] <= r["victim_cost"] - r["undisturbed"] + dust
    assert r["attacker_profit"] <= r["bound"] - r["undisturbed"] + dust
