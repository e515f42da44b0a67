"""KZG parameters (SRS) for our circuits: a devnet one generated locally (insecure) or the
public ceremony's from a file downloaded beforehand; reading a file's logrows."""

from __future__ import annotations

import os
from pathlib import Path

from operator_node.zk.ezkl_runtime import call, ezkl
from protocol.proofs import ZkError


class SrsError(ZkError):
    """An SRS file is missing, malformed, or too small for the circuit."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"SRS {path}: {reason}")


def srs_logrows(path: str | Path) -> int:
    """The logrows (k) of a halo2 KZG SRS file: its first 4 bytes, little-endian u32."""
    p = Path(path)
    if not p.is_file():
        raise SrsError(str(p), "no such file")
    with open(p, "rb") as f:
        head = f.read(4)
    if len(head) != 4:
        raise SrsError(str(p), "file too short")
    k = int.from_bytes(head, "little")
    if not 1 <= k <= 28:
        raise SrsError(str(p), f"header says k = {k}; not an SRS file")
    # k G1 powers (64 bytes each) and two G2 points at least; EZKL's files also carry the
    # Lagrange basis (another 2^k G1 points)
    if p.stat().st_size < 4 + 64 * (1 << k) + 256:
        raise SrsError(str(p), f"file too small for k = {k}")
    return k


def devnet_srs(logrows: int, dir: str | Path) -> Path:
    """A locally generated KZG SRS for `logrows` (cached as dir/devnet-k{logrows}.srs).

    INSECURE: whoever ran gen_srs knows the toxic waste and could forge proofs. Fine for the
    devnet and tests; a real deployment uses `ceremony_srs`. Each generation is random, so
    keep the file: keys only work with the SRS they were made with."""
    d = Path(dir)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"devnet-k{logrows}.srs"
    if not path.exists():
        tmp = d / f".devnet-k{logrows}.{os.getpid()}.tmp"
        call("gen_srs", ezkl().gen_srs, str(tmp), logrows)
        tmp.replace(path)
    return path


def ceremony_srs(path: str | Path, logrows: int) -> Path:
    """The public KZG ceremony SRS (perpetual powers of tau, as EZKL distributes it:
    `kzg{k}.srs`) from a file downloaded beforehand — this machine cannot fetch it. Checks
    that the file's k is at least the circuit's logrows (EZKL downsizes a larger SRS)."""
    k = srs_logrows(path)
    if k < logrows:
        raise SrsError(str(path), f"k = {k} but the circuit needs logrows {logrows}")
    return Path(path)
