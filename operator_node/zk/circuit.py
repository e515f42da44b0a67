"""What a compiled circuit is: EZKL settings (`ZkSettings`) and a compiled model's metadata
(`CompiledModel`), shared by compilation and witness generation."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from operator_node.zk.ezkl_runtime import ezkl
from protocol.proofs import ZkError


@dataclass(frozen=True)
class ZkSettings:
    """EZKL run arguments for our circuits. `None` fields are chosen by `compile_model`.

    Why these defaults (measured on 2 cores; scripts/bench_zk.py):
    - scales 2^14 for inputs and parameters: raw features spanning 1e-3 .. 1e3 (the
      breast-cancer set) keep their precision, and without lookup tables a high scale costs
      no rows (2^10 gives ~10x the output error for the same proving time);
    - `decomp_base` 128: the range-check table has 128 rows and fits any small logrows
      (EZKL's default 16384 alone forces logrows >= 15: 8.9 s instead of 0.6 s), with just
      4 legs (|values| < 1024 with a headroom of 8), more only when the calibration data
      needs them — so models of one architecture on one data set share settings and vk;
    - `num_inner_cols` 1: fewer advice columns; ~40% faster proofs than 2 at these sizes;
    - logrows: the smallest that holds the circuit. With hashed parameters the Poseidon
      hash takes ~41 rows per parameter and dominates, so logrows follows the parameter
      count: ≤ ~48 parameters → 11, ≤ ~98 → 12, ≤ ~198 → 13.
    """

    input_scale: int = 14
    param_scale: int = 14
    logrows: int | None = None
    decomp_base: int = 128
    decomp_legs: int | None = None
    num_inner_cols: int = 1
    scale_rebase_multiplier: int = 1
    input_visibility: str = "public"
    output_visibility: str = "public"
    param_visibility: str = "hashed"
    check_mode: str = "unsafe"

    def run_args(self) -> Any:
        """The `ezkl.PyRunArgs` for these settings (all None fields must be resolved)."""
        if self.logrows is None or self.decomp_legs is None:
            raise ZkError("settings not resolved: resolve logrows and decomp_legs first (compile_model does)")
        ra = ezkl().PyRunArgs()
        ra.input_scale = self.input_scale
        ra.param_scale = self.param_scale
        ra.logrows = self.logrows
        ra.decomp_base = self.decomp_base
        ra.decomp_legs = self.decomp_legs
        ra.num_inner_cols = self.num_inner_cols
        ra.scale_rebase_multiplier = self.scale_rebase_multiplier
        ra.input_visibility = self.input_visibility
        ra.output_visibility = self.output_visibility
        ra.param_visibility = self.param_visibility
        ra.check_mode = self.check_mode
        # no lookup tables in our graphs; keep the (unused) table range minimal
        ra.lookup_range = (-self.decomp_base, self.decomp_base)
        return ra

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class CompiledModel:
    """A compiled circuit and its metadata (all paths inside the compile cache)."""

    key: str  # of the compile cache: ONNX bytes + settings
    circuit_id: str  # architecture + settings file: what the keys depend on (not weights)
    onnx_path: Path
    compiled_path: Path
    settings_path: Path
    settings: ZkSettings  # fully resolved
    n_features: int
    n_classes: int
    n_outputs: int
    input_scale: int
    output_scale: int
    num_rows: int
    hashed_params: int
    calibration_max_error: float  # max |p_circuit - p_float| over the calibration rows
    calibration_rows: int

    @property
    def logrows(self) -> int:
        assert self.settings.logrows is not None
        return self.settings.logrows

    def settings_bytes(self) -> bytes:
        return self.settings_path.read_bytes()
