"""The model Hayek operators train through Flower: numpy-only softmax regression or a
one-hidden-layer ReLU MLP, with its parameters as a list of numpy arrays.

Shapes (d features, K classes, h hidden units):
- logistic regression: ``[W (d, K), b (K,)]``
- MLP: ``[W1 (d, h), b1 (h,), W2 (h, K), b2 (K,)]``

Binary tasks use K = 2 (a two-way softmax), so every model outputs one probability per
class. Everything is float32 on the wire and float64 while training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from protocol.errors import ConfigError, InputError

MAX_CLASSES = 4
MODELS = ("logreg", "mlp")


class InvalidModel(InputError):
    """A model specification or parameter list the app cannot use."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"model {field}: {reason}")


class InvalidTrainingData(InputError):
    """A training view (or the rows in it) the app cannot train or evaluate on."""

    def __init__(self, reason: str, path: str | None = None):
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


class AppConfigMissing(ConfigError):
    """A run config or node config entry the app needs is missing or empty."""

    def __init__(self, key: str, reason: str):
        self.key = key
        self.reason = reason
        super().__init__(f"{key!r}: {reason}")


def init_params(model: str, n_features: int, n_classes: int = 2, hidden: int = 8, seed: int = 0) -> list[np.ndarray]:
    """Fresh parameters: zeros for logistic regression, He-scaled normals for the MLP."""
    if model not in MODELS:
        raise InvalidModel("kind", f"unknown model {model!r}; expected one of {MODELS}")
    if n_features < 1:
        raise InvalidModel("n_features", f"must be >= 1, got {n_features}")
    if not 2 <= n_classes <= MAX_CLASSES:
        raise InvalidModel("n_classes", f"must be in [2, {MAX_CLASSES}], got {n_classes}")
    if model == "logreg":
        return [
            np.zeros((n_features, n_classes), np.float32),
            np.zeros(n_classes, np.float32),
        ]
    if hidden < 1:
        raise InvalidModel("hidden", f"must be >= 1, got {hidden}")
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((n_features, hidden)) * np.sqrt(2.0 / n_features)).astype(np.float32),
        np.zeros(hidden, np.float32),
        (rng.standard_normal((hidden, n_classes)) * np.sqrt(1.0 / hidden)).astype(np.float32),
        np.zeros(n_classes, np.float32),
    ]


def check_params(params: list[np.ndarray]) -> tuple[int, int]:
    """Validate the parameter list's structure; return (n_features, n_classes)."""
    if len(params) == 2:
        w, b = params
        if w.ndim != 2 or b.shape != (w.shape[1],):
            raise InvalidModel("params", f"bad logistic-regression shapes {[p.shape for p in params]}")
        return int(w.shape[0]), int(w.shape[1])
    if len(params) == 4:
        w1, b1, w2, b2 = params
        ok = (
            w1.ndim == 2
            and b1.shape == (w1.shape[1],)
            and w2.ndim == 2
            and w2.shape[0] == w1.shape[1]
            and b2.shape == (w2.shape[1],)
        )
        if not ok:
            raise InvalidModel("params", f"bad MLP shapes {[p.shape for p in params]}")
        return int(w1.shape[0]), int(w2.shape[1])
    raise InvalidModel("params", f"expected 2 (logreg) or 4 (mlp) parameter arrays, got {len(params)}")


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _forward(params: list[np.ndarray], X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (class probabilities, hidden activations or None)."""
    if len(params) == 2:
        w, b = params
        return _softmax(X @ w + b), None
    w1, b1, w2, b2 = params
    h = np.maximum(X @ w1 + b1, 0.0)
    return _softmax(h @ w2 + b2), h


def predict_proba(params: list[np.ndarray], X: np.ndarray) -> np.ndarray:
    """Class probabilities, shape (n, K)."""
    check_params(params)
    p, _ = _forward([np.asarray(a, np.float64) for a in params], np.asarray(X, np.float64))
    return p


def _gradients(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, l2: float) -> list[np.ndarray]:
    """Gradient of mean cross-entropy + (l2/2)·||weights||² (biases not penalised)."""
    n = X.shape[0]
    p, h = _forward(params, X)
    dz = p
    dz[np.arange(n), y] -= 1.0
    dz /= n
    if h is None:
        w, _ = params
        return [X.T @ dz + l2 * w, dz.sum(axis=0)]
    w1, _, w2, _ = params
    gw2 = h.T @ dz + l2 * w2
    gb2 = dz.sum(axis=0)
    dh = (dz @ w2.T) * (h > 0)
    return [X.T @ dh + l2 * w1, dh.sum(axis=0), gw2, gb2]


def train(
    params: list[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 5,
    learning_rate: float = 0.05,
    batch_size: int = 32,
    optimizer: str = "adam",
    l2: float = 1e-4,
    seed: int = 0,
) -> list[np.ndarray]:
    """Minibatch SGD or Adam from `params` (not modified); return the new parameters."""
    n_features, n_classes = check_params(params)
    X, y = check_data(X, y, n_features, n_classes)
    if optimizer not in ("adam", "sgd"):
        raise InvalidModel("optimizer", f"unknown optimizer {optimizer!r}; expected 'adam' or 'sgd'")
    ps = [np.array(a, np.float64) for a in params]
    Xd = X.astype(np.float64)
    rng = np.random.default_rng(seed)
    m = [np.zeros_like(a) for a in ps]
    v = [np.zeros_like(a) for a in ps]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    step = 0
    bs = max(1, int(batch_size))
    for _ in range(int(epochs)):
        order = rng.permutation(len(y))
        for start in range(0, len(y), bs):
            idx = order[start : start + bs]
            grads = _gradients(ps, Xd[idx], y[idx], l2)
            step += 1
            for i, g in enumerate(grads):
                if optimizer == "sgd":
                    ps[i] -= learning_rate * g
                    continue
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                m_hat = m[i] / (1 - beta1**step)
                v_hat = v[i] / (1 - beta2**step)
                ps[i] -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    return [a.astype(np.float32) for a in ps]


def evaluate(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Return (mean log loss in nats, accuracy)."""
    n_features, n_classes = check_params(params)
    X, y = check_data(X, y, n_features, n_classes)
    p = predict_proba(params, X)
    picked = np.clip(p[np.arange(len(y)), y], 1e-12, 1.0)
    return float(-np.log(picked).mean()), float((p.argmax(axis=1) == y).mean())


def check_data(
    X: np.ndarray, y: np.ndarray, n_features: int | None = None, n_classes: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (X, y) view: X float [n, d] finite, y int [n] in [0, K)."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise InvalidTrainingData(f"expected X [n, d] and y [n] with n > 0, got {X.shape} and {y.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise InvalidTrainingData(f"X has {X.shape[1]} features, the model expects {n_features}")
    if not np.issubdtype(y.dtype, np.integer):
        raise InvalidTrainingData(f"y must be integer labels, got dtype {y.dtype}")
    if not np.all(np.isfinite(X)):
        raise InvalidTrainingData("X contains NaN or infinite values")
    k = MAX_CLASSES if n_classes is None else n_classes
    if y.min() < 0 or y.max() >= k:
        raise InvalidTrainingData(f"labels must lie in [0, {k}), got [{y.min()}, {y.max()}]")
    return X.astype(np.float32, copy=False), y.astype(np.int64, copy=False)


def load_view(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Load a training view / held-out set: an npz with float32 `X` [n, d], int64 `y` [n]."""
    with np.load(Path(path), allow_pickle=False) as f:
        if "X" not in f.files or "y" not in f.files:
            raise InvalidTrainingData(f"expected arrays 'X' and 'y', found {f.files}", str(path))
        return check_data(f["X"], f["y"])


def save_params(path: str | Path, params: list[np.ndarray], scale: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Write parameters as an npz (arrays arr_0, arr_1, ... in order) and, if given, the input
    standardisation (`mean`, `std`) the weights expect; atomically."""
    check_params(params)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    extra = {} if scale is None else {"mean": np.asarray(scale[0], np.float32), "std": np.asarray(scale[1], np.float32)}
    np.savez(tmp, *[np.asarray(a, np.float32) for a in params], **extra)
    tmp.replace(path)


def load_params(path: str | Path) -> list[np.ndarray]:
    """Read parameters written by `save_params`."""
    with np.load(Path(path), allow_pickle=False) as f:
        n = sum(1 for k in f.files if k.startswith("arr_"))
        params = [np.asarray(f[f"arr_{i}"], np.float32) for i in range(n)]
    check_params(params)
    return params


def load_scale(path: str | Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The input standardisation saved with the weights, if any."""
    with np.load(Path(path), allow_pickle=False) as f:
        if "mean" in f.files and "std" in f.files:
            return np.asarray(f["mean"], np.float32), np.asarray(f["std"], np.float32)
    return None


def standardize(X: np.ndarray, scale: tuple[Any, Any] | None) -> np.ndarray:
    """(X - mean) / std with the run's standardisation (identity when there is none)."""
    if scale is None:
        return X
    mean, std = (np.asarray(v, np.float32) for v in scale)
    return ((X - mean) / std).astype(np.float32)


def moments(X: np.ndarray) -> dict[str, Any]:
    """Count, per-feature sum and sum of squares: all a member shares for standardisation."""
    X64 = X.astype(np.float64)
    return {"n": len(X), "sum": X64.sum(axis=0).tolist(), "sumsq": (X64 * X64).sum(axis=0).tolist()}


def pooled_scale(replies: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the pooled data from the members' moments."""
    n = sum(r["n"] for r in replies)
    if n == 0:
        raise InvalidTrainingData("no rows on any node: cannot standardise")
    s = np.sum([np.asarray(r["sum"]) for r in replies], axis=0)
    ss = np.sum([np.asarray(r["sumsq"]) for r in replies], axis=0)
    mean = s / n
    std = np.sqrt(np.maximum(ss / n - mean**2, 0.0))
    return mean.astype(np.float32), np.maximum(std, 1e-6).astype(np.float32)
