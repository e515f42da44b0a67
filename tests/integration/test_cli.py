"""The `hayek` command line against the devnet: deploy, open a round, status, advance;
errors are one clear line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hayek.cli import main
from protocol.chain import Chain, Deployment
from protocol.chain.sealed import SealedPool
from protocol.errors import ChainError
from protocol.lmsr import max_loss_up

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("market", ["pool", "lmsr"])
def test_deploy_open_status_advance(devnet, tmp_path: Path, market: str) -> None:
    runner = CliRunner()
    record = tmp_path / "deployment.json"
    gov = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"  # dev account 0, any case
    args = ["deploy", "--rpc", devnet.url, "--out", str(record), "--mint", f"{gov}:1000", "--market", market]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    dep = Deployment.load(record)
    assert set(dep.addresses) >= {"PredictionGame", "CommunityRegistry", "ModelRegistry", "CommunityToken"}
    assert dep.params["market"] == market and ("SealedPool" in dep.addresses) == (market == "pool")
    r = runner.invoke(main, ["round", "open", "--deployment", str(record), "--items", "8"])
    assert r.exit_code == 0 and f"({market} market)" in r.output, r.output
    chain = Chain(dep.rpc_url, dep)
    info = chain.game.round_info(1)  # a fresh game: its first round
    subsidy = 8 * max_loss_up(10**18 // 2, 2)  # --items 8 at the default b = 0.5: the same S in either market
    if market == "pool":  # the game's round has no LMSR market; the pool has the subsidy
        assert info.liquidity_wad == 0 and info.subsidy_wad == 0
        assert SealedPool.of(chain).round_state(1).subsidy_wad == subsidy
    else:
        assert info.liquidity_wad == 10**18 // 2 and info.subsidy_wad == subsidy
    r = runner.invoke(main, ["status", "--deployment", str(record)])
    assert r.exit_code == 0 and "electing" in r.output and market in r.output, r.output
    r = runner.invoke(main, ["round", "advance", "--deployment", str(record), "--to", "trading"])
    assert r.exit_code == 0 and "trading" in r.output, r.output
    assert chain.game.phase(chain.game.round_count()) == "trading"
    # A bad call: one clear line, exit code 1, nothing changed.
    r = runner.invoke(main, ["round", "settle", "--deployment", str(record)])
    assert r.exit_code == ChainError.exit_code and "SettleTooEarly" in r.output  # a revert: the chain family
