"""Trading strategies, planned with the exact LMSR mirror (pure: no chain, no clock).

`kelly_orders`: a log-utility (Kelly) bettor. For each item it buys the outcome its belief
favours over the market, in the amount that maximises expected log wealth of the bankroll
share set aside for that item:

    max_x  E_y[ ln(W - c(x) + x·[y = k]) ],   c(x) = LMSR cost of x shares of outcome k,

a concave problem in x solved by bisection on its derivative. With Kelly bettors the market
price becomes the wealth-weighted average of beliefs, and wealth moves toward the better
models round after round (Beygelzimer, Langford & Pennock 2012).

`to_belief_orders`: move each item's price to the belief (the market scoring rule's honest
report), for comparison; bounded only by the bankroll."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from protocol import lmsr
from protocol.orders import Order, belief_from_floats

WAD = 10**18


def max_cost(cost_wad: int) -> int:
    """The slippage bound sent with a planned trade: its cost plus 2% and 1e6 wei of rounding
    (if others traded first and it reverts, the next pass re-plans at the new prices)."""
    return cost_wad + cost_wad // 50 + 10**6


@dataclass(frozen=True)
class Plan:
    orders: list[Order]
    beliefs: dict[int, list[float]]  # item -> belief over outcomes
    cost_wad: int  # exact cost if executed against the quantities planned on

    @property
    def max_cost_wad(self) -> int:
        return max_cost(self.cost_wad)

    def order_beliefs(self) -> list[int]:
        """The belief on each order's item, encoded as the trade sends it (one word per order)."""
        return [belief_from_floats(self.beliefs[o.item]) for o in self.orders]


def _expected_log_wealth(p: Sequence[float], k: int, shares: int, cost: int, wealth: int) -> float:
    """E[ln wealth] after buying `shares` of outcome k for `cost` (all in wad)."""
    rest = wealth - cost
    if rest < 0:
        return -math.inf
    total = 0.0
    for j, pj in enumerate(p):
        w = rest + (shares if j == k else 0)
        if pj > 0:
            total += pj * (math.log(w) if w > 0 else -math.inf)
    return total


def kelly_shares(
    q: Sequence[int], k: int, p: Sequence[float], wealth_wad: int, b_wad: int, held: Sequence[int] | None = None
) -> int:
    """Shares of outcome k that maximise expected log wealth, with `wealth_wad` of cash for
    this item and `held` shares per outcome already owned (buy-only markets: a bettor who
    holds too much of one outcome rebalances by buying the other).

    Terminal wealth if y happens: W - c(x) + x·[y = k] + held[y]. The marginal value of one
    more share, p_k(1 - π)/(W - c + x + h_k) - Σ_{j≠k} p_j π/(W - c + h_j) with π the price
    after buying x, decreases in x: bisect for its zero, never spending more than W."""
    h = list(held) if held is not None else [0] * len(q)
    if wealth_wad <= 0 or p[k] <= 0:
        return 0

    def marginal(x: int) -> float:
        cost = lmsr.quote(q, k, x, b_wad)[0] if x > 0 else 0
        after = list(q)
        after[k] += x
        pi = lmsr.prices(after, b_wad)[k]
        rest = wealth_wad - cost
        win = rest + x + h[k]
        if win <= 0:
            return -math.inf
        lose = 0.0
        for j, pj in enumerate(p):
            if j != k and pj > 0:
                if rest + h[j] <= 0:
                    return -math.inf
                lose += pj / (rest + h[j])
        return p[k] * (1 - pi) / win - lose * pi

    if marginal(0) <= 0:  # no edge at the current price, given what is already held
        return 0
    lo, hi = 0, max(1, wealth_wad)
    while lmsr.quote(q, k, hi, b_wad)[0] <= wealth_wad:
        hi *= 2
    while hi - lo > max(1, hi // 10**9):
        mid = (lo + hi) // 2
        cost, _ = lmsr.quote(q, k, mid, b_wad)
        if cost >= wealth_wad or marginal(mid) < 0:
            hi = mid
        else:
            lo = mid
    return lo


def _best_outcome(p: Sequence[float], prices: Sequence[float], cash: int, held: Sequence[int]) -> tuple[int, float]:
    """The outcome to buy and the highest price worth paying for its next share.

    With terminal wealth w_j = cash + held_j, one more share of k adds p_k/w_k - π_k Σ_j p_j/w_j
    to expected log wealth (per wad): positive iff π_k < fair_k = (p_k/w_k) / Σ_j p_j/w_j.
    Buy the outcome with the largest fair_k/π_k; without holdings fair_k = p_k."""
    if not any(held):
        k = max(range(len(p)), key=lambda j: p[j] - prices[j])
        return k, p[k]
    ratio = [p[j] / (cash + held[j]) for j in range(len(p))]
    norm = math.fsum(ratio)
    k = max(range(len(p)), key=lambda j: ratio[j] / (norm * prices[j]) if prices[j] > 0 else math.inf)
    return k, ratio[k] / norm


def kelly_orders(
    quantities: Mapping[int, Sequence[int]],
    beliefs: Mapping[int, Sequence[float]],
    bankroll_wad: int,
    b_wad: int,
    min_edge: float = 0.0,
    held: Mapping[int, Sequence[int]] | None = None,
    spent: Mapping[int, int] | None = None,
) -> Plan:
    """Split the round's bankroll evenly over the items and bet each share Kelly-optimally,
    given what this bettor already holds and spent on the item (so a second pass rebalances
    toward the log-optimal position at the new prices instead of betting afresh).

    The outcome bought is the one whose next share adds most expected log wealth given the
    holdings (not simply the one with the largest edge: a bettor already over-exposed to
    its favourite rebalances by buying the other side, as a Kelly bettor who could sell
    would). Each order's limit is the price up to which that share is still worth buying,
    which without holdings is the model's own belief: if someone moved the price past it
    before this trade lands, the item is skipped rather than bought above its value."""
    items = sorted(beliefs)
    if not items:
        return Plan([], {}, 0)
    per_item = bankroll_wad // len(items)
    orders, total = [], 0
    for i in items:
        q, p = list(quantities[i]), list(beliefs[i])
        prices = lmsr.prices(q, b_wad)
        if max(p[j] - prices[j] for j in range(len(p))) <= min_edge:
            continue
        cash = per_item - (spent or {}).get(i, 0)
        h = list((held or {}).get(i) or [0] * len(p))
        if cash <= 0:
            continue
        k, fair = _best_outcome(p, prices, cash, h)
        x = kelly_shares(q, k, p, cash, b_wad, h)
        if x <= 0:
            continue
        cost, _ = lmsr.quote(q, k, x, b_wad)
        order = Order(i, k, x, limit_wad=min(int(fair * WAD), WAD))
        if not order.within_limit(cost):
            continue  # dust: a few wei of shares whose cost's rounding puts them above the limit
        total += cost
        orders.append(order)
    return Plan(orders, {i: list(beliefs[i]) for i in items}, total)


def to_belief_orders(
    quantities: Mapping[int, Sequence[int]],
    beliefs: Mapping[int, Sequence[float]],
    bankroll_wad: int,
    b_wad: int,
) -> Plan:
    """Move each item's price to the belief (capped at 0.99), within the bankroll."""
    orders, total = [], 0
    for i in sorted(beliefs):
        q, p = list(quantities[i]), list(beliefs[i])
        prices = lmsr.prices(q, b_wad)
        k = max(range(len(p)), key=lambda j: p[j] - prices[j])
        target = min(p[k], 0.99)
        if target <= prices[k]:
            continue
        x = lmsr.shares_to_reach(q, k, target, b_wad)
        if x <= 0:
            continue
        cost, _ = lmsr.quote(q, k, x, b_wad)
        order = Order(i, k, x, limit_wad=int(target * WAD))
        if not order.within_limit(cost):
            continue  # dust (see kelly_orders)
        if total + cost > bankroll_wad:
            break
        total += cost
        orders.append(order)
    return Plan(orders, {i: list(beliefs[i]) for i in sorted(beliefs)}, total)


def expected_log_wealth(
    q: Sequence[int], k: int, p: Sequence[float], shares: int, wealth_wad: int, b_wad: int
) -> float:
    """E[ln wealth] for a candidate purchase (for tests and diagnostics)."""
    cost = lmsr.quote(q, k, shares, b_wad)[0] if shares > 0 else 0
    return _expected_log_wealth(p, k, shares, cost, wealth_wad)
