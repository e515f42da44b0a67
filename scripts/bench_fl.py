"""Flower benchmark: seconds per FL round of Hayek's training (our SuperLink, members'
SuperNodes behind the community guard, our app with pooled standardisation and client-side
DP) against a plain Flower FedAvg app on stock SuperNodes; and the accuracy of the federated
model against the same model trained centrally.

Data: sklearn `make_classification` (seeded), split into a held-out set and one IID share
per member. Model: the app's logistic regression (two-way softmax, `task.py`), Adam.

Timing: a run's time is from the `run_training` call to the ServerApp's weights file
appearing (watched every 20 ms, so the CLI's status polling does not quantise it). Per round
= (T(R rounds) - T(1 round)) / (R - 1); start-up = T(1 round) - per round (`flwr run`, the
ServerApp process, node discovery and, for ours, the standardisation query round). The
SuperNodes' log lines are stamped as they appear to split a round into dispatch, the nodes'
poll spread and the ClientApp task (`LogStamper.anatomy`). Both federations get the same
process environment (`flower_env`: no telemetry, SuperExec task poll 0.2 s). The machine's
load average is printed: other processes on the 2 cores inflate every timing.

Figures written (merged into bench/results.json, other keys kept):
  fl_round_s, fl_run_startup_s                  ours, DP as members run it by default
  fl_round_baseline_s, fl_run_startup_baseline_s  stock app / stock SuperNodes
  fl_round_ratio                                ours / baseline
  fl_accuracy, fl_log_loss                      ours over the nodes, DP off
  fl_accuracy_dp, fl_log_loss_dp                ours, DP on (the timed run)
  central_accuracy, central_log_loss            task.train on the pooled data, same epochs
  fl_accuracy_baseline, fl_log_loss_baseline    the stock app's model (raw features)
  fl_bench_total_s, fl_load_avg_1m              this script's run time, load when it started

    python scripts/bench_fl.py [--nodes 5] [--rounds 5] [--no-baseline] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_results import RESULTS, merge_results  # noqa: E402

from community_node.supernode import SuperNode, node_config_arg  # noqa: E402
from operator_node.flower import APP_DIR, RunProgress, SuperLink, fab_hash  # noqa: E402
from operator_node.training_app.hayek_fl import task  # noqa: E402
from protocol.runtime.flower import flower_env, flower_executable  # noqa: E402
from protocol.runtime.processes import free_port, stop_process_group, tail, wait_for_port  # noqa: E402

BASELINE_APP = Path(__file__).resolve().parent / "bench_fl_baseline_app"
console = Console()

# DP as a member's node runs it unless the member changes it (`hayek member run` defaults,
# SuperNode defaults): Flower's LocalDpMod, update clipped to L2 norm 1.0, Gaussian noise for
# (epsilon 10, delta 1e-5) per round, i.e. sigma = 1.0 * sqrt(2 ln(1.25/1e-5)) / 10 = 0.48.
DP = {"dp_clip": 1.0, "dp_epsilon": 10.0, "dp_delta": 1e-5}


# ------------------------------------------------------------------ data


def make_data(work: Path, args: argparse.Namespace) -> tuple[list[Path], Path, tuple]:
    """Member views (IID shares of the training rows) and the held-out set, as npz files."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=args.rows, n_features=args.features, n_informative=args.features // 2,
        n_redundant=args.features // 5, n_clusters_per_class=1, flip_y=0.03, class_sep=1.0,
        random_state=args.seed,
    )  # fmt: skip
    X = (X * 2.0 + 1.0).astype(np.float32)  # not already standardised
    y = y.astype(np.int64)
    X_tr, y_tr, X_te, y_te = X[args.heldout :], y[args.heldout :], X[: args.heldout], y[: args.heldout]
    views = []
    for i, idx in enumerate(np.array_split(np.arange(len(y_tr)), args.nodes)):
        views.append(work / f"member-{i}.npz")
        np.savez(views[-1], X=X_tr[idx], y=y_tr[idx])
    heldout = work / "heldout.npz"
    np.savez(heldout, X=X_te, y=y_te)
    return views, heldout, (X_tr, y_tr, X_te, y_te)


# ------------------------------------------------------------------ stock SuperNode


class StockSuperNode:
    """`flower-supernode` as Flower ships it: default isolation (it spawns its own
    `flower-superexec`, which starts one `flwr-clientapp` per task), no guard, no DP config."""

    def __init__(self, superlink: str, data_path: Path, work_dir: Path):
        self.superlink, self.data_path, self.work_dir = superlink, data_path, work_dir.resolve()
        self.port = free_port()
        self.log_path = self.work_dir / "supernode.log"
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> StockSuperNode:
        home = self.work_dir / "flwr-home"
        home.mkdir(parents=True, exist_ok=True)
        cmd = [
            flower_executable("flower-supernode"),
            "--insecure",
            "--superlink",
            self.superlink,
            "--port",
            str(self.port),
            "--node-config",
            node_config_arg({"data-path": str(self.data_path.resolve())}),
        ]
        with self.log_path.open("ab") as log_file:
            self._proc = subprocess.Popen(
                cmd,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=flower_env(home),
                cwd=self.work_dir,
                start_new_session=True,
            )
        try:
            if not wait_for_port("127.0.0.1", self.port, self._proc, 60.0):
                raise RuntimeError("stock SuperNode did not start:\n" + tail(self.log_path))
        except BaseException:  # interrupts too: __exit__ does not run when __enter__ raises
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            stop_process_group(self._proc)
            self._proc = None

    def wait_registered(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while "SuperNode ID:" not in tail(self.log_path, 200):
            if self._proc is None or self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("stock SuperNode not registered:\n" + tail(self.log_path))
            time.sleep(0.2)


# ------------------------------------------------------------------ runs


class LogStamper:
    """Stamps lines of the SuperNodes' logs with the time they appear (flwr's log lines have
    no timestamps), from a background thread polling the files every 20 ms."""

    PATTERN = re.compile(r"(Receiving|Sending): (\w+) message")

    def __init__(self) -> None:
        self.files: dict[Path, int] = {}
        self.events: list[tuple[float, Path, str, str]] = []  # (t, log, Receiving|Sending, type)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def watch(self, path: Path) -> None:
        with self._lock:
            self.files.setdefault(path, 0)

    def __enter__(self) -> LogStamper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        partial: dict[Path, bytes] = {}
        while not self._stop.wait(0.02):
            with self._lock:
                files = list(self.files.items())
            for path, offset in files:
                try:
                    with path.open("rb") as f:
                        f.seek(offset)
                        data = f.read()
                except OSError:
                    continue
                if not data:
                    continue
                now = time.monotonic()
                with self._lock:
                    self.files[path] = offset + len(data)
                    *lines, partial[path] = (partial.get(path, b"") + data).split(b"\n")
                    for line in lines:
                        m = self.PATTERN.search(line.decode(errors="replace"))
                        if m:
                            self.events.append((now, path, m.group(1), m.group(2)))

    def anatomy(self, t0: float, t1: float) -> dict[str, float]:
        """Where the rounds of a run between t0 and t1 went, from the train messages' stamps:
        `task` node's receive to its reply (ClientApp process, FAB install, training, DP);
        `dispatch` last reply of round k-1 to the first node receiving round k (server poll,
        aggregation, the quickest node's 3 s poll); `spread` first to last node receiving a
        round (the nodes' poll phases); `round` last reply of k-1 to last reply of k."""
        with self._lock:
            events = [e for e in self.events if t0 <= e[0] <= t1 and e[3] == "train"]
        per_node: dict[Path, dict[str, list[float]]] = {}
        for t, path, kind, _ in events:
            per_node.setdefault(path, {"Receiving": [], "Sending": []})[kind].append(t)
        if not per_node:
            return {}
        rounds = min(min(len(v["Receiving"]), len(v["Sending"])) for v in per_node.values())
        recv = np.array([v["Receiving"][:rounds] for v in per_node.values()])  # nodes x rounds
        send = np.array([v["Sending"][:rounds] for v in per_node.values()])
        out = {"task": float((send - recv).mean()), "rounds": float(rounds)}
        if rounds >= 2:
            last_send = send.max(axis=0)
            out["round"] = float(np.diff(last_send).mean())
            out["dispatch"] = float((recv.min(axis=0)[1:] - last_send[:-1]).mean())
            out["spread"] = float((recv.max(axis=0) - recv.min(axis=0))[1:].mean())
        return out


def timed_run(
    link: SuperLink,
    app: Path,
    config: dict[str, Any],
    label: str,
    progress: Progress,
    poll: float,
    stamper: LogStamper,
) -> tuple[Path, float, dict[str, float]]:
    """`run_training` with a progress line. Returns (weights, seconds from the call to the
    weights file appearing, anatomy of its rounds); the file is watched every 20 ms, so the
    status poll interval does not quantise the time."""
    job = progress.add_task(label, total=None)
    out_path = link.work_dir / "runs" / f"{uuid.uuid4().hex}.npz"
    appeared: list[float] = []
    done = threading.Event()

    def watch_file() -> None:
        while not done.wait(0.02):
            if out_path.exists():
                appeared.append(time.monotonic())
                return

    def show(p: RunProgress) -> None:
        progress.update(job, description=f"{label}: {p.status} ({p.elapsed:.0f} s)")

    watcher = threading.Thread(target=watch_file, daemon=True)
    t0 = time.monotonic()
    watcher.start()
    try:
        weights = link.run_training(
            app, config | {"out-path": out_path}, timeout=300.0, progress=show, poll_interval=poll
        )
    finally:
        done.set()
        watcher.join()
    seconds = (appeared[0] if appeared else time.monotonic()) - t0
    progress.update(job, total=1, completed=1, description=f"{label}: {seconds:.1f} s")
    return weights, seconds, stamper.anatomy(t0, t0 + seconds)


def per_round(t1: float, tr: float, rounds: int) -> tuple[float, float]:
    """(seconds per round, fixed start-up) from the durations of a 1-round and an R-round run."""
    round_s = (tr - t1) / (rounds - 1)
    return round_s, t1 - round_s


def accuracy(weights: Path, heldout: Path) -> tuple[float, float]:
    """(log loss, accuracy) of saved weights on the held-out set, with their saved scale."""
    X, y = task.load_view(heldout)
    loss, acc = task.evaluate(task.load_params(weights), task.standardize(X, task.load_scale(weights)), y)
    return loss, acc


def our_federation(
    stack: ExitStack, work: Path, views: list[Path], approved: Path, dp: bool, stamper: LogStamper
) -> SuperLink:
    """Our SuperLink and one guarded SuperNode per view (DP as `DP` when `dp`)."""
    link = stack.enter_context(SuperLink(work / "operator"))
    nodes = [
        stack.enter_context(SuperNode(
            link.address, view, approved=approved, refusals=work / f"refusals-{i}.jsonl",
            work_dir=work / f"member-{i}", dp_enabled=dp, **DP,
        ))
        for i, view in enumerate(views)
    ]  # fmt: skip
    for node in nodes:
        stamper.watch(node.supernode_log)
        node.wait_registered(timeout=90)
    return link


def stock_federation(stack: ExitStack, work: Path, views: list[Path], stamper: LogStamper) -> SuperLink:
    """Our SuperLink (a plain `flower-superlink`) and one stock SuperNode per view."""
    link = stack.enter_context(SuperLink(work / "operator"))
    nodes = [
        stack.enter_context(StockSuperNode(link.address, view, work / f"member-{i}")) for i, view in enumerate(views)
    ]
    for node in nodes:
        stamper.watch(node.log_path)
        node.wait_registered(timeout=90)
    return link


def baseline_app(work: Path) -> Path:
    """A copy of the baseline app with the Hayek model (task.py) inside it."""
    app = work / "baseline_app"
    shutil.copytree(BASELINE_APP, app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(APP_DIR / "hayek_fl" / "task.py", app / "bench_fl_baseline" / "task.py")
    return app


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5, help="rounds of the long runs (the short runs have 1)")
    ap.add_argument("--rows", type=int, default=6000)
    ap.add_argument("--heldout", type=int, default=1500)
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--local-epochs", type=int, default=5)
    ap.add_argument("--learning-rate", type=float, default=0.01)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--poll", type=float, default=4.0, help="seconds between `flwr ls` status polls (each costs ~1 CPU-second)"
    )
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if args.rounds < 2 or args.nodes < 1:
        ap.error("need --rounds >= 2 and --nodes >= 1")

    t_start = time.monotonic()
    load_before = os.getloadavg()[0]
    if load_before > 1.0:
        console.print(
            f"[yellow]load average {load_before:.1f} on {os.cpu_count()} cores: "
            "other processes will inflate the timings[/yellow]"
        )
    work = Path(tempfile.mkdtemp(prefix="bench-fl-"))
    out: dict[str, float] = {}
    anatomy: dict[str, dict[str, float]] = {}
    R = args.rounds
    cfg = {
        "model": "logreg", "n-features": args.features, "n-classes": 2, "min-nodes": args.nodes,
        "local-epochs": args.local_epochs, "learning-rate": args.learning_rate,
        "batch-size": args.batch_size, "optimizer": "adam", "l2": 1e-4, "seed": args.seed,
    }  # fmt: skip
    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    )
    try:
        views, heldout, (X_tr, y_tr, X_te, y_te) = make_data(work, args)
        approved = work / "approved.txt"
        approved.write_text(fab_hash(APP_DIR) + "\n")
        with progress, LogStamper() as stamper:

            def federation(label: str, start: Any) -> tuple[ExitStack, SuperLink]:
                job = progress.add_task(label, total=None)
                stack = ExitStack()
                try:
                    link = start(stack)
                except BaseException:
                    stack.close()
                    raise
                progress.update(job, total=1, completed=1)
                return stack, link

            # -- timing: ours (DP as members run it) and the baseline side by side, runs in
            # the order ours-1, baseline-1, baseline-R, ours-R so that a drifting machine
            # load biases neither; the idle federation's polling (~0.1 core) is there for both.
            with ExitStack() as both:
                ours_stack, ours = federation(
                    f"ours: SuperLink + {args.nodes} guarded SuperNodes, DP on",
                    lambda st: our_federation(st, work / "ours-dp", views, approved, True, stamper),
                )
                both.enter_context(ours_stack)
                base = app = None
                if not args.no_baseline:
                    app = baseline_app(work)
                    base_stack, base = federation(
                        f"baseline: SuperLink + {args.nodes} stock SuperNodes",
                        lambda st: stock_federation(st, work / "baseline", views, stamper),
                    )
                    both.enter_context(base_stack)

                def run(link: SuperLink, app_dir: Path, rounds: int, label: str) -> tuple:
                    return timed_run(
                        link,
                        app_dir,
                        cfg | {"num-server-rounds": rounds},
                        f"{label}, {rounds} round{'s' if rounds > 1 else ''}",
                        progress,
                        args.poll,
                        stamper,
                    )

                _, t1, _ = run(ours, APP_DIR, 1, "ours, DP on")
                if base is not None:
                    _, b1, _ = run(base, app, 1, "baseline")
                    w_b, br, anatomy["baseline"] = run(base, app, R, "baseline")
                w_dp, tr, anatomy["ours"] = run(ours, APP_DIR, R, "ours, DP on")
            out["fl_round_s"], out["fl_run_startup_s"] = per_round(t1, tr, R)
            out["fl_log_loss_dp"], out["fl_accuracy_dp"] = accuracy(w_dp, heldout)
            if base is not None:
                out["fl_round_baseline_s"], out["fl_run_startup_baseline_s"] = per_round(b1, br, R)
                out["fl_round_ratio"] = out["fl_round_s"] / out["fl_round_baseline_s"]
                out["fl_log_loss_baseline"], out["fl_accuracy_baseline"] = accuracy(w_b, heldout)

            # -- accuracy: ours with DP off (the federated optimisation) against central
            stack, link = federation(
                f"ours: SuperLink + {args.nodes} guarded SuperNodes, DP off",
                lambda st: our_federation(st, work / "ours-nodp", views, approved, False, stamper),
            )
            with stack:
                w_fl, _, anatomy["ours, DP off"] = timed_run(
                    link,
                    APP_DIR,
                    cfg | {"num-server-rounds": R},
                    f"ours, DP off, {R} rounds",
                    progress,
                    args.poll,
                    stamper,
                )
            out["fl_log_loss"], out["fl_accuracy"] = accuracy(w_fl, heldout)

            scale = task.load_scale(w_fl)  # the pooled standardisation of the FL run
            params = task.train(
                task.init_params("logreg", args.features, 2, seed=args.seed),
                task.standardize(X_tr, scale), y_tr, epochs=R * args.local_epochs,
                learning_rate=args.learning_rate, batch_size=args.batch_size, optimizer="adam",
                l2=1e-4, seed=args.seed,
            )  # fmt: skip
            out["central_log_loss"], out["central_accuracy"] = task.evaluate(
                params, task.standardize(X_te, scale), y_te
            )
    except BaseException:
        console.print(f"[red]failed; logs kept in {work}[/red]")
        args.keep = True
        raise
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif work.exists():
            console.print(f"work directory: {work}")

    out = {k: round(v, 4) for k, v in out.items()}
    out["fl_bench_total_s"] = round(time.monotonic() - t_start, 1)
    out["fl_load_avg_1m"] = round(load_before, 2)
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    console.print(
        f"{args.nodes} nodes x {(args.rows - args.heldout) // args.nodes} rows, {args.features} features, "
        f"{args.heldout} held out; logreg (2-way softmax), adam, lr {args.learning_rate}, batch {args.batch_size}, "
        f"{args.local_epochs} local epochs/round, runs of 1 and {R} rounds; central: {R * args.local_epochs} epochs; "
        f"DP clip {DP['dp_clip']}, epsilon {DP['dp_epsilon']}, delta {DP['dp_delta']}; {load}"
    )
    console.print("round anatomy (s, from SuperNode log stamps; see LogStamper.anatomy):")
    for name, a in anatomy.items():
        console.print(f"  {name:14s} " + "  ".join(f"{k} {v:.2f}" for k, v in a.items()))
    for k, v in out.items():
        console.print(f"{k:28s} {v:>10}")
    if not args.no_write:
        merge_results(out, args.out)
        console.print(f"merged into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
