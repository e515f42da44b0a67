"""Verifying and proving keys of a compiled circuit with an SRS, cached on disk per circuit."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from operator_node.zk.circuit import CompiledModel
from operator_node.zk.ezkl_runtime import call, ezkl
from operator_node.zk.files import sha256_file
from operator_node.zk.srs import SrsError, srs_logrows


@dataclass(frozen=True)
class KeyPair:
    """A circuit's verifying and proving key files."""

    vk_path: Path
    pk_path: Path
    circuit_id: str  # the CompiledModel.circuit_id the keys were made for

    def vk_bytes(self) -> bytes:
        return self.vk_path.read_bytes()


def setup_keys(compiled: CompiledModel, srs_path: str | Path, workdir: str | Path) -> KeyPair:
    """Verifying and proving keys for a compiled circuit and an SRS, cached under
    workdir/keys/ by (circuit id, SRS sha256). The circuit id covers the architecture and the
    settings, not the weights: with hashed parameters a retrained model of the same
    architecture has the same circuit, so it reuses the keys (no setup, and the same vk)."""
    ez = ezkl()
    srs_path = Path(srs_path)
    if srs_logrows(srs_path) < compiled.logrows:
        raise SrsError(str(srs_path), f"smaller than the circuit's logrows {compiled.logrows}")
    srs_sha = sha256_file(srs_path)
    key = hashlib.sha256(f"{compiled.circuit_id}|{srs_sha}".encode()).hexdigest()[:24]
    kdir = Path(workdir) / "keys" / key
    pair = KeyPair(kdir / "model.vk", kdir / "model.pk", compiled.circuit_id)
    if pair.vk_path.exists() and pair.pk_path.exists():
        return pair
    kdir.mkdir(parents=True, exist_ok=True)
    tvk, tpk = kdir / f".vk.{os.getpid()}.tmp", kdir / f".pk.{os.getpid()}.tmp"
    call(
        "setup",
        ez.setup,
        str(compiled.compiled_path),
        str(tvk),
        str(tpk),
        srs_path=str(srs_path),
        disable_selector_compression=False,
    )
    tpk.replace(pair.pk_path)
    tvk.replace(pair.vk_path)
    return pair
