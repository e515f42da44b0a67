"""The model as an ONNX graph: export from weights, the float reference it approximates, and
what a graph's circuit depends on (its architecture hash, its hashed-parameter count).

**What the circuit proves.** The graph maps raw features to *logits* (for K = 2 the single
logit difference z = l1 - l0); the class probabilities are a fixed public function of the
proven logits (sigmoid for K = 2, softmax otherwise) that every verifier applies itself
(`protocol.proofs.probabilities_from_logits`). Proving the sigmoid/softmax inside the circuit
needs a lookup table over the logit range at the circuit's scale: at the scale real features
need (2^14, because raw features span 1e-3 .. 1e3) that table has 2^18 rows and proving takes
~30 s instead of ~1 s. Leaving the squashing function outside changes no trust assumption (it
is deterministic and public) and its error is bounded: |Δp| ≤ |Δz| / 4.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from operator_node.zk.files import atomic_write
from protocol.proofs import ZkError

#: ONNX IR version EZKL 23 (tract) accepts; torch's default IR 10 is rejected.
ONNX_IR_VERSION = 8
#: ONNX opset of the exported graph (Gemm, Relu, Sub, Mul exist unchanged since opset 13).
ONNX_OPSET = 13
#: Exported graph format; bump when the graph layout changes.
GRAPH_FORMAT = "hayek-zk-graph/1"


class InvalidModelWeights(ZkError):
    """Weights or a standardisation the ONNX export cannot turn into a circuit."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"cannot export the model: {reason}")


def _check_weights(weights: Sequence[np.ndarray]) -> tuple[int, int, int]:
    """Return (d, hidden or 0, K) for [W (d,K), b (K)] or [W1 (d,h), b1 (h), W2 (h,K), b2 (K)]."""
    ws = [np.asarray(w) for w in weights]
    if len(ws) == 2:
        w, b = ws
        if w.ndim != 2 or b.shape != (w.shape[1],):
            raise InvalidModelWeights(f"bad logistic-regression shapes {[a.shape for a in ws]}")
        d, h, k = w.shape[0], 0, w.shape[1]
    elif len(ws) == 4:
        w1, b1, w2, b2 = ws
        ok = (
            w1.ndim == 2
            and b1.shape == (w1.shape[1],)
            and w2.ndim == 2
            and w2.shape[0] == w1.shape[1]
            and b2.shape == (w2.shape[1],)
        )
        if not ok:
            raise InvalidModelWeights(f"bad MLP shapes {[a.shape for a in ws]}")
        d, h, k = w1.shape[0], w1.shape[1], w2.shape[1]
    else:
        raise InvalidModelWeights(f"expected 2 (logreg) or 4 (mlp) weight arrays, got {len(ws)}")
    if k < 2:
        raise InvalidModelWeights(f"need at least 2 classes, got {k}")
    if not all(np.all(np.isfinite(a)) for a in ws):
        raise InvalidModelWeights("weights contain NaN or infinite values")
    return int(d), int(h), int(k)


def _check_standardisation(mean: Any, std: Any, d: int) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(mean, np.float64).reshape(-1)
    s = np.asarray(std, np.float64).reshape(-1)
    if m.shape != (d,) or s.shape != (d,):
        raise InvalidModelWeights(f"mean and std must have {d} entries, got {m.shape} and {s.shape}")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(s)) and np.all(s > 0)):
        raise InvalidModelWeights("mean must be finite and std finite and > 0")
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
        inits += [
            numpy_helper.from_array(m.astype(np.float32), "mean"),
            numpy_helper.from_array((1.0 / s).astype(np.float32), "inv_std"),
        ]
        nodes += [
            helper.make_node("Sub", [cur, "mean"], ["centred"]),
            helper.make_node("Mul", ["centred", "inv_std"], ["standardised"]),
        ]
        cur = "standardised"
    for i, (w, b) in enumerate(layers):
        last = i == len(layers) - 1
        out = "logits" if last else f"pre{i}"
        inits += [
            numpy_helper.from_array(w.astype(np.float32), f"W{i}"),
            numpy_helper.from_array(b.astype(np.float32), f"b{i}"),
        ]
        nodes.append(helper.make_node("Gemm", [cur, f"W{i}", f"b{i}"], [out]))
        cur = out
        if not last:
            nodes.append(helper.make_node("Relu", [cur], [f"act{i}"]))
            cur = f"act{i}"
    n_out = layers[-1][0].shape[1]
    graph = helper.make_graph(
        nodes,
        "hayek_model",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, d])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, n_out])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)], producer_name="hayek")
    model.ir_version = ONNX_IR_VERSION
    meta = {
        "format": GRAPH_FORMAT,
        "n_features": str(d),
        "n_classes": str(k),
        "hidden": str(h),
        "standardisation": "folded" if fold_standardisation else "explicit",
        "output": "binary_logit" if k == 2 else "logits",
    }
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, model.SerializeToString())
    return path


def reference_proba(weights: Sequence[np.ndarray], mean: Any, std: Any, X: np.ndarray) -> np.ndarray:
    """The float model the circuit approximates: softmax of the MLP / logistic regression on
    standardised features, shape (n, K) — the training app's `predict_proba` on (X-mean)/std."""
    d, h, _k = _check_weights(weights)
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


def onnx_info(onnx_path: Path) -> tuple[Any, dict[str, str]]:
    """An exported graph and its metadata; ZkError when export_onnx did not write it."""
    import onnx

    model = onnx.load(str(onnx_path))
    meta = {p.key: p.value for p in model.metadata_props}
    if meta.get("format") != GRAPH_FORMAT:
        raise ZkError(f"{onnx_path} was not written by export_onnx ({GRAPH_FORMAT})")
    return model, meta


def onnx_forward(model: Any, X: np.ndarray) -> tuple[np.ndarray, float]:
    """Evaluate an exported graph in float64 (Gemm, Relu, Sub, Mul — all export_onnx writes);
    return (logits (n, m), the largest magnitude any value takes, input included)."""
    from onnx import numpy_helper

    vals: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}
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
        "ir": m.ir_version,
        "opset": [(o.domain, o.version) for o in m.opset_import],
        "inputs": [(v.name, shape(v)) for v in g.input],
        "outputs": [(v.name, shape(v)) for v in g.output],
        "nodes": [
            (
                n.op_type,
                list(n.input),
                list(n.output),
                sorted((a.name, repr(helper.get_attribute_value(a))) for a in n.attribute),
            )
            for n in g.node
        ],
        "params": [(i.name, list(i.dims), i.data_type) for i in g.initializer],
    }
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()


def count_hashed_params(onnx_path: str | Path) -> int:
    """Number of parameters the circuit hashes (every initializer element)."""
    import onnx

    model = onnx.load(str(onnx_path))
    return int(sum(int(np.prod(i.dims)) for i in model.graph.initializer))
