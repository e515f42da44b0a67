"""A model operator's node: gets a model for each round (from its pipeline: Flower training
and EZKL compilation by default), registers its hash before listing ends, trades the round's
listed items with a Kelly bankroll, re-trades when the market moved, settles, redeems.
Every trade is planned in SQLite before it is sent, so a restart never trades twice."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
from eth_account.signers.local import LocalAccount

from operator_node.state import OperatorState
from operator_node.strategy import Plan, kelly_orders, to_belief_orders
from protocol import lmsr
from protocol.chain import Chain, ContractReverted
from protocol.chain.datasets import digest_of, listing_publications
from protocol.errors import HayekError
from protocol.localdb import write_status
from protocol.orders import Order, belief_from_floats
from protocol.records import from_fixed
from protocol.store import BlobStore

WAD = 10**18


class Model(Protocol):
    model_hash: bytes
    artifacts: dict[str, Any]  # what `load` needs after a restart; vk_id/settings_id for the registry

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...  # [n, d] -> [n, K]


class ModelPipeline(Protocol):
    def build(self, round: int, node: "OperatorNode") -> Model: ...

    def load(self, artifacts: dict[str, Any]) -> Model: ...


@dataclass
class MarketView:
    quantities: dict[int, list[int]]  # item -> shares sold per outcome (items never traded: absent)
    held: dict[int, list[int]]  # item -> this trader's shares per outcome
    spent: dict[int, int]  # item -> what this trader paid
    events: int  # Traded events so far this round
    mine: int = 0  # ... of which this trader's

    @property
    def others(self) -> int:
        return self.events - self.mine


@dataclass
class OperatorConfig:
    home: Path
    endpoint: str = "http://127.0.0.1:0"
    strategy: str = "kelly"  # or "belief"
    bankroll_fraction: float = 0.5  # of the token balance, per round
    passes: int = 2  # trade again (up to this many times) when others moved the market
    poll_seconds: float = 0.5


class OperatorNode:
    def __init__(self, cfg: OperatorConfig, account: LocalAccount, chain: Chain, store: BlobStore,
                 pipeline: ModelPipeline, say: Callable[[str], None] = lambda _: None):
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
        self.status_path = cfg.home / "status.json"

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
                self.chain.models.register(self.account, model.model_hash,
                                           digest_of(model.artifacts["vk_id"]),
                                           digest_of(model.artifacts["settings_id"]), self.endpoint_of(model))
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
    def _my_trades_on_chain(self, round: int) -> list[dict[str, Any]]:
        assert self.chain.deployment is not None
        return self.chain.game.logs("Traded", from_block=self.chain.deployment.deployed_block,
                                    round=round, trader=self.me)

    def beliefs(self, round: int, model: Model) -> dict[int, list[float]]:
        """The model's beliefs on every listed item whose listing checks out."""
        rows, ids = [], []
        for listing, pub in listing_publications(self.chain, self.store, round, self._checked):
            if listing["voided"]:
                continue
            for j, signed in enumerate(pub.items):
                rows.append([from_fixed(v) for v in signed.message.features])
                ids.append(listing["firstItem"] + j)
        if not rows:
            return {}
        probs = model.predict_proba(np.asarray(rows, dtype=np.float32))
        return {i: [float(p) for p in row] for i, row in zip(ids, probs)}

    def market_view(self, round: int) -> "MarketView":
        """Replay the round's trades with the exact mirror: every item's quantities, what this
        trader holds and paid per item, and how many trades the market has seen. One log query
        instead of several calls per item (only trades change quantities, and skipped orders
        are flagged in the event)."""
        assert self.chain.deployment is not None
        g = self.chain.game
        b = g.round_info(round)["liquidityWad"]
        k_count = g.outcome_count()
        view = MarketView({}, {}, {}, 0)
        for ev in g.logs("Traded", from_block=g.round_info(round)["openBlock"], round=round):
            view.events += 1
            view.mine += ev["trader"] == self.me
            skipped = ev["skipped"]
            for n, w in enumerate(ev["orders"]):
                if (skipped[n >> 8] >> (n & 255)) & 1:
                    continue
                o = Order.decode(w)
                qi = view.quantities.setdefault(o.item, [0] * k_count)
                if ev["trader"] == self.me:
                    view.spent[o.item] = view.spent.get(o.item, 0) + lmsr.quote(qi, o.outcome, o.shares_wad, b)[0]
                    view.held.setdefault(o.item, [0] * k_count)[o.outcome] += o.shares_wad
                qi[o.outcome] += o.shares_wad
        return view

    def plan(self, round: int, model: Model, view: "MarketView | None" = None) -> Plan:
        """Plan this pass: the round's bankroll is fixed from the balance at the round's first
        pass (so wealth earned by better models is what lets them bet more next round)."""
        g = self.chain.game
        beliefs = self.beliefs(round, model)
        view = view or self.market_view(round)
        k_count = g.outcome_count()
        quantities = {i: view.quantities.get(i, [0] * k_count) for i in beliefs}
        b = g.round_info(round)["liquidityWad"]
        key = f"bankroll:{round}"
        bankroll = self.state.get(key)
        if bankroll is None:
            bankroll = int(self.chain.token.balance_of(self.me) * self.cfg.bankroll_fraction)
            self.state.put(key, bankroll)
        if self.cfg.strategy == "kelly":
            held = {i: view.held.get(i, [0] * k_count) for i in beliefs}
            return kelly_orders(quantities, beliefs, int(bankroll), b, held=held, spent=view.spent)
        spent = g.trader(round, self.me)["costWad"]
        return to_belief_orders(quantities, beliefs, max(int(bankroll) - spent, 0), b)

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
                    return self._send(round, row.pass_, row.orders, row.beliefs, view), view
                rows = self.state.trades(round)
        used = [r for r in rows if r.status != "failed"]
        if len(used) >= self.cfg.passes or len(rows) >= 3 * self.cfg.passes:
            return False, view
        if rows and view.others <= rows[-1].market_events:
            return False, view  # nobody else moved the market since our last plan
        model = self.model_for(round)
        plan = self.plan(round, model, view)
        orders = [o.encode() for o in plan.orders]
        beliefs = [belief_from_floats(plan.beliefs[o.item]) for o in plan.orders]
        pass_ = len(rows)
        self.state.plan_trade(round, pass_, orders, beliefs, view.others)
        if not orders:
            return False, view
        return self._send(round, pass_, orders, beliefs, view), view

    def _send(self, round: int, pass_: int, orders: list[int], beliefs: list[int], view: MarketView) -> bool:
        model = self.model_for(round)
        g = self.chain.game
        # Slippage bound: the planned cost against the quantities planned on, plus 2% (if others
        # traded first and it reverts, the next step re-plans at the new prices).
        b = g.round_info(round)["liquidityWad"]
        k_count = g.outcome_count()
        q = {i: list(v) for i, v in view.quantities.items()}
        planned = 0
        for w in orders:
            o = Order.decode(w)
            qi = q.setdefault(o.item, [0] * k_count)
            planned += lmsr.quote(qi, o.outcome, o.shares_wad, b)[0]
            qi[o.outcome] += o.shares_wad
        try:
            receipt = g.trade(self.account, round, model.model_hash, orders, beliefs, planned + planned // 50 + 10**6)
        except ContractReverted as e:
            if e.error in ("TradingClosed", "CostAboveMax"):
                self.state.mark_failed(round, pass_, e.error)
                self.say(f"round {round}: pass {pass_} not traded ({e})")
                return False
            raise
        ev = g.events(receipt, "Traded")[0]
        self.state.mark_sent(round, pass_, receipt["transactionHash"].hex())
        self.say(f"round {round}: pass {pass_} bought on {len(orders)} items for {ev['costWad'] / WAD:.4f}")
        return True

    # ------------------------------------------------------------ settlement
    def held_items(self, round: int) -> list[int]:
        """Items with a position: executed orders of this trader's Traded events."""
        items: set[int] = set()
        for ev in self._my_trades_on_chain(round):
            skipped = ev["skipped"]
            for i, w in enumerate(ev["orders"]):
                if not (skipped[i >> 8] >> (i & 255)) & 1:
                    items.add(Order.decode(w).item)
        return sorted(items)

    def redeem(self, round: int) -> int | None:
        if self.state.redemption(round) == "redeemed":
            return None
        g = self.chain.game
        tr = g.trader(round, self.me)
        if tr["redeemed"]:
            self.state.mark_redeemed(round, 0, "recovered")
            return None
        if tr["costWad"] == 0 and tr["positions"] == 0:
            self.state.mark_redeemed(round, 0, "nothing")
            return None
        receipt = g.redeem(self.account, round, self.held_items(round))
        ev = g.events(receipt, "Redeemed")[0]
        amount = ev["payoutWad"] + ev["refundWad"]
        self.state.mark_redeemed(round, amount, receipt["transactionHash"].hex())
        self.say(f"round {round}: redeemed {amount / WAD:.4f}, profit {ev['profitWad'] / WAD:+.4f}")
        return int(amount)

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
        if phase in ("electing", "listing"):
            self.model_for(current)
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
        for r in range(max(1, current - 3), current + 1):
            if g.phase(r) in ("settled", "cancelled") and self.state.redemption(r) is None:
                self.redeem(r)
        saved = self.state.model(current)
        status["model"] = "0x" + saved[0].hex() if saved and saved[2] else None
        return self._write_status(status)

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
