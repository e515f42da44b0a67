"""The ClientApp that runs on a community member's SuperNode: trains the received model on
the member's local training view and returns only the (clipped, noised) update.

It reads one file, the npz the member's node names in node config `data-path`. Client-side
differential privacy (Flower's LocalDpMod) is on unless the member turns it off; the member
sets it through node config:

- ``dp-enabled`` (default true)
- ``dp-clip`` (L2 clipping norm of the update, default 1.0; also the sensitivity)
- ``dp-epsilon`` (default 10.0), ``dp-delta`` (default 1e-5)
"""

from __future__ import annotations

from flwr.app import ArrayRecord, Context, Message, MessageType, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.clientapp.mod import LocalDpMod
from flwr.clientapp.typing import ClientAppCallable

from hayek_fl.task import AppConfigMissing, check_params, evaluate, load_view, moments, standardize, train

DP_DEFAULTS = {"dp-clip": 1.0, "dp-epsilon": 10.0, "dp-delta": 1e-5}


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return bool(value)


def member_dp_mod(msg: Message, ctxt: Context, call_next: ClientAppCallable) -> Message:
    """Apply LocalDpMod to training replies with the member's own DP settings."""
    cfg = ctxt.node_config
    if msg.metadata.message_type != MessageType.TRAIN or not _flag(cfg.get("dp-enabled", True)):
        return call_next(msg, ctxt)
    clip = float(cfg.get("dp-clip", DP_DEFAULTS["dp-clip"]))
    mod = LocalDpMod(
        clipping_norm=clip,
        sensitivity=clip,
        epsilon=float(cfg.get("dp-epsilon", DP_DEFAULTS["dp-epsilon"])),
        delta=float(cfg.get("dp-delta", DP_DEFAULTS["dp-delta"])),
    )
    return mod(msg, ctxt, call_next)


def _local_view(ctxt: Context, msg: Message | None = None) -> tuple:
    """The member's view, standardised with the run's scale when the message carries one."""
    path = ctxt.node_config.get("data-path")
    if not path:
        raise AppConfigMissing("data-path", "the node config has none: the member's node must name its view")
    X, y = load_view(str(path))
    if msg is not None and "config" in msg.content:
        cfg = msg.content["config"]
        if "feature-mean" in cfg:  # type: ignore[operator]
            X = standardize(X, (cfg["feature-mean"], cfg["feature-std"]))  # type: ignore[index]
    return X, y


app = ClientApp()


@app.train(mods=[member_dp_mod])
def train_fn(msg: Message, ctxt: Context) -> Message:
    """Train from the received weights for `local-epochs`; reply weights + num-examples."""
    arrays = msg.content["arrays"]
    assert isinstance(arrays, ArrayRecord)
    params = arrays.to_numpy_ndarrays()
    check_params(params)
    X, y = _local_view(ctxt, msg)
    rc = ctxt.run_config
    server_round = int(msg.content["config"].get("server-round", 0))  # type: ignore[union-attr]
    new = train(
        params,
        X,
        y,
        epochs=int(rc["local-epochs"]),
        learning_rate=float(rc["learning-rate"]),
        batch_size=int(rc["batch-size"]),
        optimizer=str(rc["optimizer"]),
        l2=float(rc["l2"]),
        seed=int(rc["seed"]) * 1_000_003 + server_round * 7919 + int(ctxt.node_id % 100_003),
    )
    loss, acc = evaluate(new, X, y)
    # Same keys as received: LocalDpMod checks them.
    out = ArrayRecord(dict(zip(arrays.keys(), ArrayRecord(new).values(), strict=True)))
    metrics = MetricRecord({"num-examples": len(y), "train-loss": loss, "train-accuracy": acc})
    return Message(RecordDict({"arrays": out, "metrics": metrics}), reply_to=msg)


@app.evaluate()
def evaluate_fn(msg: Message, ctxt: Context) -> Message:
    """Evaluate the received weights on the local view (the default flow evaluates centrally)."""
    arrays = msg.content["arrays"]
    assert isinstance(arrays, ArrayRecord)
    X, y = _local_view(ctxt, msg)
    loss, acc = evaluate(arrays.to_numpy_ndarrays(), X, y)
    metrics = MetricRecord({"num-examples": len(y), "eval-loss": loss, "eval-accuracy": acc})
    return Message(RecordDict({"metrics": metrics}), reply_to=msg)


@app.query()
def stats_fn(msg: Message, ctxt: Context) -> Message:
    """Count, sum and sum of squares per feature, for the run's pooled standardisation."""
    X, _ = _local_view(ctxt)
    return Message(RecordDict({"metrics": MetricRecord(moments(X))}), reply_to=msg)
