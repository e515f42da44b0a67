"""Shared fixtures: one anvil devnet per test session; a freshly deployed game per test."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.chain import Chain, Devnet, GameParams, dev_accounts
from protocol.chain.artifacts import Artifacts
from protocol.chain.contracts import Bound
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


class Harness(Bound):
    """A test harness contract: every call returns the contract's answer (tuples for multiple returns)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: self.call(name, *args)


def deploy_harness(devnet_url: str, name: str) -> Harness:
    """Deploy the compiled harness `name` on the devnet with dev account 0."""
    chain = Chain(devnet_url)
    art = Artifacts().get(name)
    factory = chain.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    receipt = chain.send(dev_accounts(1)[0], factory.constructor())
    return Harness(chain, str(receipt["contractAddress"]), art.abi)
