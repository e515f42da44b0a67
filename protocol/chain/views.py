"""Typed views of the game's on-chain state and events: what the contract bindings return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from protocol.orders import Order, decode_belief

PHASES = ("none", "electing", "listing", "trading", "revealing", "settleable", "settled", "cancelled")
STATUSES = ("none", "open", "settled", "cancelled")


@dataclass(frozen=True)
class ModelRecord:
    model_hash: bytes
    operator: str
    registered_at: int
    rounds_traded: int
    cumulative_profit_wad: int
    vk_id: bytes
    settings_id: bytes
    endpoint: str


@dataclass(frozen=True)
class RoundInfo:
    """`PredictionGame.roundInfo`: a round's deadlines, market terms and accounts."""

    listing_ends: int
    trading_ends: int
    reveal_ends: int
    open_block: int
    liquidity_wad: int  # LMSR b, fixed at openRound
    subsidy_wad: int
    reserved_wad: int
    item_count: int
    listing_count: int
    status: str  # one of STATUSES
    elected: bool
    collected_wad: int
    obligations_wad: int
    paid_out_wad: int
    treasury_return_wad: int

    @property
    def sealed(self) -> bool:
        """A round opened with liquidity 0 (and subsidy 0): no LMSR market, `trade` reverts
        NoLmsrMarket, listing is bounded by the quota only; a pool game's SealedPool is its market."""
        return self.liquidity_wad == 0

    def start_of(self, phase: str) -> int:
        """When `phase` ('trading', 'revealing' or 'settleable') begins: the previous one's end."""
        return {"trading": self.listing_ends, "revealing": self.trading_ends, "settleable": self.reveal_ends}[phase]

    @classmethod
    def decode(cls, row: Sequence[Any]) -> RoundInfo:
        (
            listing_ends,
            trading_ends,
            reveal_ends,
            open_block,
            liquidity,
            subsidy,
            reserved,
            item_count,
            listing_count,
            status,
            elected,
            collected,
            obligations,
            paid_out,
            treasury_return,
        ) = row
        return cls(
            int(listing_ends),
            int(trading_ends),
            int(reveal_ends),
            int(open_block),
            int(liquidity),
            int(subsidy),
            int(reserved),
            int(item_count),
            int(listing_count),
            STATUSES[int(status)],
            bool(elected),
            int(collected),
            int(obligations),
            int(paid_out),
            int(treasury_return),
        )


@dataclass(frozen=True)
class Listing:
    """One committee member's listing in a round: items [first_item, first_item + count)."""

    member: str
    first_item: int
    count: int
    revealed: bool
    voided: bool
    items_root: bytes
    key_hash: bytes
    collected_wad: int
    payout_owed_wad: int

    @classmethod
    def decode(cls, row: Sequence[Any]) -> Listing:
        member, first, count, revealed, voided, root, key_hash, collected, owed = row
        return cls(
            str(member),
            int(first),
            int(count),
            bool(revealed),
            bool(voided),
            bytes(root),
            bytes(key_hash),
            int(collected),
            int(owed),
        )

    @property
    def items(self) -> range:
        return range(self.first_item, self.first_item + self.count)


@dataclass(frozen=True)
class Trader:
    """`PredictionGame.traderOf`: a trader's model, total cost, positions and redemption in a round."""

    model_hash: bytes
    cost_wad: int
    positions: int  # items with a non-zero position (each redeem call clears some)
    redeemed: bool  # the last position was cleared: profit recorded, Redeemed emitted
    payout_wad: int = 0  # paid by redeem calls so far for revealed outcomes
    refund_wad: int = 0  # refunded by redeem calls so far

    @classmethod
    def decode(cls, row: Sequence[Any]) -> Trader:
        h, cost, positions, redeemed, payout, refund = row
        return cls(bytes(h), int(cost), int(positions), bool(redeemed), int(payout), int(refund))


@dataclass(frozen=True)
class Traded:
    """A `Traded` event: every submitted order (in order) with its belief word, and the bitmap
    of the orders the contract skipped (average price above the order's limit, or a void listing)."""

    round: int
    trader: str
    model_hash: bytes
    cost_wad: int
    orders: tuple[Order, ...]
    beliefs: tuple[int, ...]  # encoded belief per order (protocol.orders.encode_belief)
    skipped_bitmap: tuple[int, ...]  # bit n of word n // 256: orders[n] was skipped
    block_number: int | None = None

    @classmethod
    def decode(cls, args: Mapping[str, Any], block_number: int | None = None) -> Traded:
        return cls(
            int(args["round"]),
            str(args["trader"]),
            bytes(args["modelHash"]),
            int(args["costWad"]),
            tuple(Order.decode(int(w)) for w in args["orders"]),
            tuple(int(b) for b in args["beliefs"]),
            tuple(int(s) for s in args["skipped"]),
            block_number,
        )

    def skipped(self, n: int) -> bool:
        """Whether orders[n] was skipped (it would have cost more than its limit per share, or its listing was void)."""
        return bool((self.skipped_bitmap[n >> 8] >> (n & 255)) & 1)

    @property
    def executed(self) -> list[Order]:
        """The orders that were filled, in execution order."""
        return [o for n, o in enumerate(self.orders) if not self.skipped(n)]

    def belief(self, n: int, outcome_count: int) -> list[int]:
        """The model's belief (wad per outcome) on orders[n]'s item."""
        return decode_belief(self.beliefs[n], outcome_count)


@dataclass(frozen=True)
class Redeemed:
    """A `Redeemed` event, emitted by a trader's last `redeem` call of a round (the one that clears
    its last position): the totals it got back over all its calls, and its model's profit."""

    round: int
    trader: str
    model_hash: bytes
    payout_wad: int
    refund_wad: int
    profit_wad: int  # payout + refund - cost (negative for a loss)
    block_number: int | None = None

    @classmethod
    def decode(cls, args: Mapping[str, Any], block_number: int | None = None) -> Redeemed:
        return cls(
            int(args["round"]),
            str(args["trader"]),
            bytes(args["modelHash"]),
            int(args["payoutWad"]),
            int(args["refundWad"]),
            int(args["profitWad"]),
            block_number,
        )

    @property
    def amount_wad(self) -> int:
        return self.payout_wad + self.refund_wad


@dataclass(frozen=True)
class RedeemedPart:
    """A `RedeemedPart` event: a `redeem` call that left positions to clear, and what it paid."""

    round: int
    trader: str
    payout_wad: int
    refund_wad: int
    positions_left: int
    block_number: int | None = None

    @classmethod
    def decode(cls, args: Mapping[str, Any], block_number: int | None = None) -> RedeemedPart:
        return cls(
            int(args["round"]),
            str(args["trader"]),
            int(args["payoutWad"]),
            int(args["refundWad"]),
            int(args["positionsLeft"]),
            block_number,
        )

    @property
    def amount_wad(self) -> int:
        return self.payout_wad + self.refund_wad
