"""The round interface over the two market types a game is deployed with: open and fund a round, read each
model's forecasts and its stake, payout and profit, whichever market the round ran.

- `pool` (the default): the game's round carries no LMSR market (subsidy 0, liquidity 0); the community's
  subsidy funds the round of the SealedPool beside it, where operators commit sealed forecasts with a stake
  and are paid by the joint Kelly pool on the revealed labels (docs/MARKET.md).
- `lmsr`: the game's sequential per-item LMSR, funded for `items` items at liquidity b; forecasts are the
  beliefs its trades state.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from protocol.chain.contracts import Chain, PredictionGame
from protocol.chain.deployment import Deployment
from protocol.chain.sealed import SealedPool
from protocol.errors import InvalidOption
from protocol.lmsr import max_loss_up
from protocol.pool import decode_forecasts

WAD = 10**18
MARKETS = ("pool", "lmsr")

__all__ = [
    "MARKETS",
    "ModelResult",
    "lmsr_forecasts",
    "market_of",
    "model_results",
    "open_round",
    "round_forecasts",
    "round_subsidy",
]


def market_of(dep: Deployment | None) -> str:
    """The deployment's market type: its record says, or (older records) a SealedPool means `pool`."""
    if dep is None:
        return "lmsr"
    market = dep.params.get("market")
    if market is None:
        return "pool" if "SealedPool" in dep.addresses else "lmsr"
    if market not in MARKETS:
        raise InvalidOption("deployment market", f"{market!r} is none of {', '.join(MARKETS)}")
    return str(market)


def round_subsidy(chain: Chain, items: int, liquidity_wad: int) -> int:
    """What a round funded for `items` items costs the community: the LMSR's worst-case loss on them (b·ln K each).
    The pool gets the same subsidy, so the two market types risk the same S and can be compared on it."""
    return items * max_loss_up(liquidity_wad, chain.game.outcome_count())


def open_round(
    chain: Chain,
    governance: LocalAccount,
    subsidy_wad: int,
    liquidity_wad: int,
    listing_secs: int,
    trading_secs: int,
    reveal_secs: int,
    approve: bool = True,
) -> int:
    """Open the game's next round and fund its market with `subsidy_wad` (approving the token transfer
    unless `approve` is False). Pool: the game round has no LMSR market and the SealedPool's round gets the
    subsidy; LMSR: the game's round does."""
    g = chain.game
    if market_of(chain.deployment) == "pool":
        pool = SealedPool.of(chain)
        rnd = g.open_round(governance, 0, 0, listing_secs, trading_secs, reveal_secs)
        if subsidy_wad:
            if approve:
                chain.token.approve(governance, pool.address, subsidy_wad)
            pool.fund(governance, rnd, subsidy_wad)
        return rnd
    if approve:
        chain.token.approve(governance, g.address, subsidy_wad)
    return g.open_round(governance, subsidy_wad, liquidity_wad, listing_secs, trading_secs, reveal_secs)


def round_forecasts(chain: Chain, round: int, from_block: int | None = None) -> dict[bytes, dict[int, list[float]]]:
    """Model hash → item → probabilities, as the round's market recorded them before any label was revealed:
    a pool round's revealed forecasts (every item), an LMSR round's trade beliefs (the last order per item)."""
    assert chain.deployment is not None
    start = chain.deployment.deployed_block if from_block is None else from_block
    if market_of(chain.deployment) == "lmsr":
        return lmsr_forecasts(chain.game, round, start, chain.game.outcome_count())
    k = chain.game.outcome_count()
    items = chain.game.round_info(round).item_count
    out: dict[bytes, dict[int, list[float]]] = {}
    for rev in SealedPool.of(chain).revealed(round, start):
        rows = decode_forecasts(rev.forecasts, items, k)
        out[rev.model_hash] = {i: [v / WAD for v in row] for i, row in enumerate(rows)}
    return out


def lmsr_forecasts(
    game: PredictionGame, round: int, from_block: int, outcome_count: int
) -> dict[bytes, dict[int, list[float]]]:
    """Model hash → item → the probabilities its trades stated (the last order on an item
    wins; skipped orders state a forecast too)."""
    out: dict[bytes, dict[int, list[float]]] = {}
    for t in game.traded(round, from_block=from_block):
        for n, order in enumerate(t.orders):
            out.setdefault(t.model_hash, {})[order.item] = [lane / WAD for lane in t.belief(n, outcome_count)]
    return out


@dataclass(frozen=True)
class ModelResult:
    """One model's money in one round: what it put in (pool: its stake; LMSR: its trades' cost), what came
    back (pool: payout plus excess stake; LMSR: its redemption) and the difference. `order` is its place in
    the round's arrival order (first commit or first trade), `settled` whether the money came back yet."""

    model_hash: bytes
    operator: str
    stake_wad: int
    payout_wad: int
    order: int
    settled: bool

    @property
    def profit_wad(self) -> int:
        return self.payout_wad - self.stake_wad


def model_results(chain: Chain, round: int, from_block: int | None = None) -> list[ModelResult]:
    """Every model that took part in the round, in arrival order."""
    assert chain.deployment is not None
    start = chain.deployment.deployed_block if from_block is None else from_block
    out: list[ModelResult] = []
    if market_of(chain.deployment) == "pool":
        pool = SealedPool.of(chain)
        for n, c in enumerate(pool.committed(round, start)):
            st = pool.operator_state(round, c.operator)
            final = pool.round_state(round).status in ("finalized", "cancelled")
            out.append(ModelResult(c.model_hash, c.operator, st.stake_wad, st.claim_wad, n, final and st.claimed))
        return out
    g = chain.game
    redeemed = {e.trader: e for e in g.redeemed(round, from_block=start)}
    seen: dict[str, int] = {}
    for t in g.traded(round, from_block=start):
        seen.setdefault(t.trader, len(seen))
    for trader, n in seen.items():
        tr = g.trader(round, trader)
        ev = redeemed.get(trader)
        paid = tr.cost_wad + ev.profit_wad if ev is not None else 0  # the round's profit: its final redeem's
        out.append(ModelResult(tr.model_hash, trader, tr.cost_wad, paid, n, ev is not None))
    return out
