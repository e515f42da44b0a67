"""Exact integer mirror of `contracts/libraries/KellyPool.sol`: forecasts, scores, joint Kelly pool payouts to the wei.

The joint Kelly pool (docs: ../shared/research/MARKET_MECHANISMS.md) pays each operator of a
sealed round in proportion to stake x e^(eta x log-likelihood of its revealed forecasts), with
the community's subsidy as a seed bet on the uniform forecast. Every function in the first
parts reproduces the Solidity library bit for bit (solady `lnWad`/`expWad`/`fullMulDiv`, EVM
`sdiv` truncating toward zero), so operators can plan stakes and tests can use it as the
oracle; `encode_forecasts` and `aggregate_forecast` are float conveniences on either side.

Formulas and rounding (identical in KellyPool.sol):
    forecasts   item-major, per item K-1 uint64 big-endian wad values r_0..r_{K-2}, the last
                implied as r_{K-1} = WAD - sum; every r_j (the implied one too) must lie in
                [EPS_WAD, WAD - EPS_WAD]
    labels      4-bit lanes, 64 items per uint256 word, lane = outcome + 1, lane 0 = void item
                (no label: skipped by every score, the seed's too)
    L           = sum over groups of 8 consecutive items of lnWad((Qa >> 120)(Qb >> 120)) - LN_GROUP_OFFSET_WAD,
                  Qa, Qb the exact products of the group's two halves' factors f = r[y] (WAD for a void
                  item or past the end); an all-void group counts 0. That is sum ln r[y] over labelled
                  items within lnWad's error, with one lnWad per 8 items
    score       = sdiv(L * eta, WAD)                                       (toward zero: rounds UP)
    seed        = score of the forecast floor(WAD/K) on outcomes 0..K-2 (implied rest) on every item
    M           = max of the seed score (if S > 0) and the scores of revealed operators with
                  a positive stake (the seed score if none): payouts do not depend on M in
                  exact arithmetic; this choice makes the largest entry's weight its amount
    w_i         = floor(s_i * expWad(score_i - M) / WAD)  (0 if unrevealed or s_i = 0)
    w_0         = floor(S * expWad(seed - M) / WAD)
    Z           = w_0 + sum w_i,   Pot = S + sum of all stakes (unrevealed ones included)
    payout_i    = floor(Pot * w_i / Z)   (full 512-bit precision; 0 for all if Z = 0)
    refund      = Pot - sum payout_i     (the community's: dust and forfeits; >= 0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from protocol.errors import InputError
from protocol.lmsr import exp_wad, ln_wad
from protocol.records import check_address, check_bytes

# --------------------------------------------------------------------------------------
# Constants (identical to KellyPool.sol)
# --------------------------------------------------------------------------------------

WAD = 10**18
EPS = 0.005
EPS_WAD = 5 * 10**15
"""Every probability, the implied one included, lies in [EPS_WAD, WAD - EPS_WAD]."""
MIN_OUTCOMES = 2
MAX_OUTCOMES = 15
"""Labels are 4-bit lanes holding outcome + 1, so K <= 15 (and K * EPS < 1)."""
VALUE_BYTES = 8
LANES_PER_WORD = 64
DEFAULT_ETA_WAD = 2 * 10**17
MAX_ETA_WAD = 10**20
GROUP = 8
"""Items per lnWad in the log-likelihood, as two halves of 4 (a product of 4 factors <= 1e18 is <= 1e72)."""
GROUP_SHIFT = 120
LN_GROUP_OFFSET_WAD = 123770398382862881926
"""lnWad((1e72 >> 120) ** 2): an all-WAD group's lnWad (so such a group counts 0); within 0.14 wei of the
exact offset (126 ln 10 - 240 ln 2) 1e18 of ln(Qa Qb / 1e144) from lnWad((Qa >> 120)(Qb >> 120))."""
_WAD_POW_4 = 10**72
MAX_ABS_LOG_LIKELIHOOD_WAD = 2**128
"""|L| bound for `score_wad` (unreachable by real forecasts: it keeps L * eta inside int256)."""

_U256 = 1 << 256
_I255 = 1 << 255

# --------------------------------------------------------------------------------------
# Errors (one per Solidity custom error, carrying the same evidence)
# --------------------------------------------------------------------------------------


class PoolInputError(InputError, ValueError):
    """A Kelly pool input the library refuses (forecasts, labels, eta or amounts)."""


class OutcomeCountOutOfRange(PoolInputError):
    """K is not in [MIN_OUTCOMES, MAX_OUTCOMES]."""

    def __init__(self, outcomes: int):
        self.outcomes = outcomes
        super().__init__(f"{outcomes} outcomes; the pool supports {MIN_OUTCOMES}..{MAX_OUTCOMES}")


class ForecastLengthMismatch(PoolInputError):
    """The forecast bytes are not items * (K - 1) * 8 long."""

    def __init__(self, expected: int, actual: int):
        self.expected = expected
        self.actual = actual
        super().__init__(f"forecasts are {actual} bytes, expected {expected}")


class ProbabilityOutOfRange(PoolInputError):
    """A probability (outcome K-1: the implied one, possibly negative) outside [EPS_WAD, WAD - EPS_WAD]."""

    def __init__(self, item: int, outcome: int, probability_wad: int):
        self.item = item
        self.outcome = outcome
        self.probability_wad = probability_wad
        super().__init__(
            f"item {item} outcome {outcome}: probability {probability_wad} wad outside [{EPS_WAD}, {WAD - EPS_WAD}]"
        )


class InvalidProbabilities(PoolInputError):
    """A float forecast that cannot be encoded (wrong length, NaN, negative, zero total)."""

    def __init__(self, item: int, value: object, reason: str):
        self.item = item
        self.value = value
        self.reason = reason
        super().__init__(f"item {item}: {reason} ({value!r})")


class LabelOutOfRange(PoolInputError):
    """A label that is not an outcome index below K."""

    def __init__(self, item: int, outcome: int):
        self.item = item
        self.outcome = outcome
        super().__init__(f"item {item}: label {outcome} is not an outcome")


class LabelsTooShort(PoolInputError):
    """Fewer label words than ceil(items / 64)."""

    def __init__(self, items: int, words: int):
        self.items = items
        self.words = words
        super().__init__(f"{words} label words cannot hold {items} items")


class EtaOutOfRange(PoolInputError):
    """eta (wad) outside [1, MAX_ETA_WAD]."""

    def __init__(self, eta_wad: int):
        self.eta_wad = eta_wad
        super().__init__(f"eta {eta_wad} wad outside [1, {MAX_ETA_WAD}]")


class LogLikelihoodOutOfRange(PoolInputError):
    """|L| above MAX_ABS_LOG_LIKELIHOOD_WAD."""

    def __init__(self, log_likelihood_wad: int):
        self.log_likelihood_wad = log_likelihood_wad
        super().__init__(f"log-likelihood {log_likelihood_wad} wad beyond +-{MAX_ABS_LOG_LIKELIHOOD_WAD}")


class ScoreAboveMax(PoolInputError):
    """`weight` asked for a score above the maximum it is taken relative to."""

    def __init__(self, score_wad: int, max_score_wad: int):
        self.score_wad = score_wad
        self.max_score_wad = max_score_wad
        super().__init__(f"score {score_wad} above the maximum {max_score_wad}")


class SettlementLengthMismatch(PoolInputError):
    """Stakes and scores of different lengths."""

    def __init__(self, stakes: int, scores: int):
        self.stakes = stakes
        self.scores = scores
        super().__init__(f"{stakes} stakes but {scores} scores")


class AmountOutOfRange(PoolInputError):
    """An amount or intermediate outside the EVM word (the contract reverts with a panic)."""

    def __init__(self, what: str, value: int):
        self.what = what
        self.value = value
        super().__init__(f"{what} = {value} outside the EVM word")


class FullMulDivFailed(PoolInputError):
    """solady `fullMulDiv`: d = 0 or the quotient does not fit 256 bits (mirrors `FullMulDivFailed()`)."""

    def __init__(self, x: int, y: int, d: int):
        self.x = x
        self.y = y
        self.d = d
        super().__init__(f"fullMulDiv({x}, {y}, {d}) undefined or above 2**256")


# --------------------------------------------------------------------------------------
# EVM and solady kernels
# --------------------------------------------------------------------------------------


def _sdiv(a: int, b: int) -> int:
    """EVM `sdiv` (and Solidity signed `/`) on int256: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def full_mul_div(x: int, y: int, d: int) -> int:
    """solady `fullMulDiv`: floor(x * y / d) in full precision; fails if d = 0 or the result >= 2**256."""
    for name, v in (("x", x), ("y", y), ("d", d)):
        if not 0 <= v < _U256:
            raise AmountOutOfRange(name, v)
    if d == 0 or x * y // d >= _U256:
        raise FullMulDivFailed(x, y, d)
    return x * y // d


def _check_outcomes(outcomes: int) -> None:
    if not MIN_OUTCOMES <= outcomes <= MAX_OUTCOMES:
        raise OutcomeCountOutOfRange(outcomes)


# --------------------------------------------------------------------------------------
# Forecast encoding
# --------------------------------------------------------------------------------------


def forecast_length(items: int, outcomes: int) -> int:
    """Bytes of a forecast of `items` items with `outcomes` outcomes: items * (K - 1) * 8."""
    _check_outcomes(outcomes)
    return items * (outcomes - 1) * VALUE_BYTES


def _check_item(values: Sequence[int], item: int) -> list[int]:
    """The K probabilities of one item from its K-1 explicit values, checked in contract order."""
    total = 0
    for j, v in enumerate(values):
        if not EPS_WAD <= v <= WAD - EPS_WAD:
            raise ProbabilityOutOfRange(item, j, v)
        total += v
    last = WAD - total
    if not EPS_WAD <= last <= WAD - EPS_WAD:
        raise ProbabilityOutOfRange(item, len(values), last)
    return [*values, last]


def _item_values(data: bytes, item: int, outcomes: int) -> list[int]:
    stride = (outcomes - 1) * VALUE_BYTES
    base = item * stride
    return [
        int.from_bytes(data[base + VALUE_BYTES * j : base + VALUE_BYTES * (j + 1)], "big") for j in range(outcomes - 1)
    ]


def decode_forecasts(data: bytes, items: int, outcomes: int) -> list[list[int]]:
    """The K wad probabilities (the implied last one included) of every item, validated as the contract does."""
    expected = forecast_length(items, outcomes)
    if len(data) != expected:
        raise ForecastLengthMismatch(expected, len(data))
    return [_check_item(_item_values(data, i, outcomes), i) for i in range(items)]


def pack_forecasts(probs_wad: Sequence[Sequence[int]]) -> bytes:
    """Pack exact wad probabilities (K per item, the last one dropped: it is implied) without validation."""
    out = bytearray()
    for row in probs_wad:
        for v in row[:-1]:
            out += int(v).to_bytes(VALUE_BYTES, "big")
    return bytes(out)


def _project(p: Sequence[float], item: int) -> list[float]:
    """Scale then clip: x_j = clip(c * p_j / sum p, EPS, 1 - EPS) with c found so that sum x = 1."""
    for v in p:
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise InvalidProbabilities(item, v, "probabilities must be finite and non-negative")
    total = math.fsum(p)
    if total <= 0:
        raise InvalidProbabilities(item, list(p), "probabilities sum to zero")
    q = [v / total for v in p]
    lo, hi = EPS, 1.0 - EPS

    def mass(c: float) -> float:
        return math.fsum(min(max(c * v, lo), hi) for v in q)

    c_lo, c_hi = 0.0, hi / max(q)  # mass(c_hi) >= hi + (K - 1) lo >= 1 (and max(q) >= 1 / K)
    for _ in range(200):
        mid = 0.5 * (c_lo + c_hi)
        if mass(mid) < 1.0:
            c_lo = mid
        else:
            c_hi = mid
    return [min(max(c_hi * v, lo), hi) for v in q]


def _to_wad(x: Sequence[float]) -> list[int]:
    """Round to wad integers in [EPS_WAD, WAD - EPS_WAD] summing to exactly WAD: each float is read
    as its shortest decimal (what was meant), and the few wei of rounding go to the coordinates
    with the most room."""
    lo, hi = EPS_WAD, WAD - EPS_WAD
    v = [min(max(round(Decimal(repr(float(xj))) * WAD), lo), hi) for xj in x]  # 0.3 -> 3e17 exactly
    d = WAD - sum(v)
    while d != 0:  # K * EPS_WAD < WAD <= K * (WAD - EPS_WAD): the room always suffices
        if d > 0:
            j = max(range(len(v)), key=lambda i: hi - v[i])
            step = min(d, hi - v[j])
        else:
            j = max(range(len(v)), key=lambda i: v[i] - lo)
            step = -min(-d, v[j] - lo)
        v[j] += step
        d -= step
    return v


def encode_forecasts(probs: Sequence[Sequence[float]]) -> bytes:
    """Encode float forecasts (K probabilities per item, any positive total) as the contract's bytes.

    Each item is normalised, then scaled and clipped into [EPS, 1 - EPS] (the scale chosen so it
    still sums to 1: a probability above 1 - EPS gives its excess to the others in proportion),
    then rounded to wad values that sum to exactly WAD, so the implied last one is valid too.
    """
    if not probs:
        return b""
    outcomes = len(probs[0])
    _check_outcomes(outcomes)
    rows = []
    for i, p in enumerate(probs):
        if len(p) != outcomes:
            raise InvalidProbabilities(i, list(p), f"expected {outcomes} probabilities")
        rows.append(_to_wad(_project(p, i)))
    data = pack_forecasts(rows)
    decode_forecasts(data, len(rows), outcomes)  # by construction; a cheap guarantee
    return data


def forecasts_as_floats(data: bytes, items: int, outcomes: int) -> list[list[float]]:
    """Decoded forecasts as float probabilities (for reporting)."""
    return [[v / WAD for v in row] for row in decode_forecasts(data, items, outcomes)]


def uniform_forecasts(items: int, outcomes: int) -> bytes:
    """The community's seed forecast: floor(WAD / K) on outcomes 0..K-2, the rest implied on the last."""
    _check_outcomes(outcomes)
    return (WAD // outcomes).to_bytes(VALUE_BYTES, "big") * ((outcomes - 1) * items)


# --------------------------------------------------------------------------------------
# Commitment and labels
# --------------------------------------------------------------------------------------


def commitment(round: int, operator: str, model_hash: bytes, forecasts: bytes, salt: bytes) -> bytes:
    """keccak256(abi.encode(uint256 round, address operator, bytes32 modelHash, bytes forecasts, bytes32 salt))."""
    return bytes(
        keccak(
            abi_encode(
                ["uint256", "address", "bytes32", "bytes", "bytes32"],
                [
                    round,
                    check_address(operator, "operator"),
                    check_bytes(model_hash, "model_hash", 32),
                    bytes(forecasts),
                    check_bytes(salt, "salt", 32),
                ],
            )
        )
    )


def pack_labels(labels: Sequence[int | None]) -> list[int]:
    """Labels as the contract reads them: 4-bit lanes (outcome + 1; 0 = void), 64 items per word."""
    words = [0] * ((len(labels) + LANES_PER_WORD - 1) // LANES_PER_WORD)
    for i, y in enumerate(labels):
        lane = 0 if y is None else y + 1
        if not 0 <= lane <= 15:
            raise LabelOutOfRange(i, lane - 1)
        words[i // LANES_PER_WORD] |= lane << (4 * (i % LANES_PER_WORD))
    return words


# --------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------


def log_likelihood_wad(forecasts: bytes, labels: Sequence[int | None], outcomes: int) -> int:
    """L, the log-likelihood of the forecasts on the labels (None = void item), as the contract computes it.

    Items go in groups of GROUP = 8 consecutive items; an item's factor is r[y] in wad, or WAD if it
    is void or past the end; see `grouped_log`. Within lnWad's error (plus < 1e-26 nats of the
    shifts' truncation and < 1 wei of offset rounding per group) this is sum ln r[y] over labelled items.
    Every item's forecast is validated (void ones too), in item order, each item's values before
    its label: the first failure is the one the contract reverts with.
    """
    items = len(labels)
    expected = forecast_length(items, outcomes)
    if len(forecasts) != expected:
        raise ForecastLengthMismatch(expected, len(forecasts))
    factors = []
    for i, y in enumerate(labels):
        r = _check_item(_item_values(forecasts, i, outcomes), i)
        if y is not None and not 0 <= y < outcomes:
            raise LabelOutOfRange(i, y)
        factors.append(WAD if y is None else r[y])
    return grouped_log(factors)


def grouped_log(factors: Sequence[int]) -> int:
    """sum over groups of GROUP factors (the last padded with WAD) of lnWad((Qa >> 120)(Qb >> 120)) - offset,
    Qa and Qb the products of each group's two halves; an all-WAD group counts 0 (the contract skips it)."""
    total = 0
    for g in range(0, len(factors), GROUP):
        chunk = [*factors[g : g + GROUP], *([WAD] * (GROUP - len(factors[g : g + GROUP])))]
        qa = chunk[0] * chunk[1] * chunk[2] * chunk[3]
        qb = chunk[4] * chunk[5] * chunk[6] * chunk[7]
        if qa == qb == _WAD_POW_4:
            continue
        total += ln_wad((qa >> GROUP_SHIFT) * (qb >> GROUP_SHIFT)) - LN_GROUP_OFFSET_WAD
    return total


def score_wad(log_likelihood: int, eta_wad: int = DEFAULT_ETA_WAD) -> int:
    """eta * L in wad: sdiv(L * eta, WAD), truncated toward zero (so a negative L's score rounds up)."""
    if not abs(log_likelihood) <= MAX_ABS_LOG_LIKELIHOOD_WAD:
        raise LogLikelihoodOutOfRange(log_likelihood)
    if not 1 <= eta_wad <= MAX_ETA_WAD:
        raise EtaOutOfRange(eta_wad)
    return _sdiv(log_likelihood * eta_wad, WAD)


def seed_score_wad(labels: Sequence[int | None], outcomes: int, eta_wad: int = DEFAULT_ETA_WAD) -> int:
    """The community's seed score: `score_wad` of `uniform_forecasts` on these labels (exact)."""
    return score_wad(log_likelihood_wad(uniform_forecasts(len(labels), outcomes), labels, outcomes), eta_wad)


# --------------------------------------------------------------------------------------
# Settlement
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settlement:
    """A settled round: per operator (in input order) its weight and payout; the community's refund."""

    payouts: tuple[int, ...]
    refund: int
    total_weight: int  # Z
    max_score: int  # M
    weights: tuple[int, ...]
    seed_weight: int  # w_0
    pot: int
    subsidy: int

    @property
    def community_loss(self) -> int:
        """What the community lost: subsidy - refund (<= subsidy; negative when it gains forfeits)."""
        return self.subsidy - self.refund


def weight(amount: int, score: int, max_score: int) -> int:
    """floor(amount * expWad(score - max_score) / WAD): at most `amount` (0 for amount 0)."""
    if score > max_score:
        raise ScoreAboveMax(score, max_score)
    if amount == 0:
        return 0
    diff = score - max_score
    if diff < -_I255:
        raise AmountOutOfRange("score - max_score", diff)
    return full_mul_div(amount, exp_wad(diff), WAD)


def payout(pot: int, weight_: int, total_weight: int) -> int:
    """floor(pot * weight / total_weight) in full precision; 0 when total_weight is 0."""
    return 0 if total_weight == 0 else full_mul_div(pot, weight_, total_weight)


def max_score(subsidy: int, seed_score: int, stakes: Sequence[int], scores: Sequence[int | None]) -> int:
    """M: the largest score with a positive amount behind it (the seed if S > 0); the seed score if none."""
    m: int | None = seed_score if subsidy > 0 else None
    for s, sc in zip(stakes, scores, strict=True):
        if sc is not None and s > 0 and (m is None or sc > m):
            m = sc
    return seed_score if m is None else m


def settle(stakes: Sequence[int], scores: Sequence[int | None], subsidy: int, seed_score: int) -> Settlement:
    """Settle a round: scores[i] is operator i's `score_wad`, None if it never revealed (its stake is forfeit)."""
    if len(stakes) != len(scores):
        raise SettlementLengthMismatch(len(stakes), len(scores))
    pot = subsidy
    if not 0 <= subsidy < _U256:
        raise AmountOutOfRange("subsidy", subsidy)
    for s in stakes:
        if not 0 <= s < _U256:
            raise AmountOutOfRange("stake", s)
        pot += s
    if pot >= _U256:
        raise AmountOutOfRange("pot", pot)
    m = max_score(subsidy, seed_score, stakes, scores)
    weights = tuple(0 if sc is None or s == 0 else weight(s, sc, m) for s, sc in zip(stakes, scores, strict=True))
    w0 = weight(subsidy, seed_score, m) if subsidy > 0 else 0
    z = w0 + sum(weights)
    payouts = tuple(payout(pot, w, z) for w in weights)
    return Settlement(
        payouts=payouts,
        refund=pot - sum(payouts),
        total_weight=z,
        max_score=m,
        weights=weights,
        seed_weight=w0,
        pot=pot,
        subsidy=subsidy,
    )


# --------------------------------------------------------------------------------------
# Sealed rounds: the stake cap and the settlement `SealedPool.finalize` makes
# --------------------------------------------------------------------------------------

DEFAULT_STAKE_CAP_FACTOR_WAD = WAD
"""c = 1: the pool stakes of a sealed round sum to at most its subsidy S."""
MAX_CAP_FACTOR_WAD = 10**21
"""SealedPool.MAX_CAP_FACTOR_WAD (c <= 1000)."""


def stake_cap(subsidy: int, cap_factor_wad: int = DEFAULT_STAKE_CAP_FACTOR_WAD) -> int:
    """T = floor(c * S / WAD): the most a sealed round's pool stakes may sum to (SealedPool._cap, DOWN)."""
    return full_mul_div(subsidy, cap_factor_wad, WAD)


def pool_stakes(stakes: Sequence[int], subsidy: int, cap_factor_wad: int = DEFAULT_STAKE_CAP_FACTOR_WAD) -> list[int]:
    """Each stake's part in the pool, s' (SealedPool._poolStake): s if the stakes sum to at most T,
    else floor(s * T / sum s) (DOWN, so sum s' <= T); the excess s - s' goes back to its operator."""
    total = sum(stakes)
    cap = stake_cap(subsidy, cap_factor_wad)
    if total <= cap:
        return list(stakes)
    return [full_mul_div(s, cap, total) for s in stakes]


@dataclass(frozen=True)
class SealedSettlement:
    """A sealed round settled as `SealedPool.finalize` does: the stake cap, then `settle` on the
    capped stakes. Per operator (in input order) what a claim pays: payout + excess."""

    settlement: Settlement  # on the pool stakes s'
    stakes: tuple[int, ...]  # as committed
    pool_stakes: tuple[int, ...]  # s'
    excess: tuple[int, ...]  # s - s', returned at claim

    @property
    def payouts(self) -> tuple[int, ...]:
        return self.settlement.payouts

    @property
    def claims(self) -> tuple[int, ...]:
        """What each operator's claim transfers: its payout plus its excess stake."""
        return tuple(p + e for p, e in zip(self.settlement.payouts, self.excess, strict=True))

    @property
    def refund(self) -> int:
        """What finalize sends the treasury: Pot - sum of payouts (forfeits and dust included)."""
        return self.settlement.refund


def settle_sealed(
    stakes: Sequence[int],
    scores: Sequence[int | None],
    subsidy: int,
    seed_score: int,
    cap_factor_wad: int = DEFAULT_STAKE_CAP_FACTOR_WAD,
) -> SealedSettlement:
    """Settle a sealed round (scores[i] None: operator i never revealed; its pool stake is forfeit,
    its excess comes back). Subsidy + sum of stakes = sum of claims + refund, exactly."""
    if len(stakes) != len(scores):
        raise SettlementLengthMismatch(len(stakes), len(scores))
    capped = pool_stakes(stakes, subsidy, cap_factor_wad)
    return SealedSettlement(
        settlement=settle(capped, scores, subsidy, seed_score),
        stakes=tuple(stakes),
        pool_stakes=tuple(capped),
        excess=tuple(s - c for s, c in zip(stakes, capped, strict=True)),
    )


# --------------------------------------------------------------------------------------
# Reporting (floats)
# --------------------------------------------------------------------------------------


def aggregate_forecast(
    forecasts: Sequence[bytes | None], stakes: Sequence[int], items: int, outcomes: int
) -> list[list[float]]:
    """The round's market forecast pi_k = sum_i s_i r_ik / sum_i s_i over revealed forecasts (None =
    unrevealed); the uniform forecast if no revealed stake."""
    if len(forecasts) != len(stakes):
        raise SettlementLengthMismatch(len(stakes), len(forecasts))
    acc = [[0] * outcomes for _ in range(items)]
    total = 0
    for data, s in zip(forecasts, stakes, strict=True):
        if data is None or s == 0:
            continue
        total += s
        for row, probs in zip(acc, decode_forecasts(data, items, outcomes), strict=True):
            for j, v in enumerate(probs):
                row[j] += s * v
    if total == 0:
        return [[1.0 / outcomes] * outcomes for _ in range(items)]
    return [[v / (total * WAD) for v in row] for row in acc]
