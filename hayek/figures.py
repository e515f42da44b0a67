"""A round's figures as the chain recorded them, the same for either market (pool or LMSR): what each model
forecast (pool: its revealed forecasts; LMSR: its trades' beliefs), scored on the revealed labels by the
ranking's proper score, what it staked and got back; the market's forecast, the plain average of the models
and the Hedge aggregate across rounds; how well profit per stake ranks the models and what the first mover
took. Used by `hayek demo`'s summary and by the market benchmark (scripts/bench_market.py)."""

from __future__ import annotations

import math
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

from protocol import lmsr
from protocol.chain import Chain
from protocol.chain.rounds import ModelResult, market_of, model_results, round_forecasts
from protocol.chain.scores import revealed_outcomes
from protocol.chain.sealed import SealedPool
from protocol.market import replay
from protocol.orders import Order
from protocol.ranking import item_log_loss, score_round

WAD = 10**18
HEDGE_ETA = 0.2  # the Hedge aggregate's temperature (the pool's eta and the simulation's)

Forecasts = dict[bytes, dict[int, list[float]]]


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None for fewer than 2 values or a constant side."""
    if len(a) < 2 or len(set(a)) < 2 or len(set(b)) < 2:
        return None
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def market_forecast(
    chain: Chain,
    r: int,
    forecasts: Forecasts,
    results: Sequence[ModelResult],
    on_fill: Callable[[Order, Sequence[int]], None] | None = None,
) -> dict[int, list[float]]:
    """The market's forecast per item before the labels: the LMSR's final prices, or the pool's stake-weighted
    average of the revealed forecasts (the stakes carry the wealth won in earlier rounds)."""
    g = chain.game
    info = g.round_info(r)
    k = g.outcome_count()
    if market_of(chain.deployment) == "lmsr":
        b = info.liquidity_wad
        view = replay(g.traded(r, from_block=info.open_block), b, k, on_fill=on_fill)
        return {i: list(lmsr.prices(view.quantities_of(i, k), b)) for i in range(info.item_count)}
    stakes = {m.model_hash: m.stake_wad / WAD for m in results if m.model_hash in forecasts}
    total = sum(stakes.values())
    if not total:
        return {}
    return {
        i: [sum(s * forecasts[h][i][j] for h, s in stakes.items()) / total for j in range(k)]
        for i in range(info.item_count)
    }


def subsidy_spent(chain: Chain, r: int) -> float:
    """What the round cost the community: its subsidy minus what came back to the treasury (LMSR or pool)."""
    if market_of(chain.deployment) == "lmsr":
        info = chain.game.round_info(r)
        return (info.subsidy_wad - info.treasury_return_wad) / WAD
    st = SealedPool.of(chain).round_state(r)
    return (st.subsidy_wad - st.refund_wad) / WAD


def round_figures(
    chain: Chain,
    r: int,
    traders: Sequence[str],
    hedge_ll: MutableMapping[int, float],
    on_fill: Callable[[Order, Sequence[int]], None] | None = None,
) -> dict[str, Any]:
    """The round's figures (JSON-ready). `traders` names the operators (their index is the `operator` field);
    `hedge_ll` (operator -> cumulative log-likelihood of its models so far) is read for the Hedge aggregate
    and then updated with this round's scores: pass the same mapping round after round."""
    g = chain.game
    info = g.round_info(r)
    k = g.outcome_count()
    market = market_of(chain.deployment)
    revealed = revealed_outcomes(g, r)
    forecasts = round_forecasts(chain, r, info.open_block)
    results = model_results(chain, r, info.open_block)
    scores = {s.model_hash: s for s in score_round(r, forecasts, revealed, k)}
    owner = {m.model_hash: list(traders).index(m.operator) for m in results}
    models = [
        {
            "model_hash": "0x" + m.model_hash.hex(),
            "operator": owner[m.model_hash],
            "log_loss": scores[m.model_hash].log_loss if m.model_hash in scores else None,
            "stake": m.stake_wad / WAD,
            "payout": m.payout_wad / WAD,
            "profit": m.profit_wad / WAD,
            "order": m.order,
        }
        for m in results
    ]
    n = max(len(revealed), 1)
    uniform = [1.0 / k] * k

    def mean_loss(forecast: Callable[[int], list[float] | None]) -> float:
        return sum(item_log_loss(forecast(i), y, k) for i, y in revealed.items()) / n

    def mix(weights: dict[bytes, float]) -> Callable[[int], list[float]]:
        total = sum(weights.values())
        return lambda i: [
            sum(w * forecasts[h].get(i, uniform)[j] for h, w in weights.items()) / total for j in range(k)
        ]

    mkt = market_forecast(chain, r, forecasts, results, on_fill)
    avg = hedge = None
    if forecasts:
        avg = mean_loss(mix(dict.fromkeys(forecasts, 1.0)))
        ours = [h for h in forecasts if h in owner]
        if ours:
            top = max(hedge_ll.get(owner[h], 0.0) for h in ours)
            hedge = mean_loss(mix({h: math.exp(HEDGE_ETA * (hedge_ll.get(owner[h], 0.0) - top)) for h in ours}))
        for h, sc in scores.items():
            if h in owner:
                hedge_ll[owner[h]] = hedge_ll.get(owner[h], 0.0) - sc.log_loss * sc.items
    scored = [m for m in models if m["log_loss"] is not None and m["stake"] > 0]
    total_profit = sum(m["profit"] for m in models)
    first = [m for m in models if m["order"] == 0]
    return {
        "round": r,
        "market": market,
        "items": info.item_count,
        "revealed_items": len(revealed),
        "market_log_loss": mean_loss(lambda i: mkt.get(i)),
        "average_model_log_loss": avg,
        "hedge_log_loss": hedge,
        "best_model_log_loss": min((m["log_loss"] for m in scored), default=None),
        "models": models,
        "profit_rank_spearman": spearman([m["profit"] / m["stake"] for m in scored], [m["log_loss"] for m in scored]),
        "first_mover_profit_share": first[0]["profit"] / total_profit if first and total_profit else None,
        "subsidy_spent": subsidy_spent(chain, r),
        "calibration": [(mkt[i][1], y) for i, y in revealed.items() if i in mkt and k == 2],
    }
