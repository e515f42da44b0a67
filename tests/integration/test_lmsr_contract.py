"""LMSR.sol (through LMSRHarness on the anvil devnet) agrees with protocol/lmsr.py to the wei."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import lmsr
from protocol.chain import ContractReverted, Devnet
from tests.conftest import Harness, deploy_harness

pytestmark = pytest.mark.integration

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

ONE = lmsr.ONE_X96
MAX_Q = lmsr.MAX_QUANTITY_WAD

liquidity = st.one_of(
    st.integers(lmsr.MIN_LIQUIDITY_WAD, lmsr.MAX_LIQUIDITY_WAD),
    st.integers(15, 27).map(lambda e: 10**e),
    st.integers(10**17, 10**19),
)


@st.composite
def markets(draw: st.DrawFn) -> tuple[list[int], int, int, int]:
    """(q, k, shares, b) with quantities spread around the scale of b, plus edge cases."""
    b = draw(liquidity)
    n = draw(st.sampled_from([2, 3, 4]))
    base = draw(st.integers(0, MAX_Q // 2))
    spread = st.one_of(
        st.integers(0, 3 * b),
        st.integers(0, 80 * b),
        st.just(0),
        st.integers(0, MAX_Q // 2),
    )
    q = [min(MAX_Q, base + draw(spread)) for _ in range(n)]
    if draw(st.booleans()):
        q = [min(v, draw(st.integers(0, 3 * b))) for v in q]  # near the opening state
    k = draw(st.integers(0, n - 1))
    shares = draw(st.one_of(st.integers(0, 5 * b), st.integers(0, 100 * b), st.just(1)))
    shares = min(shares, MAX_Q - q[k])
    return q, k, shares, b


@pytest.fixture(scope="module")
def harness(devnet: Devnet) -> Harness:
    return deploy_harness(devnet.url, "LMSRHarness")


def reverts(error: str, fn: Any, *args: Any) -> None:
    with pytest.raises(ContractReverted) as info:
        fn(*args)
    assert info.value.error == error, str(info.value)


@SETTINGS
@given(market=markets())
def test_quote_matches_mirror_to_the_wei(harness, market):
    q, k, shares, b = market

    got = tuple(harness.quote(q, k, shares, b))

    assert got == lmsr.quote(q, k, shares, b)
    if len(q) == 2:
        assert tuple(harness.quoteBinary(q[0], q[1], k, shares, b)) == got


@SETTINGS
@given(market=markets())
def test_costs_and_prices_match_mirror_to_the_wei(harness, market):
    q, k, _, b = market

    bounds = harness.costBounds(q, b)
    price = harness.priceWad(q, k, b)

    assert tuple(bounds) == lmsr.cost_bounds(q, b)
    assert harness.costUp(q, b) == lmsr.cost_up(q, b)
    assert harness.costDown(q, b) == lmsr.cost_down(q, b)
    assert price == lmsr.price_wad(q, k, b)


@SETTINGS
@given(
    x=st.one_of(st.integers(0, 70 * ONE), st.integers(0, ONE), st.integers(0, 2**64)),
    s=st.one_of(st.integers(ONE, 4 * ONE), st.integers(ONE, ONE + 2**70)),
    xw=st.integers(-42 * 10**18, 135 * 10**18),
    yw=st.one_of(st.integers(1, 2**255 - 1), st.integers(1, 10**22)),
)
def test_kernels_match_mirror_bit_for_bit(harness, x, s, xw, yw):
    assert harness.expNegX96(x) == lmsr.exp_neg_x96(x)
    assert harness.lnX96(s) == lmsr.ln_x96(s)
    assert harness.expWad(xw) == lmsr.exp_wad(xw)
    assert harness.lnWad(yw) == lmsr.ln_wad(yw)


@SETTINGS
@given(b=liquidity, n=st.sampled_from([2, 3, 4]))
def test_max_loss_and_eps_match_mirror(harness, b, n):
    assert harness.maxLossUp(b, n) == lmsr.max_loss_up(b, n)
    assert harness.eps(b, n) == lmsr.eps(b, n)


def test_bad_inputs_revert_with_custom_errors(harness):
    b = 10**18
    reverts("LiquidityOutOfRange", harness.quote, [0, 0], 0, 1, 10**15 - 1)
    reverts("LiquidityOutOfRange", harness.maxLossUp, 10**27 + 1, 2)
    reverts("OutcomeCountOutOfRange", harness.quote, [0, 0, 0, 0, 0], 0, 1, b)
    reverts("OutcomeCountOutOfRange", harness.costBounds, [0], b)
    reverts("OutcomeOutOfRange", harness.quote, [0, 0, 0], 3, 1, b)
    reverts("OutcomeOutOfRange", harness.quoteBinary, 0, 0, 2, 1, b)
    reverts("QuantityOutOfRange", harness.quote, [MAX_Q + 1, 0], 1, 1, b)
    reverts("QuantityOutOfRange", harness.quote, [MAX_Q, 0, 0], 0, 1, b)
    reverts("QuantityOutOfRange", harness.quoteBinary, 0, 0, 0, 2**256 - 1, b)


def test_report_quote_gas(harness):
    b = 10**18
    cases = {
        "K=2 quoteBinary": harness.quoteBinaryGas(3 * 10**18, 10**18, 1, 10**18, b),
        "K=2 quote (array)": harness.quoteGas([3 * 10**18, 10**18], 1, 10**18, b),
        "K=3 quote, max unchanged": harness.quoteGas([3 * 10**18, 10**18, 0], 1, 10**18, b),
        "K=4 quote, max unchanged": harness.quoteGas([3 * 10**18, 10**18, 0, 2], 1, 10**18, b),
        "K=4 quote, new max": harness.quoteGas([3 * 10**18, 10**18, 0, 2], 1, 5 * 10**18, b),
    }
    for name, (cost, price, gas) in cases.items():
        print(f"LMSR gas {name}: {gas} (cost {cost}, price before {price})")
    q4 = [3 * 10**18, 10**18, 0, 2]
    assert tuple(cases["K=4 quote, new max"][:2]) == lmsr.quote(q4, 1, 5 * 10**18, b)
