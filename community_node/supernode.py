"""A member's Flower SuperNode with the community's guard in place of the stock ClientApp
runner: training happens on the member's machine, and only approved app bundles run.

    with SuperNode(link_address, view_npz, approved=APPROVED, refusals=REFUSALS,
                   work_dir=node_dir) as node:
        node.wait_registered()
        ...                                  # the operator trains

Two process groups: `flower-supernode --isolation process` (it talks to the operator's
SuperLink and serves a Runtime API on a free loopback port) and
`python -m community_node.clientapp_guard` (which runs each ClientApp task only if its
bundle's SHA-256 is approved, and logs refusals to `refusals`). Both are stopped on exit.
The training view (npz, float32 `X`, int64 `y`) and the member's differential-privacy
settings reach the ClientApp as node config.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from protocol.errors import InputError, TrainingError
from protocol.runtime.flower import flower_env, flower_executable
from protocol.runtime.processes import die_with_parent, free_port, stop_process_group, tail, wait_for_port


class InvalidNodeConfig(InputError):
    """A node config entry flower-supernode's `--node-config` cannot carry."""

    def __init__(self, key: str, reason: str):
        self.key = key
        self.reason = reason
        super().__init__(f"node config {key!r}: {reason}")


class SuperNodeError(TrainingError):
    """The member's SuperNode or its guard did not start, or died."""

    def __init__(self, superlink: str, reason: str):
        self.superlink = superlink
        self.reason = reason
        super().__init__(f"SuperNode for SuperLink {superlink}: {reason}")


def node_config_arg(config: Mapping[str, Any]) -> str:
    """Render node config as flower-supernode's `--node-config` string
    (`key=value` pairs, TOML values; strings as literal strings)."""
    parts = []
    for key, value in config.items():
        if not re.fullmatch(r"[A-Za-z0-9_-]+", key):
            raise InvalidNodeConfig(key, "use letters, digits, '-' and '_' in keys")
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, int):
            rendered = str(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidNodeConfig(key, f"{value} is not finite")
            rendered = repr(value)
        elif isinstance(value, (str, Path)):
            text = str(value)
            if "'" in text or '"' in text or "\n" in text:
                raise InvalidNodeConfig(key, "quotes and newlines are not supported")
            rendered = f"'{text}'"
        else:
            raise InvalidNodeConfig(key, f"unsupported type {type(value).__name__}")
        parts.append(f"{key}={rendered}")
    return " ".join(parts)


class SuperNode:
    """A member's SuperNode + clientapp guard, as a context manager."""

    def __init__(
        self,
        superlink: str,
        data_path: str | Path,
        *,
        approved: str | Path,
        refusals: str | Path,
        work_dir: str | Path,
        dp_enabled: bool = True,
        dp_clip: float = 1.0,
        dp_epsilon: float = 10.0,
        dp_delta: float = 1e-5,
        extra_node_config: Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        start_timeout: float = 60.0,
    ):
        self.superlink = superlink
        self.work_dir = Path(work_dir).resolve()
        self.approved = Path(approved).resolve()
        self.refusals = Path(refusals).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.start_timeout = start_timeout
        self.node_config: dict[str, Any] = {
            "data-path": str(Path(data_path).resolve()),
            "dp-enabled": dp_enabled,
            "dp-clip": float(dp_clip),
            "dp-epsilon": float(dp_epsilon),
            "dp-delta": float(dp_delta),
            **(extra_node_config or {}),
        }
        self.flwr_home = self.work_dir / "flwr-home"
        self.supernode_log = self.work_dir / "supernode.log"
        self.guard_log = self.work_dir / "guard.log"
        self._node: subprocess.Popen | None = None
        self._guard: subprocess.Popen | None = None
        self._log_start = 0

    @property
    def runtime_api_address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> SuperNode:
        if self._node is not None:
            return self
        self.flwr_home.mkdir(parents=True, exist_ok=True)
        self._log_start = self.supernode_log.stat().st_size if self.supernode_log.exists() else 0
        env = flower_env(self.flwr_home)
        node_cmd = [
            flower_executable("flower-supernode"),
            "--insecure",
            "--superlink",
            self.superlink,
            "--isolation",
            "process",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--node-config",
            node_config_arg(self.node_config),
        ]
        with self.supernode_log.open("ab") as log_file:
            self._node = subprocess.Popen(
                node_cmd,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.work_dir,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        try:
            if not wait_for_port(self.host, self.port, self._node, self.start_timeout):
                raise SuperNodeError(self.superlink, "did not start:\n" + tail(self.supernode_log))
            guard_cmd = [
                sys.executable,
                "-m",
                "community_node.clientapp_guard",
                "--runtime-api-address",
                self.runtime_api_address,
                "--insecure",
                "--approved",
                str(self.approved),
                "--refusals",
                str(self.refusals),
                "--work-dir",
                str(self.work_dir / "tasks"),
                "--parent-pid",
                str(self._node.pid),
            ]
            # The guard is our code: make it importable whatever the install state.
            repo = str(Path(__file__).resolve().parents[1])
            guard_env = {
                **env,
                "PYTHONPATH": os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")])),
            }
            with self.guard_log.open("ab") as log_file:
                self._guard = subprocess.Popen(
                    guard_cmd,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=guard_env,
                    cwd=self.work_dir,
                    start_new_session=True,
                    preexec_fn=die_with_parent(),
                )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the guard (and its task processes), then the SuperNode."""
        if self._guard is not None:
            stop_process_group(self._guard)
            self._guard = None
        if self._node is not None:
            stop_process_group(self._node)
            self._node = None

    def __enter__(self) -> SuperNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def check_alive(self) -> None:
        """Raise SuperNodeError if the SuperNode or the guard has exited."""
        for name, proc, log in (
            ("SuperNode", self._node, self.supernode_log),
            ("guard", self._guard, self.guard_log),
        ):
            if proc is None:
                raise SuperNodeError(self.superlink, f"{name} not started")
            if proc.poll() is not None:
                raise SuperNodeError(self.superlink, f"{name} exited with {proc.returncode}:\n" + tail(log))

    def node_id(self) -> int | None:
        """The id the SuperLink gave this node (from the SuperNode's log), if it has one yet."""
        try:
            with self.supernode_log.open("rb") as f:
                f.seek(self._log_start)
                text = f.read().decode(errors="replace")
        except OSError:
            return None
        match = re.search(r"SuperNode ID: (\d+)", text)  # this start's, not an earlier one's
        return int(match.group(1)) if match else None

    def wait_registered(self, timeout: float = 60.0) -> int:
        """Wait until the SuperLink has given this node an id (read from the SuperNode's
        log); return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            node_id = self.node_id()
            if node_id is not None:
                return node_id
            time.sleep(0.2)
        raise SuperNodeError(self.superlink, f"not registered after {timeout:.0f} s")
