"""protocol/pool.py's sealed-round settlement: the stake cap and settle_sealed (conservation, the cap, forfeits)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import pool

pytestmark = pytest.mark.unit

WAD = pool.WAD

stakes_st = st.lists(st.one_of(st.integers(0, 10**24), st.sampled_from([0, 1, WAD])), min_size=0, max_size=12)
scores_st = st.one_of(st.integers(-60 * WAD, 0), st.none())
caps_st = st.one_of(st.just(pool.DEFAULT_STAKE_CAP_FACTOR_WAD), st.integers(1, pool.MAX_CAP_FACTOR_WAD))


def test_stake_cap_is_c_times_s_rounded_down():
    assert pool.stake_cap(10 * WAD) == 10 * WAD
    assert pool.stake_cap(3, WAD // 2) == 1
    assert pool.stake_cap(0) == 0


def test_pool_stakes_are_untouched_within_the_cap_and_pro_rata_above():
    assert pool.pool_stakes([WAD, 2 * WAD], 3 * WAD) == [WAD, 2 * WAD]
    assert pool.pool_stakes([3 * WAD, WAD], WAD) == [3 * WAD // 4, WAD // 4]
    assert pool.pool_stakes([1, 1, 1], 2, WAD) == [0, 0, 0]  # floor(1 * 2 / 3)
    assert pool.pool_stakes([WAD], 0) == [0]  # no subsidy: nothing at stake


@settings(max_examples=200, deadline=None)
@given(stakes=stakes_st, data=st.data(), subsidy=st.integers(0, 10**24), cap=caps_st, seed=st.integers(-60 * WAD, 0))
def test_sealed_settlement_conserves_and_caps(stakes, data, subsidy, cap, seed):
    scores = [data.draw(scores_st) for _ in stakes]
    s = pool.settle_sealed(stakes, scores, subsidy, seed, cap)
    assert sum(s.pool_stakes) <= pool.stake_cap(subsidy, cap)
    assert all(0 <= p <= x for p, x in zip(s.pool_stakes, stakes, strict=True))
    # subsidy + stakes = claims (payout + excess) + refund, exactly; the community loses at most S
    assert subsidy + sum(stakes) == sum(s.claims) + s.refund
    assert s.refund >= 0
    assert s.settlement.pot == subsidy + sum(s.pool_stakes)
    # together, operators lose at most their pool stakes (so at most c S)
    assert sum(max(0, x - c) for x, c in zip(stakes, s.claims, strict=True)) <= sum(s.pool_stakes)
    for sc, p, e, x, c in zip(scores, s.payouts, s.excess, stakes, s.pool_stakes, strict=True):
        assert e == x - c
        if sc is None:
            assert p == 0  # an unrevealed commit forfeits its pool stake, keeps its excess


def test_settle_sealed_refuses_mismatched_lengths():
    with pytest.raises(pool.SettlementLengthMismatch):
        pool.settle_sealed([WAD], [], WAD, 0)
