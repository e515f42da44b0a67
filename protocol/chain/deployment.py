"""The deployment record every node reads: where the contracts are and how to talk to them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Deployment:
    """The record every node reads: where the contracts are and how to talk to them."""

    chain_id: int
    rpc_url: str
    addresses: dict[str, str]
    deployed_block: int
    governance: str
    treasury: str
    params: dict[str, Any]
    abis: dict[str, list[dict[str, Any]]] = field(repr=False)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        return cls(**json.loads(Path(path).read_text()))

    @property
    def registry_address(self) -> str:
        return self.addresses["CommunityRegistry"]
