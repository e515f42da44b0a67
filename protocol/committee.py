"""The committee election rule, mirrored from CommunityRegistry.electCommittee.

Seat i takes pool[j] with j = i + uint256(keccak256(abi.encode(seed, i))) mod (n - i), swapping
as a partial Fisher–Yates shuffle; the pool is the registry's member list, in its order,
filtered to members bonded before the round opened. Anyone can recompute a committee."""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import encode
from eth_utils import keccak

from protocol.errors import CommitteeTooSmall


def elect(pool: Sequence[str], seats: int, seed: bytes) -> list[str]:
    if seats > len(pool):
        raise CommitteeTooSmall(seats, len(pool))
    p = list(pool)
    out = []
    for i in range(seats):
        j = i + int.from_bytes(keccak(encode(["bytes32", "uint256"], [seed, i])), "big") % (len(p) - i)
        p[i], p[j] = p[j], p[i]
        out.append(p[i])
    return out


def fixed_seed(fixed: bytes, round: int) -> bytes:
    """FixedRandomness's seed for `round` (tests): keccak256(abi.encode(fixed, round))."""
    return keccak(encode(["bytes32", "uint64"], [fixed, round]))
