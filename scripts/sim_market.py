"""Chain-free comparison of the market mechanisms on real models: today's sequential per-item LMSR against the
sealed joint Kelly pool and its insider-bounded variants, on the same models, data, rounds and arrival orders.

Models: four scikit-learn classifiers of different quality, retrained each round on all earlier rows
(histogram gradient boosting, logistic regression, gradient boosting with 5 trees, Gaussian naive Bayes), on
data shipped in scikit-learn's wheel: the breast cancer set (the demo's default data) and two binary tasks on
digits, odd vs even and 5-9 vs 0-4 (not tuned on). Every model forecasts the round's items, clipped to
[ε, 1 - ε]; the same forecasts go to every mechanism. Wealth is carried between rounds.

- lmsr: today's market, per-item LMSR (b = 0.6), the Kelly planner of operator_node/strategy.py in 6 passes
  with the demo's full-Kelly bankroll, every one of the 4! arrival orders (the same order in each pass). A
  vectorised float copy of `kelly_orders` on `protocol.lmsr` prices; checked against the exact mirror and
  planner at the start of every run (`lmsr_exact_max_wealth_diff`).
- pool*: the sealed joint Kelly pool (docs/MARKET.md): stakes and forecasts committed, payout_i = Pot·w_i/Z with
  w_i = s_i·e^(η·L_i), the subsidy S = K·b·ln 2 (the LMSR's worst case) a seed bet at ½. Stakes from
  operator_node/pool_strategy.py (Kelly on the model's track record, at most half the wealth). Variants bound
  the insider (`POOLS`; the recommended one is `RECOMMENDED`: all stakes scaled pro rata so that Σ s ≤ S).
  The pool's payout rule is `pool_payout` (floats): swap in the exact mirror there.

Figures per mechanism and data set: Spearman ρ(profit per stake, log loss) per round and the fraction of rounds
ranked exactly; the first arrival's share of operator profit; market log loss vs the best model, the plain
average and a Hedge aggregate; subsidy used; the truthful best-response gain (one operator shrinks, extremises
or shades its report, expected certainty-equivalent gain under its own beliefs, % of its stake); the insider
(a committee member who knows the labels of one seat's items bets through another address): its best gain
(tokens, share of the others' money, how much from honest stakes) and the bound it must stay under.

    .venv/bin/python scripts/sim_market.py            # the full comparison (~2 min on 2 cores), into bench/results.json
    .venv/bin/python scripts/sim_market.py --quick    # 2 seeds, fewer label draws (~20 s), not written
    .venv/bin/python scripts/sim_market.py --synthetic [--b 0.6 --passes 6 ...]   # the older synthetic LMSR study
    .venv/bin/python scripts/sim_market.py --sweep --seeds 2                      # ... and its liquidity grid
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_results import merge_results

from operator_node import pool_strategy as ps
from operator_node.strategy import kelly_orders
from protocol import lmsr

WAD = 10**18
LN2 = math.log(2.0)
Arr = np.ndarray

# ======================================================================================= data and models


@dataclass(frozen=True)
class DataSpec:
    key: str  # suffix of the figures' names ("" for the default data)
    title: str
    first_train: int  # rows the round-1 models are trained on
    items: int  # items per round


DATASETS = {
    "breast_cancer": DataSpec("", "breast cancer (the demo's default data)", 150, 50),
    "digits_odd": DataSpec("_digits", "digits, odd vs even (not tuned on)", 150, 64),
    "digits_high": DataSpec("_digits5", "digits, 5-9 vs 0-4 (not tuned on)", 150, 64),
}
MODEL_NAMES = ("HGB", "LR", "GB5", "NB")


def load_dataset(name: str) -> tuple[Arr, Arr]:
    from sklearn.datasets import load_breast_cancer, load_digits

    if name == "breast_cancer":
        d = load_breast_cancer()
        return d.data, d.target.astype(np.int8)
    if name == "digits_odd":
        d = load_digits()
        return d.data, (d.target % 2 == 1).astype(np.int8)
    if name == "digits_high":
        d = load_digits()
        return d.data, (d.target >= 5).astype(np.int8)
    raise SystemExit(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")


def make_models() -> list[Any]:
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return [
        HistGradientBoostingClassifier(max_iter=100, random_state=0),
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0),  # under-trained
        GaussianNB(),  # weak and over-confident
    ]


@dataclass(frozen=True)
class Forecasts:
    probs: Arr  # (R, n, K): each model's P(y = 1) per round and item, clipped to [ε, 1 - ε]
    labels: Arr  # (R, K)
    cv_log_loss: Arr  # (n,): 3-fold cross-validated log loss on the round-1 training rows (the first estimate)


def make_forecasts(name: str, seed: int, rounds: int, eps: float) -> Forecasts:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    spec = DATASETS[name]
    x, y = load_dataset(name)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order], y[order]
    n0, k = spec.first_train, spec.items
    if n0 + rounds * k > len(y):
        raise SystemExit(f"{name}: {len(y)} rows, fewer than {n0} + {rounds} x {k}")
    probs = np.empty((rounds, len(MODEL_NAMES), k))
    for r in range(rounds):
        train, test = slice(0, n0 + r * k), slice(n0 + r * k, n0 + (r + 1) * k)
        for j, model in enumerate(make_models()):
            model.fit(x[train], y[train])
            probs[r, j] = model.predict_proba(x[test])[:, 1]
    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    cv = np.empty(len(MODEL_NAMES))
    for j, model in enumerate(make_models()):
        p = np.clip(cross_val_predict(model, x[:n0], y[:n0], cv=folds, method="predict_proba")[:, 1], eps, 1 - eps)
        cv[j] = -np.mean(np.log(np.where(y[:n0] == 1, p, 1 - p)))
    labels = np.stack([y[n0 + r * k : n0 + (r + 1) * k] for r in range(rounds)])
    return Forecasts(np.clip(probs, eps, 1 - eps), labels, cv)


def item_log_lik(p: Arr, y: Arr) -> Arr:
    """ln r(y) per item (broadcasting)."""
    return np.log(np.where(y == 1, p, 1 - p))


def mean_log_loss(p: Arr, y: Arr) -> Arr:
    return -item_log_lik(p, y).mean(axis=-1)


def seats_of(items: int, committee: int) -> Arr:
    """The committee seat that listed each item (contiguous blocks, as members list their quotas)."""
    return np.arange(items) * committee // items


# ======================================================================================= sequential LMSR


def lmsr_plan(q0: Arr, q1: Arr, p1: Arr, cash: Arr, h0: Arr, h1: Arr, b: float) -> tuple[Arr, Arr, Arr]:
    """`operator_node.strategy.kelly_orders` in floats, vectorised over (rows, items): for each item the outcome
    to buy (True: outcome 1), the Kelly shares and their LMSR cost. p1 NaN: no belief, no order."""
    pi1 = 1.0 / (1.0 + np.exp(-(q1 - q0) / b))
    pi0 = 1.0 - pi1
    ok = np.isfinite(p1)
    p1 = np.where(ok, p1, 0.5)
    p0 = 1.0 - p1
    d = p1 - pi1
    ok &= (cash > 0) & (d != 0)  # max_j (p_j - π_j) > min_edge = 0
    cash_safe = np.where(cash > 0, cash, 1.0)
    # _best_outcome: with no holdings the larger edge; else the larger fair/price ratio (ties: outcome 0).
    r0, r1 = p0 / (cash_safe + h0), p1 / (cash_safe + h1)
    norm = r0 + r1
    k1 = np.where((h0 == 0) & (h1 == 0), d > 0, r1 / (norm * pi1) > r0 / (norm * pi0))
    pk, pj = np.where(k1, p1, p0), np.where(k1, p0, p1)
    hk, hj = np.where(k1, h1, h0), np.where(k1, h0, h1)
    lpk = np.log(np.where(k1, pi1, pi0))
    l1mpk = np.log(np.where(k1, pi0, pi1))
    ok &= pk > 0

    def marginal(x: Arr) -> tuple[Arr, Arr]:  # kelly_shares's marginal value of one more share, and the cost
        lz = np.logaddexp(l1mpk, lpk + x / b)
        cost = b * lz
        pix = np.exp(lpk + x / b - lz)
        rest = cash_safe - cost
        win, den = rest + x + hk, rest + hj
        with np.errstate(divide="ignore", invalid="ignore"):
            m = pk * (1 - pix) / win - np.where(pj > 0, pj / den, 0.0) * pix
        return np.where((win <= 0) | ((pj > 0) & (den <= 0)), -np.inf, m), cost

    m0, _ = marginal(np.zeros_like(p1))
    ok &= m0 > 0
    lo = np.zeros_like(p1)
    hi = b * (np.logaddexp(0.0, np.log(np.expm1(cash_safe / b)) - lpk))  # cost(hi) = cash
    for _ in range(44):  # 2^-44 of the cash limit: the exact planner stops at 1e-9 relative
        mid = (lo + hi) / 2
        m, c = marginal(mid)
        bad = (c >= cash_safe) | (m < 0)
        hi, lo = np.where(bad, mid, hi), np.where(bad, lo, mid)
    x = np.where(ok, lo, 0.0)
    cost = np.where(ok, b * np.logaddexp(l1mpk, lpk + x / b), 0.0)
    return k1, x, cost


def lmsr_round(orders: Arr, beliefs: Arr, wealth: Arr, labels: Arr, b: float, fraction: float, passes: int) -> dict:
    """One round of sequential per-item LMSR for each row of a batch. orders (B, T): the trader at each position
    (the same order in every pass); beliefs (B or 1, T, K), NaN where a trader has none; wealth (B, T) at the
    round's start (the bankroll, fraction·wealth, is split evenly over the trader's items, as kelly_orders does)."""
    n_rows, n_traders = orders.shape
    k = beliefs.shape[-1]
    bel = np.broadcast_to(beliefs, (n_rows, n_traders, k))
    q = np.zeros((n_rows, k, 2))
    held = np.zeros((n_rows, n_traders, k, 2))
    spent = np.zeros((n_rows, n_traders, k))
    per_item = wealth * fraction / np.maximum(np.isfinite(bel).sum(axis=-1), 1)
    rows = np.arange(n_rows)
    for _ in range(passes):
        for j in range(n_traders):
            o = orders[:, j]
            h = held[rows, o]
            k1, x, cost = lmsr_plan(
                q[..., 0], q[..., 1], bel[rows, o], per_item[rows, o][:, None] - spent[rows, o], h[..., 0], h[..., 1], b
            )
            buy1, buy0 = np.where(k1, x, 0.0), np.where(k1, 0.0, x)
            q[..., 1] += buy1
            q[..., 0] += buy0
            held[rows, o, :, 1] += buy1
            held[rows, o, :, 0] += buy0
            spent[rows, o] += cost
    cost = spent.sum(axis=-1)
    payoff = np.where(labels == 1, held[..., 1], held[..., 0]).sum(axis=-1)
    prices = 1.0 / (1.0 + np.exp(-(q[..., 1] - q[..., 0]) / b))
    return {"cost": cost, "payoff": payoff, "profit": payoff - cost, "prices": prices, "held": held}


def lmsr_round_exact(
    order: list[int], beliefs: Arr, wealth: Arr, labels: Arr, b: float, fraction: float, passes: int
) -> tuple[Arr, Arr]:
    """The same round on the exact mirror and planner (wad integers): (wealth after redeem, final prices)."""
    n, k = beliefs.shape
    b_wad = int(b * WAD)
    wealth_wad = [int(w * WAD) for w in wealth]
    q = {i: [0, 0] for i in range(k)}
    held = [{i: [0, 0] for i in range(k)} for _ in range(n)]
    spent = [dict[int, int]() for _ in range(n)]
    bankroll = [int(w * fraction) for w in wealth_wad]
    bel = [{i: [1 - float(beliefs[o, i]), float(beliefs[o, i])] for i in range(k)} for o in range(n)]
    for _ in range(passes):
        for o in order:
            plan = kelly_orders(q, bel[o], bankroll[o], b_wad, held=held[o], spent=spent[o])
            for od in plan.orders:
                cost, price = lmsr.quote(q[od.item], od.outcome, od.shares_wad, b_wad)
                if price > od.limit_wad:
                    continue
                q[od.item][od.outcome] += od.shares_wad
                held[o][od.item][od.outcome] += od.shares_wad
                spent[o][od.item] = spent[o].get(od.item, 0) + cost
                wealth_wad[o] -= cost
    for o in range(n):
        wealth_wad[o] += sum(held[o][i][int(y)] for i, y in enumerate(labels))
    return np.array([w / WAD for w in wealth_wad]), np.array([lmsr.prices(q[i], b_wad)[1] for i in range(k)])


# ======================================================================================= the pool


def pool_payout(stakes: Arr, log_lik: Arr, subsidy: float, items: int, eta: float) -> Arr:
    """THE pool's payout rule (floats): payout_i = Pot·s_i·e^(η·L_i)/Z over the last axis, the subsidy a seed
    bet at ½. Every variant below goes through this function: swap in the exact wad mirror here."""
    return ps.pool_payouts(stakes, log_lik, subsidy, items, eta)


@dataclass(frozen=True)
class PoolMech:
    """A pool variant. rule: plain | op_cap (stake per operator ≤ c·S) | pot_cap (all stakes scaled pro rata so
    Σ s ≤ c·S) | ret_cap (payout ≤ (1 + c)·stake, the excess re-split among the others) | seed_only (each
    operator bets against the seed alone: no stake goes from one operator to another) | winsor (each
    operator's best committee seat is credited at most at its second-best seat's score + margin per item) |
    winsor_pot_cap (both)."""

    name: str
    eta: float
    rule: str = "plain"
    c: float = 0.0
    margin: float = 0.0
    stake_rule: str = "kelly"  # or "third": a fixed third of the wealth (the study's bankroll)
    title: str = ""


POOLS = (
    PoolMech("pool", 0.2, title="joint Kelly pool, η = 0.2"),
    PoolMech("pool_eta1", 1.0, title="joint Kelly pool, η = 1"),
    PoolMech("pool_eta005", 0.05, title="joint Kelly pool, η = 0.05"),
    PoolMech("pool_third", 0.2, stake_rule="third", title="pool η = 0.2, stake ⅓ of wealth"),
    PoolMech("pool_opcap", 0.2, "op_cap", c=0.5, title="(i) stake ≤ S/2 per operator"),
    PoolMech("pool_potcap1", 0.2, "pot_cap", c=1.0, title="(i') Σ stakes ≤ S, pro rata"),
    PoolMech("pool_potcap2", 0.2, "pot_cap", c=2.0, title="(i') Σ stakes ≤ 2S, pro rata"),
    PoolMech("pool_potcap4", 0.2, "pot_cap", c=4.0, title="(i') Σ stakes ≤ 4S, pro rata"),
    PoolMech("pool_potcap1_eta005", 0.05, "pot_cap", c=1.0, title="(i') Σ stakes ≤ S, η = 0.05"),
    PoolMech("pool_retcap", 0.2, "ret_cap", c=1.0, title="(ii) payout ≤ 2 × stake"),
    PoolMech("pool_seedonly", 0.2, "seed_only", title="(iv) each vs the seed only"),
    PoolMech("pool_winsor", 0.2, "winsor", title="(v) best seat winsorised"),
    PoolMech("pool_winsor_potcap", 0.2, "winsor_pot_cap", c=2.0, title="(v) + Σ stakes ≤ 2S"),
)
RECOMMENDED = "pool_potcap1"


def credited_log_lik(m: PoolMech, seat_ll: Arr, seat_items: Arr) -> Arr:
    """The log-likelihood the payout uses, from per-seat sums seat_ll (..., C). winsor: the seat with the largest
    advantage over the seed is credited at most at the second largest + margin·(its items)."""
    if m.rule not in ("winsor", "winsor_pot_cap"):
        return seat_ll.sum(axis=-1)
    adv = seat_ll + seat_items * LN2
    top_seat = np.argmax(adv, axis=-1)
    ordered = np.sort(adv, axis=-1)
    top, second = ordered[..., -1], ordered[..., -2]
    credited_top = np.minimum(top, second + m.margin * seat_items[top_seat])
    return adv.sum(axis=-1) - top + credited_top - seat_items.sum() * LN2


def mech_payout(m: PoolMech, stakes: Arr, seat_ll: Arr, subsidy: float, seat_items: Arr) -> Arr:
    """Payouts (..., n) of variant m for committed stakes (..., n) and per-seat log-likelihoods (..., n, C)."""
    k = int(seat_items.sum())
    s = np.broadcast_to(np.asarray(stakes, dtype=float), seat_ll.shape[:-1])
    ll = credited_log_lik(m, seat_ll, seat_items)
    refund = np.zeros_like(s)
    if m.rule in ("pot_cap", "winsor_pot_cap"):
        scale = np.minimum(1.0, m.c * subsidy / np.maximum(s.sum(axis=-1, keepdims=True), 1e-300))
        s_eff = s * scale
        refund = s - s_eff
    elif m.rule == "op_cap":
        s_eff = np.minimum(s, m.c * subsidy)
        refund = s - s_eff
    else:
        s_eff = s
    if m.rule == "seed_only":
        alpha = subsidy / np.maximum(s.sum(axis=-1, keepdims=True), 1e-300)
        return s * (1 + alpha) / (1 + alpha * np.exp(-m.eta * (ll + k * LN2)))
    if m.rule == "ret_cap":
        return _return_capped(s, ll, subsidy, k, m.eta, m.c)
    return refund + pool_payout(s_eff, ll, subsidy, k, m.eta)


def _return_capped(s: Arr, ll: Arr, subsidy: float, k: int, eta: float, gamma: float) -> Arr:
    """Payouts capped at (1 + γ)·stake; a capped operator leaves the pool with its cap and the rest of the pot is
    re-split among the others and the seed by the same weights (water-filling)."""
    pay = pool_payout(s, ll, subsidy, k, eta)
    fixed = np.zeros(s.shape, dtype=bool)
    pot = subsidy + s.sum(axis=-1, keepdims=True)
    cap = (1 + gamma) * s
    for _ in range(s.shape[-1]):
        over = ~fixed & (pay > cap * (1 + 1e-12))
        if not over.any():
            break
        fixed |= over
        rest_pot = pot - np.where(fixed, cap, 0.0).sum(axis=-1, keepdims=True)
        free = np.where(fixed, 0.0, s)
        share = pool_payout(free, ll, subsidy, k, eta) / (subsidy + free.sum(axis=-1, keepdims=True))  # w_i/Z
        pay = np.where(fixed, cap, rest_pot * share)
    return pay


def effective_stakes(m: PoolMech, stakes: Arr, subsidy: float) -> Arr:
    """The stakes at risk after the variant's caps (what the honest side can lose)."""
    if m.rule in ("pot_cap", "winsor_pot_cap"):
        return stakes * min(1.0, m.c * subsidy / max(float(stakes.sum()), 1e-300))
    if m.rule == "op_cap":
        return np.minimum(stakes, m.c * subsidy)
    return stakes


# ======================================================================================= one data set, one seed


@dataclass(frozen=True)
class Config:
    rounds: int = 5
    seeds: int = 10
    b: float = 0.6  # LMSR liquidity per item (the demo's); the pool's subsidy is the LMSR's worst case K·b·ln 2
    fraction: float = 1.0  # LMSR bankroll: the demo's full Kelly
    passes: int = 6
    wealth: float = 100.0
    committee: int = 3
    eps: float = ps.EPSILON
    hedge_eta: float = 0.2
    samples: int = 1000  # label draws for the expectations under a model's own beliefs
    truth_orders: int = 4  # LMSR best responses: in this many arrival orders (cyclic: each operator in each place)
    insider_wealth: float = 1000.0  # LMSR insider's bankroll (the pool insider picks its best stake)


def hedge_log_loss(f: Forecasts, eta: float) -> Arr:
    """Per round, the log loss of the Hedge aggregate: weights ∝ e^(η·cumulative log-likelihood of earlier rounds)."""
    cum = np.zeros(f.probs.shape[1])
    out = []
    for p, y in zip(f.probs, f.labels):
        w = np.exp(eta * (cum - cum.max()))
        out.append(float(mean_log_loss(w @ p / w.sum(), y)))
        cum += item_log_lik(p, y).sum(axis=-1)
    return np.array(out)


def simulate(task: tuple[str, int, Config, tuple[str, ...]]) -> dict[str, Any]:
    name, seed, cfg, pools = task
    with threadpool_limits(limits=1):  # small fits: threads only contend on a shared 2-core machine
        f = make_forecasts(name, seed, cfg.rounds, cfg.eps)
    _, _, k = f.probs.shape
    subsidy = k * cfg.b * LN2
    seats = seats_of(k, cfg.committee)
    out: dict[str, Any] = {
        "models_ll": mean_log_loss(f.probs, f.labels[:, None, :]),
        "average_ll": mean_log_loss(f.probs.mean(axis=1), f.labels),
        "hedge_ll": hedge_log_loss(f, cfg.hedge_eta),
        "subsidy": subsidy,
        "seat_items": int((seats == 0).sum()),
        "lmsr": run_lmsr(f, cfg, subsidy, seats, seed),
    }
    for m in POOLS:
        if m.name in pools:
            out[m.name] = run_pool(f, m, cfg, subsidy, seats, seed)
    return out


def cyclic_rows(orders: Arr, n: int) -> Arr:
    base = np.arange(n)
    return np.array([i for i, o in enumerate(orders) if any((np.roll(base, s) == o).all() for s in range(n))])


def run_lmsr(f: Forecasts, cfg: Config, subsidy: float, seats: Arr, seed: int) -> dict[str, Any]:
    rounds, n, k = f.probs.shape
    orders = np.array(list(itertools.permutations(range(n))))
    n_orders = len(orders)
    wealth = np.full((n_orders, n), cfg.wealth)
    truth_rows = cyclic_rows(orders, n)[: cfg.truth_orders]
    rng = np.random.default_rng(seed + 1000)
    known = seats == 0
    rec: dict[str, list[Any]] = {k_: [] for k_ in ("profit", "stake", "market_ll", "community_loss")}
    ins: dict[str, list[Any]] = {k_: [] for k_ in ("gain", "share", "honest", "items_subsidy")}
    truth: list[Arr] = []
    truth_fraction: list[Arr] = []
    for r in range(rounds):
        p, y = f.probs[r], f.labels[r]
        res = lmsr_round(orders, p[None], wealth, y, cfg.b, cfg.fraction, cfg.passes)
        rec["profit"].append(res["profit"])
        rec["stake"].append(res["cost"])
        rec["market_ll"].append(mean_log_loss(res["prices"], y))
        rec["community_loss"].append(res["profit"].sum(axis=1))
        # The insider: one more trader that knows seat 0's labels and trades only those items, first or last.
        bel = np.full((1, n + 1, k), np.nan)
        bel[0, :n] = p
        bel[0, n, known] = np.where(y[known] == 1, 1 - cfg.eps, cfg.eps)
        ins_orders = np.vstack(
            [np.hstack([np.full((n_orders, 1), n), orders]), np.hstack([orders, np.full((n_orders, 1), n)])]
        )
        ins_wealth = np.hstack([np.vstack([wealth, wealth]), np.full((2 * n_orders, 1), cfg.insider_wealth)])
        ri = lmsr_round(ins_orders, bel, ins_wealth, y, cfg.b, cfg.fraction, cfg.passes)
        gain = ri["profit"][:, n].reshape(2, n_orders)
        best = np.argmax(gain, axis=0)
        pick = best * n_orders + np.arange(n_orders)
        honest = np.tile(res["profit"].sum(axis=1), 2)[pick] - ri["profit"][pick, :n].sum(axis=1)
        ins["gain"].append(gain.max(axis=0))
        ins["share"].append(gain.max(axis=0) / (subsidy + res["cost"].sum(axis=1)))
        ins["honest"].append(honest)
        ins["items_subsidy"].append(np.full(n_orders, known.sum() * cfg.b * LN2))
        # Best responses: operator o trades on a deviated belief (all operators' runs in one batch); its
        # expected log wealth under its own beliefs.
        blocks = []
        for o in range(n):
            others_mean = np.delete(p, o, axis=0).mean(axis=0)
            reports = np.vstack([p[o], *ps.deviations(p[o], others_mean).values()])
            beliefs = np.repeat(p[None], len(truth_rows) * len(reports), axis=0)
            beliefs[:, o] = np.tile(reports, (len(truth_rows), 1))
            blocks.append(beliefs)
        d = blocks[0].shape[0] // len(truth_rows)
        rows = np.tile(np.repeat(truth_rows, d), n)
        rt = lmsr_round(orders[rows], np.concatenate(blocks), wealth[rows], y, cfg.b, cfg.fraction, cfg.passes)
        for o in range(n):
            sel = slice(o * len(truth_rows) * d, (o + 1) * len(truth_rows) * d)
            draws = (rng.random((cfg.samples, k)) < p[o]).astype(float)
            h = rt["held"][sel, o]
            cost = rt["cost"][sel, o]
            value = (wealth[rows[sel], o] - cost)[:, None] + h[..., 1] @ draws.T + h[..., 0] @ (1 - draws).T
            ce = np.exp(np.log(value).mean(axis=1)).reshape(len(truth_rows), d)
            stake = cost.reshape(len(truth_rows), d)[:, 0]
            gain = 100 * (ce[:, 1:] - ce[:, :1]) / np.where(stake > 0, stake, np.inf)[:, None]
            truth.append(np.maximum(0.0, gain.max(axis=1)))
            truth_fraction.append(stake / wealth[truth_rows, o])
        wealth = wealth + res["profit"]
    out: dict[str, Any] = {key: np.array(v) for key, v in rec.items()}
    out["insider"] = {key: np.array(v) for key, v in ins.items()}
    out["truth_gain"] = np.concatenate(truth)
    out["truth_stake_fraction"] = np.concatenate(truth_fraction)
    out["wealth_end"] = wealth
    return out


@dataclass(frozen=True)
class Revealed:
    stakes: Arr
    log_loss: Arr


def choose_stakes(m: PoolMech, p: Arr, wealth: Arr, prev: Revealed | None, cv_ll: Arr, subsidy: float) -> Arr:
    """Each operator's stake (operator_node/pool_strategy.py): Kelly on its track record (round 1: cross-validated
    log loss) against the others as they were last round (round 1: as good as itself, a quarter of their wealth)."""
    n, k = p.shape
    if m.stake_rule == "third":
        return wealth / 3
    out = np.empty(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        own = float(cv_ll[i]) if prev is None else float(prev.log_loss[i])
        if prev is None:
            view = ps.PoolView(k, subsidy, m.eta, 0.25 * float(wealth[others].sum()), own)
        else:
            view = ps.PoolView(
                k, subsidy, m.eta, *ps.others_estimate(prev.stakes[others], prev.log_loss[others], k, m.eta)
            )
        out[i] = ps.stake_for_round(float(wealth[i]), own, ps.belief_score(p[i])[1], view)
    return out


def insider_weight_cap(m: PoolMech, seat0_items: int, eps: float) -> float:
    """The largest weight per unit stake, relative to the seed's, of an insider that forecasts ½ outside its seat:
    (2(1 - ε))^(η·K/C) for the plain pool; e^(η·margin·K/C) when its seat is winsorised."""
    if m.rule in ("winsor", "winsor_pot_cap"):
        return math.exp(m.eta * m.margin * seat0_items)
    return (2 * (1 - eps)) ** (m.eta * seat0_items)


def insider_bound(
    m: PoolMech, stakes: Arr, seat_ll: Arr, stake_i: float, subsidy: float, seat_items: Arr, eps: float
) -> tuple[float, float]:
    """(tight, in S) bounds on the gain of the ½-elsewhere insider at its stake stake_i. Tight: P_h - Z_h/x with
    P_h = S + Σ s_h, Z_h = S + Σ s_h·e^(η(L_h + K ln 2)) (weights relative to the seed) over the honest stakes at
    risk, x the insider's weight cap; seed_only: S·s_I/(s_I + Σ s_h)·(1 - 1/x); ret_cap also ≤ γ·s_I."""
    k = int(seat_items.sum())
    x = insider_weight_cap(m, int(seat_items[0]), eps)
    s_h = stakes.astype(float)
    if m.rule in ("pot_cap", "winsor_pot_cap"):
        s_h = s_h * min(1.0, m.c * subsidy / (s_h.sum() + stake_i))
    elif m.rule == "op_cap":
        s_h = np.minimum(s_h, m.c * subsidy)
    if m.rule == "seed_only":
        b = subsidy * stake_i / (stake_i + stakes.sum()) * (1 - 1 / x)
        return b, b
    adv = credited_log_lik(m, seat_ll, seat_items) + k * LN2
    p_h = subsidy + s_h.sum()
    z_h = subsidy + float((s_h * np.exp(m.eta * adv)).sum())
    tight = max(0.0, p_h - z_h / x)
    in_s = subsidy * (1 - 1 / x) + s_h.sum()
    if m.rule in ("pot_cap", "winsor_pot_cap"):
        in_s = (1 + m.c - 1 / x) * subsidy
    if m.rule == "ret_cap":  # re-splitting capped payouts can raise the insider's share: only the cap holds
        tight = in_s = min(m.c * stake_i, p_h)
    return tight, in_s


def pool_insider(
    m: PoolMech,
    stakes: Arr,
    p: Arr,
    y: Arr,
    onehot: Arr,
    seat_items: Arr,
    subsidy: float,
    eps: float,
    base: Arr | None = None,
    knows: bool = True,
) -> dict[str, float]:
    """The best gain of one more address (over stakes 0 and S/16 ... 64·S) that forecasts `base` (½ if None) and,
    if it knows, 1 - ε on the true label of seat 0's items; the honest operators' loss; the bounds at its stake."""
    n, k = p.shape
    r = np.full(k, 0.5) if base is None else base.copy()
    if knows:
        known = onehot[:, 0] == 1
        r[known] = np.where(y[known] == 1, 1 - eps, eps)
    seat_ll = item_log_lik(np.vstack([p, r]), y) @ onehot
    grid = np.concatenate([[0.0], subsidy * 2.0 ** np.arange(-4, 7)])
    st = np.hstack([np.broadcast_to(stakes, (len(grid), n)), grid[:, None]])
    pay = mech_payout(m, st, np.broadcast_to(seat_ll, (len(grid), *seat_ll.shape)), subsidy, seat_items)
    gains = pay[:, n] - grid
    g = int(np.argmax(gains))
    honest_at_risk = subsidy + float(effective_stakes(m, st[g], subsidy)[:n].sum())
    out = {
        "gain": float(gains[g]),
        "stake": float(grid[g]),
        "honest": float(pay[0, :n].sum() - pay[g, :n].sum()),
        "pot": float(subsidy + stakes.sum()),
        "hard_bound": honest_at_risk,
    }
    if knows:  # what the labels can add at its stake: Pot'·tanh(Δ/4), Δ = η·(credited log-likelihood they add)
        blind = item_log_lik(np.full(k, 0.5) if base is None else base, y) @ onehot
        delta = m.eta * float(credited_log_lik(m, seat_ll[n], seat_items) - credited_log_lik(m, blind, seat_items))
        out["delta"] = delta
        out["leak_bound"] = (subsidy + float(effective_stakes(m, st[g], subsidy).sum())) * math.tanh(delta / 4)
    if base is None and knows:
        out["bound"], out["bound_in_s"] = insider_bound(
            m, stakes, seat_ll[:n], float(grid[g]), subsidy, seat_items, eps
        )
    return out


def _ratio(gain: float, bound: float) -> float:
    """gain/bound: above 1 only if the gain exceeds the bound by more than rounding (1e-9 relative)."""
    if gain <= bound + 1e-9 * (1 + abs(bound)):
        return min(gain / bound, 1.0) if bound > 0 else 0.0
    return gain / bound if bound > 0 else math.inf


def run_pool(f: Forecasts, m: PoolMech, cfg: Config, subsidy: float, seats: Arr, seed: int) -> dict[str, Any]:
    rounds, n, _ = f.probs.shape
    onehot = (seats[:, None] == np.arange(cfg.committee)).astype(float)
    seat_items = onehot.sum(axis=0)
    wealth = np.full(n, cfg.wealth)
    prev: Revealed | None = None
    rec: dict[str, list[Any]] = {k_: [] for k_ in ("profit", "stake", "market_ll", "community_loss")}
    ins: dict[str, list[float]] = {
        k_: []
        for k_ in (
            "gain",
            "share",
            "honest",
            "gain_half",
            "gain_twin",
            "bound",
            "bound_in_s",
            "hard_ratio",
            "hard_bound",
            "leak_ratio",
            "leak_bound",
            "delta",
        )
    }
    truth: list[tuple[float, float]] = []
    for r in range(rounds):
        p, y = f.probs[r], f.labels[r]
        seat_ll = item_log_lik(p, y) @ onehot
        ll = mean_log_loss(p, y)
        stakes = choose_stakes(m, p, wealth, prev, f.cv_log_loss, subsidy)
        profit = mech_payout(m, stakes, seat_ll, subsidy, seat_items) - stakes
        rec["profit"].append(profit[None])
        rec["stake"].append(stakes[None])
        rec["market_ll"].append(np.array([mean_log_loss(stakes @ p / stakes.sum(), y)]))
        rec["community_loss"].append(np.array([profit.sum()]))
        half = pool_insider(m, stakes, p, y, onehot, seat_items, subsidy, cfg.eps)
        half0 = pool_insider(m, stakes, p, y, onehot, seat_items, subsidy, cfg.eps, knows=False)
        twin = p[int(np.argmin(ll))]  # an insider that also has the round's best model
        tk = pool_insider(m, stakes, p, y, onehot, seat_items, subsidy, cfg.eps, base=twin)
        t0 = pool_insider(m, stakes, p, y, onehot, seat_items, subsidy, cfg.eps, base=twin, knows=False)
        leak_half, leak_twin = half["gain"] - half0["gain"], tk["gain"] - t0["gain"]
        worst, base0 = (tk, t0) if leak_twin > leak_half else (half, half0)
        ins["gain"].append(max(leak_half, leak_twin))  # what knowing the labels adds
        ins["share"].append(max(leak_half, leak_twin) / worst["hard_bound"])  # of S + the honest stakes at risk
        ins["honest"].append(worst["honest"] - base0["honest"])
        ins["gain_half"].append(half["gain"])
        ins["gain_twin"].append(tk["gain"])
        ins["bound"].append(half["bound"])
        ins["bound_in_s"].append(half["bound_in_s"])
        ins["hard_ratio"].append(max(_ratio(half["gain"], half["hard_bound"]), _ratio(tk["gain"], tk["hard_bound"])))
        ins["hard_bound"].append(tk["hard_bound"])
        if m.rule not in ("ret_cap", "seed_only"):  # the tanh bound holds for the Pot·w/Z rule on (capped) stakes
            ins["leak_ratio"].append(max(_ratio(leak_half, half["leak_bound"]), _ratio(leak_twin, tk["leak_bound"])))
            ins["leak_bound"].append(worst["leak_bound"])
            ins["delta"].append(worst["delta"])
        for i in range(n):
            payout_of = _payout_of(m, stakes, p, i, onehot, seat_items, subsidy)
            others_mean = np.delete(p, i, axis=0).mean(axis=0)
            g = ps.best_response_gain(
                p[i],
                float(stakes[i]),
                float(wealth[i]),
                payout_of,
                others_mean,
                samples=cfg.samples,
                seed=seed * 100 + r * 10 + i,
            )
            truth.append((max(0.0, *g.values()), float(stakes[i] / wealth[i])))
        prev = Revealed(stakes, ll)
        wealth = wealth + profit
    out: dict[str, Any] = {key: np.array(v) for key, v in rec.items()}
    out["insider"] = {key: np.array(v) for key, v in ins.items()}
    out["truth_gain"], out["truth_stake_fraction"] = np.array(truth).T
    out["wealth_end"] = wealth[None]
    return out


def _payout_of(
    m: PoolMech, stakes: Arr, p: Arr, i: int, onehot: Arr, seat_items: Arr, subsidy: float
) -> Callable[[Arr, Arr], Arr]:
    """Operator i's payout for each report (D, K) and label draw (M, K), the others' stakes and forecasts fixed."""
    others = [j for j in range(len(p)) if j != i]

    def payout_of(reports: Arr, labels: Arr) -> Arr:
        own = item_log_lik(reports[:, None, :], labels[None]) @ onehot  # (D, M, C)
        oth = item_log_lik(p[others][None], labels[:, None, :]) @ onehot  # (M, n-1, C)
        seat_ll = np.empty((len(reports), len(labels), len(p), onehot.shape[1]))
        seat_ll[:, :, i] = own
        seat_ll[:, :, others] = oth[None]
        return mech_payout(m, stakes, seat_ll, subsidy, seat_items)[..., i]

    return payout_of


# ======================================================================================= figures


def spearman(a: Arr, b: Arr) -> Arr:
    """Spearman's ρ over the last axis (average ranks for ties; NaN if either side is constant)."""
    from scipy.stats import rankdata

    ra, rb = rankdata(a, axis=-1), rankdata(np.broadcast_to(b, np.shape(a)), axis=-1)
    ra, rb = ra - ra.mean(axis=-1, keepdims=True), rb - rb.mean(axis=-1, keepdims=True)
    den = np.sqrt((ra**2).sum(axis=-1) * (rb**2).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (ra * rb).sum(axis=-1) / den, np.nan)


def mech_figures(results: list[dict[str, Any]], mech: str) -> dict[str, Any]:
    """One mechanism's figures over the seeds (and arrival orders) of one data set."""
    rounds, n = results[0]["models_ll"].shape
    orders = np.array(list(itertools.permutations(range(n))))
    rho, rho_raw, m_best, m_avg, used, truth, tfrac_l, wealth = [], [], [], [], [], [], [], []
    ins: dict[str, list[Arr]] = {}
    first = total = 0.0
    for res in results:
        mr, ll = res[mech], res["models_ll"]
        profit, stake = mr["profit"], mr["stake"]
        per_stake = np.where(stake > 0, profit / np.where(stake > 0, stake, 1.0), 0.0)
        rho.append(spearman(per_stake, ll[:, None, :]))
        rho_raw.append(spearman(profit, ll[:, None, :]))
        every = np.broadcast_to(profit, (rounds, len(orders), n))
        first += float(every[:, np.arange(len(orders)), orders[:, 0]].sum())
        total += float(every.sum())
        m_best.append(mr["market_ll"] - ll.min(axis=1)[:, None])
        m_avg.append(mr["market_ll"] - res["average_ll"][:, None])
        used.append((mr["community_loss"] / res["subsidy"]).ravel())
        truth.append(mr["truth_gain"])
        tfrac_l.append(mr["truth_stake_fraction"])
        wealth.append(mr["wealth_end"].mean(axis=0))
        for key, v in mr["insider"].items():
            ins.setdefault(key, []).append(np.ravel(v))
    rho_a, m_best_a, m_avg_a = (np.concatenate(x, axis=1) for x in (rho, m_best, m_avg))
    best_r, avg_r = m_best_a.mean(axis=1), m_avg_a.mean(axis=1)
    iv = {key: np.concatenate(v) for key, v in ins.items()}
    truth_a, used_a, tfrac = np.concatenate(truth), np.concatenate(used), np.concatenate(tfrac_l)
    out = {
        "rho": float(np.nanmean(rho_a)),
        "rho_per_round": np.nanmean(rho_a, axis=1).tolist(),
        "rho_profit": float(np.nanmean(np.concatenate(rho_raw, axis=1))),
        "exact_rounds": float(np.mean(rho_a <= -1 + 1e-9)),
        "first_mover_share": first / total if total else float("nan"),
        "market_minus_best": float(best_r[-1]),
        "market_minus_best_per_round": best_r.tolist(),
        "market_minus_best_from_r2": float(best_r[1:].mean()),
        "market_minus_average": float(avg_r[1:].mean()),
        "market_minus_average_worst": float(avg_r[1:].max()),
        "market_minus_average_per_round": avg_r.tolist(),
        "subsidy_used": float(used_a.mean()),
        "subsidy_used_max": float(used_a.max()),
        "truthful_best_response_gain_pct_mean": float(truth_a.mean()),
        "truthful_best_response_gain_pct_max": float(truth_a.max()),
        "insider_gain": float(iv["gain"].mean()),
        "insider_gain_max": float(iv["gain"].max()),
        "insider_gain_share_of_pot": float(iv["share"].mean()),
        "insider_gain_share_of_pot_max": float(iv["share"].max()),
        "insider_from_honest": float(iv["honest"].sum() / iv["gain"].sum()) if iv["gain"].sum() > 0 else 0.0,
        "wealth_end": np.mean(wealth, axis=0).tolist(),
    }
    if "bound" in iv:
        gain, bound = np.maximum(iv["gain_half"], 0.0), iv["bound"]
        out["insider_bound_violations"] = int(np.sum(gain > bound + 1e-9 * (1 + np.abs(bound))))
        out["insider_bound_in_s_violations"] = int(np.sum(gain > iv["bound_in_s"] + 1e-9 * (1 + iv["bound_in_s"])))
        out["insider_hard_bound_violations"] = int(np.sum(iv["hard_ratio"] > 1 + 1e-9))
        out["insider_hard_ratio_max"] = float(iv["hard_ratio"].max())
        out["insider_hard_bound_mean"] = float(iv["hard_bound"].mean())
        if len(iv["leak_ratio"]):
            out["insider_leak_bound_violations"] = int(np.sum(iv["leak_ratio"] > 1 + 1e-9))
            out["insider_leak_ratio_max"] = float(iv["leak_ratio"].max())
            out["insider_leak_bound_mean"] = float(iv["leak_bound"].mean())
            out["insider_leak_delta_mean"] = float(iv["delta"].mean())
        out["insider_bound_mean"] = float(bound.mean())
        out["insider_bound_in_s_mean"] = float(iv["bound_in_s"].mean())
        out["insider_gain_half"] = float(iv["gain_half"].mean())
        out["insider_gain_twin"] = float(iv["gain_twin"].mean())
    else:
        out["insider_items_subsidy"] = float(iv["items_subsidy"].mean())
    big = tfrac >= 0.1
    # Weighted by the stake's fraction of wealth: a 1% participation stake is nearly risk-neutral (see docs/MARKET.md).
    out["truthful_best_response_gain_pct"] = float((truth_a * tfrac).sum() / tfrac.sum())
    out["truthful_best_response_gain_pct_max_stake_10pct"] = float(truth_a[big].max()) if big.any() else float("nan")
    out["truthful_best_response_gain_pct_max_small_stake"] = (
        float(truth_a[~big].max()) if (~big).any() else float("nan")
    )
    return out


def reference_figures(results: list[dict[str, Any]]) -> dict[str, Any]:
    ll = np.stack([r["models_ll"] for r in results])  # (seeds, R, n)
    best = ll.min(axis=2)
    avg = np.stack([r["average_ll"] for r in results])
    hedge = np.stack([r["hedge_ll"] for r in results])
    return {
        "models_log_loss": ll.mean(axis=(0, 1)).tolist(),
        "best_log_loss": float(best.mean()),
        "average_log_loss": float(avg.mean()),
        "average_minus_best_per_round": (avg - best).mean(axis=0).tolist(),
        "hedge_minus_best_per_round": (hedge - best).mean(axis=0).tolist(),
        "hedge_minus_best": float((hedge - best).mean(axis=0)[-1]),
        "hedge_minus_average": float((hedge - avg).mean(axis=0)[1:].mean()),
        "subsidy": float(results[0]["subsidy"]),
        "seat_items": results[0]["seat_items"],
    }


RESULT_MECHS = ("lmsr", "pool", "pool_eta1", RECOMMENDED)
RESULT_FIGS = (
    "rho",
    "exact_rounds",
    "first_mover_share",
    "market_minus_best",
    "market_minus_average",
    "subsidy_used",
    "truthful_best_response_gain_pct",
    "truthful_best_response_gain_pct_max_stake_10pct",
    "insider_gain",
    "insider_gain_share_of_pot",
)


def flat_figures(key: str, ref: dict[str, Any], figs: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The named numbers for bench/results.json (one data set; key is its suffix)."""
    out: dict[str, float] = {}
    for mech in RESULT_MECHS:
        if mech in figs:
            for fig in RESULT_FIGS:
                out[f"sim_{mech}_{fig}{key}"] = round(float(figs[mech][fig]), 4)
    if RECOMMENDED in figs:
        rec = figs[RECOMMENDED]
        for fig in ("insider_gain", "insider_gain_max", "insider_gain_share_of_pot", "truthful_best_response_gain_pct"):
            out[f"{fig}{key}"] = round(float(rec[fig]), 4)
        out[f"insider_bound_violations{key}"] = (
            rec["insider_bound_violations"]
            + rec["insider_hard_bound_violations"]
            + rec["insider_leak_bound_violations"]
        )
        out[f"insider_leak_bound_tokens{key}"] = round(rec["insider_leak_bound_mean"], 4)
        out[f"insider_bound_tokens{key}"] = round(rec["insider_hard_bound_mean"], 4)
    if "pool" in figs:
        out[f"insider_gain_plain_pool{key}"] = round(float(figs["pool"]["insider_gain"]), 4)
    out[f"insider_gain_lmsr{key}"] = round(float(figs["lmsr"]["insider_gain"]), 4)
    out[f"sim_hedge_minus_best{key}"] = round(ref["hedge_minus_best"], 4)
    out[f"sim_average_minus_best{key}"] = round(ref["average_minus_best_per_round"][-1], 4)
    return out


def print_table(name: str, ref: dict[str, Any], figs: dict[str, dict[str, Any]], n_seeds: int) -> None:
    spec = DATASETS[name]
    models = ", ".join(f"{m} {v:.3f}" for m, v in zip(MODEL_NAMES, ref["models_log_loss"]))
    print(
        f"\n{spec.title}: {n_seeds} seeds x 24 arrival orders; log loss {models}; plain average "
        f"{ref['average_log_loss']:.3f}; subsidy S = {ref['subsidy']:.2f}, insider seat {ref['seat_items']} items"
    )
    print(
        "  Hedge minus best per round: "
        + " ".join(f"{v:+.3f}" for v in ref["hedge_minus_best_per_round"])
        + "   plain average minus best: "
        + " ".join(f"{v:+.3f}" for v in ref["average_minus_best_per_round"])
    )
    head = (
        f"  {'mechanism':<34}{'rho/stk':>8}{'exact':>6}{'1st':>6}{'mkt-best':>9}{'mkt-avg':>8}{'used/S':>7}"
        f"{'truth%: mean wtd max(>=10%)':>28}{'leak tok':>9}{'/pot':>6}{'honest':>7}{'bound':>6}  wealth at end"
    )
    print(head)
    titles = {m.name: m.title for m in POOLS} | {"lmsr": "sequential LMSR b=0.6, 6 passes"}
    for mech, f in figs.items():
        ok = ""
        if "insider_bound_violations" in f:
            bad = (
                f["insider_bound_violations"]
                + f["insider_hard_bound_violations"]
                + f.get("insider_leak_bound_violations", 0)
            )
            ok = "ok" if bad == 0 else f"F{bad}"
        print(
            f"  {titles[mech][:33]:<34}{f['rho']:>8.2f}{f['exact_rounds']:>6.2f}{f['first_mover_share']:>6.2f}"
            f"{f['market_minus_best']:>+9.3f}{f['market_minus_average']:>+8.3f}{f['subsidy_used']:>7.2f}"
            f"{f['truthful_best_response_gain_pct_mean']:>10.2f}{f['truthful_best_response_gain_pct']:>7.2f}"
            f"{f['truthful_best_response_gain_pct_max_stake_10pct']:>11.2f}"
            f"{f['insider_gain']:>9.2f}{f['insider_gain_share_of_pot']:>6.2f}{f['insider_from_honest']:>7.2f}{ok:>6}  "
            + "/".join(f"{w:.0f}" for w in f["wealth_end"])
        )
    print(
        "  (mkt-best: round 5; mkt-avg: rounds 2-5; truth%: best-response gain in % of stake, mean, weighted by "
        "stake/wealth, max over stakes >= 10% of wealth; leak: what knowing one seat's labels adds)"
    )


def exact_check(name: str, cfg: Config, rounds: int) -> tuple[float, float]:
    """The fast LMSR copy against the exact mirror and planner, in the identity order from the same wealth:
    (max |wealth difference| in tokens, max |price difference|) over the first `rounds` rounds of seed 0."""
    with threadpool_limits(limits=1):
        f = make_forecasts(name, 0, cfg.rounds, cfg.eps)
    n = f.probs.shape[1]
    order = list(range(n))
    wealth = np.full(n, cfg.wealth)
    dw = dp = 0.0
    for r in range(rounds):
        fast = lmsr_round(
            np.array([order]), f.probs[r][None], wealth[None], f.labels[r], cfg.b, cfg.fraction, cfg.passes
        )
        w_exact, p_exact = lmsr_round_exact(order, f.probs[r], wealth, f.labels[r], cfg.b, cfg.fraction, cfg.passes)
        dw = max(dw, float(np.abs(wealth + fast["profit"][0] - w_exact).max()))
        dp = max(dp, float(np.abs(fast["prices"][0] - p_exact).max()))
        wealth = w_exact
    return dw, dp


def compare_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 seeds, fewer label draws; does not write results")
    ap.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated, of {', '.join(DATASETS)}")
    ap.add_argument("--seeds", type=int, default=None, help="default 10 (quick: 2)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--samples", type=int, default=None, help="label draws per expectation (default 1000, quick 300)")
    ap.add_argument("--pools", default=",".join(m.name for m in POOLS), help="pool variants to run")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--write", action="store_true", help="write bench/results.json even with --quick")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results.json")
    a = ap.parse_args(argv)
    cfg = Config(rounds=a.rounds)
    if a.quick:
        cfg = replace(cfg, seeds=2, samples=300, truth_orders=2)
    cfg = replace(cfg, seeds=a.seeds or cfg.seeds, samples=a.samples or cfg.samples)
    names = [x for x in a.datasets.split(",") if x]
    pools = tuple(x for x in a.pools.split(",") if x)
    t0 = time.time()
    dw, dp = exact_check(names[0], cfg, 1 if a.quick else 2)
    print(
        f"fast LMSR copy vs the exact mirror and planner: max |wealth diff| {dw:.2e} tokens, "
        f"max |price diff| {dp:.2e} ({time.time() - t0:.0f}s)",
        flush=True,
    )
    tasks = [(name, seed, cfg, pools) for name in names for seed in range(cfg.seeds)]
    if a.jobs > 1:
        with multiprocessing.get_context("fork").Pool(a.jobs) as pool:
            results = pool.map(simulate, tasks, chunksize=1)
    else:
        results = [simulate(t) for t in tasks]
    figures: dict[str, float] = {"sim_lmsr_exact_max_wealth_diff": float(f"{dw:.3g}")}
    for name in names:
        res = [r for t, r in zip(tasks, results) if t[0] == name]
        ref = reference_figures(res)
        figs = {mech: mech_figures(res, mech) for mech in ("lmsr", *[m.name for m in POOLS if m.name in pools])}
        print_table(name, ref, figs, cfg.seeds)
        figures |= flat_figures(DATASETS[name].key, ref, figs)
        for mech, f in figs.items():
            print(
                f"  {mech}: rho per round "
                + " ".join(f"{v:+.2f}" for v in f["rho_per_round"])
                + " | mkt-best "
                + " ".join(f"{v:+.3f}" for v in f["market_minus_best_per_round"])
                + " | mkt-avg "
                + " ".join(f"{v:+.3f}" for v in f["market_minus_average_per_round"])
                + f" | truth max {f['truthful_best_response_gain_pct_max']:.2f} (small stakes "
                f"{f['truthful_best_response_gain_pct_max_small_stake']:.2f})"
                + (
                    f" | insider ½ {f['insider_gain_half']:+.2f} ≤ {f['insider_bound_mean']:.2f} (in S "
                    f"{f['insider_bound_in_s_mean']:.2f}), +model {f['insider_gain_twin']:.2f}, any ≤ "
                    f"{f['insider_hard_bound_mean']:.2f} (max ratio {f['insider_hard_ratio_max']:.2f})"
                    + (
                        f", leak ≤ Pot'·tanh(Δ/4) = {f['insider_leak_bound_mean']:.2f} "
                        f"(Δ {f['insider_leak_delta_mean']:.2f}, max ratio {f['insider_leak_ratio_max']:.2f})"
                        if "insider_leak_ratio_max" in f
                        else ""
                    )
                    if "insider_bound_mean" in f
                    else f" | seat subsidy {f['insider_items_subsidy']:.2f}"
                )
            )
    wall = time.time() - t0
    figures["sim_wall_s"] = round(wall, 1)
    print(f"\n({wall:.0f}s)")
    if (not a.quick or a.write) and not a.no_write:
        merge_results(figures)
        print(f"{len(figures)} figures merged into bench/results.json")


# ======================================================================================= the synthetic LMSR study

SYNTHETIC_DOC = """The earlier study: Kelly operators trading binary items on LMSR, exact mirror, no chain.

The operators' planner (`operator_node.strategy.kelly_orders`) is used exactly as `OperatorNode.plan` calls it:
the round's bankroll is fixed at the first pass, and every pass re-plans with the shares held and the cost
spent per item (rotating order). Wealth carries across rounds.

Three synthetic models, resembling the demo's (breast cancer: ~37% positives; a good
logistic regression with log loss ~0.1, an MLP about as good, an under-trained logistic
regression that is less confident and worse):

    y ~ Bernoulli(sigmoid(z)),  z ~ N(+-6, 2.5^2) (+6 with probability 0.37)
    A: logit = z + N(0, 1)      B: logit = z + N(0, 1.2^2)  (independent noise)
    C: logit = 0.35 z + N(0, 0.7^2)
    (large-sample log loss: Bayes 0.073, A ~0.083, B ~0.09, C ~0.195, plain average ~0.106)
"""

NAMES = ("A good", "B good'", "C weak")


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def clip(p: float, eps: float = 1e-4) -> float:
    return min(max(p, eps), 1 - eps)


def log_loss(ps: list[float], ys: list[int]) -> float:
    return sum(-math.log(clip(p) if y else 1 - clip(p)) for p, y in zip(ps, ys)) / len(ys)


@dataclass
class Setting:
    b: float = 0.5  # liquidity per item, tokens
    fraction: float = 0.33  # bankroll: this fraction of the token balance at the round's start
    passes: int = 3  # trading passes per round (rotating order)
    until_quiet: bool = False  # stop early once a whole pass has no orders
    quiet_tokens: float = 0.0  # ... or spends less than this in total
    rounds: int = 3
    items: int = 33
    wealth: float = 100.0
    seed: int = 7
    offset: int = 0  # rotation: pass p starts with operator (p + offset) % 3 (the order of the last pass matters)


def make_round(rng: random.Random, n: int) -> tuple[list[int], list[list[float]]]:
    """Labels and the three models' P(y = 1) for n items."""
    ys, beliefs = [], [[], [], []]
    for _ in range(n):
        z = rng.gauss(6.0 if rng.random() < 0.37 else -6.0, 2.5)  # well separated classes
        ys.append(1 if rng.random() < sigmoid(z) else 0)
        beliefs[0].append(sigmoid(z + rng.gauss(0, 1.0)))
        beliefs[1].append(sigmoid(z + rng.gauss(0, 1.2)))
        beliefs[2].append(sigmoid(0.35 * z + rng.gauss(0, 0.7)))
    return ys, beliefs


def play_round(s: Setting, wealth: list[int], ys: list[int], beliefs: list[list[float]]) -> dict:
    """One round on fresh items; mutates `wealth` (wad) and returns the round's figures."""
    n_ops, b = len(wealth), int(s.b * WAD)
    q = {i: [0, 0] for i in range(len(ys))}
    held = [{i: [0, 0] for i in q} for _ in range(n_ops)]
    spent = [dict[int, int]() for _ in range(n_ops)]
    bankroll = [int(w * s.fraction) for w in wealth]
    bel = [{i: [1 - beliefs[o][i], beliefs[o][i]] for i in q} for o in range(n_ops)]
    passes_run, traded_last = 0, 0
    for pass_ in range(s.passes):
        order = [(pass_ + s.offset + j) % n_ops for j in range(n_ops)]
        pass_cost = 0
        for o in order:
            plan = kelly_orders(q, bel[o], bankroll[o], b, held=held[o], spent=spent[o])
            for od in plan.orders:
                qi = q[od.item]
                cost, price = lmsr.quote(qi, od.outcome, od.shares_wad, b)
                if price > od.limit_wad:  # the contract skips it
                    continue
                qi[od.outcome] += od.shares_wad
                held[o][od.item][od.outcome] += od.shares_wad
                spent[o][od.item] = spent[o].get(od.item, 0) + cost
                wealth[o] -= cost
                pass_cost += cost
        passes_run, traded_last = pass_ + 1, pass_cost
        if s.until_quiet and pass_cost <= s.quiet_tokens * WAD:
            break
    for o in range(n_ops):  # redeem
        wealth[o] += sum(held[o][i][y] for i, y in enumerate(ys))
    market = [lmsr.prices(q[i], b)[1] for i in q]
    avg = [sum(beliefs[o][i] for o in range(n_ops)) / n_ops for i in q]
    return {
        "market": log_loss(market, ys),
        "average": log_loss(avg, ys),
        "models": [log_loss(beliefs[o], ys) for o in range(n_ops)],
        "passes": passes_run,
        "last_pass_tokens": traded_last / WAD,
        "wealth": [w / WAD for w in wealth],
    }


def run(s: Setting, verbose: bool = True) -> list[dict]:
    rng = random.Random(s.seed)
    wealth = [int(s.wealth * WAD)] * 3
    out = []
    for r in range(s.rounds):
        ys, beliefs = make_round(rng, s.items)
        res = play_round(s, wealth, ys, beliefs)
        out.append(res)
        if verbose:
            m = res["models"]
            print(
                f"  round {r}: market {res['market']:.3f}  average {res['average']:.3f}  "
                f"models {m[0]:.3f} {m[1]:.3f} {m[2]:.3f}  passes {res['passes']} "
                f"(last {res['last_pass_tokens']:.3f} tok)  wealth " + " ".join(f"{w:6.1f}" for w in res["wealth"])
            )
    return out


def summary(s: Setting, seeds: list[int]) -> dict:
    """Over seeds and all three rotation offsets (who trades last matters): per round, the mean
    market - average and market - best model, the range of market - average over offsets, and
    the mean final wealth."""
    runs = {off: [] for off in range(3)}
    for off in range(3):
        for seed in seeds:
            runs[off].append(run(Setting(**{**s.__dict__, "seed": seed, "offset": off}), verbose=False))
    out = []
    for r in range(s.rounds):
        per_off = [sum(x[r]["market"] - x[r]["average"] for x in runs[o]) / len(seeds) for o in runs]
        best = [x[r]["market"] - min(x[r]["models"]) for o in runs for x in runs[o]]
        out.append((sum(per_off) / 3, min(per_off), max(per_off), sum(best) / len(best)))
    wealth = [sum(x[-1]["wealth"][k] for o in runs for x in runs[o]) / (3 * len(seeds)) for k in range(3)]
    return {"rounds": out, "wealth": wealth}


def show(s: Setting, m: dict) -> str:
    head = f"b={s.b:<4} f={s.fraction:<4} passes={s.passes:<2}{'q' if s.until_quiet else ' '}"
    rounds = " | ".join(
        f"r{r} {a:+.3f} [{lo:+.3f},{hi:+.3f}] best {b:+.3f}" for r, (a, lo, hi, b) in enumerate(m["rounds"])
    )
    return f"{head} mkt-avg per round: {rounds} | wealth " + " ".join(f"{w:.0f}" for w in m["wealth"])


GRID = [  # (b, fraction, passes)
    (0.5, 0.33, 3),
    (0.5, 0.33, 6),
    (0.3, 0.33, 3),
    (0.2, 0.33, 3),
    (0.2, 0.33, 6),
    (0.1, 0.33, 3),
    (0.1, 0.33, 10),
    (0.3, 0.5, 6),
    (0.6, 1.0, 6),
]


def synthetic_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=SYNTHETIC_DOC, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--synthetic", action="store_true", help="(this mode)")
    ap.add_argument("--b", type=float, default=0.5)
    ap.add_argument("--fraction", type=float, default=0.33)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--until-quiet", action="store_true", help="stop when a pass has no orders")
    ap.add_argument("--quiet-tokens", type=float, default=0.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--items", type=int, default=33)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--offset", type=int, default=0, help="rotation offset (0: the demo's order)")
    ap.add_argument("--seeds", type=int, default=1, help="also summarise over this many seeds x 3 offsets")
    ap.add_argument("--sweep", action="store_true", help="summaries over a grid of settings")
    a = ap.parse_args(argv)
    t0 = time.time()
    if a.sweep:
        seeds = list(range(a.seeds))
        print(
            f"market - plain average, mean [min, max over the 3 rotation offsets], and market - best model;"
            f" {len(seeds)} seeds (negative = market better)"
        )
        for b, f, passes in GRID:
            s = Setting(b=b, fraction=f, passes=passes, rounds=a.rounds, items=a.items)
            print(show(s, summary(s, seeds)), flush=True)
    else:
        s = Setting(
            b=a.b,
            fraction=a.fraction,
            passes=a.passes,
            until_quiet=a.until_quiet,
            quiet_tokens=a.quiet_tokens,
            rounds=a.rounds,
            items=a.items,
            seed=a.seed,
            offset=a.offset,
        )
        print(
            f"b={s.b} fraction={s.fraction} passes={s.passes}{' until quiet' if s.until_quiet else ''} "
            f"seed={s.seed} offset={s.offset}; models: {', '.join(NAMES)}"
        )
        run(s)
        if a.seeds > 1:
            print(show(s, summary(s, list(range(a.seeds)))))
    print(f"({time.time() - t0:.1f}s)")


def main() -> None:
    argv = sys.argv[1:]
    if "--synthetic" in argv or "--sweep" in argv:
        synthetic_main(argv)
    else:
        compare_main(argv)


if __name__ == "__main__":
    main()
