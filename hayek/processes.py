"""The demo's node processes: `hayek member run` and `hayek operator run`, each its own
process with its output in a log file and its state in its home folder, which it writes
a status.json to after every step."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from protocol.errors import ProcessError
from protocol.runtime.processes import die_with_parent

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NodeDied(ProcessError):
    """A node process exited while the demo needed it."""

    def __init__(self, name: str, code: int | None, log: Path):
        self.name, self.code, self.log = name, code, log
        super().__init__(f"{name} exited with {code}; last lines of {log}:\n{last_lines(log, 15)}")


class NodeCommandFailed(ProcessError):
    """A one-shot node command (an import, a status query) exited non-zero."""

    def __init__(self, command: str, code: int | None, output: str):
        self.command, self.code, self.output = command, code, output
        super().__init__(f"{command} failed (exit {code}):\n{output}")


class WaitTimedOut(ProcessError):
    """What the demo waited for did not happen in time (the timeouts only guard against hangs)."""

    def __init__(self, what: str, timeout: float, states: str):
        self.what, self.timeout, self.states = what, timeout, states
        super().__init__(f"timed out after {timeout:.0f} s waiting for {what} ({states})")


def last_lines(path: Path, n: int = 1) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 8192))
            lines = [ANSI.sub("", x).rstrip() for x in f.read().decode(errors="replace").splitlines()]
    except OSError:
        return ""
    return "\n".join([x for x in lines if x.strip()][-n:])


def hayek_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hayek", *args]


class NodeProcess:
    """One `hayek ...` node process. `kill()` is the fault (SIGKILL, nothing flushed);
    `stop()` is the polite way (SIGTERM, then SIGKILL)."""

    def __init__(self, name: str, args: Sequence[str], home: Path, log: Path, env: dict[str, str]):
        self.name, self.args, self.home, self.log, self.env = name, list(args), home, log, env
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> NodeProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                hayek_command(*self.args),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env, "COLUMNS": "160"},
                preexec_fn=die_with_parent(),
            )  # never outlives the demo
        self.started_at = time.time()
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def check(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise NodeDied(self.name, None if self.proc is None else self.proc.returncode, self.log)

    def status(self) -> dict[str, Any] | None:
        """The node's status.json if this process wrote it (None before its first step)."""
        try:
            st = json.loads((self.home / "status.json").read_text())
        except (OSError, ValueError):
            return None
        return st if st.get("pid") == self.pid else None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, grace: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)


def wait_until(
    done: Callable[[], bool],
    nodes: Sequence[NodeProcess],
    timeout: float,
    what: str,
    on_tick: Callable[[], None] = lambda: None,
    interval: float = 0.3,
) -> None:
    """Poll `done` until it holds; raise if a node process dies or time runs out (the
    timeouts only guard against hangs)."""
    deadline = time.monotonic() + timeout
    while True:
        for n in nodes:
            n.check()
        if done():
            return
        on_tick()
        if time.monotonic() > deadline:
            states = "; ".join(f"{n.name}: {n.status()}" for n in nodes)
            raise WaitTimedOut(what, timeout, states)
        time.sleep(interval)
