"""Devnet conveniences shared by tests, benchmarks and the demo: deploy and fund a game,
and drive a round's phases (the devnet preset moves anvil's clock once every party acted)."""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from protocol.chain.contracts import Chain
from protocol.chain.deploy import GameParams, SealedParams, deploy
from protocol.chain.deployment import Deployment
from protocol.chain.devnet import dev_accounts
from protocol.chain.rounds import market_of, open_round
from protocol.errors import InputError
from protocol.lmsr import max_loss_up
from protocol.records import label_commitment

WAD = 10**18


class UnknownAccount(InputError):
    """An address that is none of the dev game's accounts."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(f"{address} is not an account of this dev game")


@dataclass
class Durations:
    """Round phase lengths in seconds (devnet preset; the clock is advanced, not waited on)."""

    listing: int = 600
    trading: int = 600
    reveal: int = 600


@dataclass
class CommitteeListing:
    """What a committee member keeps secret until reveal: labels, salts and the batch key."""

    round: int
    member: LocalAccount
    labels: list[int]
    salts: list[bytes]
    key: bytes
    first_item: int = -1

    @property
    def commitments(self) -> list[bytes]:
        return [label_commitment(lab, s) for lab, s in zip(self.labels, self.salts)]

    @property
    def items(self) -> list[int]:
        return list(range(self.first_item, self.first_item + len(self.labels)))


@dataclass
class DevGame:
    chain: Chain
    deployment: Deployment
    governance: LocalAccount
    members: list[LocalAccount]
    traders: list[LocalAccount]
    durations: Durations = field(default_factory=Durations)

    @classmethod
    def launch(
        cls,
        rpc_url: str,
        n_members: int = 5,
        n_traders: int = 3,
        params: GameParams | None = None,
        fund_wad: int = 10_000 * WAD,
        bond: bool = True,
        sealed: SealedParams | None = None,
    ) -> DevGame:
        """With `sealed`, a SealedPool is deployed too, and governance and the traders approve it."""
        params = params or GameParams()
        accts = dev_accounts(1 + n_members + n_traders)
        gov, members, traders = accts[0], accts[1 : 1 + n_members], accts[1 + n_members :]
        chain = Chain(rpc_url)
        mint = [(gov.address, 100 * fund_wad)] + [(a.address, fund_wad) for a in members + traders]
        dep = deploy(chain, gov, params, mint=mint, sealed=sealed)
        game = cls(chain, dep, gov, members, traders)
        spenders = [dep.addresses["PredictionGame"]] + ([dep.addresses["SealedPool"]] if sealed is not None else [])
        for spender in spenders:
            game.chain.token.approve(gov, spender)
            for t in traders:
                game.chain.token.approve(t, spender)
        for m in members:
            game.chain.registry.add_member(gov, m.address)
            if bond:
                game.chain.token.approve(m, dep.addresses["CommunityRegistry"])
                game.chain.registry.post_bond(m, params.min_bond_wad)
        return game

    # ------------------------------------------------------------ accounts
    def account(self, address: str) -> LocalAccount:
        for a in [self.governance, *self.members, *self.traders]:
            if a.address.lower() == address.lower():
                return a
        raise UnknownAccount(address)

    @property
    def outcome_count(self) -> int:
        return int(self.deployment.params["outcome_count"])

    # ------------------------------------------------------------ rounds
    def subsidy_for(self, items: int, liquidity_wad: int) -> int:
        return items * max_loss_up(liquidity_wad, self.outcome_count)

    @property
    def market(self) -> str:
        """'pool' (a SealedPool was deployed: the rounds' market) or 'lmsr'."""
        return market_of(self.deployment)

    def open_round(self, liquidity_wad: int, items: int = 64, subsidy_wad: int | None = None) -> int:
        """Open a round funded as for `items` LMSR items at `liquidity_wad` (or with `subsidy_wad`); in a pool
        game the subsidy funds the SealedPool's round and the game's round has no LMSR market."""
        d = self.durations
        subsidy = subsidy_wad if subsidy_wad is not None else self.subsidy_for(items, liquidity_wad)
        return open_round(
            self.chain, self.governance, subsidy, liquidity_wad, d.listing, d.trading, d.reveal, approve=False
        )

    def elect(self, round: int) -> list[LocalAccount]:
        """Mine until the randomness source's seed block exists, then elect (anyone may)."""
        info = self.chain.game.round_info(round)
        ready = int(self.chain.call(self._randomness().functions.readyAt(info.open_block)))
        missing = ready - int(self.chain.w3.eth.block_number)  # gas estimation runs at "latest"
        if missing > 0:
            self.chain.mine(missing)
        return [self.account(a) for a in self.chain.game.elect(self.governance, round)]

    def _randomness(self) -> Any:
        return self.chain.w3.eth.contract(
            address=Web3.to_checksum_address(self.deployment.addresses["Randomness"]),
            abi=self.deployment.abis["Randomness"],
        )

    def prepare_listing(
        self, round: int, member: LocalAccount, labels: Sequence[int], rng: random.Random | None = None
    ) -> CommitteeListing:
        rng = rng or random.Random()
        salts = [rng.randbytes(32) for _ in labels]
        return CommitteeListing(round, member, list(labels), salts, os.urandom(32))

    def list(self, listing: CommitteeListing, items_root: bytes | None = None) -> CommitteeListing:
        root = items_root or keccak(b"".join(listing.commitments))
        r = self.chain.game.list_items(listing.member, listing.round, listing.commitments, root, keccak(listing.key))
        listing.first_item = int(self.chain.game.events(r, "Listed")[0]["firstItem"])
        return listing

    def list_random(self, round: int, member: LocalAccount, n: int, rng: random.Random) -> CommitteeListing:
        labels = [rng.randrange(self.outcome_count) for _ in range(n)]
        return self.list(self.prepare_listing(round, member, labels, rng))

    def reveal(self, listing: CommitteeListing) -> None:
        self.chain.game.reveal(listing.member, listing.round, listing.labels, listing.salts, listing.key)

    def to_phase(self, round: int, phase: str) -> None:
        """Advance the devnet clock to the start of `phase` ('trading', 'revealing', 'settleable')."""
        self.chain.advance_to(self.chain.game.round_info(round).start_of(phase))

    def register_model(self, trader: LocalAccount, tag: str | None = None) -> bytes:
        model_hash = keccak(text=f"model:{trader.address}:{tag or ''}")
        self.chain.models.register(trader, model_hash, keccak(text="vk"), keccak(text="settings"), "http://127.0.0.1:0")
        return model_hash
