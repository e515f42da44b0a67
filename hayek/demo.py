"""`hayek demo`: a multi-round game on one machine, end to end, every party its own process.

An anvil devnet and the content-addressed store; per operator `hayek operator run` (its own
Flower SuperLink, training, EZKL, trading, the proved-inference service); per member
`hayek member import` then `hayek member run` (guarded SuperNodes, committee duty). This
process plays only governance and the devnet clock: it opens and funds rounds, elects, and
moves anvil's clock once every party has acted, which it reads from the chain and from each
node's status.json. The contracts enforce every deadline."""

from __future__ import annotations

import csv
import json
import math
import random
import shutil
import subprocess
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from community_node.store_server import StoreProcess
from hayek.figures import round_figures
from hayek.processes import NodeCommandFailed, NodeProcess, hayek_command, last_lines, wait_until
from operator_node.flower import APP_DIR, fab_hash
from protocol import lmsr
from protocol.chain import Devnet, GameParams, SealedParams
from protocol.chain.devkit import DevGame
from protocol.chain.rounds import MARKETS, model_results
from protocol.chain.sealed import SealedPool
from protocol.errors import InvalidOption
from protocol.orders import Order
from protocol.runtime.processes import free_port
from protocol.store import StoreClient

WAD = 10**18
KEYSTORE_PASSWORD = "hayek-demo"  # the demo's keystores hold devnet keys
console = Console()


def member_status(home: Path) -> dict[str, Any]:
    """`hayek member status --json` of a member's node (what its imported data looks like)."""
    out = subprocess.run(
        hayek_command("member", "status", "--home", str(home), "--json"), capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise NodeCommandFailed(f"hayek member status --home {home}", out.returncode, out.stderr.strip())
    return dict(json.loads(out.stdout))


def port_open(address: str) -> bool:
    import socket

    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


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
    liquidity: float = 0.6  # b per item, tokens (about a fifth of each operator's bankroll per item)
    seed: int = 7
    inject_faults: bool = False
    fl_rounds: int = 2
    passes: int = 6  # most trades per operator and round (each trades again when others moved prices)
    bankroll_fraction: float = 1.0  # of each operator's balance, bet per round (full Kelly)
    dp_clip: float = 3.0
    dp_epsilon: float = 100.0
    summary: Path | None = None
    plots: bool = True
    market: str = "pool"  # or "lmsr": the round's market, fixed at deployment

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


@dataclass
class Demo:
    cfg: DemoConfig
    summary: dict[str, Any] = field(default_factory=lambda: {"rounds": []})
    price_paths: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    hedge_ll: dict[int, float] = field(default_factory=dict)  # operator -> cumulative log-likelihood

    # ------------------------------------------------------------ setup
    def run(self) -> dict[str, Any]:
        cfg = self.cfg
        if cfg.workdir.exists():
            shutil.rmtree(cfg.workdir)
        cfg.workdir.mkdir(parents=True)
        if cfg.data is None:
            cfg.data = cfg.workdir / "breast_cancer.csv"
            cfg.label_column, cfg.drop_columns = write_default_dataset(cfg.data)
        import signal

        def _terminate(*_: object) -> None:  # SIGTERM unwinds like Ctrl-C: every process is stopped
            raise SystemExit(143)

        import threading

        if threading.current_thread() is not threading.main_thread():
            return self._run()
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            return self._run()
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _run(self) -> dict[str, Any]:
        cfg = self.cfg
        with ExitStack() as stack:
            devnet = stack.enter_context(
                Devnet(accounts=1 + cfg.members + cfg.operators + 2, log=cfg.workdir / "anvil.log")
            )
            store_proc = stack.enter_context(StoreProcess(cfg.workdir / "store"))
            store = StoreClient(store_proc.url)
            console.print(f"devnet {devnet.url} · store {store_proc.url} · work folder {cfg.workdir}")
            quota = max(64, math.ceil(cfg.items_per_round / cfg.committee_size))
            params = GameParams(committee_size=cfg.committee_size, max_items_per_member=quota)
            game = DevGame.launch(
                devnet.url,
                n_members=cfg.members,
                n_traders=cfg.operators,
                params=params,
                fund_wad=100 * WAD,
                sealed=SealedParams() if cfg.market == "pool" else None,
            )
            self.game, self.store, self.store_url = game, store, store_proc.url
            from operator_node.zk.srs import devnet_srs
            from protocol.chain.verifier import deploy_verifier

            deploy_verifier(game.chain, game.governance)
            srs = devnet_srs(15, cfg.workdir / "srs")
            game.deployment.params["srs_id"] = store.put(srs.read_bytes())
            game.deployment.params["srs_kind"] = "devnet-insecure"
            game.chain.registry.set_app_approval(game.governance, bytes.fromhex(fab_hash(APP_DIR)))
            self.deployment_path = cfg.workdir / "deployment.json"
            game.deployment.save(self.deployment_path)
            console.print(
                f"deployed: token, registries, game ({cfg.market} market"
                + (": a SealedPool beside the game" if cfg.market == "pool" else ": sequential LMSR")
                + "), reusable EZKL verifier + ModelVerifier; devnet SRS stored; training app approved on-chain"
            )
            stack.callback(self.stop_nodes)
            self.start_nodes()
            for r in range(1, cfg.rounds + 1):
                self.play_round(r)
            self.final_query()
            self.summary["onchain"] = self.onchain_facts()
        if cfg.plots:
            self.plot()
        return self.summary

    # ------------------------------------------------------------ node processes
    def _keystore(self, name: str, acct: Any) -> Path:
        """The node's key in an encrypted keystore (PBKDF2 with few rounds: devnet keys)."""
        from eth_account import Account

        path = self.cfg.workdir / name / "key.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(Account.encrypt(acct.key, KEYSTORE_PASSWORD, kdf="pbkdf2", iterations=4096)))
        return path

    def _common(self, name: str, acct: Any) -> list[str]:
        return [
            "--home",
            str(self.cfg.workdir / name),
            "--deployment",
            str(self.deployment_path),
            "--store",
            self.store_url,
            "--keystore",
            str(self._keystore(name, acct)),
        ]

    def start_nodes(self) -> None:
        """Members import their share of the data; then every operator and member node starts
        as its own process (`hayek operator run`, `hayek member run`)."""
        cfg, game = self.cfg, self.game
        env = {"HAYEK_KEYSTORE_PASSWORD": KEYSTORE_PASSWORD}
        parts = split_csv(cfg.data, cfg.members, cfg.workdir, cfg.seed)  # type: ignore[arg-type]
        with console.status("members import their data (hayek member import)"):
            imports = [
                NodeProcess(
                    f"member{i} import",
                    [
                        "member",
                        "import",
                        *self._common(f"member{i}", acct),
                        "--csv",
                        str(part),
                        "--label-column",
                        cfg.label_column,
                        "--drop-columns",
                        ",".join(cfg.drop_columns),
                        "--holdback",
                        "0.35",
                        "--seed",
                        str(cfg.seed + i),
                    ],
                    cfg.workdir / f"member{i}",
                    cfg.workdir / "logs" / f"member{i}-import.log",
                    env,
                )
                for i, (acct, part) in enumerate(zip(game.members, parts))
            ]
            try:
                for p in imports:
                    p.start()
                for p in imports:
                    if p.wait(300) != 0:
                        raise NodeCommandFailed(p.name, p.proc.returncode if p.proc else None, last_lines(p.log, 15))
            finally:
                for p in imports:
                    p.stop()
        n_features = int(member_status(cfg.workdir / "member0")["features"])
        rows = len(parts[0].read_text().splitlines()) - 1
        batch_size = max(8, int(rows * 0.65) // (cfg.rounds + 1))
        listing_size = math.ceil(cfg.items_per_round / cfg.committee_size)
        self.links, self.operators, self.members = [], [], []
        for j, acct in enumerate(game.traders):
            spec = OPERATOR_SPECS[j % len(OPERATOR_SPECS)]
            link_port, port = free_port(), free_port()
            self.links.append(f"127.0.0.1:{link_port}")
            args = [
                "operator",
                "run",
                *self._common(f"op{j}", acct),
                "--n-features",
                str(n_features),
                "--model",
                spec["model"],
                "--hidden",
                str(spec.get("hidden", 4)),
                "--local-epochs",
                str(spec["local_epochs"]),
                "--learning-rate",
                str(spec["learning_rate"]),
                "--fl-rounds",
                str(cfg.fl_rounds),
                "--seed",
                str(j),
                "--members",
                str(cfg.members),
                "--superlink-port",
                str(link_port),
                "--port",
                str(port),
                "--bankroll-fraction",
                str(cfg.bankroll_fraction),
                "--passes",
                str(cfg.passes),
                "--poll-seconds",
                "0.5",
            ]
            self.operators.append(
                NodeProcess(
                    f"operator {j}", args, cfg.workdir / f"op{j}", cfg.workdir / "logs" / f"op{j}.log", env
                ).start()
            )
        with console.status("operators start their SuperLinks (hayek operator run)"):
            wait_until(lambda: all(port_open(a) for a in self.links), self.operators, 180, "the SuperLinks")
        for i, acct in enumerate(game.members):
            args = [
                "member",
                "run",
                *self._common(f"member{i}", acct),
                "--batch-size",
                str(batch_size),
                "--listing-size",
                str(listing_size),
                "--dp-clip",
                str(cfg.dp_clip),
                "--dp-epsilon",
                str(cfg.dp_epsilon),
                "--poll-seconds",
                "0.3",
            ]
            for link in self.links:
                args += ["--superlink", link]
            self.members.append(
                NodeProcess(
                    f"member{i}", args, cfg.workdir / f"member{i}", cfg.workdir / "logs" / f"member{i}.log", env
                ).start()
            )
        with console.status(
            f"members publish round 1's data and start {cfg.members * cfg.operators} SuperNodes (hayek member run)"
        ):
            wait_until(
                lambda: all(self._member_ready(m, 1) for m in self.members), self.nodes_, 300, "the members' nodes"
            )
        console.print(
            f"{cfg.operators} operator and {cfg.members} member node processes running; logs in {cfg.workdir / 'logs'}"
        )

    @property
    def nodes_(self) -> list[NodeProcess]:
        return [*self.operators, *self.members]

    def _member_ready(self, m: NodeProcess, view_round: int) -> bool:
        st = m.status()
        return bool(
            st
            and (st.get("view_round") or 0) >= view_round
            and len(st["supernodes"]) == len(self.links)
            and all(st["supernodes"].values())
        )

    def stop_nodes(self) -> None:
        for n in getattr(self, "members", []) + getattr(self, "operators", []):
            n.stop()

    def _fault(self, node: NodeProcess, what: str) -> None:
        self.summary.setdefault("faults", []).append(
            {"round": self.game.chain.game.round_count(), "node": node.name, "what": what, "pid": node.pid}
        )

    def _restart(self, node: NodeProcess, why: str) -> None:
        console.print(f"[yellow]fault: {node.name} is killed (SIGKILL) {why} and restarted[/]")
        self._fault(node, f"killed {why}")
        node.kill()
        node.start()

    # ------------------------------------------------------------ one round
    def play_round(self, r: int) -> None:
        """Drive the round's clock (the devnet preset): open, elect, and move to the next phase
        once every party has acted; the nodes do the rest on their own."""
        cfg, game, g = self.cfg, self.game, self.game.chain.game
        console.rule(f"[bold]round {r}")
        b = int(cfg.liquidity * WAD)
        per_member = math.ceil(cfg.items_per_round / cfg.committee_size)
        rnd = game.open_round(b, items=per_member * cfg.committee_size)
        assert rnd == r
        committee = game.elect(r)
        names = [f"member{self._member_index(a.address)}" for a in committee]
        console.print("committee: " + ", ".join(names))
        faulty = self._member_index(committee[-1].address) if cfg.inject_faults and r == 2 else None
        restarted = self._member_index(committee[0].address) if cfg.inject_faults and r == 2 else None
        open_block = g.round_info(r).open_block
        traders = [a.address for a in game.traders]

        # Listing: the committee lists; operators train through Flower, build their circuits and
        # register their models (they must, before listing ends).
        def registered() -> set[str]:
            return {e["operator"] for e in game.chain.models.logs("ModelRegistered", from_block=open_block)}

        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
        ) as progress:
            tasks = [progress.add_task(op.name) for op in self.operators]

            def show() -> None:  # each operator's latest log line: Flower run status, circuit
                for task, op in zip(tasks, self.operators):
                    progress.update(task, description=f"{op.name}: {last_lines(op.log)[:110]}")

            wait_until(
                lambda: len(g.listings(r)) == len(committee) and registered() >= set(traders),
                self.nodes_,
                1800,
                "listings and models",
                on_tick=show,
            )
        listed = sum(x.count for x in g.listings(r))
        console.print(
            f"{listed} items listed by {', '.join(names)}; "
            f"{len(traders)} models trained through Flower, circuits built, registered"
        )
        if restarted is not None:
            self._restart(self.members[restarted], "mid-round (listed, not yet revealed)")
            wait_until(lambda: self._member_ready(self.members[restarted], r), self.nodes_, 300, "its restart")

        game.to_phase(r, "trading")
        started = time.time()
        if faulty is not None:
            console.print(f"[yellow]fault: member{faulty} goes offline and will not reveal[/]")
            self._fault(self.members[faulty], "offline through the reveal phase")
            self.members[faulty].kill()
        running = [n for n in self.nodes_ if faulty is None or n is not self.members[faulty]]
        if cfg.market == "pool":
            self.sealed_round(r, started, running)
        else:
            self.lmsr_trading(r, started, running, open_block, traders)

        game.to_phase(r, "revealing")
        with console.status("the committee reveals"):
            wait_until(
                lambda: all(x.revealed for x in g.listings(r) if self._member_index(x.member) != faulty),
                running,
                300,
                "the reveals",
            )
        game.to_phase(r, "settleable")

        def redeemed() -> bool:
            if g.round_info(r).status != "settled":
                return False
            if cfg.market == "pool":
                return all(m.settled for m in model_results(game.chain, r, open_block))
            return all(t.redeemed or (t.cost_wad == 0 and t.positions == 0) for t in (g.trader(r, a) for a in traders))

        with console.status(
            "an operator settles the round; "
            + ("one finalizes the pool, each claims" if cfg.market == "pool" else "each redeems")
        ):
            wait_until(redeemed, running, 300, "settlement and redemptions")
        if faulty is not None:
            console.print(f"member{faulty} comes back online")
            self.members[faulty].start()
        if r < cfg.rounds:
            with console.status("members prepare the next round's training data"):
                wait_until(
                    lambda: all(self._member_ready(m, r + 1) for m in self.members),
                    self.nodes_,
                    300,
                    "the members' next training views",
                )
        self.summary["rounds"].append(self.round_summary(r, faulty))
        self.print_round(self.summary["rounds"][-1])

    def lmsr_trading(
        self, r: int, started: float, running: list[NodeProcess], open_block: int, traders: list[str]
    ) -> None:
        """The LMSR market: operators trade (Kelly) until none wants to trade again."""
        cfg, g = self.cfg, self.game.chain.game
        op_restarted = not (cfg.inject_faults and r == 2)

        def trading_done() -> bool:
            nonlocal op_restarted
            trades = g.traded(r, from_block=open_block)
            if not op_restarted and any(t.trader == traders[0] for t in trades):
                self._restart(self.operators[0], "between its trading passes")
                op_restarted = True
                return False
            for op in self.operators:
                st = op.status()
                if not (
                    st
                    and st["time"] > started
                    and st["round"] == r
                    and st["phase"] == "trading"
                    and st["idle"]
                    and st["market_events"] == len(trades)
                ):
                    return False
            return True

        with console.status("operators trade (Kelly) until none wants to trade again"):
            wait_until(trading_done, running, 900, "the trading passes")
        trades = g.traded(r, from_block=open_block)
        console.print(
            f"{len(trades)} trades: "
            + ", ".join(f"op{traders.index(a)} {sum(1 for t in trades if t.trader == a)}" for a in traders)
        )

    def sealed_round(self, r: int, started: float, running: list[NodeProcess]) -> None:
        """The sealed pool: every operator commits its forecasts with a stake; once all have (the devnet clock
        then moves to the commit deadline), each reveals. In the fault run, operator 0 is killed between its
        commit and its reveal and restarted: it reveals from what it wrote before committing."""
        cfg, chain = self.cfg, self.game.chain
        pool = SealedPool.of(chain)

        def all_at(states: tuple[str, ...]) -> bool:
            for op in self.operators:
                st = op.status()
                if not (st and st["time"] > started and st["round"] == r and st.get("pool")):
                    return False
                if st["pool"]["commit"] not in states:
                    return False
            return True

        with console.status("operators commit sealed forecasts with a Kelly stake"):
            wait_until(lambda: all_at(("committed", "missed")), running, 900, "the commits")
        committed = pool.committed(r, self.game.deployment.deployed_block)
        console.print(
            f"{len(committed)} sealed commits, stakes "
            + ", ".join(f"{c.stake_wad / WAD:.3f}" for c in committed)
            + f"; the pool's subsidy {pool.round_state(r).subsidy_wad / WAD:.3f}"
        )
        if cfg.inject_faults and r == 2:
            self._restart(self.operators[0], "between its commit and its reveal")
        chain.advance_to(pool.commit_ends(r))
        started = time.time()
        with console.status("commits closed: operators reveal their forecasts"):
            wait_until(lambda: all_at(("revealed", "missed")), running, 300, "the reveals of forecasts")
        console.print(f"{pool.round_state(r).revealed_count} forecasts revealed before the labels")

    def _member_index(self, address: str) -> int:
        return [a.address for a in self.game.members].index(address)

    # ------------------------------------------------------------ accounting
    def round_summary(self, r: int, faulty: int | None) -> dict[str, Any]:
        """The round as the chain recorded it (hayek.figures: the same figures for either market), plus the
        demo's own facts: voided items, settlement, faults, conservation and the operators' wealth."""
        g = self.game.chain.game
        info = g.round_info(r)
        traders: list[str] = [a.address for a in self.game.traders]

        def on_fill(o: Order, q: Sequence[int]) -> None:
            self.price_paths.setdefault((r, o.item), [0.5]).append(lmsr.prices(q, info.liquidity_wad)[1])

        fig = round_figures(self.game.chain, r, traders, self.hedge_ll, on_fill=on_fill)
        self.calibration = getattr(self, "calibration", []) + fig.pop("calibration")
        return fig | {
            "voided_items": sum(x.count for x in g.listings(r) if x.voided),
            "settled": info.status == "settled",
            "faulty_member": faulty,
            "collateral_conserved": self.collateral_conserved(),
            "operator_wealth": [self.game.chain.token.balance_of(a) / WAD for a in traders],
        }

    def collateral_conserved(self) -> bool:
        """The game's token balance covers every unredeemed payout and refund; the treasury got
        the rest (checked from on-chain balances and round records)."""
        g = self.game.chain.game
        owed = 0
        for r in range(1, g.round_count() + 1):
            info = g.round_info(r)
            if info.status == "open":
                owed += info.subsidy_wad + info.collected_wad
            else:
                owed += info.obligations_wad - info.paid_out_wad
        balance = self.game.chain.token.balance_of(self.game.deployment.addresses["PredictionGame"])
        return balance == owed and (self.cfg.market != "pool" or self.pool_conserved())

    def pool_conserved(self) -> bool:
        """The pool's balance is exactly what it owes: S + stakes of open rounds, unclaimed claims of settled ones."""
        chain = self.game.chain
        pool = SealedPool.of(chain)
        owed = 0
        for r in range(1, chain.game.round_count() + 1):
            st = pool.round_state(r)
            if st.status in ("none", "open"):
                owed += st.subsidy_wad + st.stake_wad
                continue
            for c in pool.committed(r, self.game.deployment.deployed_block):
                o = pool.operator_state(r, c.operator)
                owed += 0 if o.claimed else o.claim_wad
        return chain.token.balance_of(pool.address) == owed

    def onchain_facts(self) -> dict[str, Any]:
        """What the chain says at the end (kept in the summary: the devnet stops with the demo)."""
        chain = self.game.chain
        return {
            "models": [
                {
                    "model_hash": "0x" + m.model_hash.hex(),
                    "operator": m.operator,
                    "cumulative_profit": m.cumulative_profit_wad / WAD,
                    "rounds_traded": m.rounds_traded,
                }
                for m in chain.models.all()
            ],
            "game_balance": chain.token.balance_of(self.game.deployment.addresses["PredictionGame"]) / WAD,
            "pool_balance": (
                chain.token.balance_of(self.game.deployment.addresses["SealedPool"]) / WAD
                if "SealedPool" in self.game.deployment.addresses
                else None
            ),
            "member_bonds": [chain.registry.bond_of(a.address) / WAD for a in self.game.members],
        }

    def print_round(self, s: dict[str, Any]) -> None:
        t = Table(
            title=f"round {s['round']}: {s['items']} items, settled={s['settled']}, "
            f"voided {s['voided_items']}, subsidy spent {s['subsidy_spent']:.3f}"
        )
        for col in ("who", "log loss", "stake", "payout", "profit"):
            t.add_column(col, justify="right")
        market = "market (final prices)" if s["market"] == "lmsr" else "market (stake-weighted forecasts)"
        t.add_row(market, f"{s['market_log_loss']:.4f}", "", "", "")
        if s["average_model_log_loss"] is not None:
            t.add_row("plain average of models", f"{s['average_model_log_loss']:.4f}", "", "", "")
        if s["hedge_log_loss"] is not None:
            t.add_row("Hedge aggregate (across rounds)", f"{s['hedge_log_loss']:.4f}", "", "", "")
        for m in s["models"]:
            ll = "-" if m["log_loss"] is None else f"{m['log_loss']:.4f}"
            t.add_row(
                f"op{m['operator']} {m['model_hash'][:12]}",
                ll,
                f"{m['stake']:.4f}",
                f"{m['payout']:.4f}",
                f"{m['profit']:+.4f}",
            )
        console.print(t)
        rho, fm = s["profit_rank_spearman"], s["first_mover_profit_share"]
        console.print(
            f"Spearman(profit per stake, log loss) = {'-' if rho is None else f'{rho:+.2f}'} (ideal -1); "
            f"first mover's profit share = {'-' if fm is None else f'{fm:.2f}'} "
            f"(fair {1 / max(len(s['models']), 1):.2f})"
        )

    # ------------------------------------------------------------ the end
    def final_query(self) -> None:
        """A user's query: the best model by the log loss of its forecasts, answered by its operator's node
        process with an EZKL proof, verified here off-chain and through the chain."""
        from operator_node.client import NoModel, query_and_verify

        self.summary["collateral_conserved"] = self.collateral_conserved()
        x = [v / 1e9 for v in self._a_revealed_row()]
        try:
            with console.status("proved inference from the best model (its operator proves; we verify)"):
                result = query_and_verify(self.game.chain, self.store, x, None, onchain=True)
        except NoModel:
            self.summary["inference"] = None
            return
        self.summary["inference"] = {
            k: result[k] for k in ("model_hash", "output", "verified_offchain", "verified_onchain", "endpoint")
        }
        console.print(
            f"proved inference from the best model {result['model_hash'][:14]} at {result['endpoint']}: "
            f"P(class 1) = {result['output'][1]:.3f}; verified off-chain {result['verified_offchain']}, "
            f"on-chain {result['verified_onchain']}"
        )

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
        if self.price_paths:  # the LMSR: prices move trade by trade
            for (r, i), path in list(self.price_paths.items())[:: max(1, len(self.price_paths) // 8)][:8]:
                ax.plot(range(len(path)), path, marker="o", label=f"round {r} item {i}")
            ax.set(xlabel="trade", ylabel="price of outcome 1", title="Price paths (a few items)")
            ax.legend(fontsize=7)
            out.append(self._save(fig, "price_paths.png"))
        else:  # the pool: profit per stake against log loss, per round (the ranking the payouts make)
            for s in self.summary["rounds"]:
                pts = sorted(
                    (m["log_loss"], m["profit"] / m["stake"])
                    for m in s["models"]
                    if m["stake"] and m["log_loss"] is not None
                )
                if pts:
                    ax.plot(*zip(*pts), marker="o", label=f"round {s['round']}")
            ax.set(
                xlabel="model log loss on the revealed labels (nats)",
                ylabel="profit per unit staked",
                title="Sealed pool: payouts rank the models",
            )
            ax.legend(fontsize=7)
            out.append(self._save(fig, "profit_per_stake.png"))
        fig, ax = plt.subplots(figsize=(7, 4))
        cum: dict[int, dict[int, float]] = {}
        for s in self.summary["rounds"]:
            for m in s["models"]:
                cum.setdefault(m["operator"], {})[s["round"]] = m["profit"]
        rounds = [s["round"] for s in self.summary["rounds"]]
        for j, ps in sorted(cum.items()):
            spec = OPERATOR_SPECS[j % len(OPERATOR_SPECS)]
            ax.plot(
                rounds, np.cumsum([ps.get(r, 0.0) for r in rounds]), marker="o", label=f"operator {j} ({spec['model']})"
            )
        ax.set(
            xlabel="round",
            ylabel="cumulative realised profit (tokens)",
            title="Profit of each operator's models (a new model hash each round)",
        )
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
        raise InvalidOption("hayek demo", "needs at least 2 members, 1 operator and 1 round")
    if cfg.market not in MARKETS:
        raise InvalidOption("--market", f"{cfg.market!r} is none of {', '.join(MARKETS)}")
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
                if m["log_loss"] is not None:
                    per_operator.setdefault(m["operator"], []).append(m["log_loss"])
        summary["best_model_log_loss"] = min(float(np.mean(v)) for v in per_operator.values()) if per_operator else None
        avgs = [s["average_model_log_loss"] for s in settled if s["average_model_log_loss"] is not None]
        summary["average_model_log_loss"] = float(np.mean(avgs)) if avgs else None
        hedges = [s["hedge_log_loss"] for s in settled if s["hedge_log_loss"] is not None]
        summary["hedge_log_loss"] = float(np.mean(hedges)) if hedges else None
        summary["market"] = cfg.market
    if cfg.summary:
        cfg.summary.write_text(json.dumps(summary, indent=1))
        console.print(f"summary: {cfg.summary}")
    return summary
