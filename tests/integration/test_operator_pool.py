"""The operator node in a pool game on a devnet: it commits sealed forecasts on every item with a Kelly stake,
refuses inference on the listed items until commits close, survives a restart between commit and reveal
(reveals exactly what it committed), and once the game settles one node finalizes the pool and each claims;
the better model earns more per unit staked, and the registry records each model's profit."""

from __future__ import annotations

from pathlib import Path

import pytest

from operator_node.node import OperatorConfig, OperatorNode
from protocol import pool as kp
from protocol.chain import GameParams, SealedParams
from protocol.chain.devkit import DevGame
from protocol.chain.rounds import model_results, round_forecasts
from protocol.chain.scores import revealed_outcomes
from protocol.chain.sealed import SealedPool
from protocol.ranking import score_round
from protocol.store import StoreClient
from tests.integration.test_community_node import make_nodes
from tests.integration.test_operator_node import FixedPipeline

pytestmark = pytest.mark.integration
WAD = 10**18


@pytest.fixture
def pool_game(devnet) -> DevGame:  # type: ignore[no-untyped-def]
    return DevGame.launch(
        devnet.url, n_members=5, n_traders=3, params=GameParams(fixed_seed=b"\x07" * 32), sealed=SealedParams()
    )


def test_operators_commit_reveal_after_a_restart_and_claim_in_a_pool_round(
    pool_game: DevGame, store_url: str, tmp_path: Path
) -> None:
    game, store = pool_game, StoreClient(store_url)
    assert game.market == "pool" and game.deployment.params["market"] == "pool"
    members, _ = make_nodes(game, store_url, tmp_path)
    for m in members:
        m.step()
    rnd = game.open_round(WAD // 2, items=12)
    pool = SealedPool.of(game.chain)
    info = game.chain.game.round_info(rnd)
    assert info.liquidity_wad == 0 and info.subsidy_wad == 0  # the game's round has no LMSR market
    assert pool.round_state(rnd).subsidy_wad == game.subsidy_for(12, WAD // 2)  # the pool has the subsidy
    game.elect(rnd)
    for m in members:
        m.step()  # the committee lists
    good_cfg = OperatorConfig(home=tmp_path / "good", bankroll_fraction=0.5)
    good_pipe = FixedPipeline([1.0, 0.5, 0.0], store)
    good = OperatorNode(good_cfg, game.traders[0], game.chain, store, good_pipe)
    bad = OperatorNode(
        OperatorConfig(home=tmp_path / "bad", bankroll_fraction=0.5),
        game.traders[1],
        game.chain,
        store,
        FixedPipeline([-1.0, 0.0, 0.0], store),
    )
    for op in (good, bad):
        op.step()  # listing: build and register the model
        assert op.pool is not None
    game.to_phase(rnd, "trading")

    # Commit: forecasts on every item, a stake, written before sending.
    for op in (good, bad):
        st = op.step()
        assert st["market"] == "pool" and st["pool"]["commit"] == "committed"
    row = good.state.pool_commit(rnd)
    assert row is not None and row.status == "committed"
    on_chain = pool.operator_state(rnd, game.traders[0].address)
    assert on_chain.stake_wad == row.stake_wad > 0
    assert on_chain.commitment == kp.commitment(rnd, game.traders[0].address, row.model_hash, row.forecasts, row.salt)
    assert len(row.forecasts) == kp.forecast_length(game.chain.game.round_info(rnd).item_count, 2)
    # A copier sees only the hash: no LMSR market to trade on, and the model's endpoint refuses the listed items.
    ids, rows = good.listed_rows(rnd)
    assert len(ids) == 12
    assert good.sealed.check(rows[0]) is not None and f"round {rnd}" in good.sealed.check(rows[0])  # type: ignore[operator]
    good.step()
    assert len(pool.committed(rnd)) == 2  # a second step does not commit twice

    # The good operator dies after committing; restarted, it reveals exactly what it committed.
    good.state.close()
    good = OperatorNode(good_cfg, game.traders[0], game.chain, store, good_pipe)
    game.chain.advance_to(pool.commit_ends(rnd))
    for op in (good, bad):
        assert op.step()["pool"]["commit"] == "revealed"
    assert good.sealed.check(rows[0]) is None  # commits closed: the items may be asked about
    revealed = {r.operator: r for r in pool.revealed(rnd)}
    assert revealed[game.traders[0].address].forecasts == row.forecasts
    assert good_pipe.built == 1  # loaded after the restart, not rebuilt

    # Labels, settlement; one node finalizes, each claims once.
    game.to_phase(rnd, "revealing")
    for m in members:
        m.step()
    game.to_phase(rnd, "settleable")
    for op in (good, bad):
        op.step()
        op.step()
    state = pool.round_state(rnd)
    assert state.status == "finalized" and state.scored_count == 2
    claims = {c.operator: c for c in pool.claimed(rnd)}
    assert set(claims) == {game.traders[0].address, game.traders[1].address}
    results = {m.operator: m for m in model_results(game.chain, rnd)}
    assert all(m.settled for m in results.values())
    scores = {
        s.model_hash: s.log_loss
        for s in score_round(rnd, round_forecasts(game.chain, rnd), revealed_outcomes(game.chain.game, rnd), 2)
    }
    g_res, b_res = results[game.traders[0].address], results[game.traders[1].address]
    assert scores[g_res.model_hash] < scores[b_res.model_hash]
    assert g_res.profit_wad / g_res.stake_wad > b_res.profit_wad / b_res.stake_wad  # return ranks the models
    for m in (g_res, b_res):
        rec = game.chain.models.model(m.model_hash)
        assert rec.cumulative_profit_wad == m.profit_wad and rec.rounds_traded == 1
    # Conservation: the pool holds nothing once everyone claimed (the refund went to the treasury).
    assert game.chain.token.balance_of(pool.address) == 0
    assert state.refund_wad + sum(c.amount_wad for c in claims.values()) == state.subsidy_wad + state.stake_wad


def test_only_the_game_and_the_pool_record_profit_and_the_pool_is_set_once(pool_game: DevGame) -> None:
    from protocol.chain import ContractReverted

    models, gov = pool_game.chain.models, pool_game.governance
    stranger = pool_game.traders[2]
    pool = SealedPool.of(pool_game.chain)
    assert str(models.call("pool")) == pool.address
    with pytest.raises(ContractReverted) as e:
        models.send(stranger, "recordProfit", b"\1" * 32, 1, 10**30)
    assert e.value.error == "OnlyGame"
    with pytest.raises(ContractReverted) as e:
        models.send(gov, "setPool", stranger.address)
    assert e.value.error == "PoolAlreadySet" and e.value.args_["pool"] == pool.address
