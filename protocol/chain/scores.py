"""Each model's forecasts and each round's revealed labels, read from the chain, scored by
`protocol.ranking` (a proper score: anyone can recompute it from the chain alone). Forecasts come
from the round's market (protocol.chain.rounds): a pool round's revealed forecasts, an LMSR round's
trade beliefs."""

from __future__ import annotations

from protocol.chain.contracts import Chain, PredictionGame
from protocol.chain.rounds import round_forecasts
from protocol.ranking import ModelScore, score_round

WAD = 10**18


def revealed_outcomes(game: PredictionGame, round: int) -> dict[int, int]:
    """Item → outcome for the round's revealed, not voided items."""
    out: dict[int, int] = {}
    for listing in game.listings(round):
        if listing.revealed and not listing.voided:
            for i in listing.items:
                y = game.outcome_of(round, i)
                if y is not None:
                    out[i] = y
    return out


def model_scores(chain: Chain, last_rounds: int | None = None) -> list[ModelScore]:
    """Every model's score in each settled round (the latest `last_rounds` rounds, or all)."""
    assert chain.deployment is not None
    g = chain.game
    k = g.outcome_count()
    rounds = [r for r in range(1, g.round_count() + 1) if g.phase(r) == "settled"]
    if last_rounds is not None:
        rounds = rounds[-last_rounds:]
    out: list[ModelScore] = []
    for r in rounds:
        forecasts = round_forecasts(chain, r)
        out += score_round(r, forecasts, revealed_outcomes(g, r), k)
    return out
