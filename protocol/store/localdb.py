"""A node's local SQLite database (disk I/O, as the name says): durable settings, a small
key-value table for JSON values, and the node's own schema on top."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any


def write_status(path: Path, status: dict[str, Any]) -> dict[str, Any]:
    """Replace a node's status.json (stamped with the time and the writer's pid) atomically:
    what `hayek member status` and devnet drivers read to see where the node stands."""
    status = {"time": time.time(), "pid": os.getpid(), **status}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status))
    tmp.replace(path)
    return status


META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"


class LocalDB:
    """WAL, synchronous=FULL (a committed step survives a crash), autocommit by default."""

    SCHEMA = ""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(META + self.SCHEMA)

    def close(self) -> None:
        self.db.close()

    def tx(self) -> Transaction:
        """`with db.tx():` — one SQLite transaction (BEGIN IMMEDIATE ... COMMIT/ROLLBACK)."""
        return Transaction(self.db)

    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, json.dumps(value)))


class Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
