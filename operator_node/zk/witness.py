"""EZKL's witness generator and mock prover on a compiled circuit (no keys, ~0.05 s each):
the outputs a proof would carry, whether a proof would verify, the parameters' Poseidon hash."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from operator_node.zk.circuit import CompiledModel
from operator_node.zk.ezkl_runtime import call, ezkl
from protocol.proofs import ZkError, dequantize, felt_from_le_hex, probabilities_from_logits


def input_json(x: np.ndarray) -> str:
    """EZKL's input file for one raw feature vector."""
    return json.dumps({"input_data": [[float(v) for v in np.asarray(x, np.float64).reshape(-1)]]})


def write_witness(ez: Any, cdir: Path, x: np.ndarray, out_dir: Path) -> dict[str, Any]:
    """Write input.json and witness.json for `x` in `out_dir` (circuit network.ezkl in `cdir`)."""
    inp, wit = out_dir / "input.json", out_dir / "witness.json"
    inp.write_text(input_json(x))
    call("gen_witness", ez.gen_witness, str(inp), str(cdir / "network.ezkl"), str(wit))
    return json.loads(wit.read_text())


def mock_check(ez: Any, cdir: Path, x: np.ndarray) -> None:
    """Mock-prove `x` on the circuit in `cdir`; ZkError when the mock prover rejects it."""
    write_witness(ez, cdir, x, cdir)
    if not call("mock", ez.mock, str(cdir / "witness.json"), str(cdir / "network.ezkl")):
        raise ZkError("mock prover rejected the witness")


def witness_outputs(ez: Any, cdir: Path, x: np.ndarray, s: dict[str, Any]) -> list[float]:
    """The output logits of `x`'s witness (settings `s`), dequantized."""
    w = write_witness(ez, cdir, x, cdir)
    scale = int(s["model_output_scales"][0])
    return [dequantize(felt_from_le_hex(v), scale) for v in w["outputs"][0]]


def witness_proba(compiled: CompiledModel, input_vector: Sequence[float]) -> tuple[float, ...]:
    """The class probabilities a proof of this input would carry, from EZKL's witness alone
    (no keys, no proof; ~0.05 s): for error measurements and dry runs."""
    ez = ezkl()
    s = json.loads(compiled.settings_path.read_text())
    with tempfile.TemporaryDirectory() as t:
        td = Path(t)
        inp, wit = td / "input.json", td / "witness.json"
        inp.write_text(input_json(np.asarray(input_vector, np.float64)))
        call("gen_witness", ez.gen_witness, str(inp), str(compiled.compiled_path), str(wit))
        w = json.loads(wit.read_text())
    scale = int(s["model_output_scales"][0])
    logits = [dequantize(felt_from_le_hex(v), scale) for v in w["outputs"][0]]
    return probabilities_from_logits(logits, compiled.n_classes)


def mock_input(compiled: CompiledModel, input_vector: Sequence[float]) -> bool:
    """Run EZKL's mock prover on one input (no keys; cheap): whether a proof of it would
    verify — False too when the input lies outside the range the circuit was sized for."""
    ez = ezkl()
    with tempfile.TemporaryDirectory() as t:
        td = Path(t)
        inp, wit = td / "input.json", td / "witness.json"
        inp.write_text(input_json(np.asarray(input_vector, np.float64)))
        try:
            call("gen_witness", ez.gen_witness, str(inp), str(compiled.compiled_path), str(wit))
            return bool(call("mock", ez.mock, str(wit), str(compiled.compiled_path)))
        except ZkError:
            return False


def poseidon_params_hash(compiled: CompiledModel, sample_input: Sequence[float] | None = None) -> int:
    """The Poseidon hash of the circuit's quantized parameters, as an int in [0, P).

    Runs `gen_witness` without keys (~0.1 s) and reads
    `witness["processed_params"]["poseidon_hash"][0]`, which EZKL writes as little-endian
    hex: int.from_bytes(bytes.fromhex(h), "little"). It does not depend on the input."""
    ez = ezkl()
    x = np.zeros(compiled.n_features) if sample_input is None else np.asarray(sample_input)
    with tempfile.TemporaryDirectory() as t:
        td = Path(t)
        (td / "input.json").write_text(input_json(x))
        w = call(
            "gen_witness", ez.gen_witness, str(td / "input.json"), str(compiled.compiled_path), str(td / "witness.json")
        )
    return felt_from_le_hex(w["processed_params"]["poseidon_hash"][0])
