"""Binding of `SealedPool` (the sealed-round joint Kelly pool beside the game) and its typed views and events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from protocol.chain.contracts import Bound, Chain, EventMissing
from protocol.errors import MissingSetup

POOL_STATUSES = ("none", "open", "finalized", "cancelled")

__all__ = [
    "POOL_STATUSES",
    "Claimed",
    "Committed",
    "Finalized",
    "ForecastRevealed",
    "OperatorState",
    "PoolRound",
    "Scored",
    "SealedPool",
]


# --------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolRound:
    """`SealedPool.roundState`: a pool round's totals and settlement (token units; scores in wad)."""

    subsidy_wad: int  # S
    stake_wad: int  # sum of committed stakes
    pool_stake_wad: int  # sum of capped stakes s' (0 before finalize)
    pot_wad: int  # S + pool_stake_wad (0 before finalize)
    refund_wad: int  # sent to the treasury at finalize or cancel
    total_weight: int  # Z
    max_score_wad: int  # M (the seed's score is in the Finalized event)
    commit_ends: int  # 0 before the first commit
    reveal_ends: int  # the game's tradingEnds (0 before the first commit)
    item_count: int
    operator_count: int
    revealed_count: int
    scored_count: int
    status: str  # one of POOL_STATUSES

    @classmethod
    def decode(cls, row: Sequence[Any]) -> PoolRound:
        v = [int(x) for x in row]
        return cls(
            subsidy_wad=v[0],
            stake_wad=v[1],
            pool_stake_wad=v[2],
            pot_wad=v[3],
            refund_wad=v[4],
            total_weight=v[5],
            max_score_wad=v[6],
            commit_ends=v[7],
            reveal_ends=v[8],
            item_count=v[9],
            operator_count=v[10],
            revealed_count=v[11],
            scored_count=v[12],
            status=POOL_STATUSES[v[13]],
        )


@dataclass(frozen=True)
class OperatorState:
    """`SealedPool.operatorState`: one operator's commit in a round (all zero if it did not commit)."""

    model_hash: bytes
    commitment: bytes
    stake_wad: int
    pool_stake_wad: int  # s' (0 before finalize)
    excess_wad: int  # stake - s', returned at claim
    payout_wad: int  # 0 before finalize
    score_wad: int  # 0 until scored
    revealed: bool
    scored: bool
    claimed: bool

    @classmethod
    def decode(cls, row: Sequence[Any]) -> OperatorState:
        h, c, stake, pool_stake, excess, payout, score, revealed, scored, claimed = row
        return cls(
            bytes(h),
            bytes(c),
            int(stake),
            int(pool_stake),
            int(excess),
            int(payout),
            int(score),
            bool(revealed),
            bool(scored),
            bool(claimed),
        )

    @property
    def committed(self) -> bool:
        return self.stake_wad != 0

    @property
    def claim_wad(self) -> int:
        """What a claim transfers (once finalized or cancelled)."""
        return self.payout_wad + self.excess_wad


# --------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Committed:
    round: int
    operator: str
    model_hash: bytes
    commitment: bytes
    stake_wad: int
    block_number: int | None = None

    @classmethod
    def decode(cls, args: Mapping[str, Any], block_number: int | None = None) -> Committed:
        return cls(
            int(args["round"]),
            str(args["operator"]),
            bytes(args["modelHash"]),
            bytes(args["commitment"]),
            int(args["stakeWad"]),
            block_number,
        )


@dataclass(frozen=True)
class ForecastRevealed:
    """A reveal: the forecasts (protocol.pool encoding) and the salt that opens the commitment."""

    round: int
    operator: str
    model_hash: bytes
    forecasts: bytes
    salt: bytes
    block_number: int | None = None

    @classmethod
    def decode(cls, args: Mapping[str, Any], block_number: int | None = None) -> ForecastRevealed:
        return cls(
            int(args["round"]),
            str(args["operator"]),
            bytes(args["modelHash"]),
            bytes(args["forecasts"]),
            bytes(args["salt"]),
            block_number,
        )


@dataclass(frozen=True)
class Scored:
    round: int
    operator: str
    model_hash: bytes
    log_likelihood_wad: int  # L <= 0
    score_wad: int  # eta * L
    block_number: int | None = None

    @classmethod
    def decode(cls, args: Mapping[str, Any], block_number: int | None = None) -> Scored:
        return cls(
            int(args["round"]),
            str(args["operator"]),
            bytes(args["modelHash"]),
            int(args["logLikelihoodWad"]),
            int(args["scoreWad"]),
            block_number,
        )


@dataclass(frozen=True)
class Finalized:
    round: int
    pot_wad: int
    pool_stake_wad: int
    total_weight: int
    max_score_wad: int
    seed_score_wad: int
    refund_wad: int
    block_number: int | None = None

    @classmethod
    def decode(cls, args: Mapping[str, Any], block_number: int | None = None) -> Finalized:
        return cls(
            int(args["round"]),
            int(args["potWad"]),
            int(args["poolStakeWad"]),
            int(args["totalWeight"]),
            int(args["maxScoreWad"]),
            int(args["seedScoreWad"]),
            int(args["refundWad"]),
            block_number,
        )


@dataclass(frozen=True)
class Claimed:
    round: int
    operator: str
    model_hash: bytes
    stake_wad: int
    excess_wad: int  # stake above the cap (the whole stake in a cancelled round), returned
    payout_wad: int
    score_wad: int
    block_number: int | None = None

    @classmethod
    def decode(cls, args: Mapping[str, Any], block_number: int | None = None) -> Claimed:
        return cls(
            int(args["round"]),
            str(args["operator"]),
            bytes(args["modelHash"]),
            int(args["stakeWad"]),
            int(args["excessWad"]),
            int(args["payoutWad"]),
            int(args["scoreWad"]),
            block_number,
        )

    @property
    def amount_wad(self) -> int:
        return self.payout_wad + self.excess_wad

    @property
    def profit_wad(self) -> int:
        """payout + excess - stake: the operator's profit in the round (negative for a loss)."""
        return self.amount_wad - self.stake_wad


# --------------------------------------------------------------------------------------
# Binding
# --------------------------------------------------------------------------------------


class SealedPool(Bound):
    @classmethod
    def of(cls, chain: Chain) -> SealedPool:
        """The deployment's pool (made with `deploy(..., sealed=SealedParams())`); bound once per chain.
        A function here rather than a `Chain` property: this module builds on contracts.py."""
        if chain.deployment is None or "SealedPool" not in chain.deployment.addresses:
            raise MissingSetup("this deployment has no SealedPool", "deploy with the sealed pool enabled")
        return chain._bind(cls, "SealedPool")

    # ---------------------------------------------------------------- actions
    def fund(self, funder: LocalAccount, round: int, subsidy_wad: int) -> TxReceipt:
        return self.send(funder, "fund", round, subsidy_wad)

    def commit(
        self, operator: LocalAccount, round: int, model_hash: bytes, commitment: bytes, stake_wad: int
    ) -> TxReceipt:
        """Seal forecasts: `commitment` = protocol.pool.commitment(round, operator, model_hash, forecasts, salt)."""
        return self.send(operator, "commit", round, model_hash, commitment, stake_wad)

    def reveal(self, operator: LocalAccount, round: int, forecasts: bytes, salt: bytes) -> TxReceipt:
        return self.send(operator, "reveal", round, forecasts, salt)

    def score(self, sender: LocalAccount, round: int, reveals: Sequence[ForecastRevealed]) -> TxReceipt:
        """Score these revealed operators (a batch; optional, finalize scores whoever is left)."""
        return self.send(
            sender,
            "score",
            round,
            [r.operator for r in reveals],
            [r.forecasts for r in reveals],
            [r.salt for r in reveals],
        )

    def finalize(
        self,
        sender: LocalAccount,
        round: int,
        operators: Sequence[str],
        forecasts: Sequence[bytes],
        salts: Sequence[bytes],
        gas: int | None = None,
    ) -> TxReceipt:
        """Settle: `operators` every committer, ascending; forecasts and salts per operator (empty where unneeded)."""
        return self.send(sender, "finalize", round, list(operators), list(forecasts), list(salts), gas=gas)

    def finalize_from_events(self, sender: LocalAccount, round: int, from_block: int = 0) -> TxReceipt:
        """Settle from the chain alone: every Committed operator, ascending, with the forecasts and
        salt of its ForecastRevealed event where it revealed and is not scored yet."""
        args = self.finalize_args(round, from_block)
        return self.finalize(sender, round, *args)

    def finalize_args(self, round: int, from_block: int = 0) -> tuple[list[str], list[bytes], list[bytes]]:
        """(operators ascending, forecasts, salts) for `finalize`, from the round's events."""
        operators = sorted({c.operator for c in self.committed(round, from_block)}, key=lambda a: int(a, 16))
        reveals = {r.operator: r for r in self.revealed(round, from_block)}
        forecasts: list[bytes] = []
        salts: list[bytes] = []
        for op in operators:
            r = reveals.get(op)
            needed = r is not None and not self.operator_state(round, op).scored
            forecasts.append(r.forecasts if needed and r is not None else b"")
            salts.append(r.salt if needed and r is not None else bytes(32))
        return operators, forecasts, salts

    def cancel(self, sender: LocalAccount, round: int) -> TxReceipt:
        return self.send(sender, "cancel", round)

    def claim(self, operator: LocalAccount, round: int) -> Claimed:
        receipt = self.send(operator, "claim", round)
        return Claimed.decode(self._one(receipt, "Claimed"), int(receipt["blockNumber"]))

    def set_treasury(self, governance: LocalAccount, treasury: str) -> TxReceipt:
        return self.send(governance, "setTreasury", treasury)

    # ---------------------------------------------------------------- views
    def round_state(self, round: int) -> PoolRound:
        return PoolRound.decode(self.call("roundState", round))

    def operator_state(self, round: int, operator: str) -> OperatorState:
        return OperatorState.decode(self.call("operatorState", round, operator))

    def commit_ends(self, round: int) -> int:
        return int(self.call("commitEnds", round))

    def eta_wad(self) -> int:
        return int(self.call("etaWad"))

    def stake_cap_factor_wad(self) -> int:
        return int(self.call("stakeCapFactorWad"))

    def reveal_window_secs(self) -> int:
        return int(self.call("revealWindowSecs"))

    def outcome_count(self) -> int:
        return int(self.call("outcomeCount"))

    def treasury(self) -> str:
        return str(self.call("treasury"))

    # ---------------------------------------------------------------- events
    def committed(self, round: int, from_block: int = 0) -> list[Committed]:
        return [Committed.decode(e, e["blockNumber"]) for e in self.logs("Committed", from_block, round=round)]

    def revealed(self, round: int, from_block: int = 0) -> list[ForecastRevealed]:
        return [
            ForecastRevealed.decode(e, e["blockNumber"]) for e in self.logs("ForecastRevealed", from_block, round=round)
        ]

    def scored(self, round: int, from_block: int = 0) -> list[Scored]:
        return [Scored.decode(e, e["blockNumber"]) for e in self.logs("Scored", from_block, round=round)]

    def finalized(self, round: int, from_block: int = 0) -> Finalized | None:
        evs = self.logs("Finalized", from_block, round=round)
        return Finalized.decode(evs[0], evs[0]["blockNumber"]) if evs else None

    def claimed(self, round: int, from_block: int = 0) -> list[Claimed]:
        return [Claimed.decode(e, e["blockNumber"]) for e in self.logs("Claimed", from_block, round=round)]

    def _one(self, receipt: TxReceipt, name: str) -> dict[str, Any]:
        evs = self.events(receipt, name)
        if not evs:
            raise EventMissing(name, receipt["transactionHash"].hex())
        return evs[0]
