"""Environment for the Flower processes both nodes start (SuperLink, SuperNode): local
console scripts, FLWR_HOME, and settings that keep Flower off the network."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Environment for every Flower process we start: never reach for the network (no
# telemetry, no update check, no dependency installation), and poll for tasks quickly.
QUIET_FLOWER_ENV = {
    "FLWR_TELEMETRY_ENABLED": "0",
    "FLWR_DISABLE_UPDATE_CHECK": "1",
    "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1",
    "FLWR_SUPEREXEC_TASK_POLL_INTERVAL": "0.2",
}


def flower_executable(name: str) -> str:
    """A Flower console script from the running interpreter's environment."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def flower_env(flwr_home: Path) -> dict[str, str]:
    """os.environ plus FLWR_HOME, the quiet settings, and this venv's bin first on PATH
    (the SuperLink/SuperNode spawn `flower-superexec` and `flwr-serverapp` from PATH)."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    return {
        **os.environ,
        **QUIET_FLOWER_ENV,
        "FLWR_HOME": str(flwr_home),
        "PATH": f"{bin_dir}{os.pathsep}{path}" if path else bin_dir,
    }
