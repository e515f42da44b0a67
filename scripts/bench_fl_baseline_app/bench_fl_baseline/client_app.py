"""Stock ClientApp: train the received weights on the node's `data-path` view (raw features)."""

from __future__ import annotations

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from bench_fl_baseline.task import load_view, train

app = ClientApp()


@app.train()
def train_fn(msg: Message, ctxt: Context) -> Message:
    arrays = msg.content["arrays"]
    assert isinstance(arrays, ArrayRecord)
    X, y = load_view(str(ctxt.node_config["data-path"]))
    rc = ctxt.run_config
    server_round = int(msg.content["config"].get("server-round", 0))  # type: ignore[union-attr]
    new = train(
        arrays.to_numpy_ndarrays(),
        X,
        y,
        epochs=int(rc["local-epochs"]),
        learning_rate=float(rc["learning-rate"]),
        batch_size=int(rc["batch-size"]),
        optimizer=str(rc["optimizer"]),
        l2=float(rc["l2"]),
        seed=int(rc["seed"]) * 1_000_003 + server_round * 7919 + int(ctxt.node_id % 100_003),
    )
    out = ArrayRecord(dict(zip(arrays.keys(), ArrayRecord(new).values(), strict=True)))
    metrics = MetricRecord({"num-examples": len(y)})
    return Message(RecordDict({"arrays": out, "metrics": metrics}), reply_to=msg)
