"""Community nodes serve Flower training on their own published data: a SuperNode started
by the node trains in a real run; an app the community has not approved on-chain is refused,
and the refusal is visible to the member."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from community_node.cli import member
from community_node.node import CommunityNode, NodeConfig
from operator_node.flower import APP_DIR, SuperLink, TrainingFailed, fab_hash
from operator_node.training_app.hayek_fl import task
from protocol.chain.devkit import DevGame
from protocol.store import StoreClient
from tests.integration.test_community_node import write_csv

pytestmark = pytest.mark.integration


def test_supernodes_of_community_nodes_train_only_approved_apps(game: DevGame, store_url: str, tmp_path: Path) -> None:
    # Prepare: two members publish their first batch and export their training views.
    nodes = []
    for i, m in enumerate(game.members[:2]):
        node = CommunityNode(NodeConfig(home=tmp_path / f"m{i}", batch_size=60), m, game.chain, StoreClient(store_url))
        write_csv(tmp_path / f"m{i}.csv", 80, seed=10 + i)
        node.import_csv(tmp_path / f"m{i}.csv", "outcome", ["id"], holdback=0.1, seed=i)
        node.step()
        nodes.append(node)
    views = [np.load(n.view_path) for n in nodes]
    assert all(len(v["y"]) == 60 for v in views)
    fab = fab_hash(APP_DIR)
    game.chain.registry.set_app_approval(game.governance, bytes.fromhex(fab))
    heldout = tmp_path / "heldout.npz"
    rows = write_csv(tmp_path / "heldout.csv", 400, seed=99)
    np.savez(
        heldout,
        X=np.array([[v / 1e9 for v in f] for f, _ in rows], np.float32),
        y=np.array([y for _, y in rows], np.int64),
    )

    with ExitStack() as stack:
        link = stack.enter_context(SuperLink(tmp_path / "link"))
        supernodes = [stack.enter_context(n.supernode(link.address, dp_clip=3.0, dp_epsilon=100.0)) for n in nodes]
        for sn in supernodes:
            sn.wait_registered(60)
        # Execute: an approved run trains on the members' own views.
        out = link.run_training(
            APP_DIR,
            {"n-features": 3, "num-server-rounds": 2, "local-epochs": 5, "out-path": tmp_path / "w.npz"},
            timeout=300,
        )
        params, scale = task.load_params(out), task.load_scale(out)
        X, y = task.load_view(heldout)
        _, acc = task.evaluate(params, task.standardize(X, scale), y)
        assert acc > 0.85
        assert all(not n.refusals_path.exists() or n.refusals_path.read_text() == "" for n in nodes)

        # The community withdraws its approval on-chain: the members' nodes refuse the app.
        game.chain.registry.set_app_approval(game.governance, bytes.fromhex(fab), False)
        for n in nodes:
            n.step()  # syncs the approved list from the chain
        with pytest.raises(TrainingFailed) as err:
            link.run_training(
                APP_DIR, {"n-features": 3, "num-server-rounds": 1, "out-path": tmp_path / "w2.npz"}, timeout=300
            )
        assert "refused" in err.value.details
        assert not (tmp_path / "w2.npz").exists()

    # The refusal is visible to the member.
    result = CliRunner().invoke(member, ["status", "--home", str(nodes[0].cfg.home), "--json"])
    assert result.exit_code == 0, result.output
    refusals = json.loads(result.output)["refusals"]
    assert refusals and refusals[-1]["fab_hash"] == fab
