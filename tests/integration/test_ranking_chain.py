"""The wash-trade attack on the profit record, and the ranking it cannot move: an attacker
with two models buys both sides of every item (its net is about zero, but one of its models
books the profit); `hayek infer`'s choice (`best_model`) ranks by the log loss of the forecasts
on the chain and still picks the honest model."""

from __future__ import annotations

import random

import pytest

from operator_node.client import best_model
from protocol.chain.devkit import DevGame
from protocol.chain.scores import model_scores
from protocol.orders import Order, belief_from_floats
from protocol.ranking import rank

pytestmark = pytest.mark.integration

WAD = 10**18
B = WAD // 2
PER_MEMBER = 6


def test_wash_trading_books_profit_but_does_not_move_the_ranking(game: DevGame) -> None:
    g = game.chain.game
    rng = random.Random(5)
    rnd = game.open_round(B, items=3 * PER_MEMBER)
    committee = game.elect(rnd)
    # Mostly 1s: the attacker's "always 1" model is the one that books the profit.
    listings = [game.list(game.prepare_listing(rnd, m, [1, 1, 1, 1, 0, 1], rng)) for m in committee]
    truth = {i: y for lst in listings for i, y in zip(lst.items, lst.labels)}
    honest, wash0, wash1 = game.traders
    h_honest, h_wash0, h_wash1 = (game.register_model(t) for t in (honest, wash0, wash1))
    game.to_phase(rnd, "trading")

    # The attacker: 20 shares of each side of every item, with extreme stated beliefs.
    for trader, h, side in ((wash0, h_wash0, 0), (wash1, h_wash1, 1)):
        belief = belief_from_floats([0.99, 0.01] if side == 0 else [0.01, 0.99])
        g.trade(trader, rnd, h, [Order(i, side, 20 * WAD) for i in truth], [belief] * len(truth), 10**30)
    # The honest model: right 5 times in 6, with moderate confidence, small trades.
    orders, beliefs = [], []
    for n, (i, y) in enumerate(truth.items()):
        guess = y if n % 6 else 1 - y
        orders.append(Order(i, guess, WAD // 2))
        beliefs.append(belief_from_floats([0.2, 0.8] if guess else [0.8, 0.2]))
    g.trade(honest, rnd, h_honest, orders, beliefs, 10**30)

    game.to_phase(rnd, "revealing")
    for lst in listings:
        game.reveal(lst)
    game.to_phase(rnd, "settleable")
    g.settle(game.governance, rnd)
    for trader in game.traders:
        g.redeem(trader, rnd, list(truth))

    profit = {h: game.chain.models.model(h).cumulative_profit_wad for h in (h_honest, h_wash0, h_wash1)}
    # The attack works on the profit record: the attacker's "always 1" model tops it, while
    # the attacker as a whole made next to nothing (it paid for both sides).
    assert max(profit, key=profit.get) == h_wash1
    assert profit[h_wash1] > profit[h_honest] > 0
    assert abs(profit[h_wash0] + profit[h_wash1]) < profit[h_wash1]
    # ... and not on the ranking: the honest model's forecasts scored best.
    ranked = rank(model_scores(game.chain))
    assert ranked[0].model_hash == h_honest
    assert {s.model_hash for s in ranked} == {h_honest, h_wash0, h_wash1}
    assert all(s.items == len(truth) for s in ranked)
    assert best_model(game.chain).model_hash == h_honest
