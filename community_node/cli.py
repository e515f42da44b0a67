"""`hayek member ...` and `hayek store serve`: run a community member's node by hand."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from community_node.node import CommunityNode, NodeConfig
from protocol.chain import Chain, Deployment
from protocol.runtime.keystore import create_keystore, load_account
from protocol.store import StoreClient

console = Console()
HOME_HELP = "the node's folder (its SQLite state lives here)"


@click.group()
def member() -> None:
    """A community member's node: data, committee duty, training view."""


@member.command()
@click.option("--keystore", type=click.Path(path_type=Path), required=True)
@click.option("--private-key-env", default=None, help="import the key held in this environment variable")
def keygen(keystore: Path, private_key_env: str | None) -> None:
    """Create an encrypted keystore (the key itself is never printed)."""
    acct = create_keystore(keystore, os.environ[private_key_env] if private_key_env else None)
    console.print(f"address {acct.address}; keystore {keystore}")


def _node(home: Path, deployment: Path, store: str, keystore: Path, **cfg: int) -> CommunityNode:
    dep = Deployment.load(deployment)
    chain = Chain(dep.rpc_url, dep)
    return CommunityNode(
        NodeConfig(home=home, **cfg),
        load_account(keystore),
        chain,
        StoreClient(store),
        say=lambda s: console.print(f"[dim]{home.name}[/] {s}"),
    )


common = [
    click.option("--home", type=click.Path(path_type=Path), required=True, help=HOME_HELP),
    click.option(
        "--deployment",
        type=click.Path(path_type=Path, exists=True),
        default=".hayek/deployment.json",
        show_default=True,
    ),
    click.option("--store", default="http://127.0.0.1:8470", show_default=True, help="data store URL"),
    click.option("--keystore", type=click.Path(path_type=Path, exists=True), required=True),
]


def with_common(f):  # type: ignore[no-untyped-def]
    for opt in reversed(common):
        f = opt(f)
    return f


@member.command("import")
@with_common
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--label-column", required=True, help="the column holding the label")
@click.option("--drop-columns", default="", help="comma-separated columns to ignore")
@click.option(
    "--holdback", type=float, default=0.25, show_default=True, help="fraction kept unpublished for committee duty"
)
@click.option("--seed", type=int, default=0, show_default=True, help="seeds which rows are held back")
def import_(
    home: Path,
    deployment: Path,
    store: str,
    keystore: Path,
    csv_path: Path,
    label_column: str,
    drop_columns: str,
    holdback: float,
    seed: int,
) -> None:
    """Import a CSV: feature columns plus a label column with any two (or K) distinct values."""
    node = _node(home, deployment, store, keystore)
    drops = [c for c in drop_columns.split(",") if c]
    counts = node.import_csv(csv_path, label_column, drops, holdback, seed=seed)
    console.print(counts)


@member.command()
@with_common
@click.option("--batch-size", type=int, default=64, show_default=True, help="rows published per round")
@click.option("--listing-size", type=int, default=32, show_default=True, help="items listed when elected")
@click.option(
    "--superlink",
    "superlinks",
    multiple=True,
    help="an operator's SuperLink (host:port) to train with; repeatable, one SuperNode each",
)
@click.option("--dp/--no-dp", default=True, show_default=True, help="client-side differential privacy")
@click.option("--dp-clip", type=float, default=1.0, show_default=True, help="L2 clipping norm of updates")
@click.option("--dp-epsilon", type=float, default=10.0, show_default=True)
@click.option("--poll-seconds", type=float, default=0.5, show_default=True)
def run(
    home: Path,
    deployment: Path,
    store: str,
    keystore: Path,
    batch_size: int,
    listing_size: int,
    superlinks: tuple[str, ...],
    dp: bool,
    dp_clip: float,
    dp_epsilon: float,
    poll_seconds: float,
) -> None:
    """Run the node: publish a batch each round, list when elected, reveal in time, and
    serve Flower training (approved apps only) on its own data for each --superlink."""
    from contextlib import ExitStack

    node = _node(
        home, deployment, store, keystore, batch_size=batch_size, listing_size=listing_size, poll_seconds=poll_seconds
    )
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    console.print(f"member {node.me} running; state in {home}")
    with ExitStack() as stack:
        node.step()  # publish and export the view before any training message arrives
        for link in superlinks:
            node.supernodes.append(
                stack.enter_context(node.supernode(link, dp_enabled=dp, dp_clip=dp_clip, dp_epsilon=dp_epsilon))
            )
            console.print(f"SuperNode serving {link} (training view {node.view_path})")
        try:
            node.run(until=lambda: stop)
        except KeyboardInterrupt:
            pass


@member.command()
@click.option("--home", type=click.Path(path_type=Path, exists=True), required=True, help=HOME_HELP)
@click.option("--json", "as_json", is_flag=True)
def status(home: Path, as_json: bool) -> None:
    """Rows, batches, listings and the node's recent events (refusals included)."""
    from community_node.state import NodeState

    st = NodeState(home / "node.sqlite")
    out = {
        "features": st.get("feature_count"),
        "rows": st.count_rows(),
        "batches": [
            {"round": b.round, "kind": b.kind, "records": len(b.row_ids), "status": b.status} for b in st.batches()
        ],
        "listings": [{"round": lst.round, "items": len(lst.salts), "status": lst.status} for lst in st.listings()],
        "events": [{"time": t, "kind": k, **d} for t, k, d in st.events(20)],
    }
    refusals = home / "refusals.jsonl"
    if refusals.exists():
        out["refusals"] = [json.loads(line) for line in refusals.read_text().splitlines() if line.strip()]
    if as_json:
        click.echo(json.dumps(out, indent=1))
        return
    console.print(f"features: {out['features']}")
    console.print(out["rows"])
    t = Table("round", "kind", "records", "status", title="batches")
    for b in out["batches"]:
        t.add_row(str(b["round"]), b["kind"], str(b["records"]), b["status"])
    console.print(t)
    for e in out["events"]:
        console.print(e)
    for r in out.get("refusals", []):
        console.print(f"[red]refused training app[/] {r}")


@click.group()
def store() -> None:
    """The embedded content-addressed blob store."""


@store.command()
@click.option("--root", type=click.Path(path_type=Path), default=".hayek/store", show_default=True)
@click.option("--port", type=int, default=8470, show_default=True)
@click.option("--max-blob-mb", type=float, default=8.0, show_default=True)
def serve(root: Path, port: int, max_blob_mb: float) -> None:
    """Serve blobs over HTTP on 127.0.0.1 (ids are sha256 content hashes)."""
    from community_node.store_server import main as serve_main

    console.print(f"store on http://127.0.0.1:{port}, blobs in {root}")
    serve_main("127.0.0.1", port, root, int(max_blob_mb * 1024 * 1024))
