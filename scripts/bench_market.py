"""Benchmark the market on chain: the sealed Kelly pool and the sequential LMSR side by side, on the same data,
models and arrival orders, with the real community and operator node logic on an anvil devnet.

For each data set (scikit-learn's breast cancer, the demo's default; digits 5-9 vs 0-4, not tuned on) and each
market type (`pool`, `lmsr`, fixed at deployment) a fresh devnet + store runs a game of 5 members (committee 3)
and 3 operators for 5 rounds of 33 items (b = 0.6 token per item, as the demo): `CommunityNode`s import the CSV,
publish signed + encrypted training batches (10 rows a member and round), list when elected and reveal;
`OperatorNode`s build and register a model each round, then trade (LMSR: Kelly passes until none wants to trade,
up to 6) or commit sealed forecasts with a Kelly stake and reveal them (pool), settle, and redeem or claim.

The operators' models are logistic regressions of clearly different quality, refitted each round on every row
published so far (the members' training batches up to the round and the earlier rounds' revealed validation
sets), read in-process from the members' nodes (no Flower, no circuit: placeholder vk/settings blobs):
  op0 all features, C = 1;  op1 every third feature, C = 0.1;  op2 three features, C = 0.01, its last 40 rows.
The committee is drawn from a fixed seed, so both markets see the same committees, items, models and forecasts;
the arrival order (which operator steps first) rotates each round. Figures come from the chain
(hayek.figures.round_figures), per round and aggregated; they are merged into bench/results.json as
`market_{pool,lmsr}_*` (suffix `_digits5` for the second data set) and written per round to
bench/market_on_chain.json, with a plot in bench/market_on_chain.png.

    python scripts/bench_market.py [--rounds 5] [--seeds 1] [--items 33] [--data breast_cancer,digits5] [--no-write]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_results import RESULTS, merge_results  # noqa: E402

from community_node.node import CommunityNode, NodeConfig  # noqa: E402
from community_node.store_server import StoreProcess  # noqa: E402
from hayek.demo import split_csv, write_default_dataset  # noqa: E402
from hayek.figures import round_figures  # noqa: E402
from operator_node.node import OperatorConfig, OperatorNode  # noqa: E402
from protocol.chain import Devnet, GameParams, SealedParams  # noqa: E402
from protocol.chain.datasets import revealed_validation  # noqa: E402
from protocol.chain.devkit import DevGame  # noqa: E402
from protocol.chain.rounds import model_results  # noqa: E402
from protocol.chain.sealed import SealedPool  # noqa: E402
from protocol.errors import HayekError  # noqa: E402
from protocol.records import Record, from_fixed  # noqa: E402
from protocol.store import BlobStore, StoreClient  # noqa: E402

WAD = 10**18
MEMBERS, OPERATORS, COMMITTEE = 5, 3, 3
LIQUIDITY = 0.6  # b per item, tokens (the demo's default)
PASSES = 6  # the demo's default: most LMSR trades per operator and round
BANKROLL_FRACTION = 1.0  # the demo's default (the pool strategy caps its stake itself)
BATCH_SIZE = 10  # training rows a member publishes per round
HOLDBACK = 0.5  # of each member's rows, kept for committee duty
MARKETS = ("pool", "lmsr")
TARGET_SHARE_TOL = 0.05
TARGET_BEST_TOL = 0.01


# ------------------------------------------------------------------ data
def write_digits5_dataset(path: Path) -> tuple[str, tuple[str, ...]]:
    """scikit-learn's digits (1,797 rows, 64 pixels), binarised as digit >= 5, shipped inside its wheel."""
    from sklearn.datasets import load_digits

    d = load_digits()
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", *[f"pixel_{j}" for j in range(d.data.shape[1])], "digit_high"])
        for i, (x, y) in enumerate(zip(d.data, d.target)):
            w.writerow([i, *[f"{v:.6g}" for v in x], "high" if y >= 5 else "low"])
    return "digit_high", ("id",)


@dataclass(frozen=True)
class DataSet:
    suffix: str  # of the figures' names in bench/results.json ("" for the default data)
    title: str
    write: Callable[[Path], tuple[str, tuple[str, ...]]]


DATASETS = {
    "breast_cancer": DataSet("", "breast cancer (the demo's default)", write_default_dataset),
    "digits5": DataSet("_digits5", "digits 5-9 vs 0-4 (not tuned on)", write_digits5_dataset),
}


# ------------------------------------------------------------------ operators' models
@dataclass(frozen=True)
class ModelSpec:
    name: str
    features: Callable[[int], np.ndarray]  # feature count -> the columns it uses
    C: float  # inverse L2 strength
    last_rows: int | None  # train on only the latest rows (None: all)


SPECS = [
    ModelSpec("all features, C=1", lambda d: np.arange(d), 1.0, None),
    ModelSpec("every 3rd feature, C=0.1", lambda d: np.arange(0, d, 3), 0.1, None),
    ModelSpec("3 features, C=0.01, last 40 rows", lambda d: np.array([d // 4, d // 2 + 1, 3 * d // 4]), 0.01, 40),
]


class LogRegModel:
    """A fitted logistic regression on a feature subset with its standardisation (the ModelPipeline's Model)."""

    def __init__(self, cols: np.ndarray, w: np.ndarray, b: float, mu: np.ndarray, sd: np.ndarray, vk: str, st: str):
        self.cols, self.w, self.b, self.mu, self.sd = cols, w, b, mu, sd
        self.model_hash = keccak(np.concatenate([cols.astype(np.float64), w, [b], mu, sd]).tobytes())
        self.artifacts: dict[str, Any] = {
            "cols": cols.tolist(),
            "w": w.tolist(),
            "b": b,
            "mu": mu.tolist(),
            "sd": sd.tolist(),
            "vk_id": vk,
            "settings_id": st,
        }

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = self.b + ((np.asarray(X, dtype=np.float64)[:, self.cols] - self.mu) / self.sd) @ self.w
        p1 = 1 / (1 + np.exp(-z))
        return np.stack([1 - p1, p1], axis=1)


class TrainingRows:
    """Every row published up to a round (the members' own training batches and the earlier rounds' revealed
    validation sets), read in-process from the members' nodes; cached per round."""

    def __init__(self, members: list[CommunityNode], chain: Any, store: BlobStore):
        self.members, self.chain, self.store = members, chain, store
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._revealed: dict[int, list[Record]] = {}

    def upto(self, round: int) -> tuple[np.ndarray, np.ndarray]:
        if round not in self._cache:
            recs: list[Record] = [r for m in self.members for r in m.own_training_records(up_to_round=round)]
            for prev in range(1, round):
                if prev not in self._revealed:
                    self._revealed[prev] = [s.message for s in revealed_validation(self.chain, self.store, prev)]
                recs += self._revealed[prev]
            X = np.array([[from_fixed(v) for v in r.features] for r in recs], dtype=np.float64)
            y = np.array([r.label for r in recs], dtype=np.int64)
            self._cache[round] = (X, y)
        return self._cache[round]


class RefitPipeline:
    """build() refits the operator's logistic regression on the rows published up to the round and stores
    placeholder vk/settings blobs; stands in for FlowerZkPipeline minus Flower and circuit setup."""

    def __init__(self, spec: ModelSpec, rows: TrainingRows, store: BlobStore):
        self.spec, self.rows, self.store = spec, rows, store

    def build(self, round: int, node: OperatorNode) -> LogRegModel:
        from sklearn.linear_model import LogisticRegression

        X, y = self.rows.upto(round)
        if self.spec.last_rows is not None:
            X, y = X[-self.spec.last_rows :], y[-self.spec.last_rows :]
        cols = self.spec.features(X.shape[1])
        Xs = X[:, cols]
        mu, sd = Xs.mean(0), Xs.std(0)
        sd[sd < 1e-6] = 1.0
        fit = LogisticRegression(C=self.spec.C, max_iter=2000).fit((Xs - mu) / sd, y)
        w, b = fit.coef_[0].astype(np.float64), float(fit.intercept_[0])
        params = json.dumps({"cols": cols.tolist(), "w": w.tolist(), "b": b}).encode()
        vk = self.store.put(b"placeholder-vk:" + keccak(params))
        st = self.store.put(b"placeholder-settings:" + params)
        return LogRegModel(cols, w, b, mu, sd, vk, st)

    def load(self, a: dict[str, Any]) -> LogRegModel:
        return LogRegModel(
            np.asarray(a["cols"]),
            np.asarray(a["w"]),
            float(a["b"]),
            np.asarray(a["mu"]),
            np.asarray(a["sd"]),
            a["vk_id"],
            a["settings_id"],
        )


# ------------------------------------------------------------------ one game
class RoundStalled(HayekError):
    """The driver stepped the operators `tries` times and the round did not reach `what`."""

    def __init__(self, what: str, tries: int):
        self.what, self.tries = what, tries
        super().__init__(f"bench_market: {what} did not happen after {tries} passes over the operators")


def step_until(ops: Sequence[OperatorNode], done: Callable[[], bool], what: str, tries: int = 5) -> None:
    for _ in range(tries):
        if done():
            return
        for op in ops:
            op.step()
    if not done():
        raise RoundStalled(what, tries)


def pool_round(game: DevGame, r: int, ops: list[OperatorNode]) -> None:
    """Commit (in arrival order), close commits, reveal."""
    pool = SealedPool.of(game.chain)

    def all_at(states: tuple[str, ...]) -> bool:
        rows = [op.state.pool_commit(r) for op in ops]
        return all(row is not None and row.status in states for row in rows)

    step_until(ops, lambda: all_at(("committed", "missed")), "the commits")
    game.chain.advance_to(pool.commit_ends(r))
    step_until(ops, lambda: all_at(("revealed", "missed")), "the reveals of forecasts")


def lmsr_round(r: int, ops: list[OperatorNode]) -> int:
    """Kelly passes in arrival order until a whole pass sends nothing (each node stops at PASSES itself)."""
    sweeps = 0
    while sweeps < 3 * PASSES:
        sweeps += 1
        sent = [op.trade(r)[0] for op in ops]
        if not any(sent):
            break
    return sweeps


def play_game(data: str, market: str, rounds: int, items: int, seed: int, workdir: Path) -> list[dict[str, Any]]:
    per_member = math.ceil(items / COMMITTEE)
    b = int(LIQUIDITY * WAD)
    out = []
    with ExitStack() as stack:
        devnet = stack.enter_context(Devnet(accounts=1 + MEMBERS + OPERATORS + 2, log=workdir / "anvil.log"))
        store_proc = stack.enter_context(StoreProcess(workdir / "store"))
        store = StoreClient(store_proc.url)
        params = GameParams(
            committee_size=COMMITTEE, max_items_per_member=max(64, per_member), fixed_seed=keccak(text=f"seed{seed}")
        )
        game = DevGame.launch(
            devnet.url,
            n_members=MEMBERS,
            n_traders=OPERATORS,
            params=params,
            fund_wad=100 * WAD,
            sealed=SealedParams() if market == "pool" else None,
        )
        assert game.market == market
        g = game.chain.game
        csv_path = workdir / f"{data}.csv"
        label, drop = DATASETS[data].write(csv_path)
        members = []
        for i, (acct, part) in enumerate(zip(game.members, split_csv(csv_path, MEMBERS, workdir, seed))):
            cfg = NodeConfig(home=workdir / f"member{i}", batch_size=BATCH_SIZE, listing_size=per_member)
            node = CommunityNode(cfg, acct, game.chain, store)
            node.import_csv(part, label, drop, holdback=HOLDBACK, seed=seed + i)
            node.step()  # round 1's training batch
            members.append(node)
        rows = TrainingRows(members, game.chain, store)
        operators = [
            OperatorNode(
                OperatorConfig(
                    home=workdir / f"op{j}", endpoint="", bankroll_fraction=BANKROLL_FRACTION, passes=PASSES
                ),
                game.traders[j],
                game.chain,
                store,
                RefitPipeline(spec, rows, store),
            )
            for j, spec in enumerate(SPECS)
        ]
        traders = [a.address for a in game.traders]
        hedge_ll: dict[int, float] = {}
        for r in range(1, rounds + 1):
            t0 = time.perf_counter()
            rnd = game.open_round(b, items=per_member * COMMITTEE)
            assert rnd == r
            game.elect(r)
            for m in members:
                m.step()  # the committee lists; everyone publishes the next round's batch
            for op in operators:
                op.step()  # listing: refit + register the model
            first = (r - 1 + seed) % OPERATORS  # the arrival order rotates each round
            order = operators[first:] + operators[:first]
            game.to_phase(r, "trading")
            sweeps = 0
            if market == "pool":
                pool_round(game, r, order)
            else:
                sweeps = lmsr_round(r, order)
            game.to_phase(r, "revealing")
            for m in members:
                m.step()  # reveal
            game.to_phase(r, "settleable")

            def settled(r: int = r) -> bool:
                if g.phase(r) != "settled":
                    return False
                if market == "pool":
                    return all(m.settled for m in model_results(game.chain, r))
                return all(
                    t.redeemed or (t.cost_wad == 0 and t.positions == 0) for t in (g.trader(r, a) for a in traders)
                )

            step_until(order, settled, "settlement")
            wall = time.perf_counter() - t0
            fig = round_figures(game.chain, r, traders, hedge_ll)
            fig.pop("calibration", None)
            if market == "pool":
                subsidy = SealedPool.of(game.chain).round_state(r).subsidy_wad / WAD
            else:
                subsidy = g.round_info(r).subsidy_wad / WAD
            fig |= {
                "data": data,
                "seed": seed,
                "first_operator": first,
                "subsidy": subsidy,
                "wall_s": wall,
                "lmsr_sweeps": sweeps,
                "trades": len(g.traded(r, from_block=game.deployment.deployed_block)) if market == "lmsr" else None,
                "wealth": [game.chain.token.balance_of(a) / WAD for a in traders],
            }
            out.append(fig)
            print_round(fig)
    return out


def run_game(g: tuple[str, str, int, int, int]) -> list[dict[str, Any]]:
    """One game on its own devnet and store (in a worker process with --jobs)."""
    data, market, rounds, items, seed = g
    with tempfile.TemporaryDirectory(prefix="bench-market-") as t:
        t0 = time.perf_counter()
        out = play_game(data, market, rounds, items, seed, Path(t))
        print(f"{data} {market} seed {seed}: game {time.perf_counter() - t0:.1f} s", flush=True)
    return out


def _f(x: float | None, fmt: str = "{:.4f}") -> str:
    return "—" if x is None else fmt.format(x)


def print_round(f: dict[str, Any]) -> None:
    losses = {m["operator"]: m["log_loss"] for m in f["models"]}
    pps = {m["operator"]: (m["profit"] / m["stake"] if m["stake"] else 0.0) for m in f["models"]}
    print(
        f"{f['data']:>13} {f['market']:>4} seed {f['seed']} round {f['round']}: "
        f"market {_f(f['market_log_loss'])} avg {_f(f['average_model_log_loss'])} "
        f"best {_f(f['best_model_log_loss'])} hedge {_f(f['hedge_log_loss'])} · models "
        + " ".join(f"op{j} {_f(losses.get(j))} ({_f(pps.get(j), '{:+.3f}')}/stake)" for j in range(OPERATORS))
        + f" · rho {_f(f['profit_rank_spearman'], '{:+.2f}')} first op{f['first_operator']} share "
        f"{_f(f['first_mover_profit_share'], '{:.2f}')} · subsidy spent {f['subsidy_spent']:.3f}/{f['subsidy']:.3f}"
        f" · {f['wall_s']:.1f} s",
        flush=True,
    )


# ------------------------------------------------------------------ aggregation
def _mean(xs: Sequence[float | None]) -> float | None:
    v = [x for x in xs if x is not None]
    return statistics.fmean(v) if v else None


def first_mover_pooled(rounds: list[dict[str, Any]]) -> float | None:
    """The first arrivals' profit over all operators' profit, summed over the rounds (as scripts/sim_market.py:
    a ratio of sums; a round's own ratio is unstable when its operators' profits nearly cancel)."""
    first = sum(m["profit"] for f in rounds for m in f["models"] if m["order"] == 0)
    total = sum(m["profit"] for f in rounds for m in f["models"])
    return first / total if total else None


def first_mover_edge(rounds: list[dict[str, Any]]) -> float | None:
    """Profit per stake of an operator in the rounds it arrived first minus in the rounds it did not, averaged
    over the operators that were both (0 for an order-free market). The rotation of 5 rounds over 3 operators
    of unequal quality is not balanced, so the pooled share's fair value is not exactly 1/n; this is not
    confounded by which operator came first (only by how the models improve across rounds)."""
    edges = []
    for j in range(OPERATORS):
        first, rest = [], []
        for f in rounds:
            for m in f["models"]:
                if m["operator"] == j and m["stake"] > 0:
                    (first if m["order"] == 0 else rest).append(m["profit"] / m["stake"])
        if first and rest:
            edges.append(statistics.fmean(first) - statistics.fmean(rest))
    return statistics.fmean(edges) if edges else None


def aggregate(rounds: list[dict[str, Any]], last: int) -> dict[str, Any]:
    """Over every seed's rounds of one market and data set."""
    rhos = [f["profit_rank_spearman"] for f in rounds if f["profit_rank_spearman"] is not None]
    from_r2 = [f for f in rounds if f["round"] >= 2]
    at_last = [f for f in rounds if f["round"] == last]
    return {
        "rho": _mean(rhos),
        "exact_rounds": sum(1 for x in rhos if x <= -1 + 1e-9) / len(rhos) if rhos else None,
        "ranked_rounds": len(rhos),
        "first_mover_share": first_mover_pooled(rounds),
        "first_mover_share_round_mean": _mean([f["first_mover_profit_share"] for f in rounds]),
        "first_mover_edge": first_mover_edge(rounds),
        "minus_average_from_r2": _mean([f["market_log_loss"] - f["average_model_log_loss"] for f in from_r2]),
        "minus_best_r5": _mean([f["market_log_loss"] - f["best_model_log_loss"] for f in at_last]),
        "minus_best_mean": _mean([f["market_log_loss"] - f["best_model_log_loss"] for f in rounds]),
        "hedge_minus_best_r5": _mean([f["hedge_log_loss"] - f["best_model_log_loss"] for f in at_last]),
        "hedge_minus_best_mean": _mean([f["hedge_log_loss"] - f["best_model_log_loss"] for f in rounds]),
        "market_log_loss": _mean([f["market_log_loss"] for f in rounds]),
        "average_log_loss": _mean([f["average_model_log_loss"] for f in rounds]),
        "best_log_loss": _mean([f["best_model_log_loss"] for f in rounds]),
        "subsidy_used": sum(f["subsidy_spent"] for f in rounds) / sum(f["subsidy"] for f in rounds),
        "round_s": _mean([f["wall_s"] for f in rounds]),
    }


def targets(a: dict[str, Any]) -> dict[str, bool | None]:
    share = a["first_mover_share"]
    return {
        "rank_exact": None if a["exact_rounds"] is None else a["exact_rounds"] == 1.0,
        "first_mover_fair": None if share is None else abs(share - 1 / OPERATORS) <= TARGET_SHARE_TOL,
        "beats_average_from_r2": None if a["minus_average_from_r2"] is None else a["minus_average_from_r2"] <= 0,
        "near_best_r5": None if a["minus_best_r5"] is None else a["minus_best_r5"] <= TARGET_BEST_TOL,
    }


def print_table(aggs: dict[tuple[str, str], dict[str, Any]]) -> None:
    rows = [
        ("rho(profit/stake, log loss), ideal -1", "rho", "{:+.2f}"),
        ("rounds ranked exactly", "exact_rounds", "{:.2f}"),
        (f"first mover's share, pooled (fair {1 / OPERATORS:.2f})", "first_mover_share", "{:.2f}"),
        ("first mover's share, mean of rounds", "first_mover_share_round_mean", "{:.2f}"),
        ("first mover's edge, profit/stake (fair 0)", "first_mover_edge", "{:+.3f}"),
        ("market - plain average, rounds 2+", "minus_average_from_r2", "{:+.4f}"),
        ("market - best, last round", "minus_best_r5", "{:+.4f}"),
        ("market - best, mean of rounds", "minus_best_mean", "{:+.4f}"),
        ("hedge - best, last round", "hedge_minus_best_r5", "{:+.4f}"),
        ("subsidy used (fraction)", "subsidy_used", "{:.2f}"),
        ("wall time per round, s", "round_s", "{:.1f}"),
    ]
    keys = list(aggs)
    print(f"{'':42}" + "".join(f"{m + ' ' + d:>24}" for d, m in keys))
    for title, k, fmt in rows:
        print(f"{title:42}" + "".join(f"{_f(aggs[key][k], fmt):>24}" for key in keys))


def flat(aggs: dict[tuple[str, str], dict[str, Any]], total_s: float) -> dict[str, Any]:
    keep = ("rho", "exact_rounds", "first_mover_share", "first_mover_share_round_mean", "first_mover_edge")
    keep += ("minus_average_from_r2",)
    keep += ("minus_best_r5", "minus_best_mean")
    keep += ("hedge_minus_best_r5", "subsidy_used", "round_s")
    out: dict[str, Any] = {}
    for (data, market), a in aggs.items():
        for k in keep:
            v = a[k]
            out[f"market_{market}_{k}{DATASETS[data].suffix}"] = None if v is None else round(v, 4)
    out["market_on_chain_wall_s"] = round(total_s, 1)
    return out


def plot(all_rounds: list[dict[str, Any]], datas: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(datas), figsize=(6 * len(datas), 4), squeeze=False)
    for ax, data in zip(axes[0], datas):
        for market, style in zip(MARKETS, ("-", "--")):
            fs = [f for f in all_rounds if f["data"] == data and f["market"] == market]
            rs = sorted({f["round"] for f in fs})

            def series(key: str, fs: list[dict[str, Any]] = fs, rs: list[int] = rs) -> list[float]:
                return [statistics.fmean(f[key] for f in fs if f["round"] == r) for r in rs]

            ax.plot(rs, series("market_log_loss"), style, color="C0", marker="o", label=f"{market}: market")
            ax.plot(rs, series("average_model_log_loss"), style, color="C1", label=f"{market}: plain average")
            ax.plot(rs, series("best_model_log_loss"), style, color="C2", label=f"{market}: best model")
            ax.plot(rs, series("hedge_log_loss"), style, color="C3", label=f"{market}: Hedge")
        ax.set_title(DATASETS[data].title)
        ax.set_xlabel("round")
        ax.set_xticks(sorted({f["round"] for f in all_rounds}))
        ax.set_ylabel("log loss (nats)")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle("The market on chain: sealed pool (solid) vs LMSR (dashed)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seeds", "--repeats", type=int, default=1, help="games per market and data set (seeds 7, 8, ...)")
    ap.add_argument("--items", type=int, default=33)
    ap.add_argument("--data", default=",".join(DATASETS), help=f"comma-separated, of {', '.join(DATASETS)}")
    ap.add_argument("--jobs", type=int, default=2, help="games played at once (worker processes)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--from-json", type=Path, help="re-aggregate a saved bench/market_on_chain.json instead of playing")
    args = ap.parse_args(argv)
    datas = [d for d in args.data.split(",") if d]
    for d in datas:
        if d not in DATASETS:
            raise SystemExit(f"unknown data set {d!r}; known: {', '.join(DATASETS)}")
    started = time.perf_counter()
    all_rounds: list[dict[str, Any]] = []
    if args.from_json is not None:  # re-aggregate a saved run's per-round figures (no chain)
        saved = json.loads(args.from_json.read_text())
        all_rounds = [f for f in saved["rounds"] if f["data"] in datas and f["round"] <= args.rounds]
        total = float(saved.get("wall_s") or 0.0)
    else:
        games = [
            (data, market, args.rounds, args.items, 7 + k)
            for data in datas
            for k in range(args.seeds)
            for market in MARKETS
        ]
        if args.jobs > 1:
            ex = ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn"))
            try:
                for rounds in ex.map(run_game, games):
                    all_rounds += rounds
            finally:  # on Ctrl-C, do not start the queued games
                ex.shutdown(wait=True, cancel_futures=True)
        else:
            for g in games:
                all_rounds += run_game(g)
        total = time.perf_counter() - started
    aggs = {
        (d, m): aggregate([f for f in all_rounds if f["data"] == d and f["market"] == m], args.rounds)
        for d in datas
        for m in MARKETS
    }
    print_table(aggs)
    for key, a in aggs.items():
        print(f"targets {key[1]} {key[0]}: {targets(a)}")
    print(f"total {total:.1f} s")
    if not args.no_write:
        merge_results(flat(aggs, total), args.out)
        detail = {
            "settings": {
                "rounds": args.rounds,
                "seeds": args.seeds,
                "items": args.items,
                "b": LIQUIDITY,
                "models": [s.name for s in SPECS],
            },
            "wall_s": total,
            "aggregates": {f"{m} {d}": a | {"targets": targets(a)} for (d, m), a in aggs.items()},
            "rounds": all_rounds,
        }
        bench = args.out.parent
        (bench / "market_on_chain.json").write_text(json.dumps(detail, indent=1) + "\n")
        plot(all_rounds, datas, bench / "market_on_chain.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
