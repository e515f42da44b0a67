"""The main job, short: a game on a fresh devnet with real Flower, EZKL and the store, and
its fault-injection path. Asserts settlement, balances, profit attribution to model hashes
and a verified proved inference at the end."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hayek.demo import Demo, DemoConfig

pytestmark = pytest.mark.integration


def play(tmp_path: Path, faults: bool, market: str) -> tuple[Demo, dict]:
    cfg = DemoConfig(
        market=market,
        workdir=tmp_path / "demo",
        members=3,
        operators=2,
        rounds=2,
        items_per_round=6,
        inject_faults=faults,
        summary=tmp_path / "summary.json",
        plots=not faults,
    )
    demo = Demo(cfg)
    summary = demo.run()
    assert json.loads(json.dumps(summary)) == summary  # JSON as written
    # Every node ran as its own process, and none is left behind (nor any Flower process
    # working in the demo's folder).
    assert len(demo.nodes_) == 3 + 2 and all(n.proc is not None and n.proc.poll() is not None for n in demo.nodes_)
    assert processes_in(cfg.workdir) == []
    return demo, summary


def processes_in(folder: Path) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cwd.startswith(str(folder)) or str(folder) in cmd:
            found.append(f"{pid}: {cmd}")
    return found


def check_game(demo: Demo, summary: dict) -> None:
    onchain = summary["onchain"]  # read from the chain before the devnet stopped
    assert [s["round"] for s in summary["rounds"]] == [1, 2]
    assert all(s["settled"] and s["collateral_conserved"] for s in summary["rounds"])
    assert summary["collateral_conserved"]
    # Profit attribution: the per-round profits (from Redeemed events) are the registry's records.
    assert len(onchain["models"]) == 2 * 2  # a model per operator and round
    for model in onchain["models"]:
        per_round = [
            m["profit"] for s in summary["rounds"] for m in s["models"] if m["model_hash"] == model["model_hash"]
        ]
        assert len(per_round) == model["rounds_traded"] == 1
        assert abs(per_round[0] - model["cumulative_profit"]) < 1e-9
    # Every operator redeemed or claimed: nothing is owed by the game or the pool any more.
    assert onchain["game_balance"] == 0
    assert onchain["pool_balance"] == (0 if demo.cfg.market == "pool" else None)
    # The figures per round, for either market: every model scored on the revealed labels, its money.
    for s in summary["rounds"]:
        assert s["market"] == demo.cfg.market
        assert {m["operator"] for m in s["models"]} == {0, 1}
        for m in s["models"]:
            assert m["log_loss"] is not None and m["stake"] > 0
            assert abs(m["payout"] - m["stake"] - m["profit"]) < 1e-9
        for key in ("market_log_loss", "average_model_log_loss", "hedge_log_loss"):
            assert 0 < s[key] < 5.3  # clipped at 0.005: at most ln 200
        assert s["first_mover_profit_share"] is None or isinstance(s["first_mover_profit_share"], float)
    inf = summary["inference"]
    assert inf["verified_offchain"] is True and inf["verified_onchain"] is True
    assert 0.0 <= inf["output"][1] <= 1.0


def test_short_pool_game_settles_ranks_models_and_ends_with_verified_inference(tmp_path: Path) -> None:
    demo, summary = play(tmp_path, faults=False, market="pool")
    check_game(demo, summary)
    # The sealed pool: profit per stake ranks the two models by log loss in every round where they differ.
    for s in summary["rounds"]:
        a, b = s["models"]
        if abs(a["log_loss"] - b["log_loss"]) > 1e-9:
            assert s["profit_rank_spearman"] == pytest.approx(-1.0)
            better, worse = (a, b) if a["log_loss"] < b["log_loss"] else (b, a)
            assert better["profit"] / better["stake"] > worse["profit"] / worse["stake"]
    assert all(s["voided_items"] == 0 for s in summary["rounds"])
    assert all(Path(p).exists() for p in summary["plots"])


def test_lmsr_game_survives_a_silent_member_and_restarted_nodes(tmp_path: Path) -> None:
    demo, summary = play(tmp_path, faults=True, market="lmsr")  # the other market type, end to end
    check_game(demo, summary)
    r2 = summary["rounds"][1]
    # The faults really happened: a member offline through the reveal, a member node and an
    # operator node killed with SIGKILL mid-round and restarted (new processes).
    faults = summary["faults"]
    assert [f["round"] for f in faults] == [2, 2, 2]
    assert sum("killed" in f["what"] for f in faults) == 2
    assert {f["node"] for f in faults} >= {"operator 0", f"member{r2['faulty_member']}"}
    # Only the silent member's items were voided (3 of 6: committee of 2); the restarted one revealed.
    assert r2["faulty_member"] is not None and r2["voided_items"] == 3
    assert summary["onchain"]["member_bonds"][r2["faulty_member"]] == 0  # and its bond slashed
