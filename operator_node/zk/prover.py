"""The prover: one compiled model with its proving key turns a raw feature vector into a
ProofBundle (proven class probabilities, EZKL's proof, the public instances)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from operator_node.zk.circuit import CompiledModel, ZkSettings
from operator_node.zk.compile import compile_model
from operator_node.zk.ezkl_runtime import call, ezkl
from operator_node.zk.keys import KeyPair, setup_keys
from operator_node.zk.onnx_export import export_onnx
from operator_node.zk.srs import ceremony_srs, devnet_srs
from operator_node.zk.witness import input_json, poseidon_params_hash
from protocol.proofs import (
    ProofBundle,
    ZkError,
    dequantize,
    model_hash,
    probabilities_from_logits,
    proof_instances,
)


class ProvingFailed(ZkError):
    """The prover could not produce a proof for this input (e.g. a value outside the range
    the circuit was sized for at compile time)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"proving failed: {reason}")


@dataclass
class ZkProver:
    """Proves inference for one compiled model with its proving key."""

    compiled: CompiledModel
    keys: KeyPair
    srs_path: Path
    _poseidon: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # EZKL's prover does not fail but hangs when the proving key is another circuit's
        if self.keys.circuit_id != self.compiled.circuit_id:
            raise ZkError(
                f"keys are for circuit {self.keys.circuit_id}, the model compiles to {self.compiled.circuit_id}"
            )
        self.srs_path = Path(self.srs_path)

    @classmethod
    def build(
        cls,
        weights: Sequence[np.ndarray],
        mean: Any,
        std: Any,
        workdir: str | Path,
        calibration_data: np.ndarray,
        settings: ZkSettings | None = None,
        srs_path: str | Path | None = None,
    ) -> ZkProver:
        """export_onnx → compile_model → SRS (devnet unless given) → setup_keys; cached."""
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=workdir) as t:
            onnx_path = export_onnx(weights, mean, std, Path(t) / "model.onnx")
            compiled = compile_model(onnx_path, workdir, calibration_data, settings)
        srs = (
            ceremony_srs(srs_path, compiled.logrows)
            if srs_path is not None
            else devnet_srs(compiled.logrows, workdir / "srs")
        )
        return cls(compiled, setup_keys(compiled, srs, workdir), Path(srs))

    @property
    def poseidon(self) -> int:
        """The Poseidon hash of the model's quantized parameters (computed once)."""
        if self._poseidon is None:
            self._poseidon = poseidon_params_hash(self.compiled)
        return self._poseidon

    def model_hash(self) -> bytes:
        """The hash the model is registered under: vk, settings and Poseidon parameter hash."""
        return model_hash(self.keys.vk_bytes(), self.compiled.settings_bytes(), self.poseidon)

    def prove(self, input_vector: Sequence[float]) -> ProofBundle:
        """Prove the model's output on one raw feature vector."""
        ez = ezkl()
        x = np.asarray(input_vector, np.float64).reshape(-1)
        if x.shape != (self.compiled.n_features,):
            raise ProvingFailed(f"expected {self.compiled.n_features} features, got {x.shape[0]}")
        if not np.all(np.isfinite(x)):
            raise ProvingFailed("input contains NaN or infinite values")
        with tempfile.TemporaryDirectory() as t:
            td = Path(t)
            (td / "input.json").write_text(input_json(x))
            try:
                call(
                    "gen_witness",
                    ez.gen_witness,
                    str(td / "input.json"),
                    str(self.compiled.compiled_path),
                    str(td / "witness.json"),
                )
                call(
                    "prove",
                    ez.prove,
                    str(td / "witness.json"),
                    str(self.compiled.compiled_path),
                    str(self.keys.pk_path),
                    str(td / "proof.json"),
                    str(self.srs_path),
                )
            except ZkError as e:
                raise ProvingFailed(f"{e} (is the input within the calibrated range?)") from e
            proof_json = (td / "proof.json").read_bytes()
        instances = proof_instances(proof_json)
        out = instances[1 + self.compiled.n_features :]
        logits = [dequantize(v, self.compiled.output_scale) for v in out]
        return ProofBundle(probabilities_from_logits(logits, self.compiled.n_classes), proof_json, tuple(instances))
