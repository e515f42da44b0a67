"""Benchmark `round_e2e_s`: wall time of one full round with the real components.

5 community members, 3 operators, 64 validation items (committee of 3 listing 22 + 22 + 20),
on an anvil devnet with the real content-addressed store: `CommunityNode`s import the
scikit-learn breast cancer CSV, publish signed + encrypted batches, list when elected and
reveal; `OperatorNode`s register their models, trade with Kelly (3 passes, rotating order),
settle and redeem. The round is stepped like `hayek demo` (Demo.play_round).

Timed: open_round -> every operator redeemed, split into phases (open+elect, listing,
register, trading, reveal, settle+redeem). The devnet clock is advanced between phases.
Not timed: anvil/store start-up, contract deployment, the members' CSV import and first
batch (warm-up), and model training and circuit setup: each operator's model is a numpy
logistic regression fitted before the clock starts on the members' round-1 training rows;
its pipeline only stores placeholder vk/settings blobs (no EZKL compile, no Flower, no
binding to the on-chain verifier, no proofs).

Each repeat runs on a fresh devnet + store. Prints every run; merges the median as
`round_e2e_s` and the median per phase as `round_e2e_breakdown` into bench/results.json
(other keys kept).

    python scripts/bench_round.py [--repeats 3] [--passes 3] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_results import RESULTS, merge_results  # noqa: E402

from community_node.node import CommunityNode, NodeConfig  # noqa: E402
from community_node.store_server import StoreProcess  # noqa: E402
from hayek.demo import split_csv, write_default_dataset  # noqa: E402
from operator_node.node import OperatorConfig, OperatorNode  # noqa: E402
from protocol.chain import Devnet, GameParams  # noqa: E402
from protocol.chain.devkit import DevGame  # noqa: E402
from protocol.records import from_fixed  # noqa: E402
from protocol.store import BlobStore, StoreClient  # noqa: E402

WAD = 10**18
MEMBERS, OPERATORS, ITEMS, COMMITTEE = 5, 3, 64, 3
PHASES = ("open_elect", "listing", "register", "trading", "reveal", "settle_redeem")


# ------------------------------------------------------------------ operators' models
def fit_logreg(X: np.ndarray, y: np.ndarray, l2: float, steps: int = 500, lr: float = 0.5) -> np.ndarray:
    """Full-batch gradient descent on standardised features; returns [bias, w...]."""
    Xb = np.hstack([np.ones((len(X), 1)), X])
    w = np.zeros(Xb.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-Xb @ w))
        grad = Xb.T @ (p - y) / len(y) + l2 * np.r_[0.0, w[1:]]
        w -= lr * grad
    return w


class LogRegModel:
    """A fitted logistic regression with its standardisation (the ModelPipeline's Model)."""

    def __init__(self, w: np.ndarray, mu: np.ndarray, sd: np.ndarray, vk_id: str, settings_id: str):
        self.w, self.mu, self.sd = w, mu, sd
        self.model_hash = keccak(np.concatenate([w, mu, sd]).tobytes())
        self.artifacts: dict[str, Any] = {
            "w": w.tolist(),
            "mu": mu.tolist(),
            "sd": sd.tolist(),
            "vk_id": vk_id,
            "settings_id": settings_id,
        }

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = self.w[0] + ((np.asarray(X, dtype=np.float64) - self.mu) / self.sd) @ self.w[1:]
        p1 = 1 / (1 + np.exp(-z))
        return np.stack([1 - p1, p1], axis=1)


class PrefitPipeline:
    """build() stores the (placeholder) verifying key and settings and returns the model fitted
    before timing; stands in for FlowerZkPipeline minus training and circuit setup."""

    def __init__(self, w: np.ndarray, mu: np.ndarray, sd: np.ndarray, store: BlobStore):
        self.w, self.mu, self.sd, self.store = w, mu, sd, store

    def build(self, round: int, node: OperatorNode) -> LogRegModel:
        params = json.dumps({"w": self.w.tolist(), "mu": self.mu.tolist(), "sd": self.sd.tolist()}).encode()
        vk_id = self.store.put(b"placeholder-vk:" + keccak(params))
        settings_id = self.store.put(b"placeholder-settings:" + params)
        return LogRegModel(self.w, self.mu, self.sd, vk_id, settings_id)

    def load(self, artifacts: dict[str, Any]) -> LogRegModel:
        return LogRegModel(
            np.asarray(artifacts["w"]),
            np.asarray(artifacts["mu"]),
            np.asarray(artifacts["sd"]),
            artifacts["vk_id"],
            artifacts["settings_id"],
        )


def operator_pipelines(members: list[CommunityNode], store: BlobStore) -> list[PrefitPipeline]:
    """Fit each operator's model (different L2 and bootstrap sample, so they disagree and
    re-trade) on the members' round-1 training rows."""
    recs = [r for m in members for r in m.own_training_records(up_to_round=1)]
    X = np.array([[from_fixed(v) for v in r.features] for r in recs], dtype=np.float64)
    y = np.array([r.label for r in recs], dtype=np.float64)
    mu, sd = X.mean(0), X.std(0) + 1e-9
    out = []
    for j, l2 in enumerate([1e-3, 1e-2, 1e-1][:OPERATORS]):
        idx = np.random.default_rng(j).integers(0, len(y), len(y))
        out.append(PrefitPipeline(fit_logreg((X[idx] - mu) / sd, y[idx], l2), mu, sd, store))
    return out


# ------------------------------------------------------------------ one timed round
def one_round(workdir: Path, passes: int, seed: int) -> dict[str, float]:
    liquidity = WAD // 5  # b per item: 0.2 token (the demo's default)
    per_member = math.ceil(ITEMS / COMMITTEE)  # 22; the subsidy for 64 items caps the last at 20
    with ExitStack() as stack:
        devnet = stack.enter_context(Devnet(accounts=1 + MEMBERS + OPERATORS + 2))
        store_proc = stack.enter_context(StoreProcess(workdir / "store"))
        store = StoreClient(store_proc.url)
        params = GameParams(committee_size=COMMITTEE, max_items_per_member=per_member)
        game = DevGame.launch(devnet.url, n_members=MEMBERS, n_traders=OPERATORS, params=params, fund_wad=100 * WAD)
        g = game.chain.game

        # Warm-up (not timed): members import their share and publish round 1's batch.
        data = workdir / "breast_cancer.csv"
        label, drop = write_default_dataset(data)
        members = []
        for i, (acct, part) in enumerate(zip(game.members, split_csv(data, MEMBERS, workdir, seed))):
            cfg = NodeConfig(home=workdir / f"member{i}", batch_size=32, listing_size=per_member)
            node = CommunityNode(cfg, acct, game.chain, store)
            node.import_csv(part, label, drop, holdback=0.35, seed=seed + i)
            node.step()
            members.append(node)
        pipelines = operator_pipelines(members, store)  # training: not timed
        operators = [
            OperatorNode(
                OperatorConfig(home=workdir / f"op{j}", endpoint="", bankroll_fraction=0.5, passes=passes),
                game.traders[j],
                game.chain,
                store,
                p,
            )
            for j, p in enumerate(pipelines)
        ]

        marks = [time.perf_counter()]

        def mark() -> None:
            marks.append(time.perf_counter())

        rnd = game.open_round(liquidity, items=ITEMS)
        game.elect(rnd)
        mark()
        for n in members:
            n.step()  # publish next round's batch, refresh the training view, list if elected
        mark()
        for op in operators:
            op.step()  # listing phase: build + register the model
        mark()
        game.to_phase(rnd, "trading")
        for pass_ in range(passes):  # rotating order, as in the demo
            order = list(range(OPERATORS))
            for j in order[pass_ % OPERATORS :] + order[: pass_ % OPERATORS]:
                operators[j].trade(rnd)
        mark()
        game.to_phase(rnd, "revealing")
        for n in members:
            n.step()
        mark()
        game.to_phase(rnd, "settleable")
        for op in operators:
            op.step()  # the first settles; each redeems
        mark()

        listed = sum(x.count for x in g.listings(rnd))
        trades = len(g.traded(rnd, from_block=game.deployment.deployed_block))
        assert listed == ITEMS, f"{listed} items listed, expected {ITEMS}"
        assert g.phase(rnd) == "settled", g.phase(rnd)
        assert all(g.trader(rnd, op.me).redeemed for op in operators)
        out = {k: b - a for k, a, b in zip(PHASES, marks, marks[1:])}
        out["total"] = marks[-1] - marks[0]
        out["trades"] = trades
        return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    runs = []
    for k in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="bench-round-") as t:
            run = one_round(Path(t), args.passes, seed=7 + k)
        runs.append(run)
        print(
            f"run {k + 1}: total {run['total']:.2f} s, {run['trades']} trade txs · "
            + " · ".join(f"{p} {run[p]:.2f}" for p in PHASES),
            flush=True,
        )
    totals = [r["total"] for r in runs]
    res = {
        "round_e2e_s": round(statistics.median(totals), 2),
        "round_e2e_breakdown": {p: round(statistics.median(r[p] for r in runs), 2) for p in PHASES},
    }
    print(json.dumps(res | {"runs_s": [round(t, 2) for t in totals]}, indent=1))
    if not args.no_write:
        merge_results(res, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
