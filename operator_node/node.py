"""A model operator's node: gets a model for each round (from its pipeline: Flower training
and EZKL compilation by default), registers its hash before listing ends, trades the round's
listed items with a Kelly bankroll, re-trades when the market moved, settles, redeems.
Every trade is planned in SQLite before it is sent, so a restart never trades twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from eth_account.signers.local import LocalAccount

from operator_node.pool_trader import PoolTrader
from operator_node.sealed_items import SealedItems
from operator_node.state import OperatorState, TradeRow
from operator_node.strategy import Plan, kelly_orders, to_belief_orders
from protocol.chain import Chain, ContractReverted, Traded
from protocol.chain.datasets import digest_of, listing_publications
from protocol.chain.rounds import market_of
from protocol.errors import ChainError, HayekError
from protocol.market import MarketView, replay
from protocol.records import from_fixed
from protocol.store import BlobStore
from protocol.store.localdb import write_status

WAD = 10**18
REDEEM_BATCH = 1_000  # items per redeem call (a call's gas grows with its items: ~6k each)


class RedeemIncomplete(ChainError):
    """Every held item was redeemed, yet the game still counts positions of this trader."""

    def __init__(self, round: int, positions_left: int):
        self.round = round
        self.positions_left = positions_left
        super().__init__(f"round {round}: redeem left {positions_left} positions uncleared")


class Model(Protocol):
    model_hash: bytes
    artifacts: dict[str, Any]  # what `load` needs after a restart; vk_id/settings_id for the registry

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...  # [n, d] -> [n, K]


class ModelPipeline(Protocol):
    def build(self, round: int, node: OperatorNode) -> Model: ...

    def load(self, artifacts: dict[str, Any]) -> Model: ...


@dataclass(frozen=True)
class RoundTerms:
    """A round's market terms, fixed once it is open: read from the chain once per round."""

    liquidity_wad: int  # LMSR b (set by openRound)
    outcome_count: int  # set at deployment
    open_block: int  # no Traded event of the round is older


@dataclass
class OperatorConfig:
    home: Path
    endpoint: str = "http://127.0.0.1:0"
    strategy: str = "kelly"  # or "belief"
    bankroll_fraction: float = 0.5  # of the token balance, per round
    passes: int = 2  # trade again (up to this many times) when others moved the market
    poll_seconds: float = 0.5


class OperatorNode:
    def __init__(
        self,
        cfg: OperatorConfig,
        account: LocalAccount,
        chain: Chain,
        store: BlobStore,
        pipeline: ModelPipeline,
        say: Callable[[str], None] = lambda _: None,
    ):
        self.cfg = cfg
        self.account = account
        self.me = account.address
        self.chain = chain
        self.store = store
        self.pipeline = pipeline
        self.say = say
        self.state = OperatorState(cfg.home / "operator.sqlite")
        self._models: dict[int, Model] = {}
        self._checked: dict[tuple[Any, ...], Any] = {}  # listing publications already checked
        self._terms: dict[int, RoundTerms] = {}
        self._outcome_count: int | None = None
        self.status_path = cfg.home / "status.json"
        self.market = market_of(chain.deployment)
        self.sealed = SealedItems()  # the current round's listed items: no inference on them until the market closes
        self.pool = PoolTrader(self, say) if self.market == "pool" else None

    # ------------------------------------------------------------ models
    def model_for(self, round: int) -> Model:
        """This round's model: built once, persisted, and registered on-chain."""
        if round in self._models:
            return self._models[round]
        saved = self.state.model(round)
        model = self.pipeline.load(saved[1]) if saved else self.pipeline.build(round, self)
        if not saved:
            self.state.save_model(round, model.model_hash, model.artifacts)
        self._models[round] = model
        if not (saved and saved[2]):
            if self.chain.models.operator_of(model.model_hash) != self.me:
                self.chain.models.register(
                    self.account,
                    model.model_hash,
                    digest_of(model.artifacts["vk_id"]),
                    digest_of(model.artifacts["settings_id"]),
                    self.endpoint_of(model),
                )
            self._bind_circuit(model)
            self.state.mark_registered(round)
            self.say(f"round {round}: model 0x{model.model_hash.hex()[:12]} registered")
        return model

    def endpoint_of(self, model: Model) -> str:
        """Where this model's proved inference is served ('' when the node serves none)."""
        return self._endpoint(model.model_hash)

    def _endpoint(self, model_hash: bytes) -> str:
        base = self.cfg.endpoint.rstrip("/")
        return f"{base}/models/0x{model_hash.hex()}" if base else ""

    def sync_endpoints(self) -> int:
        """Point every model this node registered at where it serves them now (a restart on
        another host or port would otherwise leave older models' endpoints stale)."""
        changed = 0
        for round in self.state.registered_rounds():
            saved = self.state.model(round)
            if saved is None:
                continue
            want = self._endpoint(saved[0])
            if want and self.chain.models.model(saved[0]).endpoint != want:
                self.chain.models.send(self.account, "setEndpoint", saved[0], want)
                changed += 1
        return changed

    def _bind_circuit(self, model: Model) -> None:
        """Pin the model hash to its circuit in the ModelVerifier (when the deployment has one),
        so anyone can verify this model's proofs on-chain."""
        prover = getattr(model, "prover", None)
        assert self.chain.deployment is not None
        if prover is None or "ModelVerifier" not in self.chain.deployment.addresses:
            return
        from operator_node.onchain import bind_model
        from protocol.chain.verifier import model_verifier

        if bytes(model_verifier(self.chain).call("bindings", model.model_hash)[1]) == bytes(32):
            bind_model(self.chain, self.account, prover)

    # ------------------------------------------------------------ trading
    def terms(self, round: int) -> RoundTerms:
        """The round's liquidity, outcome count and open block (fixed: read once per round)."""
        if round not in self._terms:
            if self._outcome_count is None:
                self._outcome_count = self.chain.game.outcome_count()
            info = self.chain.game.round_info(round)
            self._terms[round] = RoundTerms(info.liquidity_wad, self._outcome_count, info.open_block)
        return self._terms[round]

    def _my_trades_on_chain(self, round: int) -> list[Traded]:
        assert self.chain.deployment is not None
        return self.chain.game.traded(round, from_block=self.chain.deployment.deployed_block, trader=self.me)

    def listed_rows(self, round: int) -> tuple[list[int], list[list[float]]]:
        """(item indices, features) of every listed item whose listing checks out and is not void."""
        rows, ids = [], []
        for listing, pub in listing_publications(self.chain, self.store, round, self._checked):
            if listing.voided:
                continue
            for j, signed in enumerate(pub.items):
                rows.append([from_fixed(v) for v in signed.message.features])
                ids.append(listing.first_item + j)
        return ids, rows

    def beliefs(self, round: int, model: Model) -> dict[int, list[float]]:
        """The model's beliefs on every listed item whose listing checks out."""
        ids, rows = self.listed_rows(round)
        if not rows:
            return {}
        probs = model.predict_proba(np.asarray(rows, dtype=np.float32))
        return {i: [float(p) for p in row] for i, row in zip(ids, probs)}

    def market_view(self, round: int) -> MarketView:
        """Replay the round's trades with the exact mirror: every item's quantities, what this
        trader holds and paid per item, and how many trades the market has seen. One log query
        instead of several calls per item."""
        t = self.terms(round)
        trades = self.chain.game.traded(round, from_block=t.open_block)
        return replay(trades, t.liquidity_wad, t.outcome_count, trader=self.me)

    def plan(self, round: int, model: Model, view: MarketView | None = None) -> Plan:
        """Plan this pass: the round's bankroll is fixed from the balance at the round's first
        pass (so wealth earned by better models is what lets them bet more next round)."""
        t = self.terms(round)
        beliefs = self.beliefs(round, model)
        view = view or self.market_view(round)
        quantities = {i: view.quantities_of(i, t.outcome_count) for i in beliefs}
        key = f"bankroll:{round}"
        bankroll = self.state.get(key)
        if bankroll is None:
            bankroll = int(self.chain.token.balance_of(self.me) * self.cfg.bankroll_fraction)
            self.state.put(key, bankroll)
        if self.cfg.strategy == "kelly":
            held = {i: view.held_of(i, t.outcome_count) for i in beliefs}
            return kelly_orders(quantities, beliefs, int(bankroll), t.liquidity_wad, held=held, spent=view.spent)
        spent = self.chain.game.trader(round, self.me).cost_wad
        return to_belief_orders(quantities, beliefs, max(int(bankroll) - spent, 0), t.liquidity_wad)

    def trade(self, round: int) -> tuple[bool, MarketView]:
        """Plan and send the next pass if it is due. Returns (sent, the market as judged):
        sent False means nothing to do until another trader moves the market."""
        rows = self.state.trades(round)
        view = self.market_view(round)
        # Resume: a pass planned before a restart either landed (its Traded event is on chain)
        # or not. Failed passes left nothing on chain, so only sent ones are matched.
        for row in rows:
            if row.status == "planned":
                sent = sum(1 for r in rows if r.status == "sent")
                if view.mine > sent:
                    self.state.mark_sent(round, row.pass_, "recovered")
                    self.say(f"round {round}: pass {row.pass_} had landed before the restart")
                else:
                    return self._send(row), view
                rows = self.state.trades(round)
        used = [r for r in rows if r.status != "failed"]
        if len(used) >= self.cfg.passes or len(rows) >= 3 * self.cfg.passes:
            return False, view
        if rows and view.others <= rows[-1].market_events:
            return False, view  # nobody else moved the market since our last plan
        model = self.model_for(round)
        row = self.state.plan_trade(round, len(rows), self.plan(round, model, view), view.others)
        if not row.orders:
            return False, view
        return self._send(row), view

    def _send(self, row: TradeRow) -> bool:
        """Send a planned pass exactly as planned, bounded by the plan's own slippage bound."""
        round, pass_ = row.round, row.pass_
        model = self.model_for(round)
        g = self.chain.game
        try:
            receipt = g.trade(self.account, round, model.model_hash, row.orders, row.beliefs, row.max_cost_wad)
        except ContractReverted as e:
            if e.error in ("TradingClosed", "CostAboveMax"):
                self.state.mark_failed(round, pass_, e.error)
                self.say(f"round {round}: pass {pass_} not traded ({e})")
                return False
            raise
        ev = g.traded_in(receipt)
        self.state.mark_sent(round, pass_, receipt["transactionHash"].hex())
        self.say(f"round {round}: pass {pass_} bought on {len(row.orders)} items for {ev.cost_wad / WAD:.4f}")
        return True

    # ------------------------------------------------------------ settlement
    def held_items(self, round: int) -> list[int]:
        """Items with a position: executed orders of this trader's Traded events."""
        return sorted({o.item for t in self._my_trades_on_chain(round) for o in t.executed})

    def _holds(self, round: int, item: int) -> bool:
        return any(self.chain.game.shares_of(round, self.me, item))

    def redeem_batches(self, round: int, batch: int = REDEEM_BATCH) -> list[list[int]]:
        """The held items in fixed batches of `batch`, less the batches an earlier run already
        redeemed (a redeem call clears its whole batch or nothing: the batch's first item tells)."""
        items = self.held_items(round)
        chunks = [items[i : i + batch] for i in range(0, len(items), batch)]
        return [c for c in chunks if self._holds(round, c[0])]

    def redeem(self, round: int, batch: int = REDEEM_BATCH) -> int | None:
        """Redeem the round in batches of `batch` items; resumes after a restart from what the
        contract still holds. Returns the round's total paid (None if nothing was left to do)."""
        if self.state.redemption(round) == "redeemed":
            return None
        g = self.chain.game
        tr = g.trader(round, self.me)
        if tr.redeemed:
            self.state.mark_redeemed(round, tr.payout_wad + tr.refund_wad, "recovered")
            return None
        if tr.cost_wad == 0 and tr.positions == 0:
            self.state.mark_redeemed(round, 0, "nothing")
            return None
        # A cancelled round refunds the whole cost in one call; a settled one pays per batch.
        batches = [[]] if g.phase(round) == "cancelled" else self.redeem_batches(round, batch)
        receipt = None
        for n, items in enumerate(batches):
            receipt = g.redeem(self.account, round, items)
            if n + 1 < len(batches):
                part = g.redeem_result_in(receipt)
                self.say(f"round {round}: redeemed {len(items)} items for {part.amount_wad / WAD:.4f}")
        if not g.trader(round, self.me).redeemed:
            # Batches drawn from other events than the positions (never expected): sweep every item.
            rest = [i for i in self.held_items(round) if self._holds(round, i)]
            for i in range(0, len(rest), batch):
                receipt = g.redeem(self.account, round, rest[i : i + batch])
        left = g.trader(round, self.me)
        if receipt is None or not left.redeemed:
            raise RedeemIncomplete(round, left.positions)
        ev = g.redeemed_in(receipt)
        self.state.mark_redeemed(round, ev.amount_wad, receipt["transactionHash"].hex())
        self.say(f"round {round}: redeemed {ev.amount_wad / WAD:.4f}, profit {ev.profit_wad / WAD:+.4f}")
        return ev.amount_wad

    # ------------------------------------------------------------ the loop
    def step(self) -> dict[str, Any]:
        """One pass over every duty; returns (and writes to status.json) what the node is
        waiting for, so a devnet driver can tell when every party has acted."""
        g = self.chain.game
        current = g.round_count()
        status: dict[str, Any] = {"round": current, "phase": None, "model": None, "idle": True, "market_events": 0}
        if current == 0:
            return self._write_status(status)
        phase = status["phase"] = g.phase(current)
        status["market"] = self.market
        self._seal(current, phase)
        if phase in ("electing", "listing"):
            self.model_for(current)
        elif self.pool is not None:
            self.pool.step(current, phase, status)
        elif phase == "trading" and self.terms(current).liquidity_wad == 0:
            status["market_events"] = 0  # a sealed round in an LMSR game: no market to trade on
        elif phase == "trading":
            if self.state.model(current) is not None:  # registered before listing ended
                sent, view = self.trade(current)
                status["idle"] = not sent
            else:
                view = self.market_view(current)
            status["market_events"] = view.events  # the market the decision was made on
            status["passes"] = sum(1 for r in self.state.trades(current) if r.status == "sent")
        elif phase == "settleable":
            try:
                g.settle(self.account, current)
            except ContractReverted as e:
                if e.error != "RoundNotOpen":
                    raise
        for r in range(max(1, current - 3), current + 1) if self.pool is None else ():
            if g.phase(r) in ("settled", "cancelled") and self.state.redemption(r) is None:
                self.redeem(r)
        saved = self.state.model(current)
        status["model"] = "0x" + saved[0].hex() if saved and saved[2] else None
        return self._write_status(status)

    def _seal(self, round: int, phase: str) -> None:
        """Keep the service's list of sealed items current: the round's listed items until its market closes."""
        if phase not in ("listing", "trading"):
            self.sealed.clear()
            return
        until = (
            self.pool.pool.commit_ends(round)
            if self.pool is not None
            else self.chain.game.round_info(round).trading_ends
        )
        if self.chain.now() >= until:
            self.sealed.clear()
            return
        current = self.sealed.current
        ids, rows = self.listed_rows(round)
        if current is None or current.round != round or len(current.items) != len(ids):
            self.sealed.update(round, until, ids, rows)

    def report_error(self, message: str) -> None:
        """A step failed: say so in the status (never idle), so no driver takes the old one."""
        self._write_status({"round": None, "phase": None, "idle": False, "error": message})

    def _write_status(self, status: dict[str, Any]) -> dict[str, Any]:
        return write_status(self.status_path, status)

    def run(self, until: Callable[[], bool] = lambda: False) -> None:
        while not until():
            try:
                self.step()
            except (ContractReverted, HayekError) as e:
                self.say(f"error: {e}")
                self.report_error(str(e))
            time.sleep(self.cfg.poll_seconds)
