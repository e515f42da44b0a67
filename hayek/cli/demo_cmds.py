"""`hayek demo`: the main job — a multi-round game on a fresh devnet, end to end."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--data",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="a CSV (default: scikit-learn's breast cancer set, shipped in its wheel)",
)
@click.option("--label-column", default="diagnosis", show_default=True)
@click.option("--drop-columns", default="", help="comma-separated columns to ignore")
@click.option("--members", type=int, default=5, show_default=True)
@click.option("--operators", type=int, default=3, show_default=True)
@click.option("--rounds", type=int, default=3, show_default=True)
@click.option("--items-per-round", type=int, default=33, show_default=True)
@click.option(
    "--market",
    type=click.Choice(["pool", "lmsr"]),
    default="pool",
    show_default=True,
    help="the rounds' market: the sealed Kelly pool (pays for quality, order-free) or the sequential LMSR",
)
@click.option(
    "--liquidity",
    type=float,
    default=0.6,
    show_default=True,
    help="LMSR b per item (tokens); the subsidy is items x b ln K in either market",
)
@click.option(
    "--passes",
    type=int,
    default=6,
    show_default=True,
    help="most trades per operator and round (each trades again only when others moved prices)",
)
@click.option(
    "--bankroll-fraction",
    type=float,
    default=1.0,
    show_default=True,
    help="share of its balance each operator bets per round",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--inject-faults",
    is_flag=True,
    help="round 2: a committee member never reveals, a member node and an operator restart",
)
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(".demo"), show_default=True)
@click.option("--summary", type=click.Path(path_type=Path), default=None, help="write the JSON summary here")
def demo(
    data: Path | None,
    label_column: str,
    drop_columns: str,
    members: int,
    operators: int,
    rounds: int,
    items_per_round: int,
    market: str,
    liquidity: float,
    passes: int,
    bankroll_fraction: float,
    seed: int,
    inject_faults: bool,
    workdir: Path,
    summary: Path | None,
) -> None:
    """Play a multi-round game: members publish signed, encrypted data; the elected committee
    lists and reveals; operators train through Flower, prove with EZKL, commit sealed forecasts
    with Kelly stakes and claim (or, with --market lmsr, trade with Kelly bankrolls and redeem);
    the game ends with a proved inference verified off- and on-chain."""
    from hayek.demo import DemoConfig, run_demo

    cfg = DemoConfig(
        workdir=workdir.resolve(),
        data=data,
        label_column=label_column,
        drop_columns=tuple(c for c in drop_columns.split(",") if c),
        members=members,
        operators=operators,
        rounds=rounds,
        items_per_round=items_per_round,
        liquidity=liquidity,
        market=market,
        passes=passes,
        bankroll_fraction=bankroll_fraction,
        seed=seed,
        inject_faults=inject_faults,
        summary=summary or workdir / "summary.json",
    )
    run_demo(cfg)
