"""Stock ServerApp: stock FedAvg on the stock Grid for `num-server-rounds`; weights to `out-path`."""

from __future__ import annotations

from pathlib import Path

from flwr.app import ArrayRecord, ConfigRecord, Context
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from bench_fl_baseline.task import init_params, save_params

app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    cfg = context.run_config
    params = init_params(
        str(cfg["model"]), int(cfg["n-features"]), int(cfg["n-classes"]), int(cfg["hidden"]), int(cfg["seed"])
    )
    n = int(cfg["min-nodes"])
    strategy = FedAvg(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=n, min_available_nodes=n)
    result = strategy.start(
        grid=grid,
        initial_arrays=ArrayRecord(params),
        num_rounds=int(cfg["num-server-rounds"]),
        timeout=float(cfg["round-timeout"]),
        train_config=ConfigRecord({"local-epochs": int(cfg["local-epochs"])}),
    )
    out = Path(str(cfg["out-path"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    save_params(out, result.arrays.to_numpy_ndarrays() if len(result.arrays) else params)
