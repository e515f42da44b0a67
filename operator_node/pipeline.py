"""The default model pipeline: train through Flower with the members' SuperNodes, then
compile the trained model into an EZKL circuit whose hash is the model hash.

A round's model warm-starts from the operator's previous round (same standardisation), is
exported to ONNX with the standardisation inside the graph, compiled with hashed parameters
and set up with the deployment's SRS; the verifying key and settings go to the store, whose
ids the model registry records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from operator_node.flower import APP_DIR, RunProgress, SuperLink
from operator_node.training_app.hayek_fl import task
from operator_node.zk.circuit import ZkSettings
from operator_node.zk.onnx_export import reference_proba
from operator_node.zk.prover import ZkProver
from protocol.errors import MalformedRecord
from protocol.store import BlobStore


@dataclass
class ZkModel:
    prover: ZkProver
    params: list[np.ndarray]
    scale: tuple[np.ndarray, np.ndarray]
    artifacts: dict[str, Any]
    model_hash: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.model_hash = self.prover.model_hash()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return reference_proba(self.params, self.scale[0], self.scale[1], X)


@dataclass
class TrainingSpec:
    """What the operator trains: its hyper-parameters are what makes operators differ."""

    n_features: int
    n_classes: int = 2
    model: str = "logreg"  # or "mlp"
    hidden: int = 4
    fl_rounds: int = 2
    local_epochs: int = 5
    learning_rate: float = 0.05
    min_nodes: int = 2
    seed: int = 0

    def run_config(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "hidden": self.hidden,
            "n-features": self.n_features,
            "n-classes": self.n_classes,
            "num-server-rounds": self.fl_rounds,
            "local-epochs": self.local_epochs,
            "learning-rate": self.learning_rate,
            "min-nodes": self.min_nodes,
            "seed": self.seed,
        }


class FlowerZkPipeline:
    def __init__(
        self,
        link: SuperLink,
        spec: TrainingSpec,
        store: BlobStore,
        srs_path: Path,
        workdir: Path,
        zk_settings: ZkSettings | None = None,
        progress: Callable[[str], None] = lambda _: None,
    ):
        self.link, self.spec, self.store, self.srs_path = link, spec, store, srs_path
        self.workdir = workdir
        self.zk_settings = zk_settings
        self.progress = progress

    def _calibration(self, scale: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Inputs spanning the data's range, for sizing the circuit (±4 std of every feature)."""
        rng = np.random.default_rng(self.spec.seed)
        mean, std = scale
        return (mean + std * rng.uniform(-4, 4, size=(64, len(mean)))).astype(np.float32)

    def _prover(self, params: list[np.ndarray], scale: tuple[np.ndarray, np.ndarray]) -> ZkProver:
        return ZkProver.build(
            params,
            scale[0],
            scale[1],
            self.workdir / "zk",
            self._calibration(scale),
            settings=self.zk_settings,
            srs_path=self.srs_path,
        )

    def build(self, round: int, node: Any) -> ZkModel:
        cfg = self.spec.run_config()
        previous = sorted(self.workdir.glob("weights-r*.npz"))
        if previous:
            cfg["init-path"] = previous[-1]  # warm start (keeps its standardisation)
        out = self.workdir / f"weights-r{round:04d}.npz"

        def show(p: RunProgress) -> None:
            self.progress(f"round {round}: Flower run {p.run_id} {p.status} ({p.elapsed:.0f} s)")

        self.link.run_training(APP_DIR, cfg | {"out-path": out}, progress=show)
        return self.load({"weights": str(out), "round": round}, publish=True)

    def load(self, artifacts: dict[str, Any], publish: bool = False) -> ZkModel:
        params = task.load_params(artifacts["weights"])
        scale = task.load_scale(artifacts["weights"])
        if scale is None:
            raise MalformedRecord(f"artifacts {artifacts['weights']}", "weights without their standardisation")
        prover = self._prover(params, scale)
        if publish or "vk_id" not in artifacts:
            artifacts = artifacts | {
                "vk_id": self.store.put(prover.keys.vk_bytes()),
                "settings_id": self.store.put(prover.compiled.settings_bytes()),
            }
        self.progress(f"circuit: logrows {prover.compiled.logrows}, {prover.compiled.hashed_params} hashed params")
        return ZkModel(prover, params, scale, artifacts)
