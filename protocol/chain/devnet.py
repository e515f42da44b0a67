"""A local anvil devnet (from npm) as a child process, with clock control."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from protocol.chain.artifacts import REPO_ROOT
from protocol.errors import ChainError

# anvil's well-known development mnemonic: its accounts are public, for devnets only.
DEV_MNEMONIC = "test test test test test test test test test test test junk"


class DevnetError(ChainError):
    """anvil could not be found or started."""


def anvil_binary() -> str:
    local = REPO_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if local.exists():
        return str(local)
    found = shutil.which("anvil")
    if found:
        return found
    raise DevnetError("anvil not found: run `npm ci` (it comes from @foundry-rs/anvil)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dev_accounts(n: int = 10) -> list[LocalAccount]:
    """The first `n` accounts of anvil's development mnemonic."""
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(n)]


class Devnet:
    """Start anvil on a free loopback port; `advance()` moves its clock (the devnet preset
    does this once every party has acted, so rounds take seconds while the contracts still
    enforce every deadline)."""

    def __init__(self, port: int | None = None, accounts: int = 20, log: Path | None = None):
        self.port = port or free_port()
        self.accounts = accounts
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> Devnet:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 (anvil keeps it)
        self.proc = subprocess.Popen(
            [
                anvil_binary(),
                "--port",
                str(self.port),
                "--accounts",
                str(self.accounts),
                "--mnemonic",
                DEV_MNEMONIC,
                "--balance",
                "10000",
                "--silent",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
        w3 = Web3(HTTPProvider(self.url))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DevnetError(f"anvil exited with code {self.proc.returncode}")
            try:
                if w3.is_connected():
                    return self
            except Exception:
                pass
            time.sleep(0.05)
        self.stop()
        raise DevnetError(f"anvil did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None

    def __enter__(self) -> Devnet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def advance_time(w3: Web3, seconds: int) -> None:
    """Move the devnet clock forward by `seconds` and mine a block (anvil/hardhat RPC)."""
    w3.provider.make_request("evm_increaseTime", [int(seconds)])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def mine(w3: Web3, blocks: int = 1) -> None:
    for _ in range(blocks):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
