"""The proof layer: a trained model → ONNX → EZKL circuit → keys → proofs, and their checks.

Pipeline (each step cached on disk, so a restart or a second model of the same
architecture does not redo work):

    export_onnx(weights, mean, std, path)         ONNX graph, standardisation inside
    compile_model(onnx, workdir, calibration)     EZKL settings + compiled circuit
    devnet_srs(logrows, dir) / ceremony_srs(...)  KZG parameters
    setup_keys(compiled, srs, workdir)            verifying key + proving key
    ZkProver(compiled, keys, srs).prove(x)        ProofBundle (output, proof, instances)
    verify_bundle(bundle, vk, settings, srs, poseidon, x)   what every client runs

**What the circuit proves.** The graph maps raw features to *logits* (for K = 2 the single
logit difference z = l1 - l0); the class probabilities are a fixed public function of the
proven logits (sigmoid for K = 2, softmax otherwise) that every verifier applies itself
(`probabilities_from_logits`). Proving the sigmoid/softmax inside the circuit needs a lookup
table over the logit range at the circuit's scale: at the scale real features need (2^14,
because raw features span 1e-3 .. 1e3) that table has 2^18 rows and proving takes ~30 s
instead of ~1 s. Leaving the squashing function outside changes no trust assumption (it is
deterministic and public) and its error is bounded: |Δp| ≤ |Δz| / 4.

**Model binding.** Parameters are hashed (`param_visibility="hashed"`): the circuit exposes
the Poseidon hash of its quantized parameters as the first public instance, and two models
of one architecture share a verifying key. `model_hash` therefore binds three things:
keccak256(abi.encode(keccak(vk file), keccak(settings file), poseidonParamsHash)).

**Instance layout** (for the settings this module produces; `verify_bundle` checks it):
``instances = [poseidon, x_1 .. x_d, out_1 .. out_m]``, each a BN254 scalar field element.
EZKL writes them as 64-hex-digit **little-endian** strings without 0x; this module turns
each into a Python int with ``int.from_bytes(bytes.fromhex(h), "little")`` and, where a
bytes32 is needed (model hash, Solidity), writes that int **big-endian** (``to_bytes(32,
"big")``) — the same number the EVM verifier sees as ``uint256 instances[i]``. Signed values
(inputs, logits) are field elements ``v`` with ``v > p/2`` meaning ``v - p``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from protocol.errors import HayekError

# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------

#: The BN254 scalar field modulus: EZKL's field elements live in [0, P).
FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: ONNX IR version EZKL 23 (tract) accepts; torch's default IR 10 is rejected.
ONNX_IR_VERSION = 8
#: ONNX opset of the exported graph (Gemm, Relu, Sub, Mul exist unchanged since opset 13).
ONNX_OPSET = 13
#: Exported graph format; bump when the graph layout changes.
GRAPH_FORMAT = "hayek-zk-graph/1"
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

# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class ZkError(HayekError):
    """Root of the proof layer's errors."""


class ProofRejected(ZkError):
    """A proof bundle fails one of the checks every verifier of ours runs.

    `reason` is one of `REASONS`; `expected` / `got` carry the evidence where there is one.
    """

    WRONG_MODEL = "wrong_model"  # Poseidon instance is not the committed model's
    INPUT_MISMATCH = "input_mismatch"  # input instances are not the input that was sent
    OUTPUT_MISMATCH = "output_mismatch"  # claimed output is not what the instances prove
    INVALID_PROOF = "invalid_proof"  # the proof does not verify with the registered vk
    WRONG_ARTIFACTS = "wrong_artifacts"  # vk/settings do not hash to the expected model hash
    MALFORMED = "malformed"  # not a proof of the expected shape
    REASONS = (WRONG_MODEL, INPUT_MISMATCH, OUTPUT_MISMATCH, INVALID_PROOF, WRONG_ARTIFACTS,
               MALFORMED)

    def __init__(self, reason: str, detail: str = "", expected: Any = None, got: Any = None):
        self.reason = reason
        self.detail = detail
        self.expected = expected
        self.got = got
        super().__init__(f"proof rejected ({reason})" + (f": {detail}" if detail else ""))


class ProvingFailed(ZkError):
    """The prover could not produce a proof for this input (e.g. a value outside the range
    the circuit was sized for at compile time)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"proving failed: {reason}")


class SrsError(ZkError):
    """An SRS file is missing, malformed, or too small for the circuit."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"SRS {path}: {reason}")


# --------------------------------------------------------------------------------------
# EZKL call helpers
# --------------------------------------------------------------------------------------

_STDOUT_LOCK = threading.Lock()


@contextlib.contextmanager
def _ezkl_quiet() -> Iterator[None]:
    """Send the Rust side's stdout chatter ("Using 2 columns for non-linearity table.") to
    stderr, so a command's `--json` output on stdout stays parseable."""
    with _STDOUT_LOCK:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            os.dup2(2, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def _call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call an EZKL function; turn its exceptions (including Rust panics, which are
    BaseException) into ZkError with the step's name."""
    try:
        with _ezkl_quiet():
            return fn(*args, **kwargs)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as e:  # pyo3 PanicException derives from BaseException
        raise ZkError(f"ezkl {what} failed: {e}") from e


def _run_async(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """EZKL's EVM helpers return a future bound to the running asyncio loop: run them in a
    fresh loop (in a worker thread when the caller already runs a loop, e.g. a web service)."""

    async def go() -> Any:
        return await fn(*args, **kwargs)

    def run() -> Any:
        with _ezkl_quiet():
            return asyncio.run(go())

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def _ezkl() -> Any:
    import ezkl  # imported lazily: the nodes import this module without proving

    return ezkl


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


# --------------------------------------------------------------------------------------
# Field elements and fixed point
# --------------------------------------------------------------------------------------


def felt_from_le_hex(h: str) -> int:
    """EZKL's field-element hex (64 digits, little-endian, optional 0x) → int in [0, P)."""
    raw = bytes.fromhex(h[2:] if h.startswith("0x") else h)
    if len(raw) != 32:
        raise ValueError(f"field element must be 32 bytes, got {len(raw)}")
    v = int.from_bytes(raw, "little")
    if v >= FIELD_MODULUS:
        raise ValueError("field element not reduced modulo the BN254 scalar field")
    return v


def felt_to_le_hex(v: int) -> str:
    """int in [0, P) → EZKL's little-endian hex (no 0x)."""
    return (v % FIELD_MODULUS).to_bytes(32, "little").hex()


def felt_to_signed(v: int) -> int:
    """Field element → signed integer (v > P/2 encodes v - P)."""
    return v - FIELD_MODULUS if v > FIELD_MODULUS // 2 else v


def signed_to_felt(v: int) -> int:
    return v % FIELD_MODULUS


def quantize(x: float, scale: int) -> int:
    """The fixed-point integer EZKL assigns to input `x` at `scale` (bits): x is first cast
    to float32 (the graph's input type), multiplied by 2^scale and rounded half away from
    zero — bit for bit what `ezkl.gen_witness` / `ezkl.float_to_felt(..., F32)` do."""
    v = float(np.float32(x))
    if not math.isfinite(v):
        raise ValueError(f"input {x!r} is not finite")
    y = v * (1 << scale) if scale >= 0 else v / (1 << -scale)
    q = math.floor(abs(y) + 0.5)
    return -q if y < 0 else q


def dequantize(v: int, scale: int) -> float:
    """Field element at `scale` bits → float."""
    return felt_to_signed(v) / float(2**scale)


# --------------------------------------------------------------------------------------
# The model and its ONNX graph
# --------------------------------------------------------------------------------------


def _check_weights(weights: Sequence[np.ndarray]) -> tuple[int, int, int]:
    """Return (d, hidden or 0, K) for [W (d,K), b (K)] or [W1 (d,h), b1 (h), W2 (h,K), b2 (K)]."""
    ws = [np.asarray(w) for w in weights]
    if len(ws) == 2:
        w, b = ws
        if w.ndim != 2 or b.shape != (w.shape[1],):
            raise ValueError(f"bad logistic-regression shapes {[a.shape for a in ws]}")
        d, h, k = w.shape[0], 0, w.shape[1]
    elif len(ws) == 4:
        w1, b1, w2, b2 = ws
        ok = (w1.ndim == 2 and b1.shape == (w1.shape[1],) and w2.ndim == 2
              and w2.shape[0] == w1.shape[1] and b2.shape == (w2.shape[1],))
        if not ok:
            raise ValueError(f"bad MLP shapes {[a.shape for a in ws]}")
        d, h, k = w1.shape[0], w1.shape[1], w2.shape[1]
    else:
        raise ValueError(f"expected 2 (logreg) or 4 (mlp) weight arrays, got {len(ws)}")
    if k < 2:
        raise ValueError(f"need at least 2 classes, got {k}")
    if not all(np.all(np.isfinite(a)) for a in ws):
        raise ValueError("weights contain NaN or infinite values")
    return int(d), int(h), int(k)


def _check_standardisation(mean: Any, std: Any, d: int) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(mean, np.float64).reshape(-1)
    s = np.asarray(std, np.float64).reshape(-1)
    if m.shape != (d,) or s.shape != (d,):
        raise ValueError(f"mean and std must have {d} entries, got {m.shape} and {s.shape}")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(s)) and np.all(s > 0)):
        raise ValueError("mean must be finite and std finite and > 0")
    return m, s


def _graph_layers(
    weights: Sequence[np.ndarray], mean: np.ndarray, std: np.ndarray, fold: bool
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The affine layers the graph evaluates, in float64: [(W, b), ...] with ReLU between.

    For K = 2 the last layer is reduced to the logit difference (one output column):
    softmax([l0, l1])[1] = sigmoid(l1 - l0) exactly, and it halves the last layer's
    parameters. With `fold`, the standardisation (x - mean) / std is folded into the first
    layer: W' = W / std (per row), b' = b - (mean / std) @ W — the same function of the raw
    features, with 2d fewer hashed parameters (each costs ~41 circuit rows)."""
    ws = [np.asarray(a, np.float64) for a in weights]
    layers = [(ws[i], ws[i + 1]) for i in range(0, len(ws), 2)]
    w_last, b_last = layers[-1]
    if w_last.shape[1] == 2:
        layers[-1] = (w_last[:, 1:2] - w_last[:, 0:1], b_last[1:2] - b_last[0:1])
    if fold:
        w0, b0 = layers[0]
        layers[0] = (w0 / std[:, None], b0 - (mean / std) @ w0)
    return layers


def export_onnx(
    weights: Sequence[np.ndarray],
    mean: Sequence[float] | np.ndarray,
    std: Sequence[float] | np.ndarray,
    path: str | Path,
    *,
    fold_standardisation: bool = True,
) -> Path:
    """Write the model as an ONNX graph (IR 8, opset 13) from raw features [1, d] to logits.

    `weights` is [W (d,K), b (K)] (logistic regression) or [W1 (d,h), b1 (h), W2 (h,K),
    b2 (K)] (one-hidden-layer ReLU MLP); `mean`/`std` standardise the raw features inside
    the graph. Output `logits` has shape [1, 1] for K = 2 (z = l1 - l0, P(class 1) =
    sigmoid(z)) and [1, K] otherwise (softmax). With `fold_standardisation=False` the graph
    keeps explicit Sub/Mul nodes (2d more hashed parameters; more precise only when |mean|
    is many times std). The graph's metadata records K and the layout."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    d, h, k = _check_weights(weights)
    m, s = _check_standardisation(mean, std, d)
    layers = _graph_layers(weights, m, s, fold_standardisation)
    inits: list[Any] = []
    nodes: list[Any] = []
    cur = "features"
    if not fold_standardisation:
        inits += [numpy_helper.from_array(m.astype(np.float32), "mean"),
                  numpy_helper.from_array((1.0 / s).astype(np.float32), "inv_std")]
        nodes += [helper.make_node("Sub", [cur, "mean"], ["centred"]),
                  helper.make_node("Mul", ["centred", "inv_std"], ["standardised"])]
        cur = "standardised"
    for i, (w, b) in enumerate(layers):
        last = i == len(layers) - 1
        out = "logits" if last else f"pre{i}"
        inits += [numpy_helper.from_array(w.astype(np.float32), f"W{i}"),
                  numpy_helper.from_array(b.astype(np.float32), f"b{i}")]
        nodes.append(helper.make_node("Gemm", [cur, f"W{i}", f"b{i}"], [out]))
        cur = out
        if not last:
            nodes.append(helper.make_node("Relu", [cur], [f"act{i}"]))
            cur = f"act{i}"
    n_out = layers[-1][0].shape[1]
    graph = helper.make_graph(
        nodes, "hayek_model",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, d])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, n_out])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
                              producer_name="hayek")
    model.ir_version = ONNX_IR_VERSION
    meta = {"format": GRAPH_FORMAT, "n_features": str(d), "n_classes": str(k),
            "hidden": str(h), "standardisation": "folded" if fold_standardisation else "explicit",
            "output": "binary_logit" if k == 2 else "logits"}
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, model.SerializeToString())
    return path


def probabilities_from_logits(logits: Sequence[float], n_classes: int) -> tuple[float, ...]:
    """The public map from the proven output to class probabilities: for K = 2 the single
    logit z gives (1 - sigmoid(z), sigmoid(z)); otherwise softmax(logits)."""
    z = np.asarray(logits, np.float64).reshape(-1)
    if n_classes == 2:
        if z.shape != (1,):
            raise ValueError(f"binary model proves one logit, got {z.shape[0]}")
        p1 = float(0.5 * (1.0 + math.tanh(0.5 * z[0])))  # sigmoid without overflow
        return (1.0 - p1, p1)
    if z.shape != (n_classes,):
        raise ValueError(f"expected {n_classes} logits, got {z.shape[0]}")
    e = np.exp(z - z.max())
    return tuple(float(v) for v in e / e.sum())


def reference_proba(
    weights: Sequence[np.ndarray], mean: Any, std: Any, X: np.ndarray
) -> np.ndarray:
    """The float model the circuit approximates: softmax of the MLP / logistic regression on
    standardised features, shape (n, K) — the training app's `predict_proba` on (X-mean)/std."""
    d, h, k = _check_weights(weights)
    m, s = _check_standardisation(mean, std, d)
    z = (np.asarray(X, np.float64).reshape(-1, d) - m) / s
    ws = [np.asarray(a, np.float64) for a in weights]
    if h:
        z = np.maximum(z @ ws[0] + ws[1], 0.0) @ ws[2] + ws[3]
    else:
        z = z @ ws[0] + ws[1]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _onnx_info(onnx_path: Path) -> tuple[Any, dict[str, str]]:
    import onnx

    model = onnx.load(str(onnx_path))
    meta = {p.key: p.value for p in model.metadata_props}
    if meta.get("format") != GRAPH_FORMAT:
        raise ZkError(f"{onnx_path} was not written by export_onnx ({GRAPH_FORMAT})")
    return model, meta


def _onnx_forward(model: Any, X: np.ndarray) -> tuple[np.ndarray, float]:
    """Evaluate an exported graph in float64 (Gemm, Relu, Sub, Mul — all export_onnx writes);
    return (logits (n, m), the largest magnitude any value takes, input included)."""
    from onnx import numpy_helper

    vals: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i).astype(np.float64)
                                   for i in model.graph.initializer}
    vals["features"] = np.asarray(X, np.float64)
    peak = float(np.abs(vals["features"]).max(initial=0.0))
    for node in model.graph.node:
        a = [vals[n] for n in node.input]
        if node.op_type == "Gemm":
            out = a[0] @ a[1] + a[2]
        elif node.op_type == "Relu":
            out = np.maximum(a[0], 0.0)
        elif node.op_type == "Sub":
            out = a[0] - a[1]
        elif node.op_type == "Mul":
            out = a[0] * a[1]
        else:
            raise ZkError(f"unexpected op {node.op_type} in exported graph")
        vals[node.output[0]] = out
        peak = max(peak, float(np.abs(out).max(initial=0.0)))
    return vals["logits"], peak


def architecture_hash(onnx_path: str | Path) -> str:
    """sha256 of the graph without its parameter values: ops, wiring, attributes, shapes.
    Models that differ only in weights (and mean/std) share it — and their circuit."""
    import onnx
    from onnx import helper

    m = onnx.load(str(onnx_path))
    g = m.graph

    def shape(v: Any) -> list[Any]:
        return [dim.dim_value or dim.dim_param for dim in v.type.tensor_type.shape.dim]

    desc = {
        "ir": m.ir_version, "opset": [(o.domain, o.version) for o in m.opset_import],
        "inputs": [(v.name, shape(v)) for v in g.input],
        "outputs": [(v.name, shape(v)) for v in g.output],
        "nodes": [(n.op_type, list(n.input), list(n.output),
                   sorted((a.name, repr(helper.get_attribute_value(a))) for a in n.attribute))
                  for n in g.node],
        "params": [(i.name, list(i.dims), i.data_type) for i in g.initializer],
    }
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()


def count_hashed_params(onnx_path: str | Path) -> int:
    """Number of parameters the circuit hashes (every initializer element)."""
    import onnx

    model = onnx.load(str(onnx_path))
    return int(sum(int(np.prod(i.dims)) for i in model.graph.initializer))


# --------------------------------------------------------------------------------------
# Settings and compilation
# --------------------------------------------------------------------------------------


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
            raise ValueError("resolve logrows and decomp_legs first (compile_model does)")
        ra = _ezkl().PyRunArgs()
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
    _atomic_write(path, json.dumps(s, sort_keys=True, separators=(",", ":")).encode())


def _input_json(x: np.ndarray) -> str:
    return json.dumps({"input_data": [[float(v) for v in np.asarray(x, np.float64).reshape(-1)]]})


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
    ez = _ezkl()
    onnx_path = Path(onnx_path)
    workdir = Path(workdir)
    settings = settings or ZkSettings()
    model, meta = _onnx_info(onnx_path)
    d, k = int(meta["n_features"]), int(meta["n_classes"])
    X = np.asarray(calibration_data, np.float64).reshape(-1, d)
    if len(X) == 0 or not np.all(np.isfinite(X)):
        raise ValueError("calibration data must be a non-empty finite (n, d) array")
    float_logits, peak = _onnx_forward(model, X)
    if settings.decomp_legs is None:
        # at least DEFAULT_DECOMP_LEGS, so that models of one architecture on one data set
        # get the same settings — and so the same circuit and verifying key — whatever
        # their weights; more only when the data (or a model's activations) need it
        scale = max(settings.input_scale, settings.param_scale)
        legs = max(DEFAULT_DECOMP_LEGS, _legs_for(peak, scale, settings.decomp_base))
        settings = replace(settings, decomp_legs=legs)
    onnx_sha = _sha256_file(onnx_path)
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
            out = _witness_outputs(ez, tmp, x, s)
            p_zk = probabilities_from_logits(out, k)
            p_fl = probabilities_from_logits(float_logits[i], k)
            worst = max(worst, max(abs(a - b) for a, b in zip(p_zk, p_fl)))
        circuit_id = hashlib.sha256(
            f"{architecture_hash(onnx_path)}|{_sha256_file(tmp / 'settings.json')}".encode()
        ).hexdigest()[:24]
        info = {
            "key": key, "circuit_id": circuit_id, "onnx_sha256": onnx_sha,
            "settings": asdict(resolved),
            "n_features": d, "n_classes": k, "n_outputs": int(s["model_instance_shapes"][-1][-1]),
            "input_scale": int(s["model_input_scales"][0]),
            "output_scale": int(s["model_output_scales"][0]), "num_rows": int(s["num_rows"]),
            "hashed_params": count_hashed_params(onnx_path),
            "calibration_max_error": worst, "calibration_rows": len(rows),
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
        _call("gen_settings", ez.gen_settings, str(onnx_p), str(settings_p),
              py_run_args=s.run_args())
        _canonical_settings(settings_p)
        _call("compile_circuit", ez.compile_circuit, str(onnx_p), str(compiled_p), str(settings_p))
        return json.loads(settings_p.read_text())

    if settings.logrows is not None:
        build(settings)
        _mock(ez, tmp, rows[0])
        return settings
    probe = build(replace(settings, logrows=MAX_AUTO_LOGROWS))
    need = int(probe["num_rows"]) + _BLINDING_RESERVE
    lr = max(settings.decomp_base.bit_length(), math.ceil(math.log2(need)))
    while lr <= MAX_AUTO_LOGROWS:
        s = replace(settings, logrows=lr)
        build(s)
        try:
            _mock(ez, tmp, rows[0])
            return s
        except ZkError:
            lr += 1
    raise ZkError(f"circuit needs more than 2^{MAX_AUTO_LOGROWS} rows")


def _witness(ez: Any, cdir: Path, x: np.ndarray, out_dir: Path) -> dict[str, Any]:
    inp, wit = out_dir / "input.json", out_dir / "witness.json"
    inp.write_text(_input_json(x))
    _call("gen_witness", ez.gen_witness, str(inp), str(cdir / "network.ezkl"), str(wit))
    return json.loads(wit.read_text())


def _mock(ez: Any, cdir: Path, x: np.ndarray) -> None:
    _witness(ez, cdir, x, cdir)
    if not _call("mock", ez.mock, str(cdir / "witness.json"), str(cdir / "network.ezkl")):
        raise ZkError("mock prover rejected the witness")


def _witness_outputs(ez: Any, cdir: Path, x: np.ndarray, s: dict[str, Any]) -> list[float]:
    w = _witness(ez, cdir, x, cdir)
    scale = int(s["model_output_scales"][0])
    return [dequantize(felt_from_le_hex(v), scale) for v in w["outputs"][0]]


def _load_compiled(meta_path: Path) -> CompiledModel:
    info = json.loads(meta_path.read_text())
    cdir = meta_path.parent
    return CompiledModel(
        key=info["key"], circuit_id=info["circuit_id"], onnx_path=cdir / "model.onnx",
        compiled_path=cdir / "network.ezkl",
        settings_path=cdir / "settings.json", settings=ZkSettings(**info["settings"]),
        n_features=info["n_features"], n_classes=info["n_classes"], n_outputs=info["n_outputs"],
        input_scale=info["input_scale"], output_scale=info["output_scale"],
        num_rows=info["num_rows"], hashed_params=info["hashed_params"],
        calibration_max_error=info["calibration_max_error"],
        calibration_rows=info["calibration_rows"],
    )


def witness_proba(compiled: CompiledModel, input_vector: Sequence[float]) -> tuple[float, ...]:
    """The class probabilities a proof of this input would carry, from EZKL's witness alone
    (no keys, no proof; ~0.05 s): for error measurements and dry runs."""
    ez = _ezkl()
    s = json.loads(compiled.settings_path.read_text())
    with tempfile.TemporaryDirectory() as t:
        td = Path(t)
        inp, wit = td / "input.json", td / "witness.json"
        inp.write_text(_input_json(np.asarray(input_vector, np.float64)))
        _call("gen_witness", ez.gen_witness, str(inp), str(compiled.compiled_path), str(wit))
        w = json.loads(wit.read_text())
    scale = int(s["model_output_scales"][0])
    logits = [dequantize(felt_from_le_hex(v), scale) for v in w["outputs"][0]]
    return probabilities_from_logits(logits, compiled.n_classes)


def mock_input(compiled: CompiledModel, input_vector: Sequence[float]) -> bool:
    """Run EZKL's mock prover on one input (no keys; cheap): whether a proof of it would
    verify — False too when the input lies outside the range the circuit was sized for."""
    ez = _ezkl()
    with tempfile.TemporaryDirectory() as t:
        td = Path(t)
        inp, wit = td / "input.json", td / "witness.json"
        inp.write_text(_input_json(np.asarray(input_vector, np.float64)))
        try:
            _call("gen_witness", ez.gen_witness, str(inp), str(compiled.compiled_path), str(wit))
            return bool(_call("mock", ez.mock, str(wit), str(compiled.compiled_path)))
        except ZkError:
            return False


# --------------------------------------------------------------------------------------
# SRS
# --------------------------------------------------------------------------------------


def srs_logrows(path: str | Path) -> int:
    """The logrows (k) of a halo2 KZG SRS file: its first 4 bytes, little-endian u32."""
    p = Path(path)
    if not p.is_file():
        raise SrsError(str(p), "no such file")
    with open(p, "rb") as f:
        head = f.read(4)
    if len(head) != 4:
        raise SrsError(str(p), "file too short")
    k = int.from_bytes(head, "little")
    if not 1 <= k <= 28:
        raise SrsError(str(p), f"header says k = {k}; not an SRS file")
    # k G1 powers (64 bytes each) and two G2 points at least; EZKL's files also carry the
    # Lagrange basis (another 2^k G1 points)
    if p.stat().st_size < 4 + 64 * (1 << k) + 256:
        raise SrsError(str(p), f"file too small for k = {k}")
    return k


def devnet_srs(logrows: int, dir: str | Path) -> Path:
    """A locally generated KZG SRS for `logrows` (cached as dir/devnet-k{logrows}.srs).

    INSECURE: whoever ran gen_srs knows the toxic waste and could forge proofs. Fine for the
    devnet and tests; a real deployment uses `ceremony_srs`. Each generation is random, so
    keep the file: keys only work with the SRS they were made with."""
    d = Path(dir)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"devnet-k{logrows}.srs"
    if not path.exists():
        tmp = d / f".devnet-k{logrows}.{os.getpid()}.tmp"
        _call("gen_srs", _ezkl().gen_srs, str(tmp), logrows)
        tmp.replace(path)
    return path


def ceremony_srs(path: str | Path, logrows: int) -> Path:
    """The public KZG ceremony SRS (perpetual powers of tau, as EZKL distributes it:
    `kzg{k}.srs`) from a file downloaded beforehand — this machine cannot fetch it. Checks
    that the file's k is at least the circuit's logrows (EZKL downsizes a larger SRS)."""
    k = srs_logrows(path)
    if k < logrows:
        raise SrsError(str(path), f"k = {k} but the circuit needs logrows {logrows}")
    return Path(path)


# --------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    vk_path: Path
    pk_path: Path
    circuit_id: str  # the CompiledModel.circuit_id the keys were made for

    def vk_bytes(self) -> bytes:
        return self.vk_path.read_bytes()


def setup_keys(compiled: CompiledModel, srs_path: str | Path, workdir: str | Path) -> KeyPair:
    """Verifying and proving keys for a compiled circuit and an SRS, cached under
    workdir/keys/ by (circuit id, SRS sha256). The circuit id covers the architecture and the
    settings, not the weights: with hashed parameters a retrained model of the same
    architecture has the same circuit, so it reuses the keys (no setup, and the same vk)."""
    ez = _ezkl()
    srs_path = Path(srs_path)
    if srs_logrows(srs_path) < compiled.logrows:
        raise SrsError(str(srs_path), f"smaller than the circuit's logrows {compiled.logrows}")
    srs_sha = _sha256_file(srs_path)
    key = hashlib.sha256(f"{compiled.circuit_id}|{srs_sha}".encode()).hexdigest()[:24]
    kdir = Path(workdir) / "keys" / key
    pair = KeyPair(kdir / "model.vk", kdir / "model.pk", compiled.circuit_id)
    if pair.vk_path.exists() and pair.pk_path.exists():
        return pair
    kdir.mkdir(parents=True, exist_ok=True)
    tvk, tpk = kdir / f".vk.{os.getpid()}.tmp", kdir / f".pk.{os.getpid()}.tmp"
    _call("setup", ez.setup, str(compiled.compiled_path), str(tvk), str(tpk),
          srs_path=str(srs_path), disable_selector_compression=False)
    tpk.replace(pair.pk_path)
    tvk.replace(pair.vk_path)
    return pair


# --------------------------------------------------------------------------------------
# Model hash
# --------------------------------------------------------------------------------------


def poseidon_params_hash(
    compiled: CompiledModel, sample_input: Sequence[float] | None = None
) -> int:
    """The Poseidon hash of the circuit's quantized parameters, as an int in [0, P).

    Runs `gen_witness` without keys (~0.1 s) and reads
    `witness["processed_params"]["poseidon_hash"][0]`, which EZKL writes as little-endian
    hex: int.from_bytes(bytes.fromhex(h), "little"). It does not depend on the input."""
    ez = _ezkl()
    x = np.zeros(compiled.n_features) if sample_input is None else np.asarray(sample_input)
    with tempfile.TemporaryDirectory() as t:
        td = Path(t)
        (td / "input.json").write_text(_input_json(x))
        w = _call("gen_witness", ez.gen_witness, str(td / "input.json"),
                  str(compiled.compiled_path), str(td / "witness.json"))
    return felt_from_le_hex(w["processed_params"]["poseidon_hash"][0])


def poseidon_bytes32(poseidon: int) -> bytes:
    """The Poseidon instance as bytes32: the field element big-endian (= uint256 on chain)."""
    if not 0 <= poseidon < FIELD_MODULUS:
        raise ValueError("not a field element")
    return poseidon.to_bytes(32, "big")


def model_hash(vk_bytes: bytes, settings_bytes: bytes, poseidon_hash_int: int) -> bytes:
    """keccak256(abi.encode(bytes32 vkHash, bytes32 settingsHash, bytes32 poseidonParamsHash))
    with vkHash = keccak256(vk file), settingsHash = keccak256(settings file) and the
    Poseidon hash written big-endian (its uint256 value). Binds circuit and quantized weights."""
    from eth_abi import encode
    from eth_utils import keccak

    return keccak(encode(["bytes32", "bytes32", "bytes32"],
                         [keccak(vk_bytes), keccak(settings_bytes),
                          poseidon_bytes32(poseidon_hash_int)]))


# --------------------------------------------------------------------------------------
# Proving
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProofBundle:
    """What the inference service returns: the class probabilities, EZKL's proof file as
    bytes, and the public instances as ints ([poseidon, inputs..., outputs...])."""

    output: tuple[float, ...]
    proof_json: bytes
    instances: tuple[int, ...]

    @property
    def poseidon(self) -> int:
        return self.instances[0]

    def to_dict(self) -> dict[str, Any]:
        return {"output": list(self.output), "proof": json.loads(self.proof_json),
                "instances": [hex(v) for v in self.instances]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ProofBundle":
        try:
            return cls(tuple(float(v) for v in d["output"]),
                       json.dumps(d["proof"]).encode(),
                       tuple(int(v, 16) for v in d["instances"]))
        except (KeyError, TypeError, ValueError) as e:
            raise ProofRejected(ProofRejected.MALFORMED, f"bad bundle: {e}") from e


def _proof_instances(proof_json: bytes) -> list[int]:
    try:
        p = json.loads(proof_json)
        inst = p["instances"]
        if len(inst) != 1:
            raise ValueError(f"expected one instance column, got {len(inst)}")
        return [felt_from_le_hex(h) for h in inst[0]]
    except (ValueError, KeyError, TypeError) as e:
        raise ProofRejected(ProofRejected.MALFORMED, f"cannot read proof instances: {e}") from e


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
            raise ZkError(f"keys are for circuit {self.keys.circuit_id}, "
                          f"the model compiles to {self.compiled.circuit_id}")
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
    ) -> "ZkProver":
        """export_onnx → compile_model → SRS (devnet unless given) → setup_keys; cached."""
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=workdir) as t:
            onnx_path = export_onnx(weights, mean, std, Path(t) / "model.onnx")
            compiled = compile_model(onnx_path, workdir, calibration_data, settings)
        srs = (ceremony_srs(srs_path, compiled.logrows) if srs_path is not None
               else devnet_srs(compiled.logrows, workdir / "srs"))
        return cls(compiled, setup_keys(compiled, srs, workdir), Path(srs))

    @property
    def poseidon(self) -> int:
        if self._poseidon is None:
            self._poseidon = poseidon_params_hash(self.compiled)
        return self._poseidon

    def model_hash(self) -> bytes:
        return model_hash(self.keys.vk_bytes(), self.compiled.settings_bytes(), self.poseidon)

    def prove(self, input_vector: Sequence[float]) -> ProofBundle:
        """Prove the model's output on one raw feature vector."""
        ez = _ezkl()
        x = np.asarray(input_vector, np.float64).reshape(-1)
        if x.shape != (self.compiled.n_features,):
            raise ProvingFailed(f"expected {self.compiled.n_features} features, got {x.shape[0]}")
        if not np.all(np.isfinite(x)):
            raise ProvingFailed("input contains NaN or infinite values")
        with tempfile.TemporaryDirectory() as t:
            td = Path(t)
            (td / "input.json").write_text(_input_json(x))
            try:
                _call("gen_witness", ez.gen_witness, str(td / "input.json"),
                      str(self.compiled.compiled_path), str(td / "witness.json"))
                _call("prove", ez.prove, str(td / "witness.json"), str(self.compiled.compiled_path),
                      str(self.keys.pk_path), str(td / "proof.json"), str(self.srs_path))
            except ZkError as e:
                raise ProvingFailed(f"{e} (is the input within the calibrated range?)") from e
            proof_json = (td / "proof.json").read_bytes()
        instances = _proof_instances(proof_json)
        out = instances[1 + self.compiled.n_features:]
        logits = [dequantize(v, self.compiled.output_scale) for v in out]
        return ProofBundle(probabilities_from_logits(logits, self.compiled.n_classes),
                           proof_json, tuple(instances))


# --------------------------------------------------------------------------------------
# Verifying
# --------------------------------------------------------------------------------------


def _layout(settings: dict[str, Any]) -> tuple[int, int, int, int]:
    """(n_inputs, n_outputs, input_scale, output_scale) of settings this module produces;
    rejects anything else (other visibilities move or hide instances)."""
    ra = settings["run_args"]
    pv = ra["param_visibility"]
    hashed_public = isinstance(pv, dict) and pv.get("Hashed", {}).get("hash_is_public") is True
    if not (hashed_public and ra["input_visibility"] == "Public"
            and ra["output_visibility"] == "Public"):
        raise ProofRejected(ProofRejected.WRONG_ARTIFACTS,
                            "settings must have hashed public params and public input/output")
    shapes = settings["model_instance_shapes"]
    if len(shapes) != 2:
        raise ProofRejected(ProofRejected.WRONG_ARTIFACTS, f"unexpected instance shapes {shapes}")
    n_in, n_out = int(np.prod(shapes[0])), int(np.prod(shapes[1]))
    in_scale = int(settings["model_input_scales"][0])
    return n_in, n_out, in_scale, int(settings["model_output_scales"][0])


def verify_bundle(
    bundle: ProofBundle,
    vk_path: str | Path,
    settings_path: str | Path,
    srs_path: str | Path,
    expected_model_poseidon: int | bytes,
    sent_input: Sequence[float],
    *,
    expected_model_hash: bytes | None = None,
    output_tolerance: float = 1e-9,
) -> tuple[float, ...]:
    """Check a proof bundle the way every verifier of ours must; return the proven class
    probabilities (read from the instances, never from `bundle.output`).

    1. (optional) vk and settings files, with the Poseidon hash, give `expected_model_hash`;
    2. the first instance is the committed model's Poseidon hash (a proof from another model
       of the same architecture verifies with the same vk and differs only here);
    3. the input instances are the sent input, quantized as EZKL quantizes it;
    4. the proof verifies with the registered vk, settings and SRS;
    5. the claimed output matches the output the instances prove.
    Raises ProofRejected with the failing check's reason."""
    ez = _ezkl()
    settings_path, vk_path = Path(settings_path), Path(vk_path)
    if isinstance(expected_model_poseidon, (bytes, bytearray)):
        expected_model_poseidon = int.from_bytes(expected_model_poseidon, "big")
    if expected_model_hash is not None:
        got_hash = model_hash(vk_path.read_bytes(), settings_path.read_bytes(),
                              expected_model_poseidon)
        if got_hash != expected_model_hash:
            raise ProofRejected(ProofRejected.WRONG_ARTIFACTS,
                                "vk, settings and Poseidon hash do not give the model hash",
                                expected_model_hash.hex(), got_hash.hex())
    n_in, n_out, in_scale, out_scale = _layout(json.loads(settings_path.read_text()))
    instances = _proof_instances(bundle.proof_json)
    if len(instances) != 1 + n_in + n_out:
        raise ProofRejected(ProofRejected.MALFORMED,
                            f"{len(instances)} instances, expected {1 + n_in + n_out}")
    if tuple(instances) != tuple(bundle.instances):
        raise ProofRejected(ProofRejected.MALFORMED, "bundle instances differ from the proof's")
    # 2. the committed model
    if instances[0] != expected_model_poseidon:
        raise ProofRejected(ProofRejected.WRONG_MODEL,
                            "Poseidon instance is not the committed model's parameter hash",
                            hex(expected_model_poseidon), hex(instances[0]))
    # 3. the input that was sent
    x = [float(v) for v in np.asarray(sent_input, np.float64).reshape(-1)]
    if len(x) != n_in:
        raise ProofRejected(ProofRejected.INPUT_MISMATCH,
                            f"sent {len(x)} features, proof has {n_in}")
    want = [signed_to_felt(quantize(v, in_scale)) for v in x]
    got = instances[1:1 + n_in]
    if want != got:
        i = next(j for j in range(n_in) if want[j] != got[j])
        raise ProofRejected(ProofRejected.INPUT_MISMATCH,
                            f"feature {i}: sent {x[i]!r}, "
                            f"proof has {dequantize(got[i], in_scale)!r}",
                            want, got)
    # 4. the proof itself
    with tempfile.TemporaryDirectory() as t:
        pp = Path(t) / "proof.json"
        pp.write_bytes(bundle.proof_json)
        try:
            ok = _call("verify", ez.verify, str(pp), str(settings_path), str(vk_path),
                       str(srs_path), reduced_srs=False)
        except ZkError as e:
            raise ProofRejected(ProofRejected.INVALID_PROOF, str(e)) from e
    if not ok:
        raise ProofRejected(ProofRejected.INVALID_PROOF, "verification returned false")
    # 5. the output
    logits = [dequantize(v, out_scale) for v in instances[1 + n_in:]]
    n_classes = 2 if n_out == 1 else n_out
    proven = probabilities_from_logits(logits, n_classes)
    claimed = tuple(bundle.output)
    if len(claimed) != len(proven) or any(
        not abs(a - b) <= output_tolerance for a, b in zip(claimed, proven)
    ):
        raise ProofRejected(ProofRejected.OUTPUT_MISMATCH,
                            "claimed output is not the proven output", proven, claimed)
    return proven


# --------------------------------------------------------------------------------------
# EVM verifier
# --------------------------------------------------------------------------------------

#: `Halo2VerifierReusable.verifyProof(bytes proof, uint256[] instances, bytes32[] vka)`.
#: It returns (bool success, bytes32 vkaDigest, ...) but its third value is not valid ABI
#: (raw length word, no offset): declare the call as returning (bool, bytes32) only.
EVM_VERIFY_SELECTOR = "0x3409fc9f"
#: `Halo2VerifierReusable.registerVka(bytes32[] vka) returns (bytes32 vkaDigest)`.
EVM_REGISTER_SELECTOR = "0xdc8b4094"


def create_evm_verifier(
    vk_path: str | Path,
    settings_path: str | Path,
    srs_path: str | Path,
    sol_path: str | Path,
    *,
    reusable: bool = True,
) -> Path:
    """Write EZKL's Solidity verifier to `sol_path` (contract `Halo2VerifierReusable` when
    `reusable`, else a standalone `Halo2Verifier` with the vk inlined, ~28 KB of runtime
    code: over the 24 KiB deployment limit). EZKL then tries to download solc to compile it
    and fails offline; the .sol is complete by then and this ignores that failure."""
    sol_path = Path(sol_path)
    sol_path.parent.mkdir(parents=True, exist_ok=True)
    sol_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as t:
        abi = Path(t) / "verifier.abi"
        try:
            _run_async("create_evm_verifier", _ezkl().create_evm_verifier, str(vk_path),
                       str(settings_path), str(sol_path), str(abi), str(srs_path), reusable)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:
            if not (sol_path.exists() and sol_path.stat().st_size > 0):
                raise ZkError(f"ezkl create_evm_verifier failed: {e}") from e
    return sol_path


def create_evm_vka(
    vk_path: str | Path, settings_path: str | Path, srs_path: str | Path, vka_path: str | Path
) -> list[bytes]:
    """Write the model's verifying-key artifact (VKA) for the reusable verifier and return it
    as the bytes32 words `registerVka` / `verifyProof` take. EZKL's file is bincode: a u64
    little-endian word count, then the 32-byte words."""
    vka_path = Path(vka_path)
    vka_path.parent.mkdir(parents=True, exist_ok=True)
    _run_async("create_evm_vka", _ezkl().create_evm_vka, str(vk_path), str(settings_path),
               str(vka_path), str(srs_path))
    return read_vka(vka_path)


def read_vka(vka_path: str | Path) -> list[bytes]:
    raw = Path(vka_path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    if len(raw) != 8 + 32 * n:
        raise ZkError(f"{vka_path}: not a VKA file ({len(raw)} bytes for {n} words)")
    return [raw[8 + 32 * i: 40 + 32 * i] for i in range(n)]


def vka_digest(vka_words: Sequence[bytes]) -> bytes:
    """keccak256 of the packed words: the digest the reusable verifier registers and returns."""
    from eth_utils import keccak

    return keccak(b"".join(vka_words))


def evm_verify_args(bundle: ProofBundle) -> tuple[bytes, list[int]]:
    """(proof bytes, uint256 instances) for `verifyProof(proof, instances, vka)`."""
    p = json.loads(bundle.proof_json)
    hex_proof = p.get("hex_proof")
    proof = bytes.fromhex(hex_proof[2:]) if hex_proof else bytes(p["proof"])
    return proof, list(bundle.instances)


def encode_evm_calldata(bundle: ProofBundle, vka_path: str | Path | None = None) -> bytes:
    """Calldata for the EVM verifier, by EZKL: with `vka_path`, for the reusable verifier's
    `verifyProof(bytes,uint256[],bytes32[])`; without, for the standalone
    `verifyProof(bytes,uint256[])`."""
    with tempfile.TemporaryDirectory() as t:
        pp, cd = Path(t) / "proof.json", Path(t) / "calldata.bin"
        pp.write_bytes(bundle.proof_json)
        out = _call("encode_evm_calldata", _ezkl().encode_evm_calldata, str(pp), str(cd),
                    None if vka_path is None else str(vka_path))
    return bytes(out)
