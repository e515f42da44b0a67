"""Ranking by a proper score of the forecasts: uniform where a model said nothing, clipped,
best first."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.ranking import EPS, ModelScore, item_log_loss, rank, score_round

pytestmark = pytest.mark.unit

A, B = b"\xaa" * 32, b"\xbb" * 32


def test_an_item_without_a_forecast_scores_as_uniform():
    assert item_log_loss(None, 1, 2) == pytest.approx(math.log(2))
    assert item_log_loss(None, 0, 4) == pytest.approx(math.log(4))


def test_probabilities_are_clipped_so_one_wrong_item_costs_at_most_ln_1_over_eps():
    assert item_log_loss([1.0, 0.0], 1, 2) == pytest.approx(-math.log(EPS))
    assert item_log_loss([0.0, 1.0], 1, 2) == pytest.approx(-math.log(1 - EPS))


def test_every_revealed_item_counts_so_forecasting_only_sure_items_does_not_help():
    outcomes = {0: 1, 1: 0, 2: 1, 3: 0}
    selective = {0: [0.01, 0.99]}  # says only what it is sure of
    honest = {i: ([0.2, 0.8] if y else [0.8, 0.2]) for i, y in outcomes.items()}
    (s_sel,) = score_round(1, {A: selective}, outcomes, 2)
    (s_hon,) = score_round(1, {B: honest}, outcomes, 2)
    assert (s_sel.items, s_sel.forecast_items) == (4, 1)
    assert s_sel.log_loss == pytest.approx((-math.log(0.99) + 3 * math.log(2)) / 4)
    assert s_hon.log_loss < s_sel.log_loss
    assert rank([s_sel, s_hon])[0].model_hash == B


def test_rank_prefers_lower_log_loss_then_the_later_round():
    older = ModelScore(A, 1, 10, 10, 0.2)
    newer = ModelScore(B, 2, 10, 10, 0.2)
    worse = ModelScore(b"\xcc" * 32, 3, 10, 10, 0.3)
    unscored = ModelScore(b"\xdd" * 32, 3, 0, 0, 0.0)
    assert [s.model_hash for s in rank([worse, older, unscored, newer])] == [B, A, b"\xcc" * 32]


@given(st.lists(st.integers(0, 1), min_size=1, max_size=20), st.floats(0.51, 0.99))
def test_the_truth_beats_any_shaded_forecast(labels, confidence):
    """Knowing the labels, the sharpest allowed forecast (1 − EPS on the truth) scores
    better than any less confident one."""
    outcomes = dict(enumerate(labels))
    sure = {i: [EPS, 1 - EPS] if y else [1 - EPS, EPS] for i, y in outcomes.items()}
    shaded = {i: [1 - confidence, confidence] if y else [confidence, 1 - confidence] for i, y in outcomes.items()}
    s_sure, s_shaded = score_round(1, {A: sure, B: shaded}, outcomes, 2)
    assert s_sure.log_loss < s_shaded.log_loss
