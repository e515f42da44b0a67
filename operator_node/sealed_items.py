"""The current round's listed items, which the proved-inference service refuses to answer on until the
round's market closes (the pool's commit deadline; the LMSR's end of trading): otherwise anyone could ask
this operator's model for its forecasts on the very items being traded and commit a copy.

An input is refused when it lies within `tolerance` standard deviations (per feature, of the listed items;
the largest coordinate counts) of a listed item, so rounding or a small nudge does not get around it. A
copier who moves an input further gets the model's answer on a different point: this bounds what the
service gives away, the sealed commits do the rest (docs/MARKET.md)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_TOLERANCE = 0.05  # in standard deviations of the listed items, per feature


@dataclass(frozen=True)
class Sealed:
    round: int
    until: int  # unix time (chain clock) when the market closes
    rows: np.ndarray  # [n, d] listed items' features
    items: tuple[int, ...]  # their item indices
    scale: np.ndarray  # [d] per-feature scale


class SealedItems:
    """Thread-safe: the node's loop updates it, the service's threads check inputs against it."""

    def __init__(self, tolerance: float = DEFAULT_TOLERANCE):
        self.tolerance = tolerance
        self._lock = threading.Lock()
        self._sealed: Sealed | None = None

    def update(self, round: int, until: int, items: Sequence[int], rows: Sequence[Sequence[float]]) -> None:
        """The round's listed items (as the node read them) stay sealed until `until`."""
        if len(rows) == 0:
            self.clear()
            return
        x = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
        spread = x.std(axis=0) if len(x) > 1 else np.zeros(x.shape[1])
        floor = 1e-6 * (1.0 + np.abs(x).mean(axis=0))  # a constant feature: match it (almost) exactly
        with self._lock:
            self._sealed = Sealed(round, until, x, tuple(items), np.maximum(spread, floor))

    def clear(self) -> None:
        with self._lock:
            self._sealed = None

    @property
    def current(self) -> Sealed | None:
        with self._lock:
            return self._sealed

    def check(self, features: Sequence[float]) -> str | None:
        """Why `features` may not be answered now (None: it may)."""
        s = self.current
        if s is None or len(features) != s.rows.shape[1]:
            return None
        x = np.asarray(features, dtype=np.float64)
        dist = (np.abs(s.rows - x) / s.scale).max(axis=1)
        j = int(np.argmin(dist))
        if dist[j] > self.tolerance:
            return None
        return (
            f"this input is item {s.items[j]} of round {s.round} (within {self.tolerance} sd), listed for the "
            f"round's market: ask again once its commits close (unix time {s.until})"
        )
