"""Replay a round's trades with the exact LMSR mirror into a market view (pure: no chain I/O).

Only trades change an item's quantities, and each Traded event says which of its orders were
skipped, so the round's events alone give every item's quantities, what each trader holds
and paid per item, and the prices after every fill, to the wei the contract computed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from protocol import lmsr
from protocol.orders import Order


class TradeRecord(Protocol):
    """What a replay needs of a decoded Traded event (protocol.chain.views.Traded is one)."""

    @property
    def trader(self) -> str: ...

    @property
    def executed(self) -> Sequence[Order]: ...


@dataclass
class MarketView:
    quantities: dict[int, list[int]]  # item -> shares sold per outcome (items never traded: absent)
    held: dict[int, list[int]]  # item -> this trader's shares per outcome
    spent: dict[int, int]  # item -> what this trader paid
    events: int  # Traded events so far this round
    mine: int = 0  # ... of which this trader's

    @property
    def others(self) -> int:
        return self.events - self.mine

    def quantities_of(self, item: int, outcome_count: int) -> list[int]:
        """The item's quantities (all zero for an item nobody traded yet)."""
        return self.quantities.get(item, [0] * outcome_count)

    def held_of(self, item: int, outcome_count: int) -> list[int]:
        return self.held.get(item, [0] * outcome_count)


def replay(
    trades: Iterable[TradeRecord],
    liquidity_wad: int,
    outcome_count: int,
    trader: str | None = None,
    on_fill: Callable[[Order, Sequence[int]], None] | None = None,
) -> MarketView:
    """Apply `trades` (oldest first) to an empty market: every executed order adds its shares;
    for `trader`'s orders the mirror's quote of each fill (what the contract charged) counts
    into `spent`, its shares into `held`. `on_fill(order, quantities after it)` sees each fill."""
    view = MarketView({}, {}, {}, 0)
    for t in trades:
        view.events += 1
        is_mine = trader is not None and t.trader == trader
        view.mine += is_mine
        for o in t.executed:
            qi = view.quantities.setdefault(o.item, [0] * outcome_count)
            if is_mine:
                view.spent[o.item] = (
                    view.spent.get(o.item, 0) + lmsr.quote(qi, o.outcome, o.shares_wad, liquidity_wad)[0]
                )
                view.held.setdefault(o.item, [0] * outcome_count)[o.outcome] += o.shares_wad
            qi[o.outcome] += o.shares_wad
            if on_fill is not None:
                on_fill(o, qi)
    return view
