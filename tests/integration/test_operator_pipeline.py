"""One round end to end with the real pieces: members' SuperNodes train the operator's model
through Flower, EZKL compiles it and its hash is registered, the operator trades with it,
the round settles, and proved inference is verified against the registered artifacts — a
proof from another model of the same architecture is rejected by the client and the service."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn

from community_node.node import CommunityNode, NodeConfig
from operator_node.client import query_and_verify
from operator_node.flower import APP_DIR, SuperLink, fab_hash
from operator_node.node import OperatorConfig, OperatorNode
from operator_node.pipeline import FlowerZkPipeline, TrainingSpec
from operator_node.sealed_items import SealedItems
from operator_node.service import create_app
from operator_node.zk.prover import ZkProver
from operator_node.zk.srs import devnet_srs
from protocol.chain.devkit import DevGame
from protocol.proofs import ProofRejected
from protocol.store import StoreClient
from tests.integration.test_community_node import write_csv

pytestmark = pytest.mark.integration
WAD = 10**18


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app, port: int) -> uvicorn.Server:  # type: ignore[no-untyped-def]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server


def test_flower_trained_zk_model_trades_and_serves_verified_inference(
    game: DevGame, store_url: str, tmp_path: Path
) -> None:
    store = StoreClient(store_url)
    # The deployment's SRS (devnet: generated locally, insecure) is named in the record.
    srs = devnet_srs(12, tmp_path / "srs")
    game.deployment.params["srs_id"] = store.put(srs.read_bytes())
    game.chain.registry.set_app_approval(game.governance, bytes.fromhex(fab_hash(APP_DIR)))
    members = []
    for i, m in enumerate(game.members[:3]):
        node = CommunityNode(NodeConfig(home=tmp_path / f"m{i}", batch_size=50, listing_size=6), m, game.chain, store)
        write_csv(tmp_path / f"m{i}.csv", 80, seed=20 + i)
        node.import_csv(tmp_path / f"m{i}.csv", "outcome", ["id"], holdback=0.2, seed=i)
        node.step()
        members.append(node)
    rnd = game.open_round(WAD // 2, items=18)
    game.elect(rnd)
    port = free_port()
    with ExitStack() as stack:
        link = stack.enter_context(SuperLink(tmp_path / "link"))
        for n in members:
            n.step()  # lists if elected; refreshes its training view
            stack.enter_context(n.supernode(link.address, dp_clip=3.0, dp_epsilon=100.0)).wait_registered(60)
        spec = TrainingSpec(n_features=3, min_nodes=3, fl_rounds=2)
        pipeline = FlowerZkPipeline(link, spec, store, srs, tmp_path / "models")
        op = OperatorNode(
            OperatorConfig(home=tmp_path / "op", endpoint=f"http://127.0.0.1:{port}", bankroll_fraction=0.05),
            game.traders[0],
            game.chain,
            store,
            pipeline,
        )
        op.step()  # listing phase: trains through Flower, compiles, registers
        model = op.model_for(rnd)
        record = game.chain.models.model(model.model_hash)
        assert record.operator == game.traders[0].address

        game.to_phase(rnd, "trading")
        op.step()
        assert game.chain.game.trader(rnd, game.traders[0].address).positions > 0
        game.to_phase(rnd, "revealing")
        for n in members:
            n.step()
        game.to_phase(rnd, "settleable")
        op.step()  # settles, redeems: profit recorded for the model hash
        assert game.chain.models.model(model.model_hash).rounds_traded == 1

        # Proved inference, verified against the registered artifacts.
        # The service answers for the operator's models at the endpoint registered per model hash.
        sealed = SealedItems()  # what the node keeps current: the round's listed items until its market closes
        listed = [0.9, 0.4, -1.3]
        sealed.update(rnd + 1, 2**40, [7], [listed])
        app = create_app(None, game.chain, store, models={model.model_hash: model.prover}.get, sealed=sealed.check)
        stack.callback(lambda s: setattr(s, "should_exit", True), serve(app, port))
        x = [0.3, -0.2, 1.1]
        refused = httpx.post(
            f"http://127.0.0.1:{port}/models/0x{model.model_hash.hex()}/infer", json={"input": listed}, timeout=30
        )
        assert refused.status_code == 403 and refused.json()["error"] == "sealed_item"
        assert f"item 7 of round {rnd + 1}" in refused.json()["detail"]
        assert (
            game.chain.models.model(model.model_hash).endpoint
            == f"http://127.0.0.1:{port}/models/0x{model.model_hash.hex()}"
        )
        result = query_and_verify(game.chain, store, x, model.model_hash)
        assert result["verified_offchain"] is True
        unknown = httpx.post(f"http://127.0.0.1:{port}/models/0x{'11' * 32}/infer", json={"input": x}, timeout=30)
        assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_model"
        assert abs(result["output"][1] - float(model.predict_proba(np.array([x]))[0, 1])) < 0.01

        # Another model of the same architecture (same circuit settings, hence the same vk):
        # its proof is rejected when presented as the registered model's, by client and service.
        # (Shift only outcome 1's weights: for K = 2 the circuit proves the logit difference,
        # so a shift of every class's weights would be the same model.)
        other_params = [p.copy() for p in model.params]
        other_params[0][:, 1] += 0.5
        other = ZkProver.build(
            other_params,
            model.scale[0],
            model.scale[1],
            tmp_path / "other",
            np.zeros((4, 3), np.float32),
            settings=model.prover.compiled.settings,
            srs_path=srs,
        )
        assert other.keys.vk_bytes() == model.prover.keys.vk_bytes()
        forged = other.prove(x)
        from operator_node.verify import RegisteredModel, verify_registered

        with pytest.raises(ProofRejected) as err:
            verify_registered(RegisteredModel.fetch(game.chain, store, model.model_hash, tmp_path / "v"), forged, x)
        assert err.value.reason == ProofRejected.WRONG_ARTIFACTS
        r = httpx.post(
            f"http://127.0.0.1:{port}/verify",
            timeout=120,
            json={"model_hash": "0x" + model.model_hash.hex(), "input": x, "proof": forged.to_dict()},
        )
        assert r.status_code == 200 and r.json()["valid"] is False
        honest = model.prover.prove(x)
        r = httpx.post(
            f"http://127.0.0.1:{port}/verify",
            timeout=120,
            json={"model_hash": "0x" + model.model_hash.hex(), "input": x, "proof": honest.to_dict()},
        )
        assert r.json()["valid"] is True

        # On-chain: the reusable EZKL verifier behind ModelVerifier, bound to the model hash.
        from operator_node.onchain import bind_model, verify_onchain
        from protocol.chain import ContractReverted
        from protocol.chain.verifier import deploy_verifier

        deploy_verifier(game.chain, game.governance)
        bind_model(game.chain, game.traders[0], model.prover)
        assert verify_onchain(game.chain, store, model.model_hash, honest) is True
        with pytest.raises(ContractReverted) as reverted:
            verify_onchain(game.chain, store, model.model_hash, forged)
        assert reverted.value.error == "WrongModel"
        tampered = list(honest.instances)
        tampered[-1] = (tampered[-1] + 1) % (2**254)
        bad = type(honest)(honest.output, honest.proof_json, tuple(tampered))
        try:
            rejected = not verify_onchain(game.chain, store, model.model_hash, bad)
        except ContractReverted:
            rejected = True
        assert rejected  # a tampered output instance does not verify
        assert query_and_verify(game.chain, store, x, model.model_hash, onchain=True)["verified_onchain"] is True
