"""The operator's duties in a sealed-pool round (the game's market type `pool`): commit its model's forecasts on
every item of the round with a Kelly stake before commits close, reveal them in the reveal window, finalize
the pool once the game's round is settled (anyone may: the first one does it) and claim.

Every commit is written to SQLite (forecasts, salt, stake) before it is sent, so a node restarted at any point
reveals exactly what it committed; the chain's operator state says what landed."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from eth_account.signers.local import LocalAccount

from operator_node.pool_strategy import (
    EPSILON,
    LN2,
    WEALTH_CAP,
    PoolView,
    belief_score,
    others_estimate,
    stake_for_round,
)
from operator_node.state import OperatorState, PoolCommitRow
from protocol.chain import Chain, ContractReverted
from protocol.chain.rounds import round_forecasts
from protocol.chain.scores import revealed_outcomes
from protocol.chain.sealed import SealedPool
from protocol.pool import commitment, encode_forecasts
from protocol.ranking import score_round


class Node(Protocol):
    """What the pool duties use of the operator node (operator_node.node.OperatorNode)."""

    chain: Chain
    account: LocalAccount
    me: str
    state: OperatorState
    cfg: Any  # OperatorConfig: bankroll_fraction

    def terms(self, round: int) -> Any: ...  # RoundTerms: outcome_count, open_block

    def beliefs(self, round: int, model: Any) -> dict[int, list[float]]: ...

    def model_for(self, round: int) -> Any: ...  # Model: model_hash


WAD = 10**18

# Reverts that mean "this window has passed / this was done already": recorded, never retried forever.
COMMIT_MISSED = ("CommitClosed", "RoundClosed", "GameRoundNotOpen")
REVEAL_MISSED = ("RevealClosed", "RoundClosed")


@dataclass(frozen=True)
class RoundStake:
    """How the stake was chosen: the wealth, the model's expected per-item log loss and its spread, the pool view."""

    wealth: float
    log_loss: float
    log_loss_sd: float
    view: PoolView
    stake: float


class PoolTrader:
    """The sealed-pool side of an operator node: one `step` per poll, acting on the pool's deadlines alone."""

    def __init__(self, node: Node, say: Callable[[str], None]):
        self.node = node
        self.say = say
        self.pool = SealedPool.of(node.chain)
        self._eta: float | None = None
        self._cap: float | None = None

    @property
    def _from_block(self) -> int:
        dep = self.node.chain.deployment
        assert dep is not None
        return dep.deployed_block

    @property
    def cap_factor(self) -> float:
        """c: the pool scales the round's stakes down to sum to c·S at most."""
        if self._cap is None:
            self._cap = self.pool.stake_cap_factor_wad() / WAD
        return self._cap

    @property
    def eta(self) -> float:
        if self._eta is None:
            self._eta = self.pool.eta_wad() / WAD
        return self._eta

    # ------------------------------------------------------------ forecasts and stake
    def forecasts(self, round: int) -> tuple[list[list[float]], int]:
        """The model's probabilities on every item of the round (item-major), and how many it could see: an
        item whose listing is void or does not check out gets the uniform forecast (scored as such)."""
        node = self.node
        k = node.terms(round).outcome_count
        items = node.chain.game.round_info(round).item_count
        beliefs = node.beliefs(round, node.model_for(round))
        uniform = [1.0 / k] * k
        return [beliefs.get(i, uniform) for i in range(items)], len(beliefs)

    def track_record(self, round: int) -> float | None:
        """This operator's per-item log loss in the latest earlier round it revealed in (None: no record yet)."""
        for prev in range(round - 1, max(0, round - 4), -1):
            row = self.node.state.pool_commit(prev)
            if row is None or row.status not in ("revealed", "claimed"):
                continue
            g = self.node.chain.game
            if g.phase(prev) != "settled":
                continue
            scores = score_round(
                prev, round_forecasts(self.node.chain, prev), revealed_outcomes(g, prev), g.outcome_count()
            )
            mine = [s for s in scores if s.model_hash == row.model_hash]
            if mine and mine[0].items:
                return mine[0].log_loss
        return None

    def others(self, round: int) -> tuple[float, float]:
        """The other operators as one bettor (total stake, effective per-item log loss), from the latest settled
        earlier round's reveals; (0, ln 2) when there is none."""
        chain, g = self.node.chain, self.node.chain.game
        for prev in range(round - 1, max(0, round - 4), -1):
            if g.phase(prev) != "settled":
                continue
            outcomes = revealed_outcomes(g, prev)
            if not outcomes:
                continue
            forecasts = round_forecasts(chain, prev)
            scores = {s.model_hash: s.log_loss for s in score_round(prev, forecasts, outcomes, g.outcome_count())}
            stakes, losses = [], []
            for c in self.pool.committed(prev, self._from_block):
                if c.operator != self.node.me and c.model_hash in scores:
                    stakes.append(c.stake_wad / WAD)
                    losses.append(scores[c.model_hash])
            if stakes:
                return others_estimate(stakes, losses, len(outcomes), self.eta)
        return 0.0, LN2

    def choose_stake(self, round: int, probs: list[list[float]]) -> RoundStake:
        """The Kelly stake for this round (operator_node.pool_strategy), within the node's bankroll fraction."""
        node = self.node
        wealth = node.chain.token.balance_of(node.me) / WAD
        subsidy = self.pool.round_state(round).subsidy_wad / WAD
        p = np.asarray(probs, dtype=np.float64)
        if p.shape[1] == 2:
            mean, sd = belief_score(p[:, 1])
        else:  # the model's expected log loss under its own beliefs: its mean entropy
            q = np.clip(p, EPSILON, 1.0)
            mean, sd = float(-(q * np.log(q)).sum(axis=1).mean()), 0.5
        record = self.track_record(round)
        log_loss = record if record is not None else mean
        others_stake, others_ll = self.others(round)
        view = PoolView(len(probs), max(subsidy, 1e-9), self.eta, others_stake, others_ll, self.cap_factor)
        cap = min(WEALTH_CAP, max(node.cfg.bankroll_fraction, 0.0))
        stake = stake_for_round(wealth, log_loss, sd, view, cap=cap, participation=min(0.01, cap))
        return RoundStake(wealth, log_loss, sd, view, stake)

    # ------------------------------------------------------------ the duties
    def plan(self, round: int) -> PoolCommitRow | None:
        """Write this round's commit (forecasts, a fresh salt, the stake) before anything is sent."""
        probs, seen = self.forecasts(round)
        if not probs or not seen:
            return None  # no item of the round could be read: nothing to forecast yet
        if self.pool.round_state(round).subsidy_wad == 0:
            return None  # an unfunded pool round: nothing to win
        data = encode_forecasts(probs)
        stake = self.choose_stake(round, probs)
        stake_wad = min(int(stake.stake * WAD), self.node.chain.token.balance_of(self.node.me))
        if stake_wad <= 0:
            return None
        model = self.node.model_for(round)
        row = self.node.state.plan_commit(round, model.model_hash, data, os.urandom(32), stake_wad, stake.log_loss)
        self.say(
            f"round {round}: commit planned, stake {stake_wad / WAD:.4f} of wealth {stake.wealth:.4f} "
            f"(expected log loss {stake.log_loss:.4f}, {seen}/{len(probs)} items seen)"
        )
        return row

    def commit(self, row: PoolCommitRow) -> None:
        on_chain = self.pool.operator_state(row.round, self.node.me)
        if on_chain.committed:  # landed before a restart
            self.node.state.mark_commit(row.round, "committed", "recovered")
            return
        c = commitment(row.round, self.node.me, row.model_hash, row.forecasts, row.salt)
        token = self.node.chain.token
        if token.allowance(self.node.me, self.pool.address) < row.stake_wad:
            token.approve(self.node.account, self.pool.address, row.stake_wad)  # this stake only, never more
        try:
            receipt = self.pool.commit(self.node.account, row.round, row.model_hash, c, row.stake_wad)
        except ContractReverted as e:
            if e.error in COMMIT_MISSED:
                self.node.state.mark_commit(row.round, "missed", e.error)
                self.say(f"round {row.round}: commit missed ({e})")
                return
            raise
        self.node.state.mark_commit(row.round, "committed", receipt["transactionHash"].hex())
        self.say(f"round {row.round}: sealed forecasts committed, stake {row.stake_wad / WAD:.4f}")

    def reveal(self, row: PoolCommitRow) -> None:
        if self.pool.operator_state(row.round, self.node.me).revealed:
            self.node.state.mark_commit(row.round, "revealed", "recovered")
            return
        try:
            receipt = self.pool.reveal(self.node.account, row.round, row.forecasts, row.salt)
        except ContractReverted as e:
            if e.error in REVEAL_MISSED:
                self.node.state.mark_commit(row.round, "missed", e.error)
                self.say(f"round {row.round}: reveal missed, the stake is forfeit ({e})")
                return
            raise
        self.node.state.mark_commit(row.round, "revealed", receipt["transactionHash"].hex())
        self.say(f"round {row.round}: forecasts revealed")

    def settle(self, round: int) -> None:
        """Once the game's round is settled (or cancelled): finalize (or cancel) the pool round if nobody has,
        then claim what this operator is owed."""
        g = self.node.chain.game
        phase = g.phase(round)
        state = self.pool.round_state(round)
        if state.status in ("none", "open"):
            try:
                if phase == "settled":
                    self.pool.finalize_from_events(self.node.account, round, self._from_block)
                    self.say(f"round {round}: pool finalized")
                elif phase == "cancelled":
                    self.pool.cancel(self.node.account, round)
            except ContractReverted as e:
                if e.error != "RoundClosed":  # another node did it first
                    raise
        mine = self.pool.operator_state(round, self.node.me)
        if not mine.committed or mine.claimed:
            self.node.state.mark_commit(round, "claimed", "recovered" if mine.claimed else "nothing")
            return
        try:
            ev = self.pool.claim(self.node.account, round)
        except ContractReverted as e:
            if e.error != "AlreadyClaimed":
                raise
            self.node.state.mark_commit(round, "claimed", "recovered")
            return
        self.node.state.mark_commit(round, "claimed", f"{ev.amount_wad}")
        self.say(
            f"round {round}: claimed {ev.amount_wad / WAD:.4f} for a stake of {ev.stake_wad / WAD:.4f} "
            f"(profit {ev.profit_wad / WAD:+.4f})"
        )

    def step(self, round: int, phase: str, status: dict[str, Any]) -> None:
        """Act on the current round by the pool's deadlines; settle the rounds before it."""
        node = self.node
        if phase == "trading" and node.state.model(round) is not None:
            row = node.state.pool_commit(round)
            now = node.chain.now()
            commit_ends = self.pool.commit_ends(round)
            if row is None and now < commit_ends:
                row = self.plan(round)
            if row is not None and row.status == "planned":
                if now < commit_ends:
                    self.commit(row)
                else:
                    node.state.mark_commit(round, "missed", "CommitClosed")
            row = node.state.pool_commit(round)
            if row is not None and row.status == "committed" and now >= commit_ends:
                self.reveal(row)
        elif phase in ("revealing", "settleable"):
            row = node.state.pool_commit(round)
            if row is not None and row.status == "planned":
                node.state.mark_commit(round, "missed", "CommitClosed")
            elif row is not None and row.status == "committed":
                self.reveal(row)  # too late: the contract says so, and the row records it
            if phase == "settleable":
                try:
                    node.chain.game.settle(node.account, round)
                except ContractReverted as e:
                    if e.error != "RoundNotOpen":
                        raise
        for r in node.state.pool_rounds():
            row = node.state.pool_commit(r)
            if row is not None and row.status != "claimed" and node.chain.game.phase(r) in ("settled", "cancelled"):
                self.settle(r)
        row = node.state.pool_commit(round)
        status["pool"] = {
            "commit": None if row is None else row.status,
            "stake": None if row is None else row.stake_wad / WAD,
        }
        status["idle"] = True
