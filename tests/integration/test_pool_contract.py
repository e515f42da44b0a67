"""KellyPool.sol (through KellyPoolHarness on the anvil devnet) agrees with protocol/pool.py to the wei; its gas."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import pool
from protocol.chain import ContractReverted, Devnet, dev_accounts
from tests.conftest import Harness, deploy_harness

pytestmark = pytest.mark.integration

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

WAD = pool.WAD
E = pool.EPS_WAD
U256 = 2**256
ETA = pool.DEFAULT_ETA_WAD


@pytest.fixture(scope="module")
def harness(devnet: Devnet) -> Harness:
    h = deploy_harness(devnet.url, "KellyPoolHarness")
    # solady reverts with this selector from assembly: it is in no ABI, so name it here.
    h.chain.register_abis([[{"type": "error", "name": "FullMulDivFailed", "inputs": []}]])
    return h


def reverts(error: str, fn: Any, *args: Any) -> dict[str, Any]:
    with pytest.raises(ContractReverted) as info:
        fn(*args)
    assert info.value.error == error, str(info.value)
    return info.value.args_


def mirror_error(fn: Any, *args: Any) -> pool.PoolInputError:
    with pytest.raises(pool.PoolInputError) as info:
        fn(*args)
    return info.value


# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------


@st.composite
def wad_item(draw: st.DrawFn, outcomes: int) -> list[int]:
    explicit = [
        draw(st.one_of(st.integers(E, WAD - E), st.sampled_from([E, WAD - E, WAD // 2]))) for _ in range(outcomes - 1)
    ]
    if not E <= WAD - sum(explicit) <= WAD - E:
        explicit = [WAD - (outcomes - 1) * E] + [E] * (outcomes - 2)
    return [*explicit, WAD - sum(explicit)]


@st.composite
def rounds(draw: st.DrawFn) -> tuple[int, list[list[int]], list[int | None]]:
    """(K, forecast rows, labels); items cross the 64-per-word boundary of the labels."""
    outcomes = draw(st.sampled_from([2, 2, 3, 4]))
    items = draw(st.one_of(st.integers(1, 8), st.integers(60, 130)))
    rows = [draw(wad_item(outcomes)) for _ in range(items)]
    void = draw(st.floats(0, 0.3))
    labels = [None if draw(st.floats(0, 1)) < void else draw(st.integers(0, outcomes - 1)) for _ in range(items)]
    return outcomes, rows, labels


amounts = st.one_of(st.integers(0, 10**30), st.sampled_from([0, 1, 10**18]), st.integers(0, 2**200))
scores = st.one_of(st.integers(-60 * WAD, 0), st.integers(-300 * WAD, 0), st.sampled_from([0, -1, -WAD]))


def on_chain_settle(harness: Harness, stakes: list[int], sc: list[int | None], subsidy: int, seed: int) -> tuple:
    return tuple(
        harness.settle(subsidy, seed, stakes, [0 if x is None else x for x in sc], [x is not None for x in sc])
    )


def mirror_settle(stakes: list[int], sc: list[int | None], subsidy: int, seed: int) -> tuple:
    s = pool.settle(stakes, sc, subsidy, seed)
    return (list(s.payouts), list(s.weights), s.seed_weight, s.total_weight, s.max_score, s.pot, s.refund)


# --------------------------------------------------------------------------------------
# Equality to the wei
# --------------------------------------------------------------------------------------


@SETTINGS
@given(r=rounds(), eta=st.one_of(st.just(ETA), st.integers(1, pool.MAX_ETA_WAD)))
def test_scores_match_mirror_to_the_wei(harness, r, eta):
    outcomes, rows, labels = r
    data = pool.pack_forecasts(rows)
    words = pool.pack_labels(labels)
    items = len(rows)

    ll = harness.logLikelihood(data, words, items, outcomes)

    assert ll == pool.log_likelihood_wad(data, labels, outcomes)
    assert harness.score(ll, eta) == pool.score_wad(ll, eta)
    assert harness.seedScore(words, items, outcomes, eta) == pool.seed_score_wad(labels, outcomes, eta)
    assert harness.validate(data, items, outcomes) is True
    assert harness.forecastLength(items, outcomes) == pool.forecast_length(items, outcomes) == len(data)
    i = items // 2
    assert list(harness.probabilities(data, items, outcomes, i)) == pool.decode_forecasts(data, items, outcomes)[i]


@SETTINGS
@given(
    n=st.integers(1, 16),
    data=st.data(),
    subsidy=amounts,
    seed=scores,
)
def test_settlement_matches_mirror_to_the_wei(harness, n, data, subsidy, seed):
    stakes = [data.draw(amounts) for _ in range(n)]
    sc: list[int | None] = [data.draw(st.one_of(scores, st.none())) for _ in range(n)]

    got = on_chain_settle(harness, stakes, sc, subsidy, seed)

    assert got == mirror_settle(stakes, sc, subsidy, seed)
    payouts, _, _, _, _, pot, refund = got
    assert sum(payouts) + refund == pot == subsidy + sum(stakes)


@SETTINGS
@given(r=rounds(), n=st.integers(1, 16), data=st.data(), subsidy=st.one_of(st.just(0), st.integers(0, 10**24)))
def test_round_from_forecasts_to_payouts_matches_mirror(harness, r, n, data, subsidy):
    """Real forecasts on real labels, scored on chain and settled on chain, equal the mirror."""
    outcomes, _, labels = r
    items = len(labels)
    words = pool.pack_labels(labels)
    forecasts = [pool.pack_forecasts([data.draw(wad_item(outcomes)) for _ in range(items)]) for _ in range(n)]
    stakes = [data.draw(st.one_of(st.integers(0, 10**24), st.just(10**18))) for _ in range(n)]
    revealed = [data.draw(st.booleans()) or i == 0 for i in range(n)]
    seed = harness.seedScore(words, items, outcomes, ETA)
    sc: list[int | None] = [
        harness.score(harness.logLikelihood(f, words, items, outcomes), ETA) if rev else None
        for f, rev in zip(forecasts, revealed, strict=True)
    ]
    expected = [
        pool.score_wad(pool.log_likelihood_wad(f, labels, outcomes), ETA) if rev else None
        for f, rev in zip(forecasts, revealed, strict=True)
    ]
    assert sc == expected
    assert on_chain_settle(harness, stakes, sc, subsidy, seed) == mirror_settle(stakes, sc, subsidy, seed)


@SETTINGS
@given(
    x=st.one_of(st.integers(0, U256 - 1), st.integers(0, 2**128)),
    y=st.one_of(st.integers(0, U256 - 1), st.integers(0, 2**128)),
    d=st.one_of(st.integers(0, U256 - 1), st.integers(0, 2**128), st.just(0)),
)
def test_full_mul_div_port_matches_solady(harness, x, y, d):
    try:
        expected: int | None = pool.full_mul_div(x, y, d)
    except pool.FullMulDivFailed:
        expected = None
    if expected is None:
        reverts("FullMulDivFailed", harness.fullMulDiv, x, y, d)
    else:
        assert harness.fullMulDiv(x, y, d) == expected


@SETTINGS
@given(
    round_=st.integers(0, 2**64),
    op=st.binary(min_size=20, max_size=20),
    model=st.binary(min_size=32, max_size=32),
    forecasts=st.binary(max_size=600),
    salt=st.binary(min_size=32, max_size=32),
)
def test_commitment_matches_mirror(harness, round_, op, model, forecasts, salt):
    operator = harness.chain.w3.to_checksum_address(op)
    got = harness.commitment(round_, operator, model, forecasts, salt)
    assert bytes(got) == pool.commitment(round_, operator, model, forecasts, salt)


def _outcome(fn: Any, *args: Any) -> tuple[Any, ...]:
    """What a harness call or a mirror function does: ("ok", result) or (error name, evidence...)."""
    try:
        return ("ok", fn(*args))
    except ContractReverted as e:
        return (e.error, *e.args_.values())
    except pool.ProbabilityOutOfRange as e:
        return ("ProbabilityOutOfRange", e.item, e.outcome, e.probability_wad)
    except pool.LabelOutOfRange as e:
        return ("LabelOutOfRange", e.item, e.outcome)


@SETTINGS
@given(
    outcomes=st.sampled_from([2, 2, 3, 4]),
    items=st.one_of(st.integers(1, 12), st.integers(60, 70)),
    data=st.data(),
)
def test_bad_forecasts_and_labels_fail_first_where_the_mirror_does(harness, outcomes, items, data):
    """Random forecasts with some invalid values and labels: the same first failure, or the same L."""
    bad_value = st.sampled_from([0, E - 1, WAD - E + 1, WAD, 2**64 - 1, 6 * WAD // 10])
    values = [
        data.draw(
            st.one_of(st.integers(E, WAD // outcomes), bad_value)
            if data.draw(st.integers(0, 9)) == 0
            else st.integers(E, WAD // outcomes)
        )
        for _ in range(items * (outcomes - 1))
    ]
    forecasts = b"".join(v.to_bytes(8, "big") for v in values)
    lanes = [
        data.draw(st.integers(0, outcomes) if data.draw(st.integers(0, 14)) else st.integers(0, 15))
        for _ in range(items)
    ]
    labels = [None if lane == 0 else lane - 1 for lane in lanes]
    words = [0] * ((items + 63) // 64)
    for i, lane in enumerate(lanes):
        words[i // 64] |= lane << (4 * (i % 64))
    if items % 64:
        words[-1] |= data.draw(st.integers(0, 2**256 - 1)) << (4 * (items % 64)) & (2**256 - 1)  # ignored lanes

    assert _outcome(harness.logLikelihood, forecasts, words, items, outcomes) == _outcome(
        pool.log_likelihood_wad, forecasts, labels, outcomes
    )
    got_validate = _outcome(harness.validate, forecasts, items, outcomes)
    want_validate = _outcome(pool.decode_forecasts, forecasts, items, outcomes)
    assert got_validate[0] == want_validate[0] or (got_validate == ("ok", True) and want_validate[0] == "ok")
    if got_validate[0] != "ok":
        assert got_validate == want_validate
    assert _outcome(harness.seedScore, words, items, outcomes, ETA) == _outcome(
        pool.seed_score_wad, labels, outcomes, ETA
    )


# --------------------------------------------------------------------------------------
# Extreme cases
# --------------------------------------------------------------------------------------


def _round_settlement(harness: Harness, labels, forecasts, stakes, subsidy, outcomes=2):
    items = len(labels)
    words = pool.pack_labels(labels)
    seed = harness.seedScore(words, items, outcomes, ETA)
    assert seed == pool.seed_score_wad(labels, outcomes, ETA)
    sc = []
    for f in forecasts:
        if f is None:
            sc.append(None)
            continue
        ll = harness.logLikelihood(f, words, items, outcomes)
        assert ll == pool.log_likelihood_wad(f, labels, outcomes)
        sc.append(harness.score(ll, ETA))
    got = on_chain_settle(harness, stakes, sc, subsidy, seed)
    assert got == mirror_settle(stakes, sc, subsidy, seed)
    return got


def test_extreme_rounds_match_mirror(harness):
    labels = [i % 2 for i in range(64)]
    wrong = pool.pack_forecasts([[WAD - E, E] if y == 1 else [E, WAD - E] for y in labels])  # EPS on the truth
    right = pool.pack_forecasts([[E, WAD - E] if y == 1 else [WAD - E, E] for y in labels])
    half = pool.uniform_forecasts(64, 2)
    ll_wrong = harness.logLikelihood(wrong, pool.pack_labels(labels), 64, 2)
    assert ll_wrong == pool.grouped_log([E] * 64)

    # one operator, all wrong at EPS, no subsidy: it gets its stake back
    payouts, *_, refund = _round_settlement(harness, labels, [wrong], [10**18], 0)
    assert payouts == [10**18] and refund == 0
    # ... with a subsidy: its weight underflows, the community keeps everything
    payouts, weights, *_, refund = _round_settlement(harness, labels, [wrong], [10**18], 10**18)
    assert weights == [0] and payouts == [0] and refund == 2 * 10**18
    # 16 operators, mixed, some unrevealed
    fs = [wrong, right, half, None] * 4
    stakes = [10**18 * (i + 1) for i in range(16)]
    payouts, *_, pot, refund = _round_settlement(harness, labels, fs, stakes, 5 * 10**18)
    assert sum(payouts) + refund == pot
    assert all(p == 0 for p, f in zip(payouts, fs, strict=True) if f is None)
    # S = 0 with stakes; stakes = 0 with S
    payouts, *_, pot, refund = _round_settlement(harness, labels, [right, half], [10**18, 10**18], 0)
    assert payouts[0] > payouts[1] and sum(payouts) + refund == pot == 2 * 10**18
    payouts, *_, pot, refund = _round_settlement(harness, labels, [right, half], [0, 0], 10**18)
    assert payouts == [0, 0] and refund == 10**18
    # all void labels: every score is 0, payouts are pro rata
    payouts, *_ = _round_settlement(harness, [None] * 64, [wrong, right], [10**18, 3 * 10**18], 10**18)
    assert payouts == [10**18, 3 * 10**18]
    # K = 4, the extreme of each outcome
    lab4 = [i % 4 for i in range(64)]
    worst4 = pool.pack_forecasts([[E] * 3 + [WAD - 3 * E] if y != 3 else [WAD - 3 * E, E, E, E] for y in lab4])
    _round_settlement(harness, lab4, [worst4, pool.uniform_forecasts(64, 4)], [10**18, 10**18], 10**18, 4)
    # 2**200-sized stakes (512-bit products in fullMulDiv)
    _round_settlement(harness, labels, [right, wrong, half], [2**200, 2**199, 1], 2**201)


# --------------------------------------------------------------------------------------
# Reverts carry the mirror's evidence
# --------------------------------------------------------------------------------------


def _b(*values: int) -> bytes:
    return b"".join(v.to_bytes(8, "big") for v in values)


def test_bad_inputs_revert_with_the_mirrors_evidence(harness):
    half = _b(WAD // 2)
    cases = [  # (forecasts, labels, K, evidence (item, outcome, probability))
        (_b(E - 1), [0], 2, (0, 0, E - 1)),
        (_b(WAD // 2, WAD - E + 1), [0, 1], 2, (1, 0, WAD - E + 1)),
        (_b(2**64 - 1), [0], 2, (0, 0, 2**64 - 1)),
        (_b(WAD // 2, WAD // 2 - E + 1), [0], 3, (0, 2, E - 1)),
        (_b(6 * WAD // 10, 6 * WAD // 10), [0], 3, (0, 2, -2 * WAD // 10)),
        (_b(E, E, WAD), [0], 4, (0, 2, WAD)),
        (_b(0, WAD // 2), [None, 5], 2, (0, 0, 0)),  # a void item's forecast is checked, before a later bad label
    ]
    for data, labels, k, evidence in cases:
        items = len(labels)
        words = pool.pack_labels(labels)
        got = reverts("ProbabilityOutOfRange", harness.logLikelihood, data, words, items, k)
        assert tuple(got.values()) == evidence
        assert tuple(reverts("ProbabilityOutOfRange", harness.validate, data, items, k).values()) == evidence
        for err in (
            mirror_error(pool.decode_forecasts, data, items, k),
            mirror_error(pool.log_likelihood_wad, data, labels, k),
        ):
            assert (err.item, err.outcome, err.probability_wad) == evidence  # type: ignore[attr-defined]

    assert tuple(reverts("ForecastLengthMismatch", harness.logLikelihood, half, [1], 2, 2).values()) == (16, 8)
    assert tuple(reverts("ForecastLengthMismatch", harness.validate, half + b"\x00", 1, 2).values()) == (8, 9)
    assert tuple(reverts("LabelsTooShort", harness.logLikelihood, half * 65, [0], 65, 2).values()) == (65, 1)
    assert tuple(reverts("LabelsTooShort", harness.seedScore, [], 1, 2, ETA).values()) == (1, 0)
    # label lane 3 = outcome 2 with K = 2; lane 5 = outcome 4 with K = 3
    assert tuple(reverts("LabelOutOfRange", harness.logLikelihood, half * 2, [0x31], 2, 2).values()) == (1, 2)
    assert tuple(reverts("LabelOutOfRange", harness.logLikelihood, _b(WAD // 3, WAD // 3), [0x5], 1, 3).values()) == (
        0,
        4,
    )
    assert tuple(reverts("LabelOutOfRange", harness.seedScore, [0x30], 2, 2, ETA).values()) == (1, 2)
    err = mirror_error(pool.log_likelihood_wad, half * 2, [0, 2], 2)
    assert (err.item, err.outcome) == (1, 2)  # type: ignore[attr-defined]
    assert tuple(reverts("OutcomeCountOutOfRange", harness.logLikelihood, b"", [], 0, 1).values()) == (1,)
    assert tuple(reverts("OutcomeCountOutOfRange", harness.forecastLength, 1, 16).values()) == (16,)
    assert tuple(reverts("EtaOutOfRange", harness.score, -1, 0).values()) == (0,)
    assert tuple(reverts("EtaOutOfRange", harness.score, -1, pool.MAX_ETA_WAD + 1).values()) == (pool.MAX_ETA_WAD + 1,)
    assert tuple(reverts("LogLikelihoodOutOfRange", harness.score, -(2**128) - 1, ETA).values()) == (-(2**128) - 1,)
    assert tuple(reverts("ScoreAboveMax", harness.weight, 1, 5, 4).values()) == (5, 4)
    assert tuple(reverts("SettlementLengthMismatch", harness.settle, 0, 0, [1], [], [True]).values()) == (1, 0)
    assert tuple(reverts("SettlementLengthMismatch", harness.settle, 0, 0, [1], [0], []).values()) == (1, 0)
    assert tuple(reverts("ItemOutOfRange", harness.probabilities, half, 1, 2, 1).values()) == (1, 1)
    assert harness.weight(0, -(10**70), 0) == pool.weight(0, -(10**70), 0) == 0
    assert harness.payout(10, 3, 0) == pool.payout(10, 3, 0) == 0


# --------------------------------------------------------------------------------------
# Gas
# --------------------------------------------------------------------------------------


def test_report_pool_gas(harness):
    items = 64
    labels = [(i * 7 + 3) % 2 for i in range(items)]
    probs = [[0.5 + 0.45 * ((i * 37) % 19 - 9) / 9, 0.0] for i in range(items)]
    forecasts = pool.encode_forecasts([[p, 1 - p] for p, _ in probs])
    words = pool.pack_labels(labels)
    ll, gas_ll = harness.logLikelihoodGas(forecasts, words, items, 2)
    assert ll == pool.log_likelihood_wad(forecasts, labels, 2)
    gas_validate = harness.validateGas(forecasts, items, 2)

    acct = dev_accounts(1)[0]
    harness.send(acct, "storeLabels", words)
    score, gas_stored = harness.scoreStoredGas(forecasts, items, 2, ETA)
    assert score == pool.score_wad(ll, ETA)
    # The same as a transaction: 21,000 + calldata (512 bytes of forecasts) + ABI decoding + execution.
    tx_gas = harness.contract.functions.scoreStoredGas(forecasts, items, 2, ETA).estimate_gas({"from": acct.address})
    calldata = sum(16 if b else 4 for b in forecasts)

    one = pool.uniform_forecasts(1, 2)
    _, gas_ll1 = harness.logLikelihoodGas(one, [words[0] & 15], 1, 2)

    f3 = pool.encode_forecasts([[0.2, 0.3, 0.5]] * items)
    l3 = [i % 3 for i in range(items)]
    ll3, gas_ll3 = harness.logLikelihoodGas(f3, pool.pack_labels(l3), items, 3)
    assert ll3 == pool.log_likelihood_wad(f3, l3, 3)

    settle_gas = {}
    for n in (1, 4, 16):
        stakes = [10**18 + i for i in range(n)]
        sc = [-(i + 1) * 10**17 for i in range(n)]
        settle_gas[n] = harness.settleGas(10**18, -(10**18), stakes, sc, [True] * n)

    per_item = gas_ll / items
    lines = [
        f"logLikelihood, 64-item binary, labels in memory: {gas_ll} ({per_item:.0f} per item)",
        f"logLikelihood, 1 item: {gas_ll1} (marginal per item {(gas_ll - gas_ll1) / (items - 1):.0f})",
        f"validate, 64-item binary: {gas_validate} ({gas_validate / items:.0f} per item)",
        f"logLikelihood, 64 items, K = 3: {gas_ll3} ({gas_ll3 / items:.0f} per item)",
        f"score from stored labels (SLOAD + logLikelihood + score): {gas_stored} ({gas_stored / items:.0f} per item)",
        f"scoring tx estimate (21,000 + {calldata} forecast calldata + decoding + execution): {tx_gas}"
        f" ({(tx_gas - 21_000) / items:.0f} per item beyond 21,000)",
        f"settle n=1/4/16: {settle_gas[1]}/{settle_gas[4]}/{settle_gas[16]}"
        f" ({(settle_gas[16] - settle_gas[1]) / 15:.0f} per operator)",
    ]
    for line in lines:
        print("KellyPool gas " + line)
    assert per_item < 1000
