"""A member's node as a real process, killed between listing and reveal, restarted: it
still reveals before the deadline, loses nothing and reuses no AES-GCM nonce."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_account import Account

from community_node.state import NodeState
from protocol.chain.devkit import DevGame
from tests.integration.test_community_node import write_csv

pytestmark = pytest.mark.integration
WAD = 10**18
PASSWORD = "correct horse battery staple"


def wait_for(cond, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def hayek(*args: str) -> list[str]:
    return [sys.executable, "-m", "hayek", *args]


def test_killed_committee_member_resumes_and_reveals(game: DevGame, store_url: str, tmp_path: Path) -> None:
    dep_path = tmp_path / "deployment.json"
    game.deployment.save(dep_path)
    env = os.environ | {"HAYEK_KEYSTORE_PASSWORD": PASSWORD}
    homes, procs, logs = {}, {}, {}

    def start(addr: str) -> None:
        logs[addr] = open(homes[addr] / "run.log", "ab")  # noqa: SIM115 (closed when the node stops)
        procs[addr] = subprocess.Popen(
            hayek(
                "member",
                "run",
                "--home",
                str(homes[addr]),
                "--deployment",
                str(dep_path),
                "--store",
                store_url,
                "--keystore",
                str(homes[addr] / "key.json"),
                "--batch-size",
                "10",
                "--listing-size",
                "4",
            ),
            env=env,
            stdout=logs[addr],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    try:
        for i, m in enumerate(game.members):
            home = tmp_path / f"m{i}"
            home.mkdir()
            (home / "key.json").write_text(json.dumps(Account.encrypt(m.key, PASSWORD)))
            homes[m.address] = home
            write_csv(home / "data.csv", 30, seed=i)
            subprocess.run(
                hayek(
                    "member",
                    "import",
                    "--home",
                    str(home),
                    "--deployment",
                    str(dep_path),
                    "--store",
                    store_url,
                    "--keystore",
                    str(home / "key.json"),
                    "--csv",
                    str(home / "data.csv"),
                    "--label-column",
                    "outcome",
                    "--drop-columns",
                    "id",
                ),
                env=env,
                check=True,
                capture_output=True,
            )
            start(m.address)
        rnd = game.open_round(WAD // 2, items=12)
        committee = [a.address for a in game.elect(rnd)]
        g = game.chain.game
        wait_for(lambda: len(g.listings(rnd)) == 3, 300, "three listings")
        victim = committee[0]
        os.killpg(procs[victim].pid, signal.SIGKILL)  # between listing and reveal
        procs[victim].wait(10)
        state = NodeState(homes[victim] / "node.sqlite")
        before = {"nonce": state.get("aes_nonce"), "batches": len(state.batches())}
        state.close()

        game.to_phase(rnd, "trading")
        game.to_phase(rnd, "revealing")
        start(victim)  # restarted in the reveal phase
        try:
            wait_for(lambda: all(lst.revealed for lst in g.listings(rnd)), 300, "every listing revealed")
        except AssertionError as e:
            raise AssertionError(
                f"{e}; restarted node's log:\n{(homes[victim] / 'run.log').read_text()[-3000:]}"
            ) from e
        assert g.phase(rnd) == "revealing"  # before the deadline

        # The node records the reveal (and publishes the key) just after its transaction lands.
        def recorded() -> bool:
            st = NodeState(homes[victim] / "node.sqlite")
            try:
                lst = st.listing(rnd)
                return lst is not None and lst.status == "revealed"
            finally:
                st.close()

        wait_for(recorded, 120, "the restarted node to record its reveal")
        state = NodeState(homes[victim] / "node.sqlite")
        listing = state.listing(rnd)
        assert listing is not None and listing.key_blob_id is not None
        batches = state.batches()
        assert len(batches) >= before["batches"]  # nothing lost
        nonces = [b.nonce for b in batches]
        assert len(set(nonces)) == len(nonces)  # no AES-GCM nonce reused, restart included
        assert int(state.get("aes_nonce"), 16) >= int(before["nonce"], 16)
        assert int(state.get("aes_nonce"), 16) > max(int.from_bytes(n, "big") for n in nonces)
    finally:
        for p in procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        for f in logs.values():
            f.close()
