"""The operators' strategy in the sealed joint Kelly pool (pure: no chain, no clock): what to stake, what to report.

The pool (docs/MARKET.md): operator i commits a stake s_i and forecasts r_i[k] in [ε, 1 - ε]; after the labels
are revealed its log-likelihood L_i = Σ_k ln r_i[k](y_k) sets its weight w_i = s_i·e^(η·L_i); the community's
subsidy S is a seed bet at ½ on every item (w_0 = S·e^(-η·K·ln 2)); the pot S + Σ s_j is paid out as
payout_i = Pot·w_i / Z with Z = w_0 + Σ w_j. `pool_payouts` is that rule in floats (the exact wad rule is the
contract's and its mirror's; this one is for planning and simulation).

- What to report: the model's own probabilities, clipped to [ε, 1 - ε] (`report`). With a small η and a stake
  of at least ~10% of the wealth this is near-optimal: `best_response_gain` measures what shrinking,
  extremising or shading toward the others would gain, in expectation under the model's own beliefs
  (tests/unit/test_pool_strategy.py). At a tiny stake the operator is nearly risk-neutral and extremising pays.
- What to stake: the Kelly stake (`kelly_stake`): the stake in [0, cap·wealth] that maximises expected log
  wealth, E ln(W - s + payout(s)), in a model of the round in which the operator's per-item log loss is
  normal around its estimate (its track record: last round's revealed log loss, or a cross-validated one) and
  the other operators act as one bettor with the stake and effective log loss they had last round (`PoolView`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from protocol.errors import InputError

EPSILON = 0.005  # forecasts are clipped to [ε, 1 - ε] (the contract rejects others)
WEALTH_CAP = 0.5  # never stake more than this fraction of the wealth in one round
PARTICIPATION = 0.01  # ... and at least this fraction, so the model is scored (and ranked) every round
LN2 = math.log(2.0)

Floats = NDArray[np.float64]

# E over a standard normal: Σ w·f(node)
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(24)  # type: ignore[no-untyped-call]
_WEIGHTS = _WEIGHTS / math.sqrt(2.0 * math.pi)


class PoolStrategyInputError(InputError):
    """A strategy input out of its domain (a negative wealth, a cap outside [0, 1], an empty round...)."""

    def __init__(self, field: str, value: object, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field} = {value!r}: {reason}")


def report(probabilities: ArrayLike, eps: float = EPSILON) -> Floats:
    """What an operator commits: its model's own P(y = 1) per item, clipped to [ε, 1 - ε]."""
    return np.clip(np.asarray(probabilities, dtype=np.float64), eps, 1.0 - eps)


def log_likelihood(forecasts: ArrayLike, labels: ArrayLike) -> Floats:
    """Σ_k ln r[k](y_k) over the last axis (forecasts are P(y = 1); labels 0/1; both broadcast)."""
    r, y = np.asarray(forecasts, dtype=np.float64), np.asarray(labels)
    return np.asarray(np.log(np.where(y == 1, r, 1.0 - r)).sum(axis=-1), dtype=np.float64)


def pool_payouts(stakes: ArrayLike, log_lik: ArrayLike, subsidy: float, items: int, eta: float) -> Floats:
    """Payouts of the joint Kelly pool, in floats, over the last axis (operators; leading axes broadcast).

    payout_i = Pot·w_i/Z, w_i = s_i·e^(η·L_i - M), w_0 = S·e^(-η·K·ln 2 - M), Z = w_0 + Σ w_j, Pot = S + Σ s_j,
    M = max(η·L_0, η·L_j) (so nothing overflows). The community gets Pot - Σ payout_i back: its loss is in [0, S].
    """
    s = np.asarray(stakes, dtype=np.float64)
    ell = eta * np.asarray(log_lik, dtype=np.float64)
    ell0 = -items * eta * LN2
    m = np.maximum(ell.max(axis=-1, keepdims=True), ell0)
    w = s * np.exp(ell - m)
    z = subsidy * np.exp(ell0 - m) + w.sum(axis=-1, keepdims=True)
    pot = subsidy + s.sum(axis=-1, keepdims=True)
    return np.asarray(pot * w / z, dtype=np.float64)


# --------------------------------------------------------------------------- staking


@dataclass(frozen=True)
class PoolView:
    """What an operator knows when it commits: the round's size, subsidy and temperature, and its estimate of
    the other operators taken together (their total stake, and the per-item log loss that gives their combined
    weight: Σ_j s_j e^(η L_j) = others_stake·e^(-η·K·others_log_loss), both from the last round's reveals)."""

    items: int
    subsidy: float
    eta: float
    others_stake: float
    others_log_loss: float
    cap_factor: float | None = None  # c: the pool scales the stakes down to sum to c·S at most (None: no cap)

    def __post_init__(self) -> None:
        if self.items < 1:
            raise PoolStrategyInputError("items", self.items, "a round has at least one item")
        if self.subsidy <= 0 or self.others_stake < 0 or self.eta <= 0:
            raise PoolStrategyInputError("view", self, "subsidy and eta must be positive, others_stake >= 0")
        if self.cap_factor is not None and self.cap_factor <= 0:
            raise PoolStrategyInputError("cap_factor", self.cap_factor, "must be positive (or None: no cap)")


def others_estimate(
    stakes: Sequence[float], log_losses: Sequence[float], items: int, eta: float
) -> tuple[float, float]:
    """(total stake, effective per-item log loss) of a set of operators seen in a revealed round: the log loss of
    one bettor with their total stake and their combined weight (a log-sum-exp: dominated by the best of them)."""
    s = np.asarray(stakes, dtype=np.float64)
    total = float(s.sum())
    if total <= 0:
        return 0.0, LN2
    a = -eta * items * np.asarray(log_losses, dtype=np.float64)
    top = float(a.max())
    combined = top + math.log(float((s / total * np.exp(a - top)).sum()))
    return total, -combined / (eta * items)


def belief_score(probabilities: ArrayLike) -> tuple[float, float]:
    """(mean, sd) per item of the log loss the model expects of itself under its own beliefs: the mean binary
    entropy of its forecasts, and the per-item sd of the log score (so a round's sd is sd·√K)."""
    p = report(probabilities)
    lp, lq = np.log(p), np.log(1.0 - p)
    mean = -(p * lp + (1 - p) * lq)
    var = p * (1 - p) * (lp - lq) ** 2
    return float(mean.mean()), float(math.sqrt(var.mean()))


def cap_scale(stake: float | Floats, view: PoolView) -> float | Floats:
    """The pool's pro-rata scale of every stake: min(1, c·S / (own stake + the others' stakes)) (1: no cap)."""
    if view.cap_factor is None:
        return 1.0 if np.ndim(stake) == 0 else np.ones_like(np.asarray(stake, dtype=np.float64))
    total = np.asarray(stake, dtype=np.float64) + view.others_stake
    cap = view.cap_factor * view.subsidy
    out = np.where(total > cap, cap / np.where(total > 0, total, 1.0), 1.0)
    return float(out) if np.ndim(out) == 0 else np.asarray(out, dtype=np.float64)


def round_return(stake: float | Floats, log_loss: Floats, view: PoolView) -> Floats:
    """Return per unit staked, (payout + excess)/stake, if this operator's per-item log loss is `log_loss` (an
    array of scenarios) and the others are one bettor as the view says. Weights are relative to the seed's.
    With a cap, every stake is scaled by the same factor λ and the excess comes back: the return is
    λ·ρ' + 1 - λ, ρ' the return per scaled stake."""
    k, eta = view.items, view.eta
    lam = cap_scale(stake, view)
    own, others = np.asarray(stake, dtype=np.float64) * lam, view.others_stake * lam
    a_self = eta * k * (LN2 - log_loss)
    a_oth = eta * k * (LN2 - view.others_log_loss)
    m = np.maximum(np.maximum(a_self, a_oth), 0.0)
    z = view.subsidy * np.exp(-m) + others * np.exp(a_oth - m) + own * np.exp(a_self - m)
    pot = view.subsidy + others + own
    return np.asarray(lam * pot * np.exp(a_self - m) / z + (1.0 - lam), dtype=np.float64)


def expected_log_growth(stake: float, wealth: float, log_loss: float, log_loss_sd: float, view: PoolView) -> float:
    """E ln((W - s + s·ρ)/W): ρ the return per stake, the per-item log loss normal(log_loss, sd²/K)."""
    scenarios = log_loss + log_loss_sd / math.sqrt(view.items) * _NODES
    rho = round_return(stake, scenarios, view)
    return float((_WEIGHTS * np.log1p(stake / wealth * (rho - 1.0))).sum())


def edge(log_loss: float, log_loss_sd: float, view: PoolView) -> float:
    """Expected return per unit of a vanishing stake, minus one: positive iff staking a little pays."""
    scenarios = log_loss + log_loss_sd / math.sqrt(view.items) * _NODES
    return float((_WEIGHTS * round_return(0.0, scenarios, view)).sum() - 1.0)


def kelly_stake(
    wealth: float, log_loss: float, log_loss_sd: float, view: PoolView, cap: float = WEALTH_CAP, grid: int = 129
) -> float:
    """The stake in [0, cap·wealth] that maximises expected log wealth (zero without an edge): the best of a
    uniform grid, refined by golden-section search between its neighbours."""
    if wealth < 0 or not 0.0 <= cap <= 1.0:
        raise PoolStrategyInputError("wealth, cap", (wealth, cap), "wealth >= 0 and 0 <= cap <= 1")
    if wealth == 0 or cap == 0 or edge(log_loss, log_loss_sd, view) <= 0:
        return 0.0

    def f(s: float) -> float:
        return expected_log_growth(s, wealth, log_loss, log_loss_sd, view)

    top = cap * wealth
    xs = np.linspace(0.0, top, grid)
    j = int(np.argmax([f(float(x)) for x in xs]))
    lo, hi = float(xs[max(j - 1, 0)]), float(xs[min(j + 1, grid - 1)])
    g = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = f(a), f(b)
    while hi - lo > 1e-9 * max(top, 1.0):
        if fa < fb:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = f(b)
        else:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = f(a)
    mid = min(max((lo + hi) / 2.0, 0.0), top)
    return mid if f(mid) >= f(float(xs[j])) else float(xs[j])


def stake_for_round(
    wealth: float,
    log_loss: float,
    log_loss_sd: float,
    view: PoolView,
    cap: float = WEALTH_CAP,
    participation: float = PARTICIPATION,
) -> float:
    """The operator's stake: its Kelly stake, but at least `participation`·wealth (a model without an edge still
    commits a small stake to be scored), and never more than cap·wealth."""
    if not 0.0 <= participation <= cap:
        raise PoolStrategyInputError("participation", participation, f"must be in [0, cap = {cap}]")
    return max(kelly_stake(wealth, log_loss, log_loss_sd, view, cap), participation * wealth)


# --------------------------------------------------------------------------- truthfulness


def shrink(p: Floats, a: float) -> Floats:
    """σ(a·logit p): a < 1 shrinks toward ½, a > 1 extremises."""
    q = report(p)
    return report(1.0 / (1.0 + np.exp(-a * (np.log(q) - np.log(1.0 - q)))))


def shade(p: Floats, toward: Floats, lam: float) -> Floats:
    """(1 - λ)·p + λ·toward: shading the report toward the others' average."""
    return report((1.0 - lam) * report(p) + lam * np.asarray(toward, dtype=np.float64))


SHRINK_FACTORS = (0.5, 0.7, 0.85, 0.95, 1.05, 1.15, 1.25, 1.5, 2.0)
SHADE_WEIGHTS = (0.1, 0.25, 0.5)


def deviations(p: Floats, others_mean: Floats | None) -> dict[str, Floats]:
    """The reports a best-responding operator tries instead of its own probabilities."""
    out = {f"a={a}": shrink(p, a) for a in SHRINK_FACTORS}
    if others_mean is not None:
        out |= {f"shade={lam}": shade(p, others_mean, lam) for lam in SHADE_WEIGHTS}
    return out


PayoutOf = Callable[[Floats, NDArray[np.int8]], Floats]  # (reports (D, K), labels (M, K)) -> own payout (D, M)


def best_response_gain(
    p: ArrayLike,
    stake: float,
    wealth: float,
    payout_of: PayoutOf,
    others_mean: ArrayLike | None = None,
    samples: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """Certainty-equivalent gain of each deviation over reporting `report(p)`, in % of the stake, in expectation
    under the model's own beliefs (labels drawn from p; the same draws for every report). `payout_of` gives the
    operator's payout for each report and label draw with everything else (stakes, others' forecasts) fixed."""
    if stake <= 0 or wealth < stake:
        raise PoolStrategyInputError("stake", stake, "0 < stake <= wealth")
    q = report(p)
    rng = np.random.default_rng(seed)
    labels = (rng.random((samples, q.size)) < q).astype(np.int8)
    alt = deviations(q, None if others_mean is None else np.asarray(others_mean, dtype=np.float64))
    reports = np.vstack([q, *alt.values()])
    pay = payout_of(reports, labels)
    ce = np.exp(np.log(np.maximum(wealth - stake + pay, 1e-300)).mean(axis=1))
    return {name: float(100.0 * (ce[j + 1] - ce[0]) / stake) for j, name in enumerate(alt)}
