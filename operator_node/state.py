"""The operator node's persistent state (SQLite): its model per round, every planned and
sent trade, and redemptions. A trade is written as 'planned' (orders, beliefs, cost and the
slippage bound it is sent with) before it is sent, so a node restarted mid-round checks the
chain instead of trading twice, and sends exactly what was planned."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from operator_node.strategy import Plan
from protocol.orders import Order
from protocol.store.localdb import LocalDB

SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
  round INTEGER PRIMARY KEY, model_hash TEXT NOT NULL, artifacts TEXT NOT NULL,
  registered INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS trades (
  round INTEGER NOT NULL, pass INTEGER NOT NULL, orders TEXT NOT NULL, beliefs TEXT NOT NULL,
  cost_wad TEXT NOT NULL, max_cost_wad TEXT NOT NULL,
  market_events INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN ('planned', 'sent', 'empty', 'failed')),
  tx TEXT, PRIMARY KEY (round, pass)
);
CREATE TABLE IF NOT EXISTS redemptions (
  round INTEGER PRIMARY KEY, status TEXT NOT NULL, amount TEXT, tx TEXT
);
CREATE TABLE IF NOT EXISTS pool_commits (
  round INTEGER PRIMARY KEY, model_hash TEXT NOT NULL, forecasts TEXT NOT NULL, salt TEXT NOT NULL,
  stake_wad TEXT NOT NULL, expected_log_loss REAL NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('planned', 'committed', 'revealed', 'claimed', 'missed')),
  tx TEXT
);
"""


@dataclass(frozen=True)
class TradeRow:
    round: int
    pass_: int
    orders: list[Order]
    beliefs: list[int]  # encoded belief per order, as the trade sends them
    cost_wad: int  # the plan's exact cost against the market it was planned on
    max_cost_wad: int  # the slippage bound the trade is sent with
    market_events: int  # other traders' Traded events in the round when this pass was planned
    status: str
    tx: str | None


@dataclass(frozen=True)
class PoolCommitRow:
    """A sealed-pool commit: planned (forecasts, salt and stake written before the commit is sent, so a
    restart reveals exactly what was committed), committed, revealed, claimed, or missed (a window closed)."""

    round: int
    model_hash: bytes
    forecasts: bytes
    salt: bytes
    stake_wad: int
    expected_log_loss: float
    status: str
    tx: str | None


class OperatorState(LocalDB):
    SCHEMA = SCHEMA

    # ------------------------------------------------------------ models
    def save_model(self, round: int, model_hash: bytes, artifacts: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO models(round, model_hash, artifacts, registered) VALUES (?, ?, ?, 0)",
            (round, model_hash.hex(), json.dumps(artifacts)),
        )

    def model(self, round: int) -> tuple[bytes, dict[str, Any], bool] | None:
        r = self.db.execute("SELECT model_hash, artifacts, registered FROM models WHERE round = ?", (round,)).fetchone()
        return (bytes.fromhex(r[0]), json.loads(r[1]), bool(r[2])) if r else None

    def registered_rounds(self) -> list[int]:
        return [int(r[0]) for r in self.db.execute("SELECT round FROM models WHERE registered = 1 ORDER BY round")]

    def round_of(self, model_hash: bytes) -> int | None:
        r = self.db.execute(
            "SELECT round FROM models WHERE model_hash = ? AND registered = 1", (model_hash.hex(),)
        ).fetchone()
        return int(r[0]) if r else None

    def latest_model(self) -> tuple[int, bytes, dict[str, Any]] | None:
        r = self.db.execute(
            "SELECT round, model_hash, artifacts FROM models WHERE registered = 1 ORDER BY round DESC LIMIT 1"
        ).fetchone()
        return (int(r[0]), bytes.fromhex(r[1]), json.loads(r[2])) if r else None

    def mark_registered(self, round: int) -> None:
        self.db.execute("UPDATE models SET registered = 1 WHERE round = ?", (round,))

    # ------------------------------------------------------------ trades
    def plan_trade(self, round: int, pass_: int, plan: Plan, market_events: int) -> TradeRow:
        """Record a pass before it is sent ('empty' when the plan buys nothing); orders are kept
        as the contract's uint256 words, in hex."""
        status = "planned" if plan.orders else "empty"
        row = TradeRow(
            round,
            pass_,
            list(plan.orders),
            plan.order_beliefs(),
            plan.cost_wad,
            plan.max_cost_wad,
            market_events,
            status,
            None,
        )
        self.db.execute(
            "INSERT INTO trades(round, pass, orders, beliefs, cost_wad, max_cost_wad, market_events, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                round,
                pass_,
                json.dumps([hex(o.encode()) for o in row.orders]),
                json.dumps([hex(b) for b in row.beliefs]),
                str(row.cost_wad),
                str(row.max_cost_wad),
                market_events,
                status,
            ),
        )
        return row

    def trades(self, round: int) -> list[TradeRow]:
        rows = self.db.execute(
            "SELECT round, pass, orders, beliefs, cost_wad, max_cost_wad, market_events, status, tx"
            " FROM trades WHERE round = ? ORDER BY pass",
            (round,),
        )
        return [
            TradeRow(
                r[0],
                r[1],
                [Order.decode(int(o, 16)) for o in json.loads(r[2])],
                [int(b, 16) for b in json.loads(r[3])],
                int(r[4]),
                int(r[5]),
                r[6],
                r[7],
                r[8],
            )
            for r in rows
        ]

    def mark_sent(self, round: int, pass_: int, tx: str) -> None:
        self.db.execute("UPDATE trades SET status = 'sent', tx = ? WHERE round = ? AND pass = ?", (tx, round, pass_))

    def mark_failed(self, round: int, pass_: int, reason: str) -> None:
        """The pass reverted (nothing landed): it neither counts as a trade nor uses a pass."""
        self.db.execute(
            "UPDATE trades SET status = 'failed', tx = ? WHERE round = ? AND pass = ?", (reason, round, pass_)
        )

    # ------------------------------------------------------------ redemptions
    def redemption(self, round: int) -> str | None:
        r = self.db.execute("SELECT status FROM redemptions WHERE round = ?", (round,)).fetchone()
        return r[0] if r else None

    def mark_redeemed(self, round: int, amount: int, tx: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO redemptions(round, status, amount, tx) VALUES (?, 'redeemed', ?, ?)",
            (round, str(amount), tx),
        )

    # ------------------------------------------------------------ sealed-pool commits
    def plan_commit(
        self, round: int, model_hash: bytes, forecasts: bytes, salt: bytes, stake_wad: int, expected_log_loss: float
    ) -> PoolCommitRow:
        self.db.execute(
            "INSERT INTO pool_commits(round, model_hash, forecasts, salt, stake_wad, expected_log_loss, status)"
            " VALUES (?, ?, ?, ?, ?, ?, 'planned')",
            (round, model_hash.hex(), forecasts.hex(), salt.hex(), str(stake_wad), expected_log_loss),
        )
        row = self.pool_commit(round)
        assert row is not None
        return row

    def pool_commit(self, round: int) -> PoolCommitRow | None:
        r = self.db.execute(
            "SELECT round, model_hash, forecasts, salt, stake_wad, expected_log_loss, status, tx"
            " FROM pool_commits WHERE round = ?",
            (round,),
        ).fetchone()
        if r is None:
            return None
        return PoolCommitRow(
            r[0], bytes.fromhex(r[1]), bytes.fromhex(r[2]), bytes.fromhex(r[3]), int(r[4]), float(r[5]), r[6], r[7]
        )

    def pool_rounds(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT round FROM pool_commits ORDER BY round")]

    def mark_commit(self, round: int, status: str, tx: str | None = None) -> None:
        self.db.execute("UPDATE pool_commits SET status = ?, tx = COALESCE(?, tx) WHERE round = ?", (status, tx, round))
