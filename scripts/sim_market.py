"""Simulate the demo's market without a chain: Kelly operators trading binary items on LMSR.

Pure Python, using the exact mirror (`protocol.lmsr.quote`, `lmsr.prices`) and the
operators' planner (`operator_node.strategy.kelly_orders`) exactly as `OperatorNode.plan`
calls it: the round's bankroll is fixed at the first pass, and every pass re-plans with the
shares held and the cost spent per item. Wealth carries across rounds: at the end of a
round each share of the realised outcome pays one token.

Three synthetic models, resembling the demo's (breast cancer: ~37% positives; a good
logistic regression with log loss ~0.1, an MLP about as good, an under-trained logistic
regression that is less confident and worse):

    y ~ Bernoulli(sigmoid(z)),  z ~ N(+-6, 2.5^2) (+6 with probability 0.37)
    A: logit = z + N(0, 1)      B: logit = z + N(0, 1.2^2)  (independent noise)
    C: logit = 0.35 z + N(0, 0.7^2)
    (large-sample log loss: Bayes 0.073, A ~0.083, B ~0.09, C ~0.195, plain average ~0.106)

Report: per round, the log loss of the market's final prices, of the plain average of the
models' probabilities, of each model, and each operator's wealth.

    .venv/bin/python scripts/sim_market.py                       # the demo's settings
    .venv/bin/python scripts/sim_market.py --b 0.1 --passes 10   # passes until nobody trades
    .venv/bin/python scripts/sim_market.py --sweep --seeds 2     # the grid (~2 min)
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from operator_node.strategy import kelly_orders
from protocol import lmsr

WAD = 10**18
NAMES = ("A good", "B good'", "C weak")


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def clip(p: float, eps: float = 1e-4) -> float:
    return min(max(p, eps), 1 - eps)


def log_loss(ps: list[float], ys: list[int]) -> float:
    return sum(-math.log(clip(p) if y else 1 - clip(p)) for p, y in zip(ps, ys)) / len(ys)


@dataclass
class Setting:
    b: float = 0.5  # liquidity per item, tokens
    fraction: float = 0.33  # bankroll: this fraction of the token balance at the round's start
    passes: int = 3  # trading passes per round (rotating order)
    until_quiet: bool = False  # stop early once a whole pass has no orders
    quiet_tokens: float = 0.0  # ... or spends less than this in total
    rounds: int = 3
    items: int = 33
    wealth: float = 100.0
    seed: int = 7
    offset: int = 0  # rotation: pass p starts with operator (p + offset) % 3 (the order of the last pass matters)


def make_round(rng: random.Random, n: int) -> tuple[list[int], list[list[float]]]:
    """Labels and the three models' P(y = 1) for n items."""
    ys, beliefs = [], [[], [], []]
    for _ in range(n):
        z = rng.gauss(6.0 if rng.random() < 0.37 else -6.0, 2.5)  # well separated classes
        ys.append(1 if rng.random() < sigmoid(z) else 0)
        beliefs[0].append(sigmoid(z + rng.gauss(0, 1.0)))
        beliefs[1].append(sigmoid(z + rng.gauss(0, 1.2)))
        beliefs[2].append(sigmoid(0.35 * z + rng.gauss(0, 0.7)))
    return ys, beliefs


def play_round(s: Setting, wealth: list[int], ys: list[int], beliefs: list[list[float]]) -> dict:
    """One round on fresh items; mutates `wealth` (wad) and returns the round's figures."""
    n_ops, b = len(wealth), int(s.b * WAD)
    q = {i: [0, 0] for i in range(len(ys))}
    held = [{i: [0, 0] for i in q} for _ in range(n_ops)]
    spent = [dict[int, int]() for _ in range(n_ops)]
    bankroll = [int(w * s.fraction) for w in wealth]
    bel = [{i: [1 - beliefs[o][i], beliefs[o][i]] for i in q} for o in range(n_ops)]
    passes_run, traded_last = 0, 0
    for pass_ in range(s.passes):
        order = [(pass_ + s.offset + j) % n_ops for j in range(n_ops)]
        pass_cost = 0
        for o in order:
            plan = kelly_orders(q, bel[o], bankroll[o], b, held=held[o], spent=spent[o])
            for od in plan.orders:
                qi = q[od.item]
                cost, price = lmsr.quote(qi, od.outcome, od.shares_wad, b)
                if price > od.limit_wad:  # the contract skips it
                    continue
                qi[od.outcome] += od.shares_wad
                held[o][od.item][od.outcome] += od.shares_wad
                spent[o][od.item] = spent[o].get(od.item, 0) + cost
                wealth[o] -= cost
                pass_cost += cost
        passes_run, traded_last = pass_ + 1, pass_cost
        if s.until_quiet and pass_cost <= s.quiet_tokens * WAD:
            break
    for o in range(n_ops):  # redeem
        wealth[o] += sum(held[o][i][y] for i, y in enumerate(ys))
    market = [lmsr.prices(q[i], b)[1] for i in q]
    avg = [sum(beliefs[o][i] for o in range(n_ops)) / n_ops for i in q]
    return {
        "market": log_loss(market, ys),
        "average": log_loss(avg, ys),
        "models": [log_loss(beliefs[o], ys) for o in range(n_ops)],
        "passes": passes_run,
        "last_pass_tokens": traded_last / WAD,
        "wealth": [w / WAD for w in wealth],
    }


def run(s: Setting, verbose: bool = True) -> list[dict]:
    rng = random.Random(s.seed)
    wealth = [int(s.wealth * WAD)] * 3
    out = []
    for r in range(s.rounds):
        ys, beliefs = make_round(rng, s.items)
        res = play_round(s, wealth, ys, beliefs)
        out.append(res)
        if verbose:
            m = res["models"]
            print(
                f"  round {r}: market {res['market']:.3f}  average {res['average']:.3f}  "
                f"models {m[0]:.3f} {m[1]:.3f} {m[2]:.3f}  passes {res['passes']} "
                f"(last {res['last_pass_tokens']:.3f} tok)  wealth " + " ".join(f"{w:6.1f}" for w in res["wealth"])
            )
    return out


def summary(s: Setting, seeds: list[int]) -> dict:
    """Over seeds and all three rotation offsets (who trades last matters): per round, the mean
    market - average and market - best model, the range of market - average over offsets, and
    the mean final wealth."""
    runs = {off: [] for off in range(3)}
    for off in range(3):
        for seed in seeds:
            runs[off].append(run(Setting(**{**s.__dict__, "seed": seed, "offset": off}), verbose=False))
    out = []
    for r in range(s.rounds):
        per_off = [sum(x[r]["market"] - x[r]["average"] for x in runs[o]) / len(seeds) for o in runs]
        best = [x[r]["market"] - min(x[r]["models"]) for o in runs for x in runs[o]]
        out.append((sum(per_off) / 3, min(per_off), max(per_off), sum(best) / len(best)))
    wealth = [sum(x[-1]["wealth"][k] for o in runs for x in runs[o]) / (3 * len(seeds)) for k in range(3)]
    return {"rounds": out, "wealth": wealth}


def show(s: Setting, m: dict) -> str:
    head = f"b={s.b:<4} f={s.fraction:<4} passes={s.passes:<2}{'q' if s.until_quiet else ' '}"
    rounds = " | ".join(
        f"r{r} {a:+.3f} [{lo:+.3f},{hi:+.3f}] best {b:+.3f}" for r, (a, lo, hi, b) in enumerate(m["rounds"])
    )
    return f"{head} mkt-avg per round: {rounds} | wealth " + " ".join(f"{w:.0f}" for w in m["wealth"])


GRID = [  # (b, fraction, passes)
    (0.5, 0.33, 3),
    (0.5, 0.33, 6),
    (0.3, 0.33, 3),
    (0.2, 0.33, 3),
    (0.2, 0.33, 6),
    (0.1, 0.33, 3),
    (0.1, 0.33, 10),
    (0.3, 0.5, 6),
    (0.6, 1.0, 6),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--b", type=float, default=0.5)
    ap.add_argument("--fraction", type=float, default=0.33)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--until-quiet", action="store_true", help="stop when a pass has no orders")
    ap.add_argument("--quiet-tokens", type=float, default=0.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--items", type=int, default=33)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--offset", type=int, default=0, help="rotation offset (0: the demo's order)")
    ap.add_argument("--seeds", type=int, default=1, help="also summarise over this many seeds x 3 offsets")
    ap.add_argument("--sweep", action="store_true", help="summaries over a grid of settings")
    a = ap.parse_args()
    t0 = time.time()
    if a.sweep:
        seeds = list(range(a.seeds))
        print(
            f"market - plain average, mean [min, max over the 3 rotation offsets], and market - best model;"
            f" {len(seeds)} seeds (negative = market better)"
        )
        for b, f, passes in GRID:
            s = Setting(b=b, fraction=f, passes=passes, rounds=a.rounds, items=a.items)
            print(show(s, summary(s, seeds)), flush=True)
    else:
        s = Setting(
            b=a.b,
            fraction=a.fraction,
            passes=a.passes,
            until_quiet=a.until_quiet,
            quiet_tokens=a.quiet_tokens,
            rounds=a.rounds,
            items=a.items,
            seed=a.seed,
            offset=a.offset,
        )
        print(
            f"b={s.b} fraction={s.fraction} passes={s.passes}{' until quiet' if s.until_quiet else ''} "
            f"seed={s.seed} offset={s.offset}; models: {', '.join(NAMES)}"
        )
        run(s)
        if a.seeds > 1:
            print(show(s, summary(s, list(range(a.seeds)))))
    print(f"({time.time() - t0:.1f}s)")


if __name__ == "__main__":
    main()
