"""bench/results.json: one flat JSON of named figures that every benchmark script merges its
own keys into (other keys kept, written atomically, keys sorted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results.json"


def merge_results(figures: dict[str, Any], path: Path = RESULTS) -> dict[str, Any]:
    merged: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    merged |= figures
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")
    tmp.replace(path)
    return merged
