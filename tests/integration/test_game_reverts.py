"""Every revert path of the game, with its custom error and evidence, and no state change."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from protocol.chain import ContractReverted
from protocol.chain.devkit import DevGame
from protocol.orders import Order, belief_from_floats

pytestmark = pytest.mark.integration

WAD = 10**18
B = WAD // 2
BELIEF = belief_from_floats([0.5, 0.5])


def reverts(error: str, fn: Callable[[], Any]) -> ContractReverted:
    with pytest.raises(ContractReverted) as info:
        fn()
    assert info.value.error == error, str(info.value)
    return info.value


@pytest.fixture
def trading(game: DevGame) -> tuple[DevGame, int, list[Any], bytes]:
    """A round in its trading phase: three listings of four items; trader 0 holds a model."""
    rng = random.Random(7)
    rnd = game.open_round(B, items=12)
    committee = game.elect(rnd)
    listings = [game.list_random(rnd, m, 4, rng) for m in committee]
    h = game.register_model(game.traders[0])
    game.to_phase(rnd, "trading")
    return game, rnd, listings, h


def snapshot(game: DevGame, rnd: int) -> tuple[Any, ...]:
    g = game.chain.game
    return (
        g.round_info(rnd),
        [g.quantities(rnd, i) for i in range(g.round_info(rnd).item_count)],
        [game.chain.token.balance_of(a.address) for a in game.traders],
    )


def test_trade_reverts_after_trading_ends(trading) -> None:
    game, rnd, _, h = trading
    game.to_phase(rnd, "revealing")
    before = snapshot(game, rnd)
    e = reverts(
        "TradingClosed", lambda: game.chain.game.trade(game.traders[0], rnd, h, [Order(0, 1, WAD)], [BELIEF], 10**30)
    )
    assert e.args_["round"] == rnd
    assert snapshot(game, rnd) == before


def test_trade_reverts_before_listing_ends(game: DevGame) -> None:
    rnd = game.open_round(B, items=4)
    game.elect(rnd)
    h = game.register_model(game.traders[0])
    reverts(
        "TradingNotOpen", lambda: game.chain.game.trade(game.traders[0], rnd, h, [Order(0, 1, WAD)], [BELIEF], 10**30)
    )


def test_trade_reverts_when_cost_exceeds_max_cost(trading) -> None:
    game, rnd, _, h = trading
    before = snapshot(game, rnd)
    e = reverts(
        "CostAboveMax", lambda: game.chain.game.trade(game.traders[0], rnd, h, [Order(0, 1, WAD)], [BELIEF], 10**17)
    )
    assert e.args_["costWad"] > 10**17
    assert snapshot(game, rnd) == before


def test_second_model_hash_in_a_round_reverts(trading) -> None:
    game, rnd, _, h = trading
    t = game.traders[0]
    game.chain.game.trade(t, rnd, h, [Order(0, 1, WAD)], [BELIEF], 10**30)
    h2 = game.register_model(t, tag="second")
    e = reverts("ModelHashMismatch", lambda: game.chain.game.trade(t, rnd, h2, [Order(1, 1, WAD)], [BELIEF], 10**30))
    assert e.args_["committed"] == h and e.args_["given"] == h2


def test_model_hash_of_another_operator_reverts(trading) -> None:
    game, rnd, _, h = trading
    e = reverts(
        "NotModelOperator", lambda: game.chain.game.trade(game.traders[1], rnd, h, [Order(0, 1, WAD)], [BELIEF], 10**30)
    )
    assert e.args_["operator"] == game.traders[0].address


def test_model_registered_after_listing_ended_reverts(trading) -> None:
    game, rnd, _, _ = trading
    late = game.register_model(game.traders[1])
    reverts(
        "ModelRegisteredLate",
        lambda: game.chain.game.trade(game.traders[1], rnd, late, [Order(0, 1, WAD)], [BELIEF], 10**30),
    )


def test_registering_a_taken_model_hash_reverts(trading) -> None:
    game, _, _, h = trading
    reverts(
        "ModelAlreadyRegistered", lambda: game.chain.models.register(game.traders[1], h, b"\0" * 32, b"\0" * 32, "x")
    )


def test_committee_member_cannot_trade_in_its_round(trading) -> None:
    game, rnd, listings, _ = trading
    member = listings[0].member
    h = game.register_model(member)  # registered late too, but the committee check comes first
    reverts("CommitteeCannotTrade", lambda: game.chain.game.trade(member, rnd, h, [Order(0, 1, WAD)], [BELIEF], 10**30))


def test_unknown_item_and_bad_outcome_revert(trading) -> None:
    game, rnd, _, h = trading
    t = game.traders[0]
    reverts("UnknownItem", lambda: game.chain.game.trade(t, rnd, h, [Order(12, 1, WAD)], [BELIEF], 10**30))
    reverts("InvalidOutcome", lambda: game.chain.game.trade(t, rnd, h, [Order(0, 2, WAD)], [BELIEF], 10**30))
    reverts("LengthMismatch", lambda: game.chain.game.trade(t, rnd, h, [Order(0, 1, WAD)], [], 10**30))


def test_non_committee_member_cannot_list(game: DevGame) -> None:
    rnd = game.open_round(B, items=4)
    seated = {a.address for a in game.elect(rnd)}
    outsider = next(m for m in game.members if m.address not in seated)
    lst = game.prepare_listing(rnd, outsider, [0, 1])
    reverts("NotCommitteeMember", lambda: game.list(lst))


def test_listing_beyond_quota_or_subsidy_reverts(game: DevGame) -> None:
    rnd = game.open_round(B, items=5)  # subsidy covers five items
    committee = game.elect(rnd)
    e = reverts("QuotaExceeded", lambda: game.list(game.prepare_listing(rnd, committee[0], [0] * 65)))
    assert e.args_["quota"] == 64
    game.list(game.prepare_listing(rnd, committee[0], [0, 1, 0]))
    e = reverts("SubsidyExhausted", lambda: game.list(game.prepare_listing(rnd, committee[1], [1, 1, 1])))
    assert e.args_["neededWad"] > e.args_["availableWad"]
    game.list(game.prepare_listing(rnd, committee[1], [1, 1]))  # exactly what is left
    reverts("AlreadyListed", lambda: game.list(game.prepare_listing(rnd, committee[1], [1])))


def test_listing_after_listing_ends_reverts(game: DevGame) -> None:
    rnd = game.open_round(B, items=4)
    committee = game.elect(rnd)
    game.to_phase(rnd, "trading")
    reverts("ListingClosed", lambda: game.list(game.prepare_listing(rnd, committee[0], [0])))


def test_reveal_that_does_not_match_reverts_and_changes_nothing(trading) -> None:
    game, rnd, listings, _ = trading
    lst = listings[0]
    reverts("RevealNotOpen", lambda: game.reveal(lst))
    game.to_phase(rnd, "revealing")
    wrong = list(lst.labels)
    wrong[2] = 1 - wrong[2]
    e = reverts("RevealMismatch", lambda: game.chain.game.reveal(lst.member, rnd, wrong, lst.salts, lst.key))
    assert e.args_["item"] == lst.items[2]
    reverts("KeyMismatch", lambda: game.chain.game.reveal(lst.member, rnd, lst.labels, lst.salts, b"\x01" * 32))
    assert game.chain.game.listings(rnd)[0].revealed is False
    assert all(game.chain.game.outcome_of(rnd, i) is None for i in lst.items)
    game.reveal(lst)
    reverts("AlreadyRevealed", lambda: game.reveal(lst))
    game.to_phase(rnd, "settleable")
    reverts("RevealClosed", lambda: game.reveal(listings[1]))


def test_settle_too_early_and_double_redeem_revert(trading) -> None:
    game, rnd, listings, h = trading
    g = game.chain.game
    t = game.traders[0]
    g.trade(t, rnd, h, [Order(0, 1, WAD), Order(5, 0, WAD)], [BELIEF] * 2, 10**30)
    reverts("NotSettled", lambda: g.redeem(t, rnd, [0, 5]))
    game.to_phase(rnd, "revealing")
    e = reverts("SettleTooEarly", lambda: g.settle(game.governance, rnd))
    assert e.args_["round"] == rnd
    for lst in listings:
        game.reveal(lst)
    game.to_phase(rnd, "settleable")
    g.settle(game.governance, rnd)
    reverts("RoundNotOpen", lambda: g.settle(game.governance, rnd))
    part = g.redeem_result_in(g.redeem(t, rnd, [0]))  # a partial redeem: one position left
    assert part.positions_left == 1 and g.trader(rnd, t.address).redeemed is False
    g.redeemed_in(g.redeem(t, rnd, [0, 5]))  # item 0 again pays nothing; item 5 completes it
    before = game.chain.token.balance_of(t.address)
    reverts("AlreadyRedeemed", lambda: g.redeem(t, rnd, [0, 5]))
    assert game.chain.token.balance_of(t.address) == before


def test_unauthorised_governance_calls_revert(game: DevGame) -> None:
    outsider = game.traders[0]
    g, reg = game.chain.game, game.chain.registry
    reverts("OwnableUnauthorizedAccount", lambda: g.open_round(outsider, 10 * WAD, B, 60, 60, 60))
    rnd = game.open_round(B, items=4)
    reverts("OwnableUnauthorizedAccount", lambda: g.cancel(outsider, rnd))
    reverts("OwnableUnauthorizedAccount", lambda: reg.add_member(outsider, outsider.address))
    reverts("OwnableUnauthorizedAccount", lambda: reg.remove_member(outsider, game.members[0].address))
    reverts("OwnableUnauthorizedAccount", lambda: reg.set_app_approval(outsider, b"\1" * 32))
    reverts("OwnableUnauthorizedAccount", lambda: g.send(outsider, "setCommitteeSize", 1))
    reverts("OnlyGame", lambda: reg.send(outsider, "slashBond", game.members[0].address, rnd, outsider.address))
    reverts("OnlyGame", lambda: game.chain.models.send(outsider, "recordProfit", b"\1" * 32, rnd, 10**30))
    reverts("PreviousRoundActive", lambda: game.open_round(B, items=4))


def test_committee_bond_is_locked_until_settlement(trading) -> None:
    game, rnd, listings, _ = trading
    m = listings[0].member
    e = reverts("BondLocked", lambda: game.chain.registry.withdraw_bond(m, 1))
    assert e.args_["round"] == rnd


def test_non_member_cannot_commit_a_data_batch(game: DevGame) -> None:
    reverts("NotAMember", lambda: game.chain.registry.commit_batch(game.traders[0], 1, b"\1" * 32, 10, b"\2" * 32))
    game.chain.registry.commit_batch(game.members[0], 1, b"\1" * 32, 10, b"\2" * 32)
    assert game.chain.registry.batch_of(b"\1" * 32) == (game.members[0].address, 1, 10)
    reverts("BatchExists", lambda: game.chain.registry.commit_batch(game.members[1], 1, b"\1" * 32, 10, b"\2" * 32))
