"""`hayek operator run`, `hayek srs`, `hayek infer`: the operator's node and proved inference."""

from __future__ import annotations

import json
import signal
import tempfile
import threading
from pathlib import Path

import click
from rich.console import Console

from protocol.chain import Chain, Deployment
from protocol.errors import HayekError, InvalidOption, MissingSetup
from protocol.store import StoreClient

console = Console()


@click.command()
@click.option(
    "--deployment", type=click.Path(path_type=Path, exists=True), default=".hayek/deployment.json", show_default=True
)
@click.option("--store", default="http://127.0.0.1:8470", show_default=True)
@click.option("--logrows", type=int, default=15, show_default=True)
@click.option(
    "--ceremony",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="a downloaded public KZG ceremony SRS (kzg{k}.srs) instead of a devnet one",
)
def srs(deployment: Path, store: str, logrows: int, ceremony: Path | None) -> None:
    """Publish the deployment's KZG SRS to the store and name it in the deployment record.

    Without --ceremony it generates a devnet SRS: INSECURE (whoever generated it could forge
    proofs), fine for a local devnet only."""
    from operator_node.zk.srs import ceremony_srs, devnet_srs

    dep = Deployment.load(deployment)
    with tempfile.TemporaryDirectory() as t:
        path = ceremony_srs(ceremony, logrows) if ceremony else devnet_srs(logrows, Path(t))
        srs_id = StoreClient(store).put(path.read_bytes())
    dep.params["srs_id"] = srs_id
    dep.params["srs_kind"] = "ceremony" if ceremony else "devnet-insecure"
    dep.save(deployment)
    console.print(f"SRS k={logrows} ({dep.params['srs_kind']}) stored as {srs_id}")


@click.command()
@click.option(
    "--deployment", type=click.Path(path_type=Path, exists=True), default=".hayek/deployment.json", show_default=True
)
@click.option("--store", default="http://127.0.0.1:8470", show_default=True)
@click.option("--input", "input_", required=True, help="comma-separated feature values")
@click.option(
    "--model",
    "model_hex",
    default=None,
    help="model hash; default: the best by the log loss of its forecasts on the chain",
)
@click.option("--onchain", is_flag=True, help="also verify through the on-chain EZKL verifier")
@click.option("--json", "as_json", is_flag=True)
def infer(deployment: Path, store: str, input_: str, model_hex: str | None, onchain: bool, as_json: bool) -> None:
    """Query a model's proved inference and verify the proof yourself."""
    from operator_node.client import query_and_verify

    dep = Deployment.load(deployment)
    chain = Chain(dep.rpc_url, dep)
    try:
        x = [float(v) for v in input_.split(",")]
    except ValueError as e:
        raise InvalidOption("--input", f"must be comma-separated numbers ({e})") from None
    result = query_and_verify(
        chain,
        StoreClient(store),
        x,
        bytes.fromhex(model_hex.removeprefix("0x")) if model_hex else None,
        onchain=onchain,
    )
    if as_json:
        click.echo(json.dumps(result, indent=1))
    else:
        console.print(result)


@click.group()
def operator() -> None:
    """A model operator's node: Flower training, EZKL proofs, Kelly trading, inference."""


@operator.command()
@click.option("--home", type=click.Path(path_type=Path), required=True, help="the node's folder (SQLite state, models)")
@click.option(
    "--deployment", type=click.Path(path_type=Path, exists=True), default=".hayek/deployment.json", show_default=True
)
@click.option("--store", default="http://127.0.0.1:8470", show_default=True)
@click.option("--keystore", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--n-features", type=int, required=True)
@click.option("--model", type=click.Choice(["logreg", "mlp"]), default="logreg", show_default=True)
@click.option("--hidden", type=int, default=4, show_default=True, help="hidden units (mlp)")
@click.option("--local-epochs", type=int, default=5, show_default=True)
@click.option("--learning-rate", type=float, default=0.05, show_default=True)
@click.option("--fl-rounds", type=int, default=2, show_default=True, help="Flower rounds per game round")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--members", type=int, default=2, show_default=True, help="SuperNodes a training run waits for")
@click.option("--superlink-port", type=int, default=9092, show_default=True)
@click.option("--port", type=int, default=8480, show_default=True, help="proved-inference service port")
@click.option("--strategy", type=click.Choice(["kelly", "belief"]), default="kelly", show_default=True)
@click.option(
    "--bankroll-fraction", type=float, default=0.5, show_default=True, help="share of the token balance bet per round"
)
@click.option(
    "--passes",
    type=int,
    default=4,
    show_default=True,
    help="most trades per round (it trades again only when others moved the market)",
)
@click.option("--poll-seconds", type=float, default=1.0, show_default=True)
def run(
    home: Path,
    deployment: Path,
    store: str,
    keystore: Path,
    n_features: int,
    model: str,
    hidden: int,
    local_epochs: int,
    learning_rate: float,
    fl_rounds: int,
    seed: int,
    members: int,
    superlink_port: int,
    port: int,
    strategy: str,
    bankroll_fraction: float,
    passes: int,
    poll_seconds: float,
) -> None:
    """Run the operator: a SuperLink for members' SuperNodes, training and EZKL circuits each
    round, the trading loop, and the proved-inference service for all its models.

    State lives in --home (SQLite, weights, circuits, the SuperLink's database): kill it at
    any point and start it again with the same options, and it resumes."""
    import uvicorn

    from operator_node.flower import SuperLink
    from operator_node.node import OperatorConfig, OperatorNode
    from operator_node.pipeline import FlowerZkPipeline, TrainingSpec
    from operator_node.service import create_app
    from protocol.runtime.keystore import load_account

    dep = Deployment.load(deployment)
    chain = Chain(dep.rpc_url, dep)
    blobs = StoreClient(store)
    srs_id = dep.params.get("srs_id")
    if not srs_id:
        raise MissingSetup("the deployment has no SRS yet", "run `hayek srs` first")
    home.mkdir(parents=True, exist_ok=True)
    srs_path = home / "deployment.srs"
    if not srs_path.exists():
        tmp = srs_path.with_suffix(".tmp")
        tmp.write_bytes(blobs.get(srs_id))
        tmp.replace(srs_path)
    account = load_account(keystore)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # A persistent SuperLink: after a restart the members' SuperNodes are still known to it.
    with SuperLink(home / "superlink", port=superlink_port, persistent=True) as link:
        console.print(f"SuperLink at {link.address}: members run `hayek member run --superlink {link.address}`")
        spec = TrainingSpec(
            n_features=n_features,
            model=model,
            hidden=hidden,
            min_nodes=members,
            fl_rounds=fl_rounds,
            local_epochs=local_epochs,
            learning_rate=learning_rate,
            seed=seed,
        )
        pipeline = FlowerZkPipeline(link, spec, blobs, srs_path, home / "models", progress=console.print)
        node = OperatorNode(
            OperatorConfig(
                home=home,
                endpoint=f"http://127.0.0.1:{port}",
                strategy=strategy,
                bankroll_fraction=bankroll_fraction,
                passes=passes,
                poll_seconds=poll_seconds,
            ),
            account,
            chain,
            blobs,
            pipeline,
            say=console.print,
        )
        provers: dict[bytes, object] = {}  # filled by this loop; read by the service's threads

        def load_registered() -> None:
            for r in node.state.registered_rounds():
                saved = node.state.model(r)
                if saved and saved[0] not in provers:
                    provers[saved[0]] = node.model_for(r).prover  # type: ignore[attr-defined]

        app = create_app(
            None,
            chain,
            blobs,
            models=lambda h: provers.get(h),  # type: ignore[arg-type,return-value]
            sealed=node.sealed.check,
        )
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        console.print(f"proved inference on http://127.0.0.1:{port}/models/0x<model hash>")
        try:
            try:
                if node.sync_endpoints():
                    console.print(f"model endpoints now point to http://127.0.0.1:{port}")
            except HayekError as e:
                console.print(f"[red]error[/] updating model endpoints: {e}")
            while not stop.is_set():
                try:
                    load_registered()
                except HayekError as e:
                    console.print(f"[red]error[/] loading a registered model: {e}")
                try:
                    node.step()
                except HayekError as e:
                    console.print(f"[red]error[/] {e}")
                    node.report_error(str(e))
                stop.wait(poll_seconds)
        except KeyboardInterrupt:
            pass
        server.should_exit = True
