"""The community node's persistent state (SQLite): rows, batches, listings, an event log.

Every step that hands out something unrepeatable (record nonces, AES-GCM nonces, keys,
salts) commits it here *before* it is used, so a node killed at any point resumes with the
same values and never reuses a nonce for a different plaintext."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from protocol.crypto import NonceSequence
from protocol.store.localdb import LocalDB

SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
  id INTEGER PRIMARY KEY,
  features TEXT NOT NULL,            -- JSON list of fixed-point ints
  label INTEGER NOT NULL,            -- outcome index
  pool TEXT NOT NULL CHECK (pool IN ('train', 'holdback')),
  batch_id INTEGER REFERENCES batches(id)
);
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY,
  round INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('train', 'validation')),
  key BLOB NOT NULL,                 -- never leaves the node (validation keys: until reveal)
  nonce BLOB NOT NULL,               -- AES-GCM nonce, reserved before use
  first_record_nonce INTEGER NOT NULL,
  row_ids TEXT NOT NULL,             -- JSON list, in record order
  merkle_root BLOB,
  blob_id TEXT,
  publication_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('sealed', 'stored', 'committed'))
);
CREATE TABLE IF NOT EXISTS listings (
  round INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES batches(id),
  salts TEXT NOT NULL,               -- JSON list of hex salts, in item order
  items_root BLOB,
  first_item INTEGER,
  key_blob_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('prepared', 'listed', 'revealed', 'missed'))
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, time REAL NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class BatchRow:
    id: int
    round: int
    kind: str
    key: bytes
    nonce: bytes
    first_record_nonce: int
    row_ids: list[int]
    merkle_root: bytes | None
    blob_id: str | None
    publication_id: str | None
    status: str


@dataclass(frozen=True)
class ListingRow:
    round: int
    batch_id: int
    salts: list[bytes]
    items_root: bytes | None
    first_item: int | None
    key_blob_id: str | None
    status: str


class NodeState(LocalDB):
    SCHEMA = SCHEMA

    def log(self, kind: str, **detail: Any) -> None:
        self.db.execute(
            "INSERT INTO events(time, kind, detail) VALUES (?, ?, ?)", (time.time(), kind, json.dumps(detail))
        )

    def events(self, limit: int = 50) -> list[tuple[float, str, dict[str, Any]]]:
        rows = self.db.execute("SELECT time, kind, detail FROM events ORDER BY id DESC LIMIT ?", (limit,))
        return [(t, k, json.loads(d)) for t, k, d in rows][::-1]

    # ------------------------------------------------------------ rows
    def add_rows(self, features: Sequence[Sequence[int]], labels: Sequence[int], pools: Sequence[str]) -> None:
        with self.tx():
            self.db.executemany(
                "INSERT INTO rows(features, label, pool) VALUES (?, ?, ?)",
                [(json.dumps(list(f)), int(y), p) for f, y, p in zip(features, labels, pools)],
            )

    def count_rows(self) -> dict[str, int]:
        out = {}
        for pool, published, n in self.db.execute(
            "SELECT pool, batch_id IS NOT NULL, COUNT(*) FROM rows GROUP BY 1, 2"
        ):
            out[f"{pool}_{'published' if published else 'pending'}"] = n
        return out

    def rows(self, ids: Sequence[int]) -> list[tuple[tuple[int, ...], int]]:
        got = {
            i: (tuple(json.loads(f)), y)
            for i, f, y in self.db.execute(
                f"SELECT id, features, label FROM rows WHERE id IN ({','.join('?' * len(ids))})", list(ids)
            )
        }
        return [got[i] for i in ids]

    # ------------------------------------------------------------ batches
    def new_batch(self, round: int, kind: str, pool: str, limit: int, key: bytes) -> BatchRow | None:
        """Reserve rows, record nonces and an AES-GCM nonce for a batch, all in one transaction."""
        with self.tx():
            ids = [
                r[0]
                for r in self.db.execute(
                    "SELECT id FROM rows WHERE pool = ? AND batch_id IS NULL ORDER BY id LIMIT ?", (pool, limit)
                )
            ]
            if not ids:
                return None
            first_nonce = int(self.get("record_nonce", 0))
            self.put("record_nonce", first_nonce + len(ids))
            seq = NonceSequence.from_bytes(bytes.fromhex(self.get("aes_nonce", "00" * 12)))
            nonce, successor = seq.reserve()
            self.put("aes_nonce", successor.to_bytes().hex())
            cur = self.db.execute(
                "INSERT INTO batches(round, kind, key, nonce, first_record_nonce, row_ids, status)"
                " VALUES (?, ?, ?, ?, ?, ?, 'sealed')",
                (round, kind, key, nonce, first_nonce, json.dumps(ids)),
            )
            batch_id = int(cur.lastrowid or 0)
            self.db.execute(f"UPDATE rows SET batch_id = ? WHERE id IN ({','.join('?' * len(ids))})", [batch_id, *ids])
        return self.batch(batch_id)

    def batch(self, batch_id: int) -> BatchRow:
        r = self.db.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
        return BatchRow(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8], r[9], r[10])

    def batches(self, kind: str | None = None) -> list[BatchRow]:
        q = "SELECT id FROM batches" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
        return [self.batch(i) for (i,) in self.db.execute(q, (kind,) if kind else ())]

    def train_batch_for(self, round: int) -> BatchRow | None:
        r = self.db.execute("SELECT id FROM batches WHERE kind = 'train' AND round = ?", (round,)).fetchone()
        return self.batch(r[0]) if r else None

    def update_batch(self, batch_id: int, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE batches SET {sets} WHERE id = ?", [*fields.values(), batch_id])

    # ------------------------------------------------------------ listings
    def new_listing(self, round: int, batch_id: int, salts: Sequence[bytes]) -> ListingRow:
        self.db.execute(
            "INSERT INTO listings(round, batch_id, salts, status) VALUES (?, ?, ?, 'prepared')",
            (round, batch_id, json.dumps([s.hex() for s in salts])),
        )
        return self.listing(round)  # type: ignore[return-value]

    def listing(self, round: int) -> ListingRow | None:
        r = self.db.execute("SELECT * FROM listings WHERE round = ?", (round,)).fetchone()
        if not r:
            return None
        return ListingRow(r[0], r[1], [bytes.fromhex(s) for s in json.loads(r[2])], r[3], r[4], r[5], r[6])

    def listings(self) -> list[ListingRow]:
        return [self.listing(r) for (r,) in self.db.execute("SELECT round FROM listings ORDER BY round")]  # type: ignore[misc]

    def update_listing(self, round: int, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE listings SET {sets} WHERE round = ?", [*fields.values(), round])
