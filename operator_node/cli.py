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
from protocol.errors import HayekError
from protocol.store import StoreClient

console = Console()


class InferenceError(HayekError):
    pass


@click.command()
@click.option("--deployment", type=click.Path(path_type=Path, exists=True), default=".hayek/deployment.json",
              show_default=True)
@click.option("--store", default="http://127.0.0.1:8470", show_default=True)
@click.option("--logrows", type=int, default=15, show_default=True)
@click.option("--ceremony", type=click.Path(path_type=Path, exists=True), default=None,
              help="a downloaded public KZG ceremony SRS (kzg{k}.srs) instead of a devnet one")
def srs(deployment: Path, store: str, logrows: int, ceremony: Path | None) -> None:
    """Publish the deployment's KZG SRS to the store and name it in the deployment record.

    Without --ceremony it generates a devnet SRS: INSECURE (whoever generated it could forge
    proofs), fine for a local devnet only."""
    from operator_node.zk import ceremony_srs, devnet_srs

    dep = Deployment.load(deployment)
    with tempfile.TemporaryDirectory() as t:
        path = ceremony_srs(ceremony, logrows) if ceremony else devnet_srs(logrows, Path(t))
        srs_id = StoreClient(store).put(path.read_bytes())
    dep.params["srs_id"] = srs_id
    dep.params["srs_kind"] = "ceremony" if ceremony else "devnet-insecure"
    dep.save(deployment)
    console.print(f"SRS k={logrows} ({dep.params['srs_kind']}) stored as {srs_id}")


@click.command()
@click.option("--deployment", type=click.Path(path_type=Path, exists=True), default=".hayek/deployment.json",
              show_default=True)
@click.option("--store", default="http://127.0.0.1:8470", show_default=True)
@click.option("--input", "input_", required=True, help="comma-separated feature values")
@click.option("--model", "model_hex", default=None, help="model hash; default: best cumulative profit on-chain")
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
        raise InferenceError(f"--input must be comma-separated numbers: {e}") from None
    result = query_and_verify(chain, StoreClient(store), x,
                              bytes.fromhex(model_hex.removeprefix("0x")) if model_hex else None, onchain=onchain)
    if as_json:
        click.echo(json.dumps(result, indent=1))
    else:
        console.print(result)


@click.group()
def operator() -> None:
    """A model operator's node: Flower training, EZKL proofs, Kelly trading, inference."""


@operator.command()
@click.option("--home", type=click.Path(path_type=Path), required=True)
@click.option("--deployment", type=click.Path(path_type=Path, exists=True), default=".hayek/deployment.json",
              show_default=True)
@click.option("--store", default="http://127.0.0.1:8470", show_default=True)
@click.option("--keystore", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--n-features", type=int, required=True)
@click.option("--model", type=click.Choice(["logreg", "mlp"]), default="logreg", show_default=True)
@click.option("--hidden", type=int, default=4, show_default=True)
@click.option("--members", type=int, default=2, show_default=True, help="SuperNodes a training run waits for")
@click.option("--superlink-port", type=int, default=9092, show_default=True)
@click.option("--port", type=int, default=8480, show_default=True, help="proved-inference service port")
@click.option("--strategy", type=click.Choice(["kelly", "belief"]), default="kelly", show_default=True)
@click.option("--bankroll-fraction", type=float, default=0.5, show_default=True)
def run(home: Path, deployment: Path, store: str, keystore: Path, n_features: int, model: str, hidden: int,
        members: int, superlink_port: int, port: int, strategy: str, bankroll_fraction: float) -> None:
    """Run the operator: a SuperLink for members' SuperNodes, the trading loop, and the
    proved-inference service for its latest model."""
    import uvicorn

    from community_node.cli import load_account
    from operator_node.flower import SuperLink
    from operator_node.node import OperatorConfig, OperatorNode
    from operator_node.pipeline import FlowerZkPipeline, TrainingSpec
    from operator_node.service import create_app

    dep = Deployment.load(deployment)
    chain = Chain(dep.rpc_url, dep)
    blobs = StoreClient(store)
    srs_id = dep.params.get("srs_id")
    if not srs_id:
        raise HayekError("the deployment has no SRS yet: run `hayek srs` first")
    home.mkdir(parents=True, exist_ok=True)
    srs_path = home / "deployment.srs"
    if not srs_path.exists():
        srs_path.write_bytes(blobs.get(srs_id))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SuperLink(home / "superlink", port=superlink_port) as link:
        console.print(f"SuperLink at {link.address}: members run `hayek member run --superlink {link.address}`")
        spec = TrainingSpec(n_features=n_features, model=model, hidden=hidden, min_nodes=members)
        pipeline = FlowerZkPipeline(link, spec, blobs, srs_path, home / "models", progress=console.print)
        node = OperatorNode(OperatorConfig(home=home, endpoint=f"http://127.0.0.1:{port}", strategy=strategy,
                                           bankroll_fraction=bankroll_fraction),
                            load_account(keystore), chain, blobs, pipeline, say=console.print)
        server: uvicorn.Server | None = None

        def serve_latest() -> None:
            nonlocal server
            latest = node.state.latest_model()
            if latest is None or server is not None:
                return
            model_obj = node.model_for(latest[0])
            app = create_app(model_obj.prover, chain, blobs)  # type: ignore[attr-defined]
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
            threading.Thread(target=server.run, daemon=True).start()
            console.print(f"proved inference on http://127.0.0.1:{port} for model 0x{latest[1].hex()[:12]}")

        try:
            while not stop.is_set():
                try:
                    node.step()
                    serve_latest()
                except HayekError as e:
                    console.print(f"[red]error[/] {e}")
                stop.wait(1.0)
        except KeyboardInterrupt:
            pass
        if server is not None:
            server.should_exit = True


