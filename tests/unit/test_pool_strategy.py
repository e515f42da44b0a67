"""The joint-pool strategy: reporting the model's own probabilities is near-optimal, the stake is Kelly (monotone in
the edge, within the wealth cap), and the float payout rule keeps the pool's invariants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from operator_node import pool_strategy as ps

pytestmark = pytest.mark.unit

K = 50
SUBSIDY = K * 0.6 * math.log(2)  # the LMSR's worst case at b = 0.6, as in scripts/sim_market.py
WEALTH = 100.0
# Largest best-response gain allowed, in % of the stake, for a stake of at least 10% of the wealth at η = 0.2.
# scripts/sim_market.py measures at most 0.81% in that regime on real models with the plain pool and 0.26% with
# the pot cap (docs/MARKET.md); at a 1% stake the operator is nearly risk-neutral and extremising pays more.
TOLERANCE_PCT = 1.0


def synthetic_round(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One operator's beliefs and three others' forecasts of K items (noisy views of a common latent)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2.5, K)
    own = ps.report(1 / (1 + np.exp(-(z + rng.normal(0, 0.8, K)))))
    others = np.stack(
        [ps.report(1 / (1 + np.exp(-(a * z + rng.normal(0, s, K))))) for a, s in [(1.0, 1.0), (0.6, 0.8), (1.5, 2.0)]]
    )
    return own, others


def payout_of_operator_0(stakes: np.ndarray, others: np.ndarray, eta: float, pot_cap: float | None = None):
    def payout_of(reports: np.ndarray, labels: np.ndarray) -> np.ndarray:
        own = ps.log_likelihood(reports[:, None, :], labels[None])  # (D, M)
        oth = ps.log_likelihood(others[None], labels[:, None, :])  # (M, 3)
        ll = np.concatenate([own[..., None], np.broadcast_to(oth, (len(reports), *oth.shape))], axis=-1)
        s = np.broadcast_to(stakes, ll.shape)
        if pot_cap is None:
            return ps.pool_payouts(s, ll, SUBSIDY, K, eta)[..., 0]
        scaled = s * np.minimum(1.0, pot_cap * SUBSIDY / s.sum(axis=-1, keepdims=True))  # Σ stakes ≤ c·S, pro rata
        return (s - scaled + ps.pool_payouts(scaled, ll, SUBSIDY, K, eta))[..., 0]

    return payout_of


@pytest.mark.parametrize("pot_cap", [None, 1.0])
@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reporting_own_probabilities_is_near_optimal(seed: int, fraction: float, pot_cap: float | None) -> None:
    own, others = synthetic_round(seed)
    stakes = np.array([fraction * WEALTH, 30.0, 20.0, 5.0])
    gains = ps.best_response_gain(
        own,
        stakes[0],
        WEALTH,
        payout_of_operator_0(stakes, others, 0.2, pot_cap),
        others.mean(axis=0),
        samples=4000,
        seed=seed,
    )
    assert len(gains) == len(ps.SHRINK_FACTORS) + len(ps.SHADE_WEIGHTS)
    assert max(gains.values()) <= TOLERANCE_PCT, gains


def test_the_truthfulness_check_has_power_at_eta_1() -> None:
    """With η = 1 the same deviations do pay (shading toward the others), so the check above can fail."""
    own, others = synthetic_round(0)
    stakes = np.array([0.3 * WEALTH, 30.0, 20.0, 5.0])
    gains = ps.best_response_gain(
        own, stakes[0], WEALTH, payout_of_operator_0(stakes, others, 1.0), others.mean(axis=0), samples=4000, seed=0
    )
    assert max(gains.values()) > 2 * TOLERANCE_PCT


def test_report_is_the_clipped_model_probability() -> None:
    r = ps.report([0.0, 0.3, 1.0])
    assert r.tolist() == [ps.EPSILON, 0.3, 1 - ps.EPSILON]


def view(others_log_loss: float = 0.2, eta: float = 0.2, others_stake: float = 100.0) -> ps.PoolView:
    return ps.PoolView(items=K, subsidy=SUBSIDY, eta=eta, others_stake=others_stake, others_log_loss=others_log_loss)


@pytest.mark.parametrize("eta", [0.2, 1.0])
def test_stake_is_monotone_in_edge(eta: float) -> None:
    losses = np.linspace(0.6, 0.02, 30)  # the model's expected log loss per item, worse to better
    edges = [ps.edge(ll, 0.5, view(eta=eta)) for ll in losses]
    stakes = [ps.kelly_stake(WEALTH, ll, 0.5, view(eta=eta)) for ll in losses]
    assert all(b > a for a, b in itertools.pairwise(edges))
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(stakes))
    assert stakes[0] == 0.0 and stakes[-1] == pytest.approx(ps.WEALTH_CAP * WEALTH)
    # ... and in the others' log loss (worse rivals: a larger edge).
    rivals = [ps.kelly_stake(WEALTH, 0.2, 0.5, view(others_log_loss=o, eta=eta)) for o in np.linspace(0.1, 0.4, 20)]
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(rivals))


@settings(max_examples=40, deadline=None)
@given(
    wealth=st.floats(0.0, 1e4),
    log_loss=st.floats(0.0, 1.0),
    sd=st.floats(0.0, 2.0),
    others_log_loss=st.floats(0.0, 1.0),
    others_stake=st.floats(0.0, 1e3),
    eta=st.sampled_from([0.05, 0.2, 1.0]),
    cap=st.floats(0.0, 1.0),
)
def test_stake_never_exceeds_the_wealth_cap(wealth, log_loss, sd, others_log_loss, others_stake, eta, cap) -> None:
    v = ps.PoolView(K, SUBSIDY, eta, others_stake, others_log_loss)
    s = ps.kelly_stake(wealth, log_loss, sd, v, cap=cap)
    assert 0.0 <= s <= cap * wealth
    floor = min(ps.PARTICIPATION, cap)
    assert floor * wealth <= ps.stake_for_round(wealth, log_loss, sd, v, cap=cap, participation=floor) <= cap * wealth


def test_no_edge_no_kelly_stake_but_a_participation_stake() -> None:
    bad = 0.6  # far worse than the others' 0.2
    assert ps.kelly_stake(WEALTH, bad, 0.5, view()) == 0.0
    assert ps.stake_for_round(WEALTH, bad, 0.5, view()) == pytest.approx(ps.PARTICIPATION * WEALTH)
    with pytest.raises(ps.PoolStrategyInputError):
        ps.kelly_stake(-1.0, 0.2, 0.5, view())


def test_kelly_stake_maximises_expected_log_growth() -> None:
    v = view(others_log_loss=0.2)
    s = ps.kelly_stake(WEALTH, 0.2, 0.5, v)
    assert 0 < s < ps.WEALTH_CAP * WEALTH  # an interior optimum
    assert ps.kelly_stake(WEALTH, 0.1, 0.5, v) == ps.WEALTH_CAP * WEALTH  # ... and one at the cap
    best = ps.expected_log_growth(s, WEALTH, 0.2, 0.5, v)
    for x in np.linspace(0, ps.WEALTH_CAP * WEALTH, 101):
        assert ps.expected_log_growth(float(x), WEALTH, 0.2, 0.5, v) <= best + 1e-12


@settings(max_examples=60, deadline=None)
@given(
    stakes=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=6),
    losses=st.lists(st.floats(0.0, 3.0), min_size=6, max_size=6),
    eta=st.sampled_from([0.05, 0.2, 1.0]),
)
def test_pool_payouts_keep_the_invariants(stakes, losses, eta) -> None:
    s = np.array(stakes)
    ll = -K * np.array(losses[: len(s)])  # log-likelihoods
    pay = ps.pool_payouts(s, ll, SUBSIDY, K, eta)
    loss = pay.sum() - s.sum()  # the community's loss: at most S; a gain when operators score below the seed
    assert -s.sum() <= loss <= SUBSIDY * (1 + 1e-12)
    if max(losses[: len(s)]) < math.log(2):
        assert loss >= -1e-9
    ret = pay / s  # return per stake: strictly decreasing in log loss
    order = np.argsort(losses[: len(s)])
    lo = np.array(losses[: len(s)])[order]
    r = ret[order]
    for i in range(len(r) - 1):
        if lo[i + 1] > lo[i] + 1e-9:
            assert r[i + 1] < r[i] or math.isclose(r[i + 1], r[i], rel_tol=1e-12, abs_tol=1e-300)


def test_others_estimate_is_a_log_sum_exp_of_their_weights() -> None:
    total, ll = ps.others_estimate([10.0, 10.0], [0.1, 0.1], K, 0.2)
    assert total == 20.0 and ll == pytest.approx(0.1)
    _, mixed = ps.others_estimate([10.0, 10.0], [0.1, 0.5], K, 0.2)
    assert 0.1 < mixed < 0.1 + math.log(2) / (0.2 * K) + 1e-12  # dominated by the better one


@pytest.mark.parametrize(("stake", "others"), [(20.0, 40.0), (5.0, 2.0), (60.0, 0.0)])
def test_round_return_applies_the_pools_pro_rata_cap_exactly(stake: float, others: float) -> None:
    """With the cap c·S, every stake is scaled by λ = min(1, c·S / Σ s), the pool settles on the scaled stakes,
    and the excess comes back: the return per nominal stake is what pool_payouts pays on the scaled stakes."""
    subsidy, items, eta = 13.7, 33, 0.2
    view = ps.PoolView(items, subsidy, eta, others, 0.1, cap_factor=1.0)
    lam = min(1.0, subsidy / (stake + others))
    assert ps.cap_scale(stake, view) == pytest.approx(lam)
    losses = np.array([0.05, 0.2, 0.6])
    pay = ps.pool_payouts(
        np.array([[stake * lam, others * lam]] * 3),
        -items * np.stack([losses, np.full(3, 0.1)], axis=1),
        subsidy,
        items,
        eta,
    )[:, 0]
    np.testing.assert_allclose(ps.round_return(stake, losses, view), (pay + stake * (1 - lam)) / stake, rtol=1e-12)


def test_a_binding_cap_lowers_what_a_stake_risks_so_a_second_model_still_stakes() -> None:
    """Without the cap a model worse than the others sees no edge; with it, its stake's scaled part still earns
    a share of the subsidy over the seed at ½, and the excess comes back: it stakes."""
    no_cap = ps.PoolView(33, 13.7, 0.2, 56.0, 0.03)
    capped = ps.PoolView(33, 13.7, 0.2, 56.0, 0.03, cap_factor=1.0)
    assert ps.edge(0.13, 0.3, no_cap) < 0 < ps.edge(0.13, 0.3, capped)
    assert ps.kelly_stake(100.0, 0.13, 0.3, no_cap) == 0.0 < ps.kelly_stake(100.0, 0.13, 0.3, capped)
    with pytest.raises(ps.PoolStrategyInputError):
        ps.PoolView(33, 13.7, 0.2, 56.0, 0.03, cap_factor=0.0)
