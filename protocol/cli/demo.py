"""`hayek demo`: a multi-round game on one machine, end to end.

Real processes: an anvil devnet, the content-addressed store, each operator's Flower
SuperLink, one SuperNode (with the community's guard) per member and operator. The
members' and operators' node logic runs in this process, stepped in turn, with all their
state in SQLite under the demo folder (a node "restart" drops the node and builds it again
from that state). The devnet preset moves anvil's clock once every party has acted, so a
round takes about a minute of real time while the contracts enforce every deadline."""

from __future__ import annotations

import csv
import json
import math
import random
import shutil
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from community_node.node import CommunityNode, NodeConfig
from community_node.store_server import StoreProcess
from operator_node.flower import APP_DIR, SuperLink, fab_hash
from operator_node.node import OperatorConfig, OperatorNode
from operator_node.pipeline import FlowerZkPipeline, TrainingSpec
from protocol import lmsr
from protocol.chain import Devnet, GameParams
from protocol.chain.devkit import DevGame, Durations
from protocol.errors import HayekError
from protocol.orders import Order, decode_belief
from protocol.store import StoreClient

WAD = 10**18
console = Console()


@dataclass
class DemoConfig:
    workdir: Path
    data: Path | None = None  # CSV; default: scikit-learn's breast cancer set
    label_column: str = "diagnosis"
    drop_columns: tuple[str, ...] = ()
    members: int = 5
    operators: int = 3
    rounds: int = 3
    items_per_round: int = 33
    liquidity: float = 0.5  # b per item, tokens
    seed: int = 7
    inject_faults: bool = False
    fl_rounds: int = 2
    dp_clip: float = 3.0
    dp_epsilon: float = 100.0
    summary: Path | None = None
    plots: bool = True

    @property
    def committee_size(self) -> int:
        return min(3, self.members - 1) if self.members > 1 else 1


OPERATOR_SPECS = [  # diversity: different models and hyper-parameters
    {"model": "logreg", "local_epochs": 5, "learning_rate": 0.05},
    {"model": "mlp", "hidden": 4, "local_epochs": 5, "learning_rate": 0.05},
    {"model": "logreg", "local_epochs": 1, "learning_rate": 0.01},
    {"model": "mlp", "hidden": 2, "local_epochs": 3, "learning_rate": 0.02},
]


def write_default_dataset(path: Path) -> tuple[str, tuple[str, ...]]:
    """scikit-learn's breast cancer set (569 rows, 30 features), shipped inside its wheel."""
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", *[n.replace(" ", "_") for n in d.feature_names], "diagnosis"])
        for i, (x, y) in enumerate(zip(d.data, d.target)):
            w.writerow([i, *[f"{v:.6g}" for v in x], d.target_names[y]])
    return "diagnosis", ("id",)


def split_csv(src: Path, parts: int, out_dir: Path, seed: int) -> list[Path]:
    rows = list(csv.reader(src.open()))
    header, body = rows[0], rows[1:]
    random.Random(seed).shuffle(body)
    paths = []
    for i in range(parts):
        p = out_dir / f"member{i}.csv"
        with p.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(body[i::parts])
        paths.append(p)
    return paths


def log_loss(p1: float, y: int) -> float:
    p = min(max(p1 if y == 1 else 1 - p1, 1e-9), 1.0)
    return -math.log(p)


@dataclass
class Demo:
    cfg: DemoConfig
    summary: dict[str, Any] = field(default_factory=lambda: {"rounds": []})
    price_paths: dict[tuple[int, int], list[float]] = field(default_factory=dict)

    # ------------------------------------------------------------ setup
    def run(self) -> dict[str, Any]:
        cfg = self.cfg
        if cfg.workdir.exists():
            shutil.rmtree(cfg.workdir)
        cfg.workdir.mkdir(parents=True)
        if cfg.data is None:
            cfg.data = cfg.workdir / "breast_cancer.csv"
            cfg.label_column, cfg.drop_columns = write_default_dataset(cfg.data)
        with ExitStack() as stack:
            devnet = stack.enter_context(Devnet(accounts=1 + cfg.members + cfg.operators + 2,
                                                log=cfg.workdir / "anvil.log"))
            store_proc = stack.enter_context(StoreProcess(cfg.workdir / "store"))
            store = StoreClient(store_proc.url)
            console.print(f"devnet {devnet.url} · store {store_proc.url} · work folder {cfg.workdir}")
            quota = max(64, math.ceil(cfg.items_per_round / cfg.committee_size))
            params = GameParams(committee_size=cfg.committee_size, max_items_per_member=quota)
            game = DevGame.launch(devnet.url, n_members=cfg.members, n_traders=cfg.operators, params=params,
                                  fund_wad=100 * WAD)
            self.game, self.store = game, store
            game.deployment.save(cfg.workdir / "deployment.json")
            from operator_node.onchain import deploy_verifier
            from operator_node.zk import devnet_srs

            deploy_verifier(game.chain, game.governance)
            srs = devnet_srs(15, cfg.workdir / "srs")
            game.deployment.params["srs_id"] = store.put(srs.read_bytes())
            game.deployment.params["srs_kind"] = "devnet-insecure"
            game.chain.registry.set_app_approval(game.governance, bytes.fromhex(fab_hash(APP_DIR)))
            game.deployment.save(cfg.workdir / "deployment.json")
            console.print("deployed: token, registries, game, reusable EZKL verifier + ModelVerifier; "
                          "devnet SRS stored; training app approved on-chain")

            # Members import their share of the data and publish round 1's batch.
            per_round_items = math.ceil(cfg.items_per_round / cfg.committee_size)
            parts = split_csv(cfg.data, cfg.members, cfg.workdir, cfg.seed)
            self.members: list[CommunityNode] = []
            for i, (acct, part) in enumerate(zip(game.members, parts)):
                node = self._member(i, acct)
                node.import_csv(part, cfg.label_column, cfg.drop_columns, holdback=0.35, seed=cfg.seed + i)
                self.members.append(node)
            rows = sum(1 for _ in open(parts[0])) - 1
            self.batch_size = max(8, int(rows * 0.65) // (cfg.rounds + 1))
            for n in self.members:
                n.cfg.batch_size, n.cfg.listing_size = self.batch_size, per_round_items
                n.step()
            n_features = int(self.members[0].state.get("feature_count"))

            # Operators: a SuperLink each, every member a SuperNode on each.
            self.links = [stack.enter_context(SuperLink(cfg.workdir / f"op{j}" / "superlink"))
                          for j in range(cfg.operators)]
            self.supernodes: dict[tuple[int, int], Any] = {}
            self.stack = stack
            with console.status("starting one SuperNode per member and operator"):
                for i in range(cfg.members):
                    self._start_supernodes(i)
            self.srs = srs
            self.operators = [self._operator(j, n_features) for j in range(cfg.operators)]
            for r in range(1, cfg.rounds + 1):
                self.play_round(r)
            self.final_query(stack)
            self.summary["onchain"] = self.onchain_facts()
        if cfg.plots:
            self.plot()
        return self.summary

    def _member(self, i: int, acct: Any) -> CommunityNode:
        cfg = NodeConfig(home=self.cfg.workdir / f"member{i}", batch_size=getattr(self, "batch_size", 30),
                         listing_size=math.ceil(self.cfg.items_per_round / self.cfg.committee_size), poll_seconds=0.2)
        return CommunityNode(cfg, acct, self.game.chain, self.store)

    def _start_supernodes(self, i: int) -> None:
        node = self.members[i]
        for j, link in enumerate(self.links):
            sn = node.supernode(link.address, dp_clip=self.cfg.dp_clip, dp_epsilon=self.cfg.dp_epsilon)
            self.stack.enter_context(sn)
            self.supernodes[(i, j)] = sn
        for j in range(len(self.links)):
            self.supernodes[(i, j)].wait_registered(90)

    def _operator(self, j: int, n_features: int) -> OperatorNode:
        spec_kw = OPERATOR_SPECS[j % len(OPERATOR_SPECS)]
        spec = TrainingSpec(n_features=n_features, min_nodes=self.cfg.members, fl_rounds=self.cfg.fl_rounds,
                            seed=j, **spec_kw)
        home = self.cfg.workdir / f"op{j}"
        pipeline = FlowerZkPipeline(self.links[j], spec, self.store, self.srs, home / "models")
        # About one token of bankroll per item and round (DESIGN.md's simulation), out of 100.
        fraction = min(0.5, self.cfg.items_per_round / 100)
        ocfg = OperatorConfig(home=home, endpoint="", bankroll_fraction=fraction, passes=3)
        node = OperatorNode(ocfg, self.game.traders[j], self.game.chain, self.store, pipeline)
        node.spec = spec  # type: ignore[attr-defined]
        return node

    # ------------------------------------------------------------ one round
    def play_round(self, r: int) -> None:
        cfg, game, g = self.cfg, self.game, self.game.chain.game
        console.rule(f"[bold]round {r}")
        b = int(cfg.liquidity * WAD)
        per_member = math.ceil(cfg.items_per_round / cfg.committee_size)
        rnd = game.open_round(b, items=per_member * cfg.committee_size)
        assert rnd == r
        committee = game.elect(r)
        console.print("committee: " + ", ".join(f"member{self._member_index(a.address)}" for a in committee))
        faulty = self._member_index(committee[-1].address) if cfg.inject_faults and r == 2 else None
        restarted = self._member_index(committee[0].address) if cfg.inject_faults and r == 2 else None
        for n in self.members:
            n.step()  # publish next batch, refresh training view, list if elected
        listed = sum(x["count"] for x in g.listings(r))
        console.print(f"{listed} items listed")

        # Operators train through Flower and register their models before listing ends.
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            for j, op in enumerate(self.operators):
                task = progress.add_task(f"operator {j}: Flower training ({op.spec.model}) + EZKL circuit")  # type: ignore[attr-defined]
                op.pipeline.progress = lambda s, t=task: progress.update(t, description=f"operator {j}: {s}")  # type: ignore[attr-defined]
                model = op.model_for(r)
                self._bind(op, model)
                progress.remove_task(task)
                console.print(f"operator {j}: model 0x{model.model_hash.hex()[:12]} "
                              f"({op.spec.model}, logrows {model.prover.compiled.logrows}) registered")  # type: ignore[attr-defined]
        if restarted is not None:
            self._restart_member(restarted)
        game.to_phase(r, "trading")
        for pass_ in range(3):  # several passes, rotating order, so arrival order matters less
            order = list(range(len(self.operators)))
            order = order[pass_ % len(order):] + order[: pass_ % len(order)]
            for j in order:
                if cfg.inject_faults and r == 2 and j == 0 and pass_ == 1:
                    self.operators[0] = self._restart_operator(0)
                self.operators[j].trade(r)
        game.to_phase(r, "revealing")
        for i, n in enumerate(self.members):
            if i == faulty:
                console.print(f"[yellow]fault: member{i} never reveals[/]")
                continue
            n.step()
        game.to_phase(r, "settleable")
        for op in self.operators:
            op.step()  # the first settles; each redeems
        for n in self.members:
            n.step()
        self.summary["rounds"].append(self.round_summary(r, faulty))
        self.print_round(self.summary["rounds"][-1])

    def _member_index(self, address: str) -> int:
        return [a.address for a in self.game.members].index(address)

    def _bind(self, op: OperatorNode, model: Any) -> None:
        from operator_node.onchain import bind_model, model_verifier

        b = model_verifier(self.game.chain).call("bindings", model.model_hash)
        if int(b[1].hex(), 16) == 0:
            bind_model(self.game.chain, op.account, model.prover)

    def _restart_member(self, i: int) -> None:
        console.print(f"[yellow]fault: member{i}'s node is killed mid-round and restarted[/]")
        for j in range(len(self.links)):
            self.supernodes[(i, j)].stop()
        old = self.members[i]
        old.state.close()
        self.members[i] = self._member(i, old.account)
        self.members[i].cfg.batch_size = self.batch_size
        self.members[i].step()
        self._start_supernodes(i)

    def _restart_operator(self, j: int) -> OperatorNode:
        console.print(f"[yellow]fault: operator {j} is restarted mid-round[/]")
        old = self.operators[j]
        old.state.close()
        return self._operator(j, old.pipeline.spec.n_features)  # type: ignore[attr-defined]

    # ------------------------------------------------------------ accounting
    def round_summary(self, r: int, faulty: int | None) -> dict[str, Any]:
        g = self.game.chain.game
        dep = self.game.deployment
        info = g.round_info(r)
        b = info["liquidityWad"]
        outcomes = {i: g.outcome_of(r, i) for i in range(info["itemCount"])}
        revealed = {i: y for i, y in outcomes.items() if y is not None}
        # Replay the trades: price paths, each model's beliefs.
        q = {i: [0, 0] for i in outcomes}
        beliefs: dict[bytes, dict[int, float]] = {}
        owner: dict[bytes, int] = {}
        traders = [a.address for a in self.game.traders]
        for ev in g.logs("Traded", from_block=dep.deployed_block, round=r):
            h = bytes(ev["modelHash"])
            owner[h] = traders.index(ev["trader"])
            for k, (w, bw) in enumerate(zip(ev["orders"], ev["beliefs"])):
                o = Order.decode(w)
                beliefs.setdefault(h, {})[o.item] = decode_belief(bw, 2)[1] / WAD
                if (ev["skipped"][k >> 8] >> (k & 255)) & 1:
                    continue
                q[o.item][o.outcome] += o.shares_wad
                self.price_paths.setdefault((r, o.item), [0.5]).append(lmsr.prices(q[o.item], b)[1])
        final = {i: lmsr.prices(q[i], b)[1] for i in outcomes}
        n = max(len(revealed), 1)
        market_ll = sum(log_loss(final[i], y) for i, y in revealed.items()) / n
        profits = {bytes(e["modelHash"]): e["profitWad"] / WAD
                   for e in g.logs("Redeemed", from_block=dep.deployed_block, round=r)}
        models = []
        for h, bel in beliefs.items():
            scored = {i: y for i, y in revealed.items() if i in bel}
            models.append({"model_hash": "0x" + h.hex(), "operator": owner[h],
                           "log_loss": sum(log_loss(bel[i], y) for i, y in scored.items()) / max(len(scored), 1),
                           "profit": profits.get(h, 0.0)})
        avg = sum(log_loss(float(np.mean([bel[i] for bel in beliefs.values() if i in bel])), y)
                  for i, y in revealed.items()) / n if beliefs else None
        voided = sum(x["count"] for x in g.listings(r) if x["voided"])
        self.calibration = getattr(self, "calibration", []) + [(final[i], y) for i, y in revealed.items()]
        return {"round": r, "items": info["itemCount"], "market_log_loss": market_ll,
                "average_model_log_loss": avg, "models": models,
                "subsidy_spent": (info["subsidyWad"] - info["treasuryReturnWad"]) / WAD,
                "voided_items": voided, "settled": info["status"] == "settled",
                "faulty_member": faulty, "collateral_conserved": self.collateral_conserved(),
                "operator_wealth": [self.game.chain.token.balance_of(a) / WAD for a in traders]}

    def collateral_conserved(self) -> bool:
        """The game's token balance covers every unredeemed payout and refund; the treasury got
        the rest (checked from on-chain balances and round records)."""
        g = self.game.chain.game
        owed = 0
        for r in range(1, g.round_count() + 1):
            info = g.round_info(r)
            if info["status"] == "open":
                owed += info["subsidyWad"] + info["collectedWad"]
            else:
                owed += info["obligationsWad"] - info["paidOutWad"]
        balance = self.game.chain.token.balance_of(self.game.deployment.addresses["PredictionGame"])
        return balance == owed

    def onchain_facts(self) -> dict[str, Any]:
        """What the chain says at the end (kept in the summary: the devnet stops with the demo)."""
        chain = self.game.chain
        return {
            "models": [{"model_hash": "0x" + m.model_hash.hex(), "operator": m.operator,
                        "cumulative_profit": m.cumulative_profit_wad / WAD, "rounds_traded": m.rounds_traded}
                       for m in chain.models.all()],
            "game_balance": chain.token.balance_of(self.game.deployment.addresses["PredictionGame"]) / WAD,
            "member_bonds": [chain.registry.bond_of(a.address) / WAD for a in self.game.members],
        }

    def print_round(self, s: dict[str, Any]) -> None:
        t = Table(title=f"round {s['round']}: {s['items']} items, settled={s['settled']}, "
                        f"voided {s['voided_items']}, subsidy spent {s['subsidy_spent']:.3f}")
        for col in ("who", "log loss", "profit"):
            t.add_column(col, justify="right")
        t.add_row("market (final prices)", f"{s['market_log_loss']:.4f}", "")
        if s["average_model_log_loss"] is not None:
            t.add_row("plain average of models", f"{s['average_model_log_loss']:.4f}", "")
        for m in s["models"]:
            t.add_row(m["model_hash"][:14], f"{m['log_loss']:.4f}", f"{m['profit']:+.4f}")
        console.print(t)

    # ------------------------------------------------------------ the end
    def final_query(self, stack: ExitStack) -> None:
        import socket

        import uvicorn

        from operator_node.client import best_model, query_and_verify
        from operator_node.service import create_app

        g = self.game.chain
        self.summary["collateral_conserved"] = self.collateral_conserved()
        models = g.models.all()
        if not models:
            self.summary["inference"] = None
            return
        best = max(models, key=lambda m: (m.cumulative_profit_wad, m.rounds_traded))
        op = next(o for o in self.operators if o.account.address == best.operator)
        rnd = max(r for r in range(1, self.cfg.rounds + 1) if op.state.model(r) and op.state.model(r)[0] == best.model_hash)
        model = op.model_for(rnd)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        g.models.send(op.account, "setEndpoint", best.model_hash, f"http://127.0.0.1:{port}")
        server = uvicorn.Server(uvicorn.Config(create_app(model.prover, g, self.store), host="127.0.0.1", port=port,
                                               log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        stack.callback(lambda: setattr(server, "should_exit", True))
        while not server.started:
            time.sleep(0.05)
        x = [v / 1e9 for v in self._a_revealed_row()]
        assert best_model(g).model_hash == best.model_hash  # the client's own pick agrees
        result = query_and_verify(g, self.store, x, None, onchain=True)
        self.summary["inference"] = {k: result[k] for k in ("model_hash", "output", "verified_offchain", "verified_onchain")}
        console.print(f"proved inference from the best model {result['model_hash'][:14]}: P(class 1) = "
                      f"{result['output'][1]:.3f}; verified off-chain {result['verified_offchain']}, "
                      f"on-chain {result['verified_onchain']}")

    def _a_revealed_row(self) -> tuple[int, ...]:
        from protocol.chain.datasets import revealed_validation

        rec = revealed_validation(self.game.chain, self.store, 1)
        return rec[0].message.features

    def plot(self) -> list[Path]:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        out = []
        fig, ax = plt.subplots(figsize=(7, 4))
        for (r, i), path in list(self.price_paths.items())[:: max(1, len(self.price_paths) // 8)][:8]:
            ax.plot(range(len(path)), path, marker="o", label=f"round {r} item {i}")
        ax.set(xlabel="trade", ylabel="price of outcome 1", title="Price paths (a few items)")
        ax.legend(fontsize=7)
        out.append(self._save(fig, "price_paths.png"))
        fig, ax = plt.subplots(figsize=(7, 4))
        cum: dict[int, dict[int, float]] = {}
        for s in self.summary["rounds"]:
            for m in s["models"]:
                cum.setdefault(m["operator"], {})[s["round"]] = m["profit"]
        rounds = [s["round"] for s in self.summary["rounds"]]
        for j, ps in sorted(cum.items()):
            spec = OPERATOR_SPECS[j % len(OPERATOR_SPECS)]
            ax.plot(rounds, np.cumsum([ps.get(r, 0.0) for r in rounds]), marker="o",
                    label=f"operator {j} ({spec['model']})")
        ax.set(xlabel="round", ylabel="cumulative realised profit (tokens)",
               title="Profit of each operator's models (a new model hash each round)")
        ax.legend(fontsize=7)
        out.append(self._save(fig, "cumulative_profit.png"))
        fig, ax = plt.subplots(figsize=(5, 5))
        cal = getattr(self, "calibration", [])
        if cal:
            bins = np.linspace(0, 1, 6)
            ps, ys = np.array([c[0] for c in cal]), np.array([c[1] for c in cal])
            idx = np.clip(np.digitize(ps, bins) - 1, 0, 4)
            xs = [ps[idx == k].mean() for k in range(5) if (idx == k).any()]
            fs = [ys[idx == k].mean() for k in range(5) if (idx == k).any()]
            ax.plot([0, 1], [0, 1], "k--", lw=1)
            ax.plot(xs, fs, marker="o")
        ax.set(xlabel="market price (final)", ylabel="observed frequency", title="Market calibration")
        out.append(self._save(fig, "calibration.png"))
        for p in out:
            console.print(f"plot: {p}")
        self.summary["plots"] = [str(p) for p in out]
        return out

    def _save(self, fig: Any, name: str) -> Path:
        import matplotlib.pyplot as plt

        p = self.cfg.workdir / name
        fig.tight_layout()
        fig.savefig(p, dpi=110)
        plt.close(fig)
        return p



def run_demo(cfg: DemoConfig) -> dict[str, Any]:
    if cfg.members < 2 or cfg.operators < 1 or cfg.rounds < 1:
        raise HayekError("need at least 2 members, 1 operator and 1 round")
    demo = Demo(cfg)
    summary = demo.run()
    rounds = summary["rounds"]
    settled = [s for s in rounds if s["settled"]]
    if settled:
        summary["market_log_loss"] = float(np.mean([s["market_log_loss"] for s in settled]))
        # A model hash trades one round (operators retrain each round): "best model" is the
        # operator whose models had the lowest mean log loss over the settled rounds.
        per_operator: dict[int, list[float]] = {}
        for s in settled:
            for m in s["models"]:
                per_operator.setdefault(m["operator"], []).append(m["log_loss"])
        summary["best_model_log_loss"] = (min(float(np.mean(v)) for v in per_operator.values())
                                          if per_operator else None)
        avgs = [s["average_model_log_loss"] for s in settled if s["average_model_log_loss"] is not None]
        summary["average_model_log_loss"] = float(np.mean(avgs)) if avgs else None
    if cfg.summary:
        cfg.summary.write_text(json.dumps(summary, indent=1))
        console.print(f"summary: {cfg.summary}")
    return summary
