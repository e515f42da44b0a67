"""Community nodes on a devnet with a real blob store: publish, list, reveal, reconstruct."""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from community_node.node import CommunityNode, NodeConfig
from protocol.chain.datasets import revealed_validation
from protocol.chain.devkit import DevGame
from protocol.errors import CsvError
from protocol.records import to_fixed
from protocol.store import StoreClient

pytestmark = pytest.mark.integration
WAD = 10**18


def write_csv(path: Path, n: int, seed: int) -> list[tuple[tuple[int, ...], int]]:
    """A member's CSV (an id column to drop, three features, a yes/no label); returns rows as
    (fixed-point features, outcome) with the sorted label map no -> 0, yes -> 1."""
    rng = random.Random(seed)
    rows = []
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "f1", "f2", "f3", "outcome"])
        for i in range(n):
            x = [round(rng.gauss(0, 1), 6) for _ in range(3)]
            y = "yes" if x[0] + 0.5 * x[1] > 0 else "no"
            w.writerow([f"r{seed}-{i}", *x, y])
            rows.append((tuple(to_fixed(v) for v in x), 1 if y == "yes" else 0))
    return rows


def make_nodes(game: DevGame, store_url: str, tmp_path: Path, rows_each: int = 30) -> tuple[list[CommunityNode], dict]:
    nodes, imported = [], {}
    for i, m in enumerate(game.members):
        node = CommunityNode(
            NodeConfig(home=tmp_path / f"m{i}", batch_size=12, listing_size=4), m, game.chain, StoreClient(store_url)
        )
        path = tmp_path / f"m{i}.csv"
        imported[m.address] = write_csv(path, rows_each, seed=i)
        node.import_csv(path, "outcome", ["id"], holdback=0.3, seed=i)
        nodes.append(node)
    return nodes, imported


def test_round_trip_csv_to_public_validation_set(game: DevGame, store_url: str, tmp_path: Path) -> None:
    nodes, imported = make_nodes(game, store_url, tmp_path)
    for n in nodes:
        n.step()  # publishes the batch for round 1
    rnd = game.open_round(WAD // 2, items=3 * 4)
    committee = {a.address for a in game.elect(rnd)}
    for n in nodes:
        n.step()  # committee members list; everyone publishes the batch for round 2
    listings = game.chain.game.listings(rnd)
    assert {lst.member for lst in listings} == committee
    assert all(lst.count == 4 for lst in listings)
    game.to_phase(rnd, "trading")
    game.to_phase(rnd, "revealing")
    for n in nodes:
        n.step()  # committee members reveal
    assert all(lst.revealed for lst in game.chain.game.listings(rnd))
    game.to_phase(rnd, "settleable")
    game.chain.game.settle(game.governance, rnd)

    # Anyone: fetch, decrypt and verify the revealed validation set from chain + store alone.
    public = revealed_validation(game.chain, StoreClient(store_url), rnd)
    assert len(public) == 12
    assert {s.signer for s in public} == committee
    # Each member's published rows — its training batches (decrypted with its local keys)
    # plus its rows in the public validation set — are exactly the imported CSV rows it
    # published, in the state's record of which rows went where.
    for n in nodes:
        own = [(r.features, r.label) for r in n.own_training_records(up_to_round=2)]
        validation = [(s.message.features, s.message.label) for s in public if s.signer == n.me]
        published_ids = [i for b in n.state.batches() if b.kind == "train" or n.me in committee for i in b.row_ids]
        csv_rows = imported[n.me]  # state row ids are 1-based import order
        assert Counter(own + validation) == Counter(csv_rows[i - 1] for i in published_ids)
        train_pool = sum(n.state.count_rows().get(k, 0) for k in ("train_published", "train_pending"))
        assert len(own) == min(24, train_pool)  # two rounds' batches of 12 (or all it had)
        assert len(validation) == (4 if n.me in committee else 0)


def test_training_view_is_what_the_node_published(game: DevGame, store_url: str, tmp_path: Path) -> None:
    nodes, imported = make_nodes(game, store_url, tmp_path)
    node = nodes[0]
    node.step()
    n = node.export_training_view(tmp_path / "view.npz", up_to_round=1)
    view = np.load(tmp_path / "view.npz")
    assert n == 12 and view["X"].shape == (12, 3) and view["y"].dtype == np.int64
    rows = dict(enumerate(imported[node.me], start=1))
    b = node.state.train_batch_for(1)
    assert b is not None
    expected = [rows[i] for i in b.row_ids]
    assert [tuple(to_fixed(float(v)) for v in x) for x in view["X"]] == [f for f, _ in expected] or np.allclose(
        view["X"], np.array([[v / 1e9 for v in f] for f, _ in expected], dtype=np.float32)
    )
    assert list(view["y"]) == [y for _, y in expected]


def test_bad_csv_is_rejected_and_changes_nothing(game: DevGame, store_url: str, tmp_path: Path) -> None:
    node = CommunityNode(NodeConfig(home=tmp_path / "m"), game.members[0], game.chain, StoreClient(store_url))
    bad = tmp_path / "bad.csv"
    bad.write_text("f1,f2,label\n1,2,a\n3,x,b\n")
    with pytest.raises(CsvError, match="row"):
        node.import_csv(bad, "label")
    bad.write_text("f1,f2,label\n1,2,a\n3,4,a\n")
    with pytest.raises(CsvError, match="one"):
        node.import_csv(bad, "label")
    with pytest.raises(CsvError, match="label"):
        node.import_csv(bad, "missing")
    assert node.state.count_rows() == {}
