"""An exported graph compiled into an EZKL circuit: the settings we run it with, the fitting
of decomposition legs and logrows to calibration data, and the on-disk compile cache."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from operator_node.zk.circuit import CompiledModel, ZkSettings
from operator_node.zk.ezkl_runtime import call, ezkl
from operator_node.zk.files import atomic_write, sha256_file
from operator_node.zk.onnx_export import architecture_hash, count_hashed_params, onnx_forward, onnx_info
from operator_node.zk.witness import mock_check, witness_outputs
from protocol.proofs import ZkError, probabilities_from_logits

#: The largest logrows this module will choose on its own.
MAX_AUTO_LOGROWS = 20
#: Rows kept free below 2^logrows for halo2's blinding factors when choosing logrows.
_BLINDING_RESERVE = 16
#: Headroom over the calibration data's largest magnitude when sizing the decomposition.
_RANGE_HEADROOM = 8.0
#: Decomposition legs unless the calibration data needs more: with base 128 and scale 2^14,
#: values up to 2^27 / 2^14 / headroom 8 = 1024 in magnitude.
DEFAULT_DECOMP_LEGS = 4
#: How many calibration rows are run through the circuit to measure quantization error.
_CALIBRATION_ROWS = 32


def _canonical_settings(path: Path) -> None:
    """Rewrite EZKL's settings.json without its timestamp, keys and sets sorted: the same
    architecture and settings give the same bytes (so the same settingsHash, circuit and
    verifying key) on every run and machine."""
    s = json.loads(path.read_text())
    s.pop("timestamp", None)
    # EZKL collects these in hash sets: their order varies from run to run, and the order
    # decides the circuit's column layout (so the vk). Sorting fixes both.
    for k in ("required_range_checks", "required_lookups"):
        if isinstance(s.get(k), list):
            s[k] = sorted(s[k], key=lambda v: json.dumps(v, sort_keys=True))
    atomic_write(path, json.dumps(s, sort_keys=True, separators=(",", ":")).encode())


def _legs_for(peak: float, scale: int, base: int) -> int:
    """Fewest decomposition legs whose signed range base^legs / 2 holds peak·2^scale·headroom."""
    need = max(peak, 1.0) * (2.0**scale) * _RANGE_HEADROOM
    legs = 1
    while base**legs / 2 <= need:
        legs += 1
    return legs


def compile_model(
    onnx_path: str | Path,
    workdir: str | Path,
    calibration_data: np.ndarray,
    settings: ZkSettings | None = None,
) -> CompiledModel:
    """Compile an exported graph into an EZKL circuit (cached under workdir/circuits/).

    `calibration_data` (n, d) raw feature rows sizes the decomposition (legs) and measures
    the quantization error; logrows (when not given) is the smallest that holds the circuit
    and passes `ezkl.mock` on a calibration row. The cache key covers the ONNX bytes and the
    resolved settings, so recompiling the same model is free."""
    ez = ezkl()
    onnx_path = Path(onnx_path)
    workdir = Path(workdir)
    settings = settings or ZkSettings()
    model, meta = onnx_info(onnx_path)
    d, k = int(meta["n_features"]), int(meta["n_classes"])
    X = np.asarray(calibration_data, np.float64).reshape(-1, d)
    if len(X) == 0 or not np.all(np.isfinite(X)):
        raise ZkError("calibration data must be a non-empty finite (n, d) array")
    float_logits, peak = onnx_forward(model, X)
    if settings.decomp_legs is None:
        # at least DEFAULT_DECOMP_LEGS, so that models of one architecture on one data set
        # get the same settings — and so the same circuit and verifying key — whatever
        # their weights; more only when the data (or a model's activations) need it
        scale = max(settings.input_scale, settings.param_scale)
        legs = max(DEFAULT_DECOMP_LEGS, _legs_for(peak, scale, settings.decomp_base))
        settings = replace(settings, decomp_legs=legs)
    onnx_sha = sha256_file(onnx_path)
    key = hashlib.sha256(f"{onnx_sha}|{settings.key()}".encode()).hexdigest()[:24]
    cdir = workdir / "circuits" / key
    meta_path = cdir / "compiled.json"
    if meta_path.exists():
        return _load_compiled(meta_path)

    workdir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=workdir))
    try:
        shutil.copyfile(onnx_path, tmp / "model.onnx")
        rows = X[: min(len(X), _CALIBRATION_ROWS)]
        resolved = _fit_logrows(ez, tmp, settings, rows)
        s = json.loads((tmp / "settings.json").read_text())
        # measure the quantization error on the calibration rows
        worst = 0.0
        for i, x in enumerate(rows):
            out = witness_outputs(ez, tmp, x, s)
            p_zk = probabilities_from_logits(out, k)
            p_fl = probabilities_from_logits(float_logits[i], k)
            worst = max(worst, max(abs(a - b) for a, b in zip(p_zk, p_fl)))
        circuit_id = hashlib.sha256(
            f"{architecture_hash(onnx_path)}|{sha256_file(tmp / 'settings.json')}".encode()
        ).hexdigest()[:24]
        info = {
            "key": key,
            "circuit_id": circuit_id,
            "onnx_sha256": onnx_sha,
            "settings": asdict(resolved),
            "n_features": d,
            "n_classes": k,
            "n_outputs": int(s["model_instance_shapes"][-1][-1]),
            "input_scale": int(s["model_input_scales"][0]),
            "output_scale": int(s["model_output_scales"][0]),
            "num_rows": int(s["num_rows"]),
            "hashed_params": count_hashed_params(onnx_path),
            "calibration_max_error": worst,
            "calibration_rows": len(rows),
        }
        (tmp / "compiled.json").write_text(json.dumps(info, indent=1, sort_keys=True))
        for f in ("witness.json", "input.json"):
            (tmp / f).unlink(missing_ok=True)
        cdir.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp.rename(cdir)
        except OSError:  # another process compiled the same model meanwhile
            if not meta_path.exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _load_compiled(meta_path)


def _fit_logrows(ez: Any, tmp: Path, settings: ZkSettings, rows: np.ndarray) -> ZkSettings:
    """Write settings.json + network.ezkl in `tmp` at the smallest logrows that works."""
    onnx_p, settings_p, compiled_p = tmp / "model.onnx", tmp / "settings.json", tmp / "network.ezkl"

    def build(s: ZkSettings) -> dict[str, Any]:
        call("gen_settings", ez.gen_settings, str(onnx_p), str(settings_p), py_run_args=s.run_args())
        _canonical_settings(settings_p)
        call("compile_circuit", ez.compile_circuit, str(onnx_p), str(compiled_p), str(settings_p))
        return json.loads(settings_p.read_text())

    if settings.logrows is not None:
        build(settings)
        mock_check(ez, tmp, rows[0])
        return settings
    probe = build(replace(settings, logrows=MAX_AUTO_LOGROWS))
    need = int(probe["num_rows"]) + _BLINDING_RESERVE
    lr = max(settings.decomp_base.bit_length(), math.ceil(math.log2(need)))
    while lr <= MAX_AUTO_LOGROWS:
        s = replace(settings, logrows=lr)
        build(s)
        try:
            mock_check(ez, tmp, rows[0])
            return s
        except ZkError:
            lr += 1
    raise ZkError(f"circuit needs more than 2^{MAX_AUTO_LOGROWS} rows")


def _load_compiled(meta_path: Path) -> CompiledModel:
    info = json.loads(meta_path.read_text())
    cdir = meta_path.parent
    return CompiledModel(
        key=info["key"],
        circuit_id=info["circuit_id"],
        onnx_path=cdir / "model.onnx",
        compiled_path=cdir / "network.ezkl",
        settings_path=cdir / "settings.json",
        settings=ZkSettings(**info["settings"]),
        n_features=info["n_features"],
        n_classes=info["n_classes"],
        n_outputs=info["n_outputs"],
        input_scale=info["input_scale"],
        output_scale=info["output_scale"],
        num_rows=info["num_rows"],
        hashed_params=info["hashed_params"],
        calibration_max_error=info["calibration_max_error"],
        calibration_rows=info["calibration_rows"],
    )
