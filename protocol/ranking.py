"""Rank models by a proper score of what they forecast, never by what they earned (pure).

A model's forecasts are committed before the labels are revealed (today: the beliefs its
trades emit; with sealed rounds: its revealed forecast). Its score for a round is the mean
log loss over *every* revealed item of the round, with an item it made no forecast on scored
as the uniform forecast 1/K, and each probability clipped to [EPS, 1 − EPS] (the sealed
pool's clip): a model cannot improve its score by forecasting only the items it is sure of,
and one confidently wrong item costs at most ln(1/EPS) ≈ 5.3 nats. Profit can be faked by
trading against oneself (two models taking opposite sides); a proper score of the forecasts
cannot: to rank well a model has to predict well.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

EPS = 0.005  # the probability clip, as in the sealed pool (protocol/pool.py)


@dataclass(frozen=True)
class ModelScore:
    """One model's score in one round: mean log loss (nats) over the round's revealed items."""

    model_hash: bytes
    round: int
    items: int  # revealed items scored
    forecast_items: int  # ... of which the model forecast (the rest count as uniform)
    log_loss: float


def item_log_loss(probs: Sequence[float] | None, outcome: int, outcome_count: int) -> float:
    """−ln p(outcome), p clipped to [EPS, 1 − EPS]; the uniform forecast when `probs` is None."""
    p = 1.0 / outcome_count if probs is None else float(probs[outcome])
    return -math.log(min(max(p, EPS), 1.0 - EPS))


def score_round(
    round: int,
    forecasts: Mapping[bytes, Mapping[int, Sequence[float]]],
    outcomes: Mapping[int, int],
    outcome_count: int,
) -> list[ModelScore]:
    """Score every model of `forecasts` (model hash → item → probabilities) against the
    round's revealed `outcomes` (item → outcome; void items are absent)."""
    out = []
    for model_hash, by_item in forecasts.items():
        losses = [item_log_loss(by_item.get(i), y, outcome_count) for i, y in outcomes.items()]
        out.append(
            ModelScore(
                model_hash,
                round,
                len(losses),
                sum(1 for i in outcomes if i in by_item),
                math.fsum(losses) / len(losses) if losses else math.log(outcome_count),
            )
        )
    return out


def rank(scores: Iterable[ModelScore]) -> list[ModelScore]:
    """Best first: lowest log loss; among equals the later round (the fresher model)."""
    return sorted((s for s in scores if s.items > 0), key=lambda s: (s.log_loss, -s.round, s.model_hash))
