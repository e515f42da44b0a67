"""The ServerApp that runs on the operator's SuperLink: FedAvg over the connected members'
SuperNodes for `num-server-rounds`, optional server-side evaluation, final weights to
`out-path`.

Run config (defaults in pyproject.toml): initial weights from `init-path` (warm start) or a
fresh `model` of `n-features` x `n-classes`; `heldout-path` turns on central evaluation;
`min-nodes` is both the number of nodes to wait for and the number of good replies a
round needs: a round with fewer (refusals, errors, timeouts) fails the run, and no weights
are written.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from logging import INFO
from pathlib import Path
from typing import Any, cast

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType, MetricRecord, RecordDict
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg
from flwr.supercore import log

from hayek_fl.task import (
    AppConfigMissing,
    check_params,
    evaluate,
    init_params,
    load_params,
    load_scale,
    load_view,
    pooled_scale,
    save_params,
    standardize,
)
from protocol.errors import TrainingError


class TooFewReplies(TrainingError):
    """A training round got fewer good replies than the run requires."""


class StrictFedAvg(FedAvg):
    """FedAvg that fails the run when a round has fewer than `min_replies` good replies
    (stock FedAvg carries on with the previous weights, hiding refusals)."""

    def __init__(self, min_replies: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.min_replies = min_replies

    def aggregate_train(
        self, server_round: int, replies: Iterable[Message]
    ) -> tuple[ArrayRecord | None, MetricRecord | None]:
        replies = list(replies)
        good = [m for m in replies if not m.has_error()]
        if len(good) < self.min_replies:
            reasons = "; ".join(f"node {m.metadata.src_node_id}: {m.error.reason}" for m in replies if m.has_error())
            raise TooFewReplies(
                f"round {server_round}: {len(good)} good replies of {len(replies)} "
                f"(need {self.min_replies}){': ' + reasons if reasons else ''}"
            )
        return super().aggregate_train(server_round, replies)


class FastPollGrid:
    """The run's Grid, but waiting for replies by polling every `interval` seconds instead
    of flwr 1.41's fixed 3 s (which adds up to 3 s to every round)."""

    def __init__(self, grid: Grid, interval: float = 0.5) -> None:
        self._grid = grid
        self._interval = interval

    def __getattr__(self, name: str) -> Any:
        return getattr(self._grid, name)

    def send_and_receive(self, messages: Iterable[Message], *, timeout: float | None = None) -> Iterable[Message]:
        pending = set(self._grid.push_messages(messages))
        end = time.time() + (timeout or 0.0)
        replies: list[Message] = []
        while timeout is None or time.time() < end:
            got = list(self._grid.pull_messages(pending))
            replies.extend(got)
            pending -= {m.metadata.reply_to_message_id for m in got}
            if not pending:
                break
            time.sleep(self._interval)
        return replies


def query_scale(grid: Grid, min_nodes: int, timeout: float) -> tuple:
    """Ask every node for its feature moments and pool them into a mean and std."""
    deadline = time.time() + timeout
    nodes: list[int] = []
    while len(nodes) < min_nodes and time.time() < deadline:
        nodes = list(grid.get_node_ids())
        if len(nodes) < min_nodes:
            time.sleep(0.5)
    messages = [
        Message(content=RecordDict({"config": ConfigRecord({})}), dst_node_id=n, message_type=MessageType.QUERY)
        for n in nodes
    ]
    answers = list(grid.send_and_receive(messages, timeout=timeout))
    replies = [m for m in answers if not m.has_error()]
    if len(replies) < min_nodes:
        reasons = "; ".join(f"node {m.metadata.src_node_id}: {m.error.reason}" for m in answers if m.has_error())
        raise TooFewReplies(
            f"standardisation query: {len(replies)} good replies (need {min_nodes}){': ' + reasons if reasons else ''}"
        )
    stats = [dict(cast(MetricRecord, m.content["metrics"])) for m in replies]
    mean, std = pooled_scale(stats)
    log(INFO, "Hayek: pooled standardisation over %d rows from %d nodes", sum(s["n"] for s in stats), len(stats))
    return mean, std


def initial_params(cfg: dict) -> list:
    """Warm start from `init-path`, else a fresh model from the run config."""
    if str(cfg["init-path"]):
        return load_params(str(cfg["init-path"]))
    return init_params(
        str(cfg["model"]),
        int(cfg["n-features"]),
        int(cfg["n-classes"]),
        int(cfg["hidden"]),
        int(cfg["seed"]),
    )


app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    """Run FedAvg and write the final weights to `out-path`."""
    cfg = dict(context.run_config)
    out_path = str(cfg["out-path"])
    if not out_path:
        raise AppConfigMissing("out-path", "the run config names nowhere to write the final weights")
    params = initial_params(cfg)
    check_params(params)
    min_nodes = int(cfg["min-nodes"])
    # Input standardisation: the warm start's (so its weights keep their meaning), else pooled
    # from the members' moments (one query message each: count, sum, sum of squares).
    scale = load_scale(str(cfg["init-path"])) if str(cfg["init-path"]) else None
    if scale is None:
        scale = query_scale(cast(Grid, FastPollGrid(grid)), min_nodes, float(cfg["round-timeout"]))

    evaluate_fn = None
    if str(cfg["heldout-path"]):
        X_val, y_val = load_view(str(cfg["heldout-path"]))
        X_val = standardize(X_val, scale)

        def evaluate_fn(server_round: int, arrays: ArrayRecord) -> MetricRecord:
            loss, acc = evaluate(arrays.to_numpy_ndarrays(), X_val, y_val)
            return MetricRecord({"log-loss": loss, "accuracy": acc})

    strategy = StrictFedAvg(
        min_replies=min_nodes,
        fraction_train=1.0,
        fraction_evaluate=0.0,
        min_train_nodes=min_nodes,
        min_available_nodes=min_nodes,
    )
    result = strategy.start(
        grid=cast(Grid, FastPollGrid(grid)),
        initial_arrays=ArrayRecord(params),
        num_rounds=int(cfg["num-server-rounds"]),
        timeout=float(cfg["round-timeout"]),
        train_config=ConfigRecord(
            {
                "local-epochs": int(cfg["local-epochs"]),
                "feature-mean": [float(v) for v in scale[0]],
                "feature-std": [float(v) for v in scale[1]],
            }
        ),
        evaluate_fn=evaluate_fn,
    )
    final = result.arrays.to_numpy_ndarrays() if len(result.arrays) else params
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    save_params(out_path, final, scale)
    log(INFO, "Hayek: final weights written to %s", out_path)
