"""Trade orders and beliefs as the PredictionGame contract packs them (one uint256 each)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from protocol.errors import InputError

WAD = 10**18
MAX_OUTCOMES = 4


class InvalidOrder(InputError):
    """An order or belief that cannot be encoded."""

    def __init__(self, field: str, value: object, reason: str):
        self.field = field
        self.value = value
        super().__init__(f"invalid order {field}={value!r}: {reason}")


@dataclass(frozen=True)
class Order:
    """Buy `shares_wad` shares of `outcome` on `item`, unless that costs more than `limit_wad` per
    share on average (cost / shares rounded up above the limit: the contract skips the order)."""

    item: int
    outcome: int
    shares_wad: int
    limit_wad: int = WAD

    def encode(self) -> int:
        """Bits, low first: [0,32) item · [32,40) outcome · [40,136) shares · [136,200) limit."""
        _check("item", self.item, 32)
        _check("outcome", self.outcome, 8)
        _check("shares_wad", self.shares_wad, 96)
        _check("limit_wad", self.limit_wad, 64)
        if self.shares_wad == 0:
            raise InvalidOrder("shares_wad", 0, "must be positive")
        return self.item | self.outcome << 32 | self.shares_wad << 40 | self.limit_wad << 136

    def within_limit(self, cost_wad: int) -> bool:
        """Whether the contract fills this order at `cost_wad`: ceil(cost / shares) <= limit, i.e.
        cost · 1e18 <= limit · shares; a filled order never costs more than shares · limit."""
        return cost_wad * WAD <= self.limit_wad * self.shares_wad

    @classmethod
    def decode(cls, word: int) -> Order:
        return cls(
            item=word & (2**32 - 1),
            outcome=(word >> 32) & 0xFF,
            shares_wad=(word >> 40) & (2**96 - 1),
            limit_wad=(word >> 136) & (2**64 - 1),
        )


def _check(field: str, value: int, bits: int) -> None:
    if not 0 <= value < 2**bits:
        raise InvalidOrder(field, value, f"must fit in {bits} unsigned bits")


def encode_belief(probs_wad: Sequence[int]) -> int:
    """K probabilities (wad) in 64-bit lanes, outcome 0 lowest."""
    if not 2 <= len(probs_wad) <= MAX_OUTCOMES:
        raise InvalidOrder("belief", list(probs_wad), f"needs 2..{MAX_OUTCOMES} outcomes")
    word = 0
    for k, p in enumerate(probs_wad):
        if not 0 <= p <= WAD:
            raise InvalidOrder("belief", p, "a probability must lie in [0, 1e18]")
        word |= p << (64 * k)
    return word


def decode_belief(word: int, outcome_count: int) -> list[int]:
    return [(word >> (64 * k)) & (2**64 - 1) for k in range(outcome_count)]


def belief_from_floats(probs: Sequence[float]) -> int:
    """Encode float probabilities; the last lane takes the rounding remainder so lanes sum to 1e18."""
    lanes = [round(min(max(p, 0.0), 1.0) * WAD) for p in probs[:-1]]
    lanes.append(max(WAD - sum(lanes), 0))
    return encode_belief(lanes)
