"""Shared fixtures: one anvil devnet per test session; a freshly deployed game per test."""

from __future__ import annotations

import pytest

from protocol.chain import Devnet, GameParams
from protocol.chain.devkit import DevGame

FIXED_SEED = bytes(range(32))


@pytest.fixture(scope="session")
def devnet():
    with Devnet(accounts=30) as d:
        yield d


@pytest.fixture
def game(devnet: Devnet) -> DevGame:
    """Five bonded members, three traders, binary outcomes, committee of three, fixed seed."""
    return DevGame.launch(devnet.url, n_members=5, n_traders=3, params=GameParams(fixed_seed=FIXED_SEED))


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory):
    """One content-addressed blob store process for the session."""
    from community_node.store_server import StoreProcess

    with StoreProcess(tmp_path_factory.mktemp("store")) as s:
        yield s.url
