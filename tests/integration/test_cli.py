"""The `hayek` command line against the devnet: deploy, open a round, status, advance;
errors are one clear line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hayek.cli import main
from protocol.chain import Chain, Deployment
from protocol.errors import ChainError

pytestmark = pytest.mark.integration


def test_deploy_open_status_advance(devnet, tmp_path: Path) -> None:
    runner = CliRunner()
    record = tmp_path / "deployment.json"
    gov = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"  # dev account 0, any case
    r = runner.invoke(main, ["deploy", "--rpc", devnet.url, "--out", str(record), "--mint", f"{gov}:1000"])
    assert r.exit_code == 0, r.output
    dep = Deployment.load(record)
    assert set(dep.addresses) >= {"PredictionGame", "CommunityRegistry", "ModelRegistry", "CommunityToken"}
    r = runner.invoke(main, ["round", "open", "--deployment", str(record), "--items", "8"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["status", "--deployment", str(record)])
    assert r.exit_code == 0 and "electing" in r.output, r.output
    r = runner.invoke(main, ["round", "advance", "--deployment", str(record), "--to", "trading"])
    assert r.exit_code == 0 and "trading" in r.output, r.output
    assert Chain(dep.rpc_url, dep).game.phase(1) == "trading"
    # A bad call: one clear line, exit code 1, nothing changed.
    r = runner.invoke(main, ["round", "settle", "--deployment", str(record)])
    assert r.exit_code == ChainError.exit_code and "SettleTooEarly" in r.output  # a revert: the chain family
