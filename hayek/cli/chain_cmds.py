"""`hayek devnet`, `hayek deploy`, `hayek status`: the chain side of the command line."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import click
from eth_account import Account
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table
from web3 import Web3

from protocol.chain import Chain, Deployment, Devnet, GameParams, SealedParams, dev_accounts
from protocol.chain import deploy as deploy_contracts
from protocol.chain.rounds import MARKETS, market_of, round_subsidy
from protocol.chain.rounds import open_round as open_market_round
from protocol.chain.sealed import SealedPool
from protocol.errors import InvalidOption, MissingSetup

WAD = 10**18
DEVNET_CHAIN_ID = 31337
DEFAULT_RECORD = Path(".hayek") / "deployment.json"
console = Console()


def governance_account(chain_id: int) -> LocalAccount:
    """Secrets only from the environment; anvil's public dev account 0 on a devnet."""
    key = os.environ.get("HAYEK_GOVERNANCE_KEY")
    if key:
        return Account.from_key(key)
    if chain_id == DEVNET_CHAIN_ID:
        return dev_accounts(1)[0]
    raise MissingSetup(
        "no governance key for this network", "set HAYEK_GOVERNANCE_KEY (the devnet uses its dev account)"
    )


@click.command()
@click.option("--port", type=int, default=8545, show_default=True, help="loopback port for anvil")
@click.option("--accounts", type=int, default=20, show_default=True)
def devnet(port: int, accounts: int) -> None:
    """Run a local anvil devnet in the foreground until interrupted."""
    with Devnet(port=port, accounts=accounts) as d:
        console.print(f"devnet on [bold]{d.url}[/] (chain id {DEVNET_CHAIN_ID}); Ctrl-C stops it")
        stop = False

        def _stop(*_: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stop and d.proc and d.proc.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


@click.command()
@click.option("--rpc", default="http://127.0.0.1:8545", show_default=True, help="JSON-RPC URL of the node")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_RECORD,
    show_default=True,
    help="where to write the deployment record the nodes read",
)
@click.option("--outcomes", type=int, default=2, show_default=True, help="K, outcomes per item")
@click.option("--committee-size", type=int, default=3, show_default=True)
@click.option("--max-items-per-member", type=int, default=64, show_default=True)
@click.option("--min-bond", type=float, default=10.0, show_default=True, help="tokens")
@click.option("--fixed-seed", default=None, help="hex seed: FixedRandomness instead of block hashes (tests)")
@click.option(
    "--market",
    type=click.Choice(MARKETS),
    default="pool",
    show_default=True,
    help="the rounds' market: a SealedPool beside the game (sealed forecasts, order-free Kelly pool) or the "
    "game's sequential LMSR",
)
@click.option("--mint", "mint_to", multiple=True, help="ADDRESS:TOKENS to mint (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="print the record as JSON")
def deploy(
    rpc: str,
    out: Path,
    outcomes: int,
    committee_size: int,
    max_items_per_member: int,
    min_bond: float,
    fixed_seed: str | None,
    market: str,
    mint_to: tuple[str, ...],
    as_json: bool,
) -> None:
    """Deploy token, registries, game and (--market pool) its SealedPool to any EVM node; write the
    deployment record."""
    chain = Chain(rpc)
    gov = governance_account(int(chain.w3.eth.chain_id))
    params = GameParams(
        outcome_count=outcomes,
        committee_size=committee_size,
        max_items_per_member=max_items_per_member,
        min_bond_wad=int(min_bond * WAD),
        fixed_seed=bytes.fromhex(fixed_seed) if fixed_seed else None,
    )
    mints = []
    for m in mint_to:
        addr, _, amount = m.partition(":")
        try:
            mints.append((Web3.to_checksum_address(addr), int(float(amount or "0") * WAD)))
        except ValueError as e:
            raise InvalidOption(f"--mint {m!r}", f"expected ADDRESS:TOKENS ({e})") from None
    dep = deploy_contracts(
        chain,
        gov,
        params,
        mint=mints,
        progress=lambda s: console.print(s) if not as_json else None,
        sealed=SealedParams() if market == "pool" else None,
    )
    dep.save(out)
    if as_json:
        click.echo(json.dumps({k: v for k, v in dep.__dict__.items() if k != "abis"}, indent=1))
    else:
        console.print(f"deployment record: [bold]{out}[/]")


@click.command()
@click.option("--deployment", type=click.Path(path_type=Path, exists=True), default=DEFAULT_RECORD, show_default=True)
@click.option("--round", "round_", type=int, default=None, help="default: the latest round")
@click.option("--address", default=None, help="show this account's position and profit")
def status(deployment: Path, round_: int | None, address: str | None) -> None:
    """Show a round's phase, deadlines, its market (the pool's commits and reveals) and, for
    --address, that operator's commit and claim (pool) or trades and redemption (LMSR)."""
    dep = Deployment.load(deployment)
    chain = Chain(dep.rpc_url, dep)
    g = chain.game
    rnd = round_ or g.round_count()
    if rnd == 0:
        console.print("no round opened yet")
        return
    info = g.round_info(rnd)
    t = Table(title=f"round {rnd}: {g.phase(rnd)}")
    t.add_column("field")
    t.add_column("value", justify="right")
    now = chain.now()
    for k, end in (
        ("listingEnds", info.listing_ends),
        ("tradingEnds", info.trading_ends),
        ("revealEnds", info.reveal_ends),
    ):
        t.add_row(k, f"{end} ({end - now:+d} s)")
    t.add_row("itemCount", str(info.item_count))
    for k, wad in (
        ("subsidyWad", info.subsidy_wad),
        ("collectedWad", info.collected_wad),
        ("obligationsWad", info.obligations_wad),
        ("paidOutWad", info.paid_out_wad),
    ):
        t.add_row(k, f"{wad / WAD:,.4f}")
    t.add_row("committee", "\n".join(g.committee(rnd)) or "-")
    market = market_of(dep)
    t.add_row("market", market)
    if market == "pool":
        pool = SealedPool.of(chain)
        st = pool.round_state(rnd)
        ce = pool.commit_ends(rnd)
        t.add_row("pool", st.status)
        t.add_row("commitEnds", f"{ce} ({ce - now:+d} s)" if ce else "-")
        t.add_row("pool subsidy", f"{st.subsidy_wad / WAD:,.4f}")
        t.add_row(
            "pool stakes", f"{st.stake_wad / WAD:,.4f} ({st.operator_count} commits, {st.revealed_count} revealed)"
        )
        if st.status == "finalized":
            t.add_row("pool refund", f"{st.refund_wad / WAD:,.4f}")
    if address and market == "pool":
        o = SealedPool.of(chain).operator_state(rnd, address)
        t.add_row("model", "0x" + o.model_hash.hex() if o.committed else "-")
        t.add_row("stake", f"{o.stake_wad / WAD:,.4f}")
        t.add_row("revealed", str(o.revealed))
        t.add_row("payout", f"{o.payout_wad / WAD:,.4f} (+ excess {o.excess_wad / WAD:,.4f})")
        t.add_row("claimed", str(o.claimed))
    elif address:
        tr = g.trader(rnd, address)
        t.add_row("model", "0x" + tr.model_hash.hex())
        t.add_row("cost", f"{tr.cost_wad / WAD:,.4f}")
        t.add_row("positions", str(tr.positions))
        t.add_row("redeemed", str(tr.redeemed))
    console.print(t)


@click.group("round")
def round_() -> None:
    """Governance and anyone: open and fund a round, elect its committee, settle it."""


def _chain(deployment: Path) -> Chain:
    dep = Deployment.load(deployment)
    return Chain(dep.rpc_url, dep)


deployment_opt = click.option(
    "--deployment", type=click.Path(path_type=Path, exists=True), default=DEFAULT_RECORD, show_default=True
)


@round_.command("open")
@deployment_opt
@click.option("--items", type=int, default=64, show_default=True, help="items the subsidy must cover")
@click.option("--liquidity", type=float, default=0.5, show_default=True, help="LMSR b per item (tokens)")
@click.option("--listing-secs", type=int, default=600, show_default=True)
@click.option("--trading-secs", type=int, default=600, show_default=True)
@click.option("--reveal-secs", type=int, default=600, show_default=True)
def open_round(
    deployment: Path, items: int, liquidity: float, listing_secs: int, trading_secs: int, reveal_secs: int
) -> None:
    """Open the next round with a subsidy of --items x b ln K (governance key: HAYEK_GOVERNANCE_KEY,
    or the devnet's dev account); approves it from the governance account. In a pool deployment the
    subsidy funds the SealedPool's round (the game's round has no LMSR market); in an LMSR one, the
    game's market at liquidity b."""
    chain = _chain(deployment)
    gov = governance_account(int(chain.w3.eth.chain_id))
    b = int(liquidity * WAD)
    subsidy = round_subsidy(chain, items, b)
    rnd = open_market_round(chain, gov, subsidy, b, listing_secs, trading_secs, reveal_secs)
    market = market_of(chain.deployment)
    console.print(
        f"round {rnd} open ({market} market): subsidy {subsidy / WAD:.4f} tokens"
        + (f" for {items} items, b = {liquidity}" if market == "lmsr" else " in the sealed pool")
    )


@round_.command()
@deployment_opt
@click.option("--round", "rnd", type=int, default=None)
def elect(deployment: Path, rnd: int | None) -> None:
    """Elect the round's committee once its seed block exists (anyone may)."""
    chain = _chain(deployment)
    gov = governance_account(int(chain.w3.eth.chain_id))
    seated = chain.game.elect(gov, rnd or chain.game.round_count())
    console.print("committee: " + ", ".join(seated))


@round_.command()
@deployment_opt
@click.option("--round", "rnd", type=int, default=None)
def settle(deployment: Path, rnd: int | None) -> None:
    """Settle a round after its reveal deadline (anyone may)."""
    chain = _chain(deployment)
    gov = governance_account(int(chain.w3.eth.chain_id))
    rnd = rnd or chain.game.round_count()
    chain.game.settle(gov, rnd)
    console.print(f"round {rnd} settled")


@round_.command()
@deployment_opt
@click.option("--to", "phase", type=click.Choice(["trading", "revealing", "settleable"]), required=True)
@click.option("--round", "rnd", type=int, default=None)
def advance(deployment: Path, phase: str, rnd: int | None) -> None:
    """Devnet only: move anvil's clock to the start of a phase of the round."""
    chain = _chain(deployment)
    if int(chain.w3.eth.chain_id) != DEVNET_CHAIN_ID:
        raise InvalidOption("round advance", "moves the clock of a local devnet only")
    rnd = rnd or chain.game.round_count()
    chain.advance_to(chain.game.round_info(rnd).start_of(phase))
    console.print(f"round {rnd}: {chain.game.phase(rnd)}")
