"""Flower's deployment runtime in real processes: the operator's SuperLink + ServerApp and
two members' SuperNodes behind the community's clientapp guard.

One SuperLink and two SuperNodes serve the whole module. Each member sees a biased slice
of the data (split by the sign of feature 1, which shifts the label balance), so a model
trained on one slice alone extrapolates badly to the other; federated training over both
does not. Every process is stopped by the fixtures' context managers, failures included.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from community_node.clientapp_guard import read_refusals
from community_node.supernode import SuperNode
from operator_node.flower import (
    APP_DIR,
    RunProgress,
    SuperLink,
    TrainingFailed,
    fab_hash,
)
from protocol.runtime.processes import tail

pytestmark = [
    pytest.mark.integration,
    # flwr's FAB builder uses a pattern class pathspec has deprecated
    pytest.mark.filterwarnings("ignore:GitWildMatchPattern:DeprecationWarning"),
]

N_FEATURES = 4
ROUNDS = 2
LOCAL_EPOCHS = 5
RUN_TIMEOUT = 120.0  # seconds; one run takes ~15 s on 2 cores


def _load_task() -> ModuleType:
    """The app's numpy model module, loaded from its file (the app is not a package of ours)."""
    path = APP_DIR / "hayek_fl" / "task.py"
    spec = importlib.util.spec_from_file_location("hayek_fl_task", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


task = _load_task()


def make_data(rng: np.random.Generator, n: int, side: float | None) -> tuple[np.ndarray, np.ndarray]:
    """y ~ Bernoulli(sigmoid(4 (x0 + x1))) with x1 ≈ ±0.8: `side` +1 / -1 is one member's
    slice (x1 ≈ +0.8: mostly label 1; x1 ≈ -0.8: mostly label 0); None is the union."""
    X = rng.normal(size=(n, N_FEATURES))
    signs = np.full(n, side) if side is not None else rng.choice([-1.0, 1.0], size=n)
    X[:, 1] = 0.8 * signs + 0.1 * rng.normal(size=n)
    p = 1.0 / (1.0 + np.exp(-4.0 * (X[:, 0] + X[:, 1])))
    y = (rng.random(n) < p).astype(np.int64)
    return X.astype(np.float32), y


def write_view(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    np.savez(path, X=X, y=y)
    return path


@dataclass
class Federation:
    link: SuperLink
    nodes: list[SuperNode]
    views: list[Path]
    heldout: Path
    approved_hash: str

    def logs(self) -> str:
        parts = [f"--- superlink\n{tail(self.link.log_path, 40)}"]
        for i, node in enumerate(self.nodes):
            parts.append(f"--- supernode {i}\n{tail(node.supernode_log, 40)}")
            parts.append(f"--- guard {i}\n{tail(node.guard_log, 40)}")
        return "\n".join(parts)


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    root = tmp_path_factory.mktemp("flower")
    rng = np.random.default_rng(2026)
    views = [
        write_view(root / "member-a.npz", *make_data(rng, 400, +1.0)),
        write_view(root / "member-b.npz", *make_data(rng, 400, -1.0)),
    ]
    heldout = write_view(root / "heldout.npz", *make_data(rng, 2000, None))
    approved_hash = fab_hash(APP_DIR)
    approved = root / "approved.txt"
    approved.write_text(f"# Hayek training app, approved by the community\n{approved_hash}\n")

    with SuperLink(root / "operator") as link:
        nodes = [
            SuperNode(
                link.address,
                view,
                approved=approved,
                refusals=root / f"refusals-{i}.jsonl",
                work_dir=root / f"member-{i}",
                # DP stays on; 2 rounds of updates clipped at 1.0 cannot reach a good model,
                # so these members allow a larger clip and budget.
                dp_clip=3.0,
                dp_epsilon=100.0,
            )
            for i, view in enumerate(views)
        ]
        with nodes[0], nodes[1]:
            for node in nodes:
                node.wait_registered(timeout=60)
            yield Federation(link, nodes, views, heldout, approved_hash)


@pytest.mark.timeout(240)
def test_federated_model_beats_each_members_local_model(federation: Federation) -> None:
    # Prepare
    seen: list[RunProgress] = []
    out = federation.link.work_dir / "weights.npz"
    config = {
        "n-features": N_FEATURES,
        "num-server-rounds": ROUNDS,
        "local-epochs": LOCAL_EPOCHS,
        "heldout-path": federation.heldout,
        "out-path": out,
    }
    X_val, y_val = task.load_view(federation.heldout)

    # Execute
    try:
        weights_path = federation.link.run_training(APP_DIR, config, timeout=RUN_TIMEOUT, progress=seen.append)
    except Exception as err:  # pragma: no cover - diagnostics for a failing run
        pytest.fail(f"training failed: {err}\n{federation.logs()}")

    # Assert
    assert weights_path == out.resolve() and weights_path.is_file()
    assert seen and seen[-1].status == "finished:completed"
    fl_params = task.load_params(weights_path)
    assert [p.shape for p in fl_params] == [(N_FEATURES, 2), (2,)]
    scale = task.load_scale(weights_path)  # pooled from the members' moments by the ServerApp
    assert scale is not None
    fl_loss, fl_acc = task.evaluate(fl_params, task.standardize(X_val, scale), y_val)
    for view in federation.views:
        X, y = task.load_view(view)
        local = task.train(
            task.init_params("logreg", N_FEATURES), X, y,
            epochs=ROUNDS * LOCAL_EPOCHS, learning_rate=0.05, batch_size=32,
        )  # fmt: skip
        local_loss, local_acc = task.evaluate(local, X_val, y_val)
        assert fl_loss < local_loss, (view.name, fl_loss, local_loss)
        assert fl_acc > local_acc, (view.name, fl_acc, local_acc)
    for node in federation.nodes:
        assert read_refusals(node.refusals) == []


@pytest.mark.timeout(240)
def test_unapproved_app_is_refused_by_members_and_yields_no_weights(federation: Federation, tmp_path: Path) -> None:
    # Prepare: the same app with one file changed
    tampered = tmp_path / "training_app"
    shutil.copytree(APP_DIR, tampered, ignore=shutil.ignore_patterns("__pycache__"))
    with (tampered / "hayek_fl" / "client_app.py").open("a") as f:
        f.write("\n# one changed line: a different bundle\n")
    tampered_hash = fab_hash(tampered)
    assert tampered_hash != federation.approved_hash
    out = tmp_path / "weights.npz"

    # Execute
    with pytest.raises(TrainingFailed) as failed:
        federation.link.run_training(tampered, {"n-features": N_FEATURES, "out-path": out}, timeout=RUN_TIMEOUT)

    # Assert
    err = failed.value
    assert err.status == "finished:failed", f"{err}\n{federation.logs()}"
    assert "refused" in err.details and tampered_hash in err.details
    assert not out.exists()
    for node in federation.nodes:
        refusals = read_refusals(node.refusals)
        assert refusals, f"no refusal logged\n{federation.logs()}"
        assert {r["fab_hash"] for r in refusals} == {tampered_hash}
        assert {str(r["run_id"]) for r in refusals} == {err.run_id}
        assert {"time", "run_id", "fab_hash", "reason"} <= refusals[-1].keys()
        assert "approved" in refusals[-1]["reason"]
