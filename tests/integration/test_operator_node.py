"""The operator node on a devnet: registers its model, trades with a Kelly bankroll, and a
restart mid-round neither trades twice nor loses a planned trade; redeems once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_utils import keccak

from operator_node.node import OperatorConfig, OperatorNode
from operator_node.strategy import Plan
from protocol.chain.devkit import DevGame
from protocol.orders import Order, belief_from_floats
from protocol.store import StoreClient
from tests.integration.test_community_node import make_nodes

pytestmark = pytest.mark.integration
WAD = 10**18


class LinearModel:
    """A fixed logistic model (the trading loop's input; training is tested elsewhere)."""

    def __init__(self, w: list[float], store: StoreClient):
        self.w = np.asarray(w, dtype=np.float64)
        blob = self.w.tobytes()
        self.artifacts: dict[str, Any] = {
            "w": w,
            "vk_id": store.put(b"vk" + blob),
            "settings_id": store.put(b"s" + blob),
        }
        self.model_hash = keccak(blob)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p1 = 1 / (1 + np.exp(-(X @ self.w) * 3))
        return np.stack([1 - p1, p1], axis=1)


class FixedPipeline:
    def __init__(self, w: list[float], store: StoreClient):
        self.w, self.store, self.built = w, store, 0

    def build(self, round: int, node: OperatorNode) -> LinearModel:
        self.built += 1
        return LinearModel(self.w, self.store)

    def load(self, artifacts: dict[str, Any]) -> LinearModel:
        return LinearModel(artifacts["w"], self.store)


def test_operator_trades_restarts_without_double_trades_and_redeems_once(
    game: DevGame, store_url: str, tmp_path: Path
) -> None:
    store = StoreClient(store_url)
    members, _ = make_nodes(game, store_url, tmp_path)
    for m in members:
        m.step()
    rnd = game.open_round(WAD // 2, items=12)
    game.elect(rnd)
    for m in members:
        m.step()
    trader = game.traders[0]
    pipeline = FixedPipeline([1.0, 0.5, 0.0], store)
    cfg = OperatorConfig(home=tmp_path / "op", bankroll_fraction=0.1)
    op = OperatorNode(cfg, trader, game.chain, store, pipeline)
    other = OperatorNode(
        OperatorConfig(home=tmp_path / "op2", bankroll_fraction=0.1),
        game.traders[1],
        game.chain,
        store,
        FixedPipeline([-1.0, 0.0, 0.0], store),
    )
    op.step()  # listing phase: builds and registers the model
    other.step()
    model_hash = op.model_for(rnd).model_hash
    assert game.chain.models.operator_of(model_hash) == trader.address
    game.to_phase(rnd, "trading")

    op.step()  # pass 0
    g = game.chain.game
    assert len(op._my_trades_on_chain(rnd)) == 1
    spent = g.trader(rnd, trader.address).cost_wad
    assert 0 < spent <= 0.1 * 10_000 * WAD
    op.step()  # nobody else moved the market: no second pass
    assert len(op._my_trades_on_chain(rnd)) == 1

    # Another operator, with the opposite view, moves the market; our operator plans its
    # second pass and "dies" before sending it. Restarted, it sends that pass exactly once.
    other.step()
    assert len(other._my_trades_on_chain(rnd)) == 1
    items = op.held_items(rnd)
    plan = op.plan(rnd, op.model_for(rnd))
    row = op.state.plan_trade(rnd, 1, plan, op.market_view(rnd).others)
    assert row.max_cost_wad == plan.cost_wad + plan.cost_wad // 50 + 10**6
    assert op.state.trades(rnd)[1] == row  # stored as planned: orders, beliefs, cost and bound
    op.state.close()
    restarted = OperatorNode(cfg, trader, game.chain, store, pipeline)
    restarted.step()
    assert len(restarted._my_trades_on_chain(rnd)) == 2
    restarted.step()
    assert len(restarted._my_trades_on_chain(rnd)) == 2  # not twice
    assert pipeline.built == 1  # the model was loaded, not rebuilt
    assert set(items) <= set(restarted.held_items(rnd))

    # A pass that reverted (nothing on chain) followed by one that landed just before a
    # SIGKILL: on restart the landed one is recognised, not sent again.
    st = restarted.state
    st.plan_trade(rnd, 2, plan, restarted.market_view(rnd).others)
    st.mark_failed(rnd, 2, "CostAboveMax")
    small = Plan([Order(items[0], 0, WAD // 100)], {items[0]: [0.5, 0.5]}, 0)
    st.plan_trade(rnd, 3, small, restarted.market_view(rnd).others)
    g.trade(
        trader, rnd, model_hash, small.orders, small.order_beliefs(), 10 * WAD
    )  # landed; the node died before recording it
    st.close()
    more = OperatorNode(
        OperatorConfig(home=cfg.home, bankroll_fraction=0.1, passes=6), trader, game.chain, store, pipeline
    )
    status = more.step()
    assert len(more._my_trades_on_chain(rnd)) == 3  # recovered, not re-sent
    assert [r.status for r in more.state.trades(rnd)] == ["sent", "sent", "failed", "sent"]
    events = len(g.traded(rnd, from_block=game.deployment.deployed_block))
    assert status["idle"] is True and status["market_events"] == events  # nobody else moved since

    game.to_phase(rnd, "revealing")
    for m in members:
        m.step()
    game.to_phase(rnd, "settleable")
    more.step()  # settles and redeems
    assert g.trader(rnd, trader.address).redeemed
    again = OperatorNode(cfg, trader, game.chain, store, pipeline)
    again.step()  # a second restart does not redeem twice
    record = game.chain.models.model(model_hash)
    assert record.rounds_traded == 1

    # Restarted on another port, the node points its registered models there.
    moved = OperatorNode(
        OperatorConfig(home=cfg.home, endpoint="http://127.0.0.1:9999"), trader, game.chain, store, pipeline
    )
    assert record.endpoint.startswith("http://127.0.0.1:0/models/0x")
    assert moved.sync_endpoints() == 1 and moved.sync_endpoints() == 0
    assert game.chain.models.model(model_hash).endpoint == f"http://127.0.0.1:9999/models/0x{model_hash.hex()}"


def test_operator_redeems_in_batches_and_resumes_after_a_restart(game: DevGame, store_url: str, tmp_path: Path) -> None:
    """More positions than one batch: the node redeems in several calls; killed after the first,
    a restarted node sends only the batches still holding positions and gets the same total."""
    import random

    store = StoreClient(store_url)
    rnd = game.open_round(WAD // 2, items=24)
    rng = random.Random(4)
    listings = [game.list_random(rnd, m, 8, rng) for m in game.elect(rnd)]
    trader = game.traders[0]
    pipeline = FixedPipeline([0.3, -0.2, 0.1], store)
    cfg = OperatorConfig(home=tmp_path / "op", bankroll_fraction=0.1)
    op = OperatorNode(cfg, trader, game.chain, store, pipeline)
    model_hash = op.model_for(rnd).model_hash  # registered before listing ends
    game.to_phase(rnd, "trading")
    g = game.chain.game
    items = [i for lst in listings for i in lst.items]
    orders = [Order(i, i % 2, WAD // 4) for i in items]
    g.trade(trader, rnd, model_hash, orders, [belief_from_floats([0.5, 0.5])] * len(orders), 10**30)
    cost = g.trader(rnd, trader.address).cost_wad
    game.to_phase(rnd, "revealing")
    for lst in listings:
        game.reveal(lst)
    game.to_phase(rnd, "settleable")
    g.settle(game.governance, rnd)
    expected = sum(WAD // 4 for lst in listings for i, lab in zip(lst.items, lst.labels) if lab == i % 2)

    batches = op.redeem_batches(rnd, batch=7)
    assert [len(b) for b in batches] == [7, 7, 7, 3]
    before = game.chain.token.balance_of(trader.address)
    g.redeem(trader, rnd, batches[0])  # the first batch landed; then the node died
    op.state.close()
    restarted = OperatorNode(cfg, trader, game.chain, store, pipeline)
    assert restarted.redeem_batches(rnd, batch=7) == batches[1:]
    total = restarted.redeem(rnd, batch=7)
    assert total == expected == game.chain.token.balance_of(trader.address) - before
    assert g.trader(rnd, trader.address).redeemed
    record = game.chain.models.model(model_hash)
    assert (record.cumulative_profit_wad, record.rounds_traded) == (expected - cost, 1)
    assert restarted.redeem(rnd) is None  # already recorded as redeemed
