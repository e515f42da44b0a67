"""Compiled contract artifacts (ABI and bytecode) from ape's build manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MANIFEST = REPO_ROOT / ".build" / "__local__.json"


class ArtifactMissing(ConfigError):
    """The contracts were not compiled (or not this contract)."""

    def __init__(self, name: str, manifest: Path):
        self.name = name
        self.manifest = manifest
        super().__init__(f"no compiled artifact for {name} in {manifest}: run `make compile`")


@dataclass(frozen=True)
class ContractArtifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str


class Artifacts:
    """Reads contract types from ape's `.build/__local__.json` (written by `ape compile`)."""

    def __init__(self, manifest: Path = DEFAULT_MANIFEST):
        self.manifest = manifest
        if not manifest.exists():
            raise ArtifactMissing("*", manifest)
        self._types = json.loads(manifest.read_text())["contractTypes"]

    def get(self, name: str) -> ContractArtifact:
        ct = self._types.get(name)
        if ct is None:
            raise ArtifactMissing(name, self.manifest)
        bytecode = (ct.get("deploymentBytecode") or {}).get("bytecode", "0x")
        return ContractArtifact(name, ct["abi"], bytecode)
