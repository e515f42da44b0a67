"""`hayek demo-round`: one scripted round on a fresh devnet, printing what happened.

Accounts play every part: five members (three elected to the committee), three traders whose
"models" are noisy oracles of different skill. Traders move each item's price to their
belief (planned with the Python LMSR mirror) in two passes; the committee reveals; the round
settles; everyone redeems; the profit per model hash is read back from the chain."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from protocol import lmsr
from protocol.chain import Devnet, GameParams
from protocol.chain.devkit import DevGame
from protocol.orders import Order, belief_from_floats

WAD = 10**18
console = Console()


def _log_loss(p1: float, label: int) -> float:
    p = min(max(p1 if label == 1 else 1 - p1, 1e-12), 1.0)
    return -math.log(p)


@click.command("demo-round")
@click.option("--items-per-member", type=int, default=16, show_default=True)
@click.option("--liquidity", type=float, default=0.5, show_default=True, help="LMSR b per item (tokens)")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--summary", type=click.Path(path_type=Path), default=None, help="write a JSON summary here")
def demo_round(items_per_member: int, liquidity: float, seed: int, summary: Path | None) -> None:
    """Deploy to a fresh anvil devnet and play one scripted round end to end."""
    rng = random.Random(seed)
    b = int(liquidity * WAD)
    with Devnet(accounts=20) as devnet:
        console.rule("[bold]Hayek — one scripted round on a fresh devnet")
        game = DevGame.launch(devnet.url, n_members=5, n_traders=3, params=GameParams())
        g = game.chain.game
        console.print(f"devnet {devnet.url}; game at {game.deployment.addresses['PredictionGame']}")
        rnd = game.open_round(b, items=3 * items_per_member)
        info = g.round_info(rnd)
        console.print(f"round {rnd} opened: subsidy {info['subsidyWad'] / WAD:.3f} tokens, b = {liquidity}")
        committee = game.elect(rnd)
        console.print("committee (block-hash seed): " + ", ".join(a.address[:10] for a in committee))
        listings = [game.list_random(rnd, m, items_per_member, rng) for m in committee]
        n = sum(len(x.labels) for x in listings)
        truth = {i: lab for x in listings for i, lab in zip(x.items, x.labels)}
        console.print(f"{n} items listed with salted label commitments")

        skills = [2.5, 1.2, 0.4]
        beliefs = {
            j: {i: 1 / (1 + math.exp(-((2 * truth[i] - 1) * s + rng.gauss(0, 1)))) for i in truth}
            for j, s in enumerate(skills)
        }
        hashes = [game.register_model(t, f"demo-{j}") for j, t in enumerate(game.traders)]
        game.to_phase(rnd, "trading")
        for pass_ in range(2):
            for j, t in enumerate(game.traders):
                orders, bels, planned = [], [], 0
                for i in truth:
                    q = g.quantities(rnd, i)
                    p1 = min(max(beliefs[j][i], 0.01), 0.99)
                    k, target = (1, p1) if p1 > lmsr.prices(q, b)[1] else (0, 1 - p1)
                    shares = lmsr.shares_to_reach(q, k, target, b)
                    if shares <= 0:
                        continue
                    cost, _ = lmsr.quote(q, k, shares, b)
                    planned += cost
                    orders.append(Order(i, k, shares, int(target * WAD)).encode())
                    bels.append(belief_from_floats([1 - p1, p1]))
                if orders:
                    r = g.trade(t, rnd, hashes[j], orders, bels, planned + planned // 100 + 10**6)
                    ev = g.events(r, "Traded")[0]
                    console.print(f"pass {pass_ + 1}: trader {j} bought on {len(orders)} items for "
                                  f"{ev['costWad'] / WAD:.4f} ({r['gasUsed'] / len(orders):,.0f} gas/item)")
        final = {i: lmsr.prices(g.quantities(rnd, i), b)[1] for i in truth}
        game.to_phase(rnd, "revealing")
        for x in listings:
            game.reveal(x)
        console.print("committee revealed labels, salts and batch keys")
        game.to_phase(rnd, "settleable")
        g.settle(game.governance, rnd)
        table = Table(title=f"round {rnd} settled")
        for col in ("who", "model hash", "log loss", "cost", "payout", "profit"):
            table.add_column(col, justify="right")
        mll = sum(_log_loss(final[i], truth[i]) for i in truth) / n
        table.add_row("market", "-", f"{mll:.3f}", "", "", "")
        rows = []
        for j, t in enumerate(game.traders):
            tr = g.trader(rnd, t.address)
            held = [i for i in truth if any(g.shares_of(rnd, t.address, i))]
            ev = g.events(g.redeem(t, rnd, held), "Redeemed")[0]
            ll = sum(_log_loss(beliefs[j][i], truth[i]) for i in truth) / n
            rows.append({"model_hash": "0x" + hashes[j].hex(), "log_loss": ll, "profit": ev["profitWad"] / WAD})
            table.add_row(f"trader {j} (skill {skills[j]})", "0x" + hashes[j].hex()[:10], f"{ll:.3f}",
                          f"{tr['costWad'] / WAD:.4f}", f"{ev['payoutWad'] / WAD:.4f}", f"{ev['profitWad'] / WAD:+.4f}")
        console.print(table)
        left = game.chain.token.balance_of(game.deployment.addresses["PredictionGame"])
        info = g.round_info(rnd)
        console.print(f"subsidy spent: {(info['subsidyWad'] - info['treasuryReturnWad']) / WAD:.4f}; "
                      f"game balance after every redeem: {left} (collateral conserved: {left == 0})")
        if summary:
            summary.write_text(json.dumps({"round": rnd, "items": n, "market_log_loss": mll, "models": rows,
                                           "collateral_conserved": left == 0}, indent=1))
