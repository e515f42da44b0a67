"""The whole round lifecycle on an anvil devnet, and the profit and collateral it leaves."""

from __future__ import annotations

import random

import pytest

from protocol import lmsr
from protocol.chain.devkit import CommitteeListing, DevGame
from protocol.committee import elect, fixed_seed
from protocol.orders import Order, belief_from_floats
from tests.conftest import FIXED_SEED

pytestmark = pytest.mark.integration

WAD = 10**18
B = WAD // 2  # liquidity 0.5


def open_and_list(game: DevGame, per_member: int = 8, seed: int = 1) -> tuple[int, list[CommitteeListing]]:
    rng = random.Random(seed)
    rnd = game.open_round(B, items=per_member * 3)
    committee = game.elect(rnd)
    listings = [game.list_random(rnd, m, per_member, rng) for m in committee]
    return rnd, listings


def test_committee_is_the_documented_election_of_bonded_members(game: DevGame) -> None:
    rnd = game.open_round(B, items=8)
    seated = [a.address for a in game.elect(rnd)]
    expected = elect(game.chain.registry.members(), 3, fixed_seed(FIXED_SEED, rnd))
    assert seated == expected
    assert game.chain.game.committee(rnd) == expected
    assert game.chain.game.phase(rnd) == "listing"


def test_full_round_pays_realised_outcomes_and_records_profit_per_model(game: DevGame) -> None:
    rnd, listings = open_and_list(game, per_member=4)
    g = game.chain.game
    items = [i for lst in listings for i in lst.items]
    truth = {i: lab for lst in listings for i, lab in zip(lst.items, lst.labels)}
    alice, bob = game.traders[0], game.traders[1]
    h_alice, h_bob = game.register_model(alice), game.register_model(bob)
    game.to_phase(rnd, "trading")

    # alice knows the truth; bob believes the opposite.
    mirror_q = {i: [0, 0] for i in items}
    for trader, h, pick in ((alice, h_alice, lambda i: truth[i]), (bob, h_bob, lambda i: 1 - truth[i])):
        orders = [Order(i, pick(i), 2 * WAD) for i in items]
        beliefs = [belief_from_floats([0.1, 0.9] if pick(i) else [0.9, 0.1]) for i in items]
        receipt = g.trade(trader, rnd, h, orders, beliefs, 10**30)
        ev = g.traded_in(receipt)
        expected = 0
        for i in items:
            cost, _ = lmsr.quote(mirror_q[i], pick(i), 2 * WAD, B)
            mirror_q[i][pick(i)] += 2 * WAD
            expected += cost
        assert ev.cost_wad == expected  # the mirror reproduces the contract to the wei
        assert ev.model_hash == h

    game.to_phase(rnd, "revealing")
    for lst in listings:
        game.reveal(lst)
    assert all(g.outcome_of(rnd, i) == truth[i] for i in items)
    game.to_phase(rnd, "settleable")
    treasury_before = game.chain.token.balance_of(game.deployment.treasury)
    g.settle(game.governance, rnd)
    info = g.round_info(rnd)
    assert info.status == "settled"
    # Holders of the realised outcome are owed one unit per share: alice holds all of them.
    assert info.obligations_wad == 2 * WAD * len(items)
    returned = game.chain.token.balance_of(game.deployment.treasury) - treasury_before
    assert returned == info.subsidy_wad + info.collected_wad - info.obligations_wad
    assert info.obligations_wad - info.collected_wad <= info.reserved_wad  # loss ≤ subsidy

    for trader, h in ((alice, h_alice), (bob, h_bob)):
        before = game.chain.token.balance_of(trader.address)
        cost = g.trader(rnd, trader.address).cost_wad
        receipt = g.redeem(trader, rnd, items)
        ev = g.redeemed_in(receipt)
        got = game.chain.token.balance_of(trader.address) - before
        assert ev.profit_wad == got - cost
        assert game.chain.models.model(h).cumulative_profit_wad == got - cost
    assert (
        game.chain.models.model(h_alice).cumulative_profit_wad
        > 0
        > game.chain.models.model(h_bob).cumulative_profit_wad
    )
    assert game.chain.token.balance_of(game.deployment.addresses["PredictionGame"]) == 0


def test_trade_skips_orders_whose_average_price_passes_their_limit(game: DevGame) -> None:
    rnd, listings = open_and_list(game, per_member=2)
    g = game.chain.game
    a, b = game.traders[0], game.traders[1]
    ha, hb = game.register_model(a), game.register_model(b)
    game.to_phase(rnd, "trading")
    item0, item1 = listings[0].items
    # a front-runs item0, pushing outcome 1 far above 0.6.
    g.trade(a, rnd, ha, [Order(item0, 1, 3 * WAD)], [belief_from_floats([0.1, 0.9])], 10**30)
    q_before = g.quantities(rnd, item0)
    # b's orders may pay at most 0.6 per share on average: a tenth of a share on the fresh item1
    # costs ~0.525 each; on item0 the price is already ~0.998.
    orders = [Order(item0, 1, WAD, limit_wad=6 * WAD // 10), Order(item1, 1, WAD // 10, 6 * WAD // 10)]
    receipt = g.trade(b, rnd, hb, orders, [belief_from_floats([0.4, 0.6])] * 2, 10**30)
    ev = g.traded_in(receipt)
    assert ev.skipped_bitmap == (0b01,)
    assert [ev.skipped(n) for n in range(2)] == [True, False] and ev.executed == [ev.orders[1]]
    assert g.quantities(rnd, item0) == q_before
    assert g.quantities(rnd, item1) == [0, WAD // 10]
    assert g.shares_of(rnd, b.address, item1) == [0, WAD // 10]
    assert ev.cost_wad * WAD <= (WAD // 10) * (6 * WAD // 10)  # within its limit per share


def test_unrevealed_listing_is_voided_refunds_net_cost_and_slashes_bond(game: DevGame) -> None:
    rnd, listings = open_and_list(game, per_member=3)
    g = game.chain.game
    t = game.traders[0]
    h = game.register_model(t)
    game.to_phase(rnd, "trading")
    items = [i for lst in listings for i in lst.items]
    g.trade(t, rnd, h, [Order(i, 0, WAD) for i in items], [belief_from_floats([0.7, 0.3])] * len(items), 10**30)
    silent = listings[1]
    cost_on_silent = g.cost_on_listing(rnd, t.address, 1)
    assert cost_on_silent > 0
    game.to_phase(rnd, "revealing")
    game.reveal(listings[0])
    game.reveal(listings[2])
    game.to_phase(rnd, "settleable")
    treasury = game.deployment.treasury
    bond = game.chain.registry.bond_of(silent.member.address)
    tre_before = game.chain.token.balance_of(treasury)
    receipt = g.settle(game.governance, rnd)
    voided = g.events(receipt, "ListingVoidedEvent")
    assert [e["member"] for e in voided] == [silent.member.address]
    assert voided[0]["bondSlashedWad"] == bond
    assert game.chain.registry.bond_of(silent.member.address) == 0
    settled = g.events(receipt, "Settled")[0]
    assert settled["voidedItems"] == 3
    assert game.chain.token.balance_of(treasury) - tre_before == settled["treasuryReturnWad"] + bond

    before = game.chain.token.balance_of(t.address)
    ev = g.redeemed_in(g.redeem(t, rnd, items))
    assert ev.refund_wad == cost_on_silent
    revealed_zero = sum(1 for lst in (listings[0], listings[2]) for lab in lst.labels if lab == 0)
    assert ev.payout_wad == revealed_zero * WAD
    assert game.chain.token.balance_of(t.address) - before == ev.amount_wad
    assert game.chain.token.balance_of(game.deployment.addresses["PredictionGame"]) == 0


def test_leaked_label_lets_anyone_claim_the_bond_and_voids_the_listing(game: DevGame) -> None:
    rnd, listings = open_and_list(game, per_member=2)
    g = game.chain.game
    leaker = listings[0]
    claimant = game.traders[2]
    bond = game.chain.registry.bond_of(leaker.member.address)
    before = game.chain.token.balance_of(claimant.address)
    item = leaker.items[0]
    g.claim_leaked_label(claimant, rnd, item, leaker.labels[0], leaker.salts[0])
    assert game.chain.token.balance_of(claimant.address) - before == bond
    assert g.listings(rnd)[0].voided is True
    # A voided listing cannot be revealed later.
    game.to_phase(rnd, "revealing")
    with pytest.raises(Exception, match="ListingVoided"):
        game.reveal(leaker)


def test_cancelled_round_refunds_every_trader_its_cost(game: DevGame) -> None:
    rnd, listings = open_and_list(game, per_member=2)
    g = game.chain.game
    t = game.traders[0]
    h = game.register_model(t)
    game.to_phase(rnd, "trading")
    before = game.chain.token.balance_of(t.address)
    items = listings[0].items
    g.trade(t, rnd, h, [Order(i, 1, WAD) for i in items], [belief_from_floats([0.5, 0.5])] * 2, 10**30)
    g.cancel(game.governance, rnd)
    assert g.phase(rnd) == "cancelled"
    g.redeem(t, rnd, items)
    assert game.chain.token.balance_of(t.address) == before
    assert game.chain.token.balance_of(game.deployment.addresses["PredictionGame"]) == 0
    # Committee bonds are free again.
    for lst in listings:
        game.chain.registry.withdraw_bond(lst.member, 1)


def test_membership_history_survives_removal(game: DevGame) -> None:
    rnd = game.open_round(B, items=4)
    m = game.members[4]
    game.chain.registry.remove_member(game.governance, m.address)
    reg = game.chain.registry
    assert reg.is_member(m.address, rnd)  # it was a member when round `rnd` opened
    assert not reg.is_member(m.address, rnd + 1)
    assert reg.is_member(game.members[0].address, rnd + 1)
