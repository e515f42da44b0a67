"""The inference service's sealed items: the current round's listed inputs are refused until the market closes."""

from __future__ import annotations

import numpy as np
import pytest

from operator_node.sealed_items import SealedItems

pytestmark = pytest.mark.unit


def listed(n: int = 20, d: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)) * np.arange(1, d + 1)


def test_a_listed_item_is_refused_with_its_round_item_and_deadline() -> None:
    x = listed()
    s = SealedItems()
    s.update(3, 1_700_000_000, range(40, 60), x.tolist())
    why = s.check(x[7].tolist())
    assert why is not None and "item 47 of round 3" in why and "1700000000" in why


def test_a_nudge_within_the_tolerance_is_refused_too_and_a_far_input_is_answered() -> None:
    x = listed()
    s = SealedItems(tolerance=0.05)
    s.update(1, 10, range(len(x)), x.tolist())
    scale = x.std(axis=0)
    assert s.check((x[3] + 0.04 * scale).tolist()) is not None  # rounding or a small nudge
    assert s.check((x[3] + 0.5 * scale).tolist()) is None  # a different point
    assert s.check([1e6] * x.shape[1]) is None


def test_nothing_is_sealed_after_clear_or_for_another_shape() -> None:
    x = listed()
    s = SealedItems()
    s.update(1, 10, range(len(x)), x.tolist())
    assert s.check(x[0, :3].tolist()) is None  # not this game's input shape: the service rejects it anyway
    s.clear()
    assert s.check(x[0].tolist()) is None
    s.update(2, 10, [], [])
    assert s.current is None


def test_a_single_listed_item_with_constant_features_still_matches_only_itself() -> None:
    s = SealedItems()
    s.update(1, 10, [5], [[1.0, 2.0, 3.0]])
    assert s.check([1.0, 2.0, 3.0]) is not None
    assert s.check([1.0, 2.0, 3.1]) is None
