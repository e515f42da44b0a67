"""ZK benchmark: proving and verifying time, error and size of the default model's proofs.

The default model is a one-hidden-layer ReLU MLP (d = 8 raw features, h = 4, K = 2) trained
with the operators' numpy trainer on a seeded synthetic task, standardisation inside the
graph, hashed parameters, our default `ZkSettings`. It is compared with the same ONNX graph
under EZKL's own calibrated settings (`calibrate_settings(target="resources")`, same
visibilities). Prints a JSON dict and merges it into bench/results.json (other keys kept).

    python scripts/bench_zk.py [--proofs 10] [--error-inputs 200] [--skip-ezkl-default]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_results import RESULTS, merge_results  # noqa: E402

from operator_node import zk  # noqa: E402

D, HIDDEN = 8, 4


def default_model(d: int = D, hidden: int = HIDDEN, seed: int = 0) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """(weights, mean, std, raw feature rows) of the benchmark's model: an MLP trained on a
    synthetic non-linear task whose raw features have means ~N(0, 2) and stds in [0.5, 2]."""
    from operator_node.training_app.hayek_fl import task

    rng = np.random.default_rng(seed)
    mean = rng.normal(0.0, 2.0, d)
    std = rng.uniform(0.5, 2.0, d)
    Z = rng.standard_normal((1000, d))
    y = Z[:, 0] + 0.5 * Z[:, 1] - Z[:, 2] * Z[:, 3] + 0.3 * rng.standard_normal(1000) > 0
    model = "mlp" if hidden else "logreg"
    params = task.train(
        task.init_params(model, d, 2, max(hidden, 1), seed),
        Z.astype(np.float32),
        y.astype(np.int64),
        epochs=30,
        seed=seed,
    )
    return params, mean, std, mean + std * Z


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def bench_ours(workdir: Path, n_proofs: int, n_error: int) -> tuple[dict[str, Any], Path, np.ndarray]:
    weights, mean, std, X = default_model()
    t0 = time.perf_counter()
    prover = zk.ZkProver.build(weights, mean, std, workdir, X[:64])
    build_s = time.perf_counter() - t0
    c = prover.compiled
    # proving (the first proof too: nothing is warm in EZKL between calls)
    times, bundles = [], []
    for i in range(n_proofs):
        t0 = time.perf_counter()
        bundles.append(prover.prove(X[100 + i]))
        times.append(time.perf_counter() - t0)
    # off-chain verification: every check verify_bundle runs
    vtimes = []
    for i, b in enumerate(bundles):
        t0 = time.perf_counter()
        zk.verify_bundle(b, prover.keys.vk_path, c.settings_path, prover.srs_path, prover.poseidon, X[100 + i])
        vtimes.append(time.perf_counter() - t0)
    # output error against the float model on fresh inputs from the data distribution
    rng = np.random.default_rng(7)
    Xe = mean + std * rng.standard_normal((n_error, len(mean)))
    ref = zk.reference_proba(weights, mean, std, Xe)
    err = max(float(np.max(np.abs(np.array(zk.witness_proba(c, x)) - ref[i]))) for i, x in enumerate(Xe))
    proof_err = max(
        float(np.max(np.abs(np.array(b.output) - zk.reference_proba(weights, mean, std, X[100 + i : 101 + i])[0])))
        for i, b in enumerate(bundles)
    )
    out = {
        "prove_p50_s": statistics.median(times),
        "prove_p95_s": _pct(times, 0.95),
        "verify_offchain_s": statistics.median(vtimes),
        "zk_max_output_error": max(err, proof_err),
        "zk_param_count": c.hashed_params,
        "zk_logrows": c.logrows,
        "zk_num_rows": c.num_rows,
        "zk_pk_mb": prover.keys.pk_path.stat().st_size / 1e6,
        "zk_vk_kb": prover.keys.vk_path.stat().st_size / 1e3,
        "zk_proof_kb": len(bundles[0].proof_json) / 1e3,
        "zk_compile_setup_s": build_s,
        "zk_calibration_max_error": c.calibration_max_error,
    }
    return out, c.onnx_path, X


def bench_ezkl_default(onnx_path: Path, X: np.ndarray, workdir: Path, n_proofs: int) -> dict[str, Any]:
    """Same graph, EZKL's calibrated settings (hashed params, public input/output)."""
    import ezkl

    w = workdir / "ezkl-default"
    w.mkdir(parents=True, exist_ok=True)
    settings, compiled = w / "settings.json", w / "network.ezkl"
    data = w / "calibration.json"
    data.write_text(json.dumps({"input_data": [X[:64].reshape(-1).tolist()]}))
    ra = ezkl.PyRunArgs()
    ra.param_visibility = "hashed"
    ra.input_visibility = "public"
    ra.output_visibility = "public"
    with zk.ezkl_quiet():
        ezkl.gen_settings(str(onnx_path), str(settings), py_run_args=ra)
        ezkl.calibrate_settings(str(data), str(onnx_path), str(settings), "resources")
        ezkl.compile_circuit(str(onnx_path), str(compiled), str(settings))
    s = json.loads(settings.read_text())
    logrows = int(s["run_args"]["logrows"])
    srs = zk.devnet_srs(logrows, workdir / "srs")
    vk, pk = w / "vk", w / "pk"
    with zk.ezkl_quiet():
        t0 = time.perf_counter()
        ezkl.setup(str(compiled), str(vk), str(pk), srs_path=str(srs))
        setup_s = time.perf_counter() - t0
    times = []
    for i in range(n_proofs):
        (w / "input.json").write_text(json.dumps({"input_data": [X[100 + i].tolist()]}))
        with zk.ezkl_quiet():
            t0 = time.perf_counter()
            ezkl.gen_witness(str(w / "input.json"), str(compiled), str(w / "witness.json"))
            ezkl.prove(str(w / "witness.json"), str(compiled), str(pk), str(w / "proof.json"), str(srs))
            times.append(time.perf_counter() - t0)
    return {
        "prove_ezkl_default_s": statistics.median(times),
        "zk_ezkl_default_logrows": logrows,
        "zk_ezkl_default_setup_s": setup_s,
        "zk_ezkl_default_pk_mb": pk.stat().st_size / 1e6,
    }


def bench_breast_cancer(workdir: Path, n_proofs: int) -> dict[str, Any]:
    """Logistic regression on scikit-learn's breast-cancer set (30 raw features whose stds
    span 0.003 .. 570): the precision case for the 2^14 scales."""
    from sklearn.datasets import load_breast_cancer

    from operator_node.training_app.hayek_fl import task

    X, y = load_breast_cancer(return_X_y=True)
    mean, std = X.mean(0), X.std(0)
    params = task.train(
        task.init_params("logreg", 30, 2), ((X - mean) / std).astype(np.float32), y.astype(np.int64), epochs=20
    )
    prover = zk.ZkProver.build(params, mean, std, workdir, X[::4])
    times = []
    for i in range(n_proofs):
        t0 = time.perf_counter()
        prover.prove(X[i])
        times.append(time.perf_counter() - t0)
    ref = zk.reference_proba(params, mean, std, X[1::3])
    err = max(
        float(np.max(np.abs(np.array(zk.witness_proba(prover.compiled, x)) - ref[i]))) for i, x in enumerate(X[1::3])
    )
    return {
        "zk_bc_logreg_prove_p50_s": statistics.median(times),
        "zk_bc_logreg_max_output_error": err,
        "zk_bc_logreg_logrows": prover.compiled.logrows,
    }


def _round(v: Any) -> Any:
    if isinstance(v, float):
        return float(f"{v:.4g}")
    return v


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--proofs", type=int, default=10)
    ap.add_argument("--error-inputs", type=int, default=200)
    ap.add_argument("--skip-ezkl-default", action="store_true")
    ap.add_argument("--skip-breast-cancer", action="store_true")
    args = ap.parse_args(argv)
    res: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-zk-") as t:
        workdir = Path(t)
        ours, onnx_path, X = bench_ours(workdir, args.proofs, args.error_inputs)
        res |= ours
        if not args.skip_ezkl_default:
            res |= bench_ezkl_default(onnx_path, X, workdir, max(3, args.proofs // 3))
            res["zk_speedup_vs_ezkl_default"] = res["prove_ezkl_default_s"] / res["prove_p50_s"]
        if not args.skip_breast_cancer:
            try:
                res |= bench_breast_cancer(workdir, max(3, args.proofs // 2))
            except ImportError:
                pass
    res["zk_load_avg_1m"] = os.getloadavg()[0]
    res = {k: _round(v) for k, v in sorted(res.items())}
    print(json.dumps(res, indent=1))
    merge_results(res, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
