"""protocol/pool.py: forecast encoding, scores and joint Kelly pool settlement (conservation, ranking, forfeits)."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from protocol import pool
from protocol.errors import InputError, MalformedRecord
from protocol.lmsr import exp_wad, ln_wad

pytestmark = pytest.mark.unit

WAD = pool.WAD
E = pool.EPS_WAD
U256 = 2**256

# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------


@st.composite
def wad_item(draw: st.DrawFn, outcomes: int) -> list[int]:
    """K valid wad probabilities summing to WAD (extremes included)."""
    explicit = [
        draw(st.one_of(st.integers(E, WAD - E), st.sampled_from([E, WAD - E, WAD // 2]))) for _ in range(outcomes - 1)
    ]
    if not E <= WAD - sum(explicit) <= WAD - E:  # the implied one would be invalid: all mass on outcome 0
        explicit = [WAD - (outcomes - 1) * E] + [E] * (outcomes - 2)
    return [*explicit, WAD - sum(explicit)]


@st.composite
def rounds(draw: st.DrawFn, max_items: int = 20) -> tuple[int, list[list[int]], list[int | None]]:
    """(K, forecast rows, labels with some void items)."""
    outcomes = draw(st.sampled_from([2, 2, 3, 4]))
    items = draw(st.integers(1, max_items))
    rows = [draw(wad_item(outcomes)) for _ in range(items)]
    labels = [draw(st.one_of(st.integers(0, outcomes - 1), st.none())) for _ in range(items)]
    return outcomes, rows, labels


amounts = st.one_of(st.integers(0, 10**30), st.sampled_from([0, 1, 10**18]), st.integers(0, 2**200))
scores = st.one_of(st.integers(-60 * WAD, 0), st.integers(-300 * WAD, 0), st.sampled_from([0, -1, -WAD]))


@st.composite
def settlements(draw: st.DrawFn) -> tuple[list[int], list[int | None], int, int]:
    n = draw(st.integers(0, 16))
    stakes = [draw(amounts) for _ in range(n)]
    sc: list[int | None] = [draw(st.one_of(scores, st.none())) for _ in range(n)]
    return stakes, sc, draw(amounts), draw(scores)


# --------------------------------------------------------------------------------------
# fullMulDiv
# --------------------------------------------------------------------------------------


@given(x=st.integers(0, U256 - 1), y=st.integers(0, U256 - 1), d=st.integers(1, U256 - 1))
def test_full_mul_div_is_the_exact_floor_or_fails(x, y, d):
    exact = Fraction(x * y, d)
    if exact >= U256:
        with pytest.raises(pool.FullMulDivFailed):
            pool.full_mul_div(x, y, d)
    else:
        assert pool.full_mul_div(x, y, d) == math.floor(exact)


def test_full_mul_div_edges():
    assert pool.full_mul_div(U256 - 1, U256 - 1, U256 - 1) == U256 - 1
    assert pool.full_mul_div(0, U256 - 1, 1) == 0
    with pytest.raises(pool.FullMulDivFailed) as info:
        pool.full_mul_div(1, 1, 0)
    assert (info.value.x, info.value.y, info.value.d) == (1, 1, 0)
    with pytest.raises(pool.FullMulDivFailed):
        pool.full_mul_div(U256 - 1, 2, 1)
    with pytest.raises(pool.AmountOutOfRange):
        pool.full_mul_div(U256, 1, 1)


# --------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------


@given(r=rounds())
def test_pack_decode_round_trip_exactly(r):
    outcomes, rows, _ = r
    data = pool.pack_forecasts(rows)
    assert len(data) == pool.forecast_length(len(rows), outcomes) == len(rows) * (outcomes - 1) * 8
    assert pool.decode_forecasts(data, len(rows), outcomes) == rows
    again = pool.decode_forecasts(pool.encode_forecasts([[v / WAD for v in row] for row in rows]), len(rows), outcomes)
    assert all(abs(a - b) <= 1000 * outcomes for ra, rb in zip(again, rows, strict=True) for a, b in zip(ra, rb))


@given(
    outcomes=st.integers(2, pool.MAX_OUTCOMES),
    raw=st.lists(st.lists(st.floats(0, 10, allow_nan=False), min_size=15, max_size=15), min_size=1, max_size=8),
)
def test_encode_always_gives_valid_forecasts_close_to_the_input(outcomes, raw):
    probs = [row[:outcomes] for row in raw]
    assume(all(sum(p) > 0 for p in probs))
    data = pool.encode_forecasts(probs)
    decoded = pool.decode_forecasts(data, len(probs), outcomes)  # valid: this does not raise
    for p, row in zip(probs, decoded, strict=True):
        assert sum(row) == WAD
        assert all(E <= v <= WAD - E for v in row)
        q = [v / sum(p) for v in p]
        if all(pool.EPS < v < 1 - pool.EPS for v in q):  # interior: nothing clipped, only rounded
            assert all(abs(v / WAD - qj) < 1e-15 * outcomes + 1e-16 for v, qj in zip(row, q, strict=True))


def test_encode_clips_and_renormalises():
    data = pool.encode_forecasts([[1.0, 0.0], [0.0, 1.0], [0.3, 0.7], [2.0, 2.0], [1.0, 0.0, 0.0][:2]])
    assert pool.decode_forecasts(data, 5, 2) == [
        [WAD - E, E],
        [E, WAD - E],
        [3 * WAD // 10, 7 * WAD // 10],
        [WAD // 2, WAD // 2],
        [WAD - E, E],
    ]
    three = pool.decode_forecasts(pool.encode_forecasts([[1, 0, 0], [0.5, 0.5, 0]]), 2, 3)
    assert three == [[WAD - 2 * E, E, E], [(WAD - E) // 2, (WAD - E) // 2, E]]


@pytest.mark.parametrize(
    ("probs", "reason"),
    [
        ([[0.5, 0.5], [0.5]], "expected 2"),
        ([[float("nan"), 1.0]], "finite"),
        ([[-0.1, 1.1]], "non-negative"),
        ([[0.0, 0.0]], "sum to zero"),
        ([[float("inf"), 1.0]], "finite"),
    ],
)
def test_encode_refuses_unusable_floats(probs, reason):
    with pytest.raises(pool.InvalidProbabilities, match=reason) as info:
        pool.encode_forecasts(probs)
    assert isinstance(info.value, InputError)
    assert info.value.item == len(probs) - 1


def test_encode_refuses_bad_outcome_counts():
    with pytest.raises(pool.OutcomeCountOutOfRange):
        pool.encode_forecasts([[1.0]])
    with pytest.raises(pool.OutcomeCountOutOfRange):
        pool.encode_forecasts([[1.0] * 16])
    assert pool.encode_forecasts([]) == b""


def _bytes(*values: int) -> bytes:
    return b"".join(v.to_bytes(8, "big") for v in values)


@pytest.mark.parametrize(
    ("data", "items", "outcomes", "evidence"),
    [
        (_bytes(E - 1), 1, 2, (0, 0, E - 1)),
        (_bytes(WAD // 2, WAD - E + 1), 2, 2, (1, 0, WAD - E + 1)),
        (_bytes(0), 1, 2, (0, 0, 0)),
        (_bytes(2**64 - 1), 1, 2, (0, 0, 2**64 - 1)),
        (_bytes(WAD // 2, WAD // 2 - E + 1), 1, 3, (0, 2, E - 1)),  # implied too small
        (_bytes(6 * WAD // 10, 6 * WAD // 10), 1, 3, (0, 2, -2 * WAD // 10)),  # implied negative
        (_bytes(E, E, WAD), 1, 4, (0, 2, WAD)),
    ],
)
def test_decode_refuses_bad_probabilities_with_evidence(data, items, outcomes, evidence):
    with pytest.raises(pool.ProbabilityOutOfRange) as info:
        pool.decode_forecasts(data, items, outcomes)
    err = info.value
    assert (err.item, err.outcome, err.probability_wad) == evidence
    assert isinstance(err, InputError)
    labels = [0] * items
    with pytest.raises(pool.ProbabilityOutOfRange):
        pool.log_likelihood_wad(data, labels, outcomes)


@pytest.mark.parametrize(("length", "items", "outcomes"), [(7, 1, 2), (9, 1, 2), (16, 1, 2), (8, 1, 3), (0, 1, 2)])
def test_decode_refuses_wrong_lengths(length, items, outcomes):
    with pytest.raises(pool.ForecastLengthMismatch) as info:
        pool.decode_forecasts(bytes(length), items, outcomes)
    assert (info.value.expected, info.value.actual) == (items * (outcomes - 1) * 8, length)


def test_uniform_forecasts_are_valid_for_every_k():
    assert pool.MAX_OUTCOMES * pool.EPS < 1
    for k in range(pool.MIN_OUTCOMES, pool.MAX_OUTCOMES + 1):
        rows = pool.decode_forecasts(pool.uniform_forecasts(3, k), 3, k)
        assert rows[0] == [WAD // k] * (k - 1) + [WAD - (k - 1) * (WAD // k)]


# --------------------------------------------------------------------------------------
# Commitment and labels
# --------------------------------------------------------------------------------------


def test_commitment_binds_every_field():
    op = "0x" + "11" * 20
    base = (3, op, b"\x01" * 32, _bytes(WAD // 2), b"\x02" * 32)
    c = pool.commitment(*base)
    assert len(c) == 32
    variants = [
        (4, *base[1:]),
        (3, "0x" + "12" * 20, *base[2:]),
        (3, op, b"\x03" * 32, *base[3:]),
        (3, op, b"\x01" * 32, _bytes(WAD // 2 + 1), b"\x02" * 32),
        (*base[:4], b"\x04" * 32),
    ]
    assert len({c, *(pool.commitment(*v) for v in variants)}) == 6
    with pytest.raises(MalformedRecord):
        pool.commitment(3, op, b"\x01" * 31, b"", b"\x02" * 32)
    with pytest.raises(MalformedRecord):
        pool.commitment(3, "0xnope", b"\x01" * 32, b"", b"\x02" * 32)


def test_pack_labels_uses_four_bit_lanes():
    assert pool.pack_labels([]) == []
    assert pool.pack_labels([0, 1, None, 3]) == [1 | 2 << 4 | 0 << 8 | 4 << 12]
    words = pool.pack_labels([1] * 65)
    assert len(words) == 2 and words[1] == 2 and words[0] == int("2" * 64, 16)
    with pytest.raises(pool.LabelOutOfRange):
        pool.pack_labels([15])


# --------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------


def exact_ln_wad(factors: list[int]) -> Decimal:
    """sum of ln(f / WAD) * WAD, to 60 digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        return sum(((Decimal(f) / WAD).ln() for f in factors), Decimal(0)) * WAD


@given(r=rounds())
def test_log_likelihood_is_the_grouped_log_of_the_true_outcomes(r):
    outcomes, rows, labels = r
    data = pool.pack_forecasts(rows)
    ll = pool.log_likelihood_wad(data, labels, outcomes)
    factors = [WAD if y is None else row[y] for row, y in zip(rows, labels, strict=True)]
    assert ll == pool.grouped_log(factors)
    groups = (len(rows) + 7) // 8
    assert abs(ll - exact_ln_wad(factors)) <= 2 * groups  # within 2 wei per 8 items of the exact sum
    assert ll < 0 or all(y is None for y in labels)


@settings(max_examples=300)
@given(factors=st.lists(st.one_of(st.integers(E, WAD - E), st.sampled_from([E, WAD - E, WAD])), max_size=40))
def test_grouped_log_is_within_a_wei_per_group_of_the_exact_sum(factors):
    got = pool.grouped_log(factors)
    assert abs(got - exact_ln_wad(factors)) <= 2 * ((len(factors) + 7) // 8)
    # the per-item solady sum is no closer: one rounding per item instead of per group
    assert abs(sum(ln_wad(f) for f in factors) - exact_ln_wad(factors)) <= 2 * len(factors)


def test_grouped_log_groups_eight_items():
    assert pool.grouped_log([]) == 0
    assert pool.grouped_log([WAD] * 8) == 0  # an all-void group counts exactly 0
    assert pool.grouped_log([WAD] * 17) == 0
    half = WAD // 2
    one = pool.grouped_log([half])
    assert one == ln_wad(((half * WAD**3) >> 120) * (WAD**4 >> 120)) - pool.LN_GROUP_OFFSET_WAD
    assert pool.grouped_log([half] * 8 + [half]) == pool.grouped_log([half] * 8) + one
    assert pool.grouped_log([WAD] * 8 + [half]) == one
    assert ln_wad((WAD**4 >> pool.GROUP_SHIFT) ** 2) == pool.LN_GROUP_OFFSET_WAD
    assert (E**4) >> pool.GROUP_SHIFT > 2**88  # the shift keeps > 88 bits of every half's product


def test_log_likelihood_refuses_bad_labels():
    data = _bytes(WAD // 2, WAD // 2)
    with pytest.raises(pool.LabelOutOfRange) as info:
        pool.log_likelihood_wad(data, [0, 2], 2)
    assert (info.value.item, info.value.outcome) == (1, 2)
    with pytest.raises(pool.ForecastLengthMismatch):
        pool.log_likelihood_wad(data, [0], 2)
    # a bad forecast on a void item is still refused, and before a later bad label
    with pytest.raises(pool.ProbabilityOutOfRange):
        pool.log_likelihood_wad(_bytes(0, WAD // 2), [None, 5], 2)


def test_score_truncates_toward_zero():
    eta = pool.DEFAULT_ETA_WAD
    assert pool.score_wad(0, eta) == 0
    assert pool.score_wad(-1, eta) == 0  # -0.2 -> 0 (rounds up)
    assert pool.score_wad(-5, eta) == -1
    assert pool.score_wad(-6, eta) == -1  # -1.2 -> -1
    assert pool.score_wad(-9, eta) == -1  # -1.8 -> -1
    assert pool.score_wad(7, eta) == 1  # 1.4 -> 1
    assert pool.score_wad(-10 * WAD, eta) == -2 * WAD
    assert pool.score_wad(-(2**128), pool.MAX_ETA_WAD) == -(2**128) * 100


@given(ll=st.integers(-(2**128), 2**128), eta=st.integers(1, pool.MAX_ETA_WAD))
def test_score_is_sdiv(ll, eta):
    s = pool.score_wad(ll, eta)
    assert abs(s) == abs(ll) * eta // WAD
    assert s * ll >= 0


def test_score_refuses_out_of_range():
    with pytest.raises(pool.EtaOutOfRange) as info:
        pool.score_wad(-1, 0)
    assert info.value.eta_wad == 0
    with pytest.raises(pool.EtaOutOfRange):
        pool.score_wad(-1, pool.MAX_ETA_WAD + 1)
    with pytest.raises(pool.LogLikelihoodOutOfRange) as info2:
        pool.score_wad(-(2**128) - 1, WAD)
    assert info2.value.log_likelihood_wad == -(2**128) - 1


def test_seed_score_is_the_uniform_forecasts_score():
    labels: list[int | None] = [0, 1, None, 1, 0]
    ll2 = pool.grouped_log([WAD // 2, WAD // 2, WAD, WAD // 2, WAD // 2])
    assert pool.seed_score_wad(labels, 2) == pool.score_wad(ll2, pool.DEFAULT_ETA_WAD)
    # K = 3: floor(WAD / 3) on outcomes 0 and 1, the one wei left over on outcome 2
    u = WAD // 3
    ll3 = pool.grouped_log([u, WAD - 2 * u, u])
    assert pool.seed_score_wad([0, 2, 1], 3, WAD) == ll3
    assert pool.seed_score_wad([None, None], 2) == 0
    assert math.isclose(pool.seed_score_wad([0] * 50, 2) / WAD, -50 * 0.2 * math.log(2), rel_tol=1e-15)


# --------------------------------------------------------------------------------------
# Settlement
# --------------------------------------------------------------------------------------


def _check_invariants(st_: pool.Settlement, stakes: list[int], sc: list[int | None], subsidy: int) -> None:
    assert st_.pot == subsidy + sum(stakes)
    assert sum(st_.payouts) + st_.refund == st_.pot  # conservation, exact
    assert st_.refund >= 0
    assert st_.community_loss == subsidy - st_.refund <= subsidy
    assert st_.total_weight == st_.seed_weight + sum(st_.weights)
    assert st_.total_weight <= st_.pot
    for s, x, w, p in zip(stakes, sc, st_.weights, st_.payouts, strict=True):
        assert w <= s
        if x is None:
            assert w == 0 and p == 0  # unrevealed: no weight, stake forfeit to the pot
    if st_.total_weight == 0:
        assert st_.payouts == (0,) * len(stakes) and st_.refund == st_.pot


@settings(max_examples=300)
@given(case=settlements())
def test_settlement_conserves_and_bounds_the_community_loss(case):
    stakes, sc, subsidy, seed = case
    st_ = pool.settle(stakes, sc, subsidy, seed)
    _check_invariants(st_, stakes, sc, subsidy)
    # the largest staked entry has its whole amount as weight, so Z > 0 when anything is staked and scored
    staked = [s for s, x in zip(stakes, sc, strict=True) if x is not None and s > 0]
    if subsidy > 0 or staked:
        assert st_.total_weight > 0


@given(case=settlements(), data=st.data())
def test_settlement_is_order_independent(case, data):
    stakes, sc, subsidy, seed = case
    perm = data.draw(st.permutations(range(len(stakes))))
    a = pool.settle(stakes, sc, subsidy, seed)
    b = pool.settle([stakes[i] for i in perm], [sc[i] for i in perm], subsidy, seed)
    assert b.payouts == tuple(a.payouts[i] for i in perm)
    assert b.weights == tuple(a.weights[i] for i in perm)
    assert (b.refund, b.total_weight, b.max_score, b.seed_weight) == (
        a.refund,
        a.total_weight,
        a.max_score,
        a.seed_weight,
    )


@given(case=settlements(), stake=st.integers(1, 10**30), where=st.integers(0, 16), score=scores)
def test_unrevealed_stake_is_forfeit_to_the_pot(case, stake, where, score):
    stakes, sc, subsidy, seed = case
    where = min(where, len(stakes))
    without = pool.settle(stakes, sc, subsidy, seed)
    stakes2, sc2 = [*stakes[:where], stake, *stakes[where:]], [*sc[:where], None, *sc[where:]]
    forfeit = pool.settle(stakes2, sc2, subsidy, seed)
    revealed = pool.settle(stakes2, [*sc[:where], score, *sc[where:]], subsidy, seed)
    assert forfeit.payouts[where] == 0 and forfeit.weights[where] == 0
    assert forfeit.pot == without.pot + stake
    assert forfeit.total_weight == without.total_weight  # its weight leaves Z, its stake stays in the pot
    others = forfeit.payouts[:where] + forfeit.payouts[where + 1 :]
    assert all(p >= q for p, q in zip(others, without.payouts, strict=True))
    assert revealed.payouts[where] >= forfeit.payouts[where]  # withholding a reveal never helps its owner


@settings(max_examples=100)
@given(
    data=st.data(),
    items=st.integers(1, 64),
    stake=st.one_of(st.integers(1, 10**30), st.integers(10**18, 10**24)),
    subsidy=st.one_of(st.just(0), st.integers(0, 10**24)),
    others=st.lists(st.tuples(amounts, st.one_of(scores, st.none())), max_size=4),
)
def test_payout_per_stake_ranks_by_log_likelihood(data, items, stake, subsidy, others):
    labels = data.draw(st.lists(st.integers(0, 1), min_size=items, max_size=items))
    rows_a = [data.draw(wad_item(2)) for _ in range(items)]
    rows_b = [data.draw(wad_item(2)) for _ in range(items)]
    fa, fb = pool.pack_forecasts(rows_a), pool.pack_forecasts(rows_b)
    la, lb = pool.log_likelihood_wad(fa, labels, 2), pool.log_likelihood_wad(fb, labels, 2)
    assume(la != lb)
    if la < lb:
        la, lb = lb, la  # a is the better model
    eta = data.draw(st.sampled_from([pool.DEFAULT_ETA_WAD, WAD, 10**16]))
    sa, sb = pool.score_wad(la, eta), pool.score_wad(lb, eta)
    seed = pool.seed_score_wad(labels, 2, eta)
    stakes = [stake, stake, *(s for s, _ in others)]
    sc = [sa, sb, *(x for _, x in others)]
    st_ = pool.settle(stakes, sc, subsidy, seed)
    wa, wb = st_.weights[:2]
    pa, pb = st_.payouts[:2]
    assert sa >= sb and wa >= wb and pa >= pb  # weakly monotone, always
    if st_.pot * (wa - wb) >= st_.total_weight > 0:
        assert pa > pb  # the floor's resolution: strict as soon as the weights differ by Z / Pot
    if la - lb >= 10**12 and stake >= 10**18 and exp_wad(sa - st_.max_score) >= 10**12:
        event("strict")
        assert pa > pb  # 1e-6 nats apart, within 13.8 of the best score, a stake of 1 token: strictly more


def test_ranking_is_exact_among_many_operators():
    labels = [1, 0, 1, 1, 0, 1, 0, 0] * 8
    truth = [float(y) for y in labels]
    forecasts = [[[1 - (0.5 + q * (t - 0.5)), 0.5 + q * (t - 0.5)] for t in truth] for q in (0.9, 0.6, 0.3, 0.0, -0.4)]
    eta = pool.DEFAULT_ETA_WAD
    sc = [pool.score_wad(pool.log_likelihood_wad(pool.encode_forecasts(f), labels, 2), eta) for f in forecasts]
    assert sc == sorted(sc, reverse=True) and len(set(sc)) == 5
    stakes = [10**18] * 5
    st_ = pool.settle(stakes, sc, 10 * 10**18, pool.seed_score_wad(labels, 2, eta))
    assert list(st_.payouts) == sorted(st_.payouts, reverse=True) and len(set(st_.payouts)) == 5
    assert st_.payouts[0] > stakes[0] > st_.payouts[-1]
    # the model forecasting 1/2 everywhere ties with the seed: it gets its stake back, the pot being fair to it
    assert st_.weights[3] == st_.seed_weight // 10


def test_extreme_settlements():
    # one operator, no subsidy, forecasts all wrong at EPS: it still gets its stake back (M is its score)
    labels = [0] * 64
    bad = pool.pack_forecasts([[E, WAD - E]] * 64)
    sc = pool.score_wad(pool.log_likelihood_wad(bad, labels, 2))
    seed = pool.seed_score_wad(labels, 2)
    assert sc < seed - 41 * WAD  # e^(sc - seed) underflows expWad
    alone = pool.settle([10**18], [sc], 0, seed)
    assert alone.payouts == (10**18,) and alone.refund == 0 and alone.max_score == sc
    # with a subsidy the seed dominates: the operator's weight underflows to 0 and the community takes all
    st_ = pool.settle([10**18], [sc], 10**18, seed)
    assert st_.weights == (0,) and st_.payouts == (0,) and st_.refund == 2 * 10**18
    # stakes 0 with a subsidy: the community is refunded in full
    z = pool.settle([0, 0], [sc, seed], 5, seed)
    assert z.payouts == (0, 0) and z.refund == 5
    # nothing at all
    empty = pool.settle([], [], 0, seed)
    assert empty.payouts == () and empty.refund == 0 and empty.total_weight == 0
    # only unrevealed stakes, no subsidy: Z = 0, the community takes the forfeits
    f = pool.settle([7, 9], [None, None], 0, seed)
    assert f.payouts == (0, 0) and f.refund == 16


def test_settlement_refuses_bad_inputs():
    with pytest.raises(pool.SettlementLengthMismatch):
        pool.settle([1], [], 0, 0)
    with pytest.raises(pool.AmountOutOfRange):
        pool.settle([-1], [0], 0, 0)
    with pytest.raises(pool.AmountOutOfRange):
        pool.settle([U256 - 1], [0], 1, 0)
    with pytest.raises(pool.ScoreAboveMax) as info:
        pool.weight(1, 5, 4)
    assert (info.value.score_wad, info.value.max_score_wad) == (5, 4)
    assert pool.weight(0, -(10**70), 0) == 0
    assert pool.weight(10**18, 0, 0) == 10**18
    assert pool.payout(10, 3, 0) == 0


# --------------------------------------------------------------------------------------
# Aggregate forecast
# --------------------------------------------------------------------------------------


def test_aggregate_forecast_is_stake_weighted_over_revealed():
    a = pool.encode_forecasts([[0.2, 0.8], [0.5, 0.5]])
    b = pool.encode_forecasts([[0.6, 0.4], [0.9, 0.1]])
    agg = pool.aggregate_forecast([a, b, None], [1, 3, 100], 2, 2)
    assert agg[0] == pytest.approx([0.5, 0.5]) and agg[1] == pytest.approx([0.8, 0.2])
    assert pool.aggregate_forecast([None], [5], 2, 2) == [[0.5, 0.5], [0.5, 0.5]]
    with pytest.raises(pool.SettlementLengthMismatch):
        pool.aggregate_forecast([a], [], 2, 2)
