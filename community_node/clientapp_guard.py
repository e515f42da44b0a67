"""The community's gate between a member's Flower SuperNode and the code an operator ships:
only app bundles (FABs) whose SHA-256 is on the community's approved list ever run.

Flower 1.41's own check (`--trusted-entities`) needs Flower's online hub, so the member's
SuperNode runs with `--isolation process` and this guard takes the place of the stock
`flower-superexec` + `flwr-clientapp` pair:

- **serve** (the long-running process, one per SuperNode): polls the SuperNode's Runtime
  API for ClientApp tasks (`AcquireTask`, like `flower-superexec`) and starts one task
  process per task, handing it the task token on stdin and a fresh, empty FLWR_HOME.
- **task** (one per message, like `flwr-clientapp`): runs flwr's own ClientApp runner
  (`flwr.supernode.runtime.run_clientapp.run_clientapp`) with its FAB installation step
  wrapped. The wrapper hashes the bundle bytes it was handed (and checks the hash the
  SuperNode claims for them) against the approved list *before* anything is unpacked or
  imported. A refused bundle is never installed; the runner then replies to the operator
  with an error message and reports the task FAILED, so the run fails for this node
  instead of waiting, and a JSON line {time, run_id, fab_hash, reason, ...} is appended to
  the refusals log the member reads.

The approved list is re-read for every task (a file of hex hashes, one per line, `#`
comments; plus the `HAYEK_APPROVED_FABS` environment variable, separated by commas or
whitespace). A missing or unreadable list approves nothing.

Run: ``python -m community_node.clientapp_guard --runtime-api-address 127.0.0.1:PORT
--insecure --approved FILE --refusals FILE`` (`--clientappio-api-address` is accepted as
an alias).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from protocol.errors import TrainingError

APPROVED_ENV = "HAYEK_APPROVED_FABS"
FLWR_VERSION = "1.41.0"  # the runner internals wrapped below are those of this release
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")

log = logging.getLogger("hayek.clientapp_guard")


class FabRefused(TrainingError):
    """The delivered app bundle is not approved; it was not installed or run. Raised inside
    flwr's ClientApp runner, whose error path turns it into the error reply the operator
    receives."""

    def __init__(self, fab_hash: str, reason: str):
        self.fab_hash = fab_hash
        self.reason = reason
        super().__init__(f"Hayek community guard refused app bundle {fab_hash}: {reason}")


# ------------------------------------------------------------------ approved list


def parse_approved(text: str) -> set[str]:
    """Hex SHA-256 hashes from a text (one per line or separated by commas/whitespace;
    `#` starts a comment). Malformed entries are ignored (they cannot match a hash)."""
    out: set[str] = set()
    for line in text.splitlines():
        for token in re.split(r"[,\s]+", line.split("#", 1)[0]):
            token = token.strip().lower()
            if _HASH_RE.match(token):
                out.add(token)
    return out


def load_approved(path: Path | None) -> tuple[set[str], str | None]:
    """The approved hashes from the file and the environment; and why the file could not
    be read, if it could not (the environment's entries still count)."""
    approved = parse_approved(os.environ.get(APPROVED_ENV, ""))
    problem = None
    if path is not None:
        try:
            approved |= parse_approved(path.read_text(encoding="utf-8"))
        except OSError as err:
            problem = f"approved list {path} unreadable: {err.strerror or err}"
    return approved, problem


def check_fab(content: bytes, claimed_hash: str, approved: set[str], problem: str | None) -> str:
    """Return the bundle's SHA-256 if it may run; raise FabRefused otherwise."""
    actual = hashlib.sha256(content).hexdigest()
    # The SuperNode installs/loads by the claimed hash: it must be these bytes' hash.
    if claimed_hash and claimed_hash.lower() != actual:
        raise FabRefused(actual, f"bundle bytes hash to {actual}, not the claimed {claimed_hash}")
    if actual not in approved:
        reason = "not on the community's approved list"
        if problem:
            reason += f" ({problem})"
        raise FabRefused(actual, reason)
    return actual


def record_refusal(refusals: Path, entry: dict[str, Any]) -> None:
    """Append one JSON line to the refusals log (one write call, O_APPEND)."""
    refusals.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(refusals, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_refusals(refusals: Path) -> list[dict[str, Any]]:
    """The refusals recorded so far (oldest first); [] if none."""
    try:
        lines = refusals.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


# ------------------------------------------------------------------ task process


def run_task(
    runtime_api_address: str,
    token: str,
    approved_path: Path | None,
    refusals: Path,
    insecure: bool,
    parent_pid: int | None,
) -> None:
    """Run one ClientApp task through flwr's runner with the FAB step guarded.

    Does not return: flwr's runner ends the process with its exit code.
    """
    import flwr
    from flwr.supercore.task_identity import TaskIdentity
    from flwr.supernode.runtime import run_clientapp as runner

    # Fail closed if the runner is not the one whose steps we wrap.
    if flwr.__version__ != FLWR_VERSION or not all(
        callable(getattr(runner, name, None)) for name in ("run_clientapp", "pull_task_input", "install_from_fab")
    ):
        sys.exit(f"clientapp_guard supports flwr {FLWR_VERSION} only, found {flwr.__version__}")

    delivered: dict[str, Any] = {}
    stock_pull = runner.pull_task_input
    stock_install = runner.install_from_fab

    def pull_task_input(client: Any) -> Any:
        message, context, run, fab = stock_pull(client)
        delivered.update(run=run, fab=fab, node_id=context.node_id)
        return message, context, run, fab

    def install_from_fab(fab_file: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(fab_file, bytes):  # the runner hands over the bytes it pulled
            raise FabRefused("?", "bundle was not delivered as bytes")
        run = delivered.get("run")
        fab = delivered.get("fab")
        approved, problem = load_approved(approved_path)
        try:
            fab_hash = check_fab(fab_file, getattr(fab, "hash_str", "") or "", approved, problem)
        except FabRefused as refusal:
            entry = {
                "time": datetime.now(UTC).isoformat(timespec="seconds"),
                "run_id": getattr(run, "run_id", TaskIdentity.run_id),
                "fab_hash": refusal.fab_hash,
                "reason": refusal.reason,
                "fab_id": getattr(run, "fab_id", None),
                "fab_version": getattr(run, "fab_version", None),
                "node_id": delivered.get("node_id"),
            }
            record_refusal(refusals, entry)
            log.error("REFUSED app bundle %s for run %s: %s", refusal.fab_hash, entry["run_id"], refusal.reason)
            raise
        log.info("approved app bundle %s for run %s", fab_hash, getattr(run, "run_id", "?"))
        return stock_install(fab_file, *args, **kwargs)

    runner.pull_task_input = pull_task_input  # type: ignore[assignment]
    runner.install_from_fab = install_from_fab  # type: ignore[assignment]
    runner.run_clientapp(
        runtime_api_address=runtime_api_address,
        token=token,
        insecure=insecure,
        certificates=None,
        parent_pid=parent_pid,
        runtime_dependency_install=False,  # never fetch packages on a member's node
    )


# ------------------------------------------------------------------ serve loop


@dataclass
class _Child:
    proc: subprocess.Popen
    home: Path
    task_id: int
    run_id: int


@dataclass
class Guard:
    """The long-running half: acquires ClientApp tasks and starts guarded task processes."""

    runtime_api_address: str
    approved: Path | None
    refusals: Path
    insecure: bool = True
    poll_interval: float = 0.2
    work_dir: Path | None = None
    children: list[_Child] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def _launch(self, token: str, task_id: int, run_id: int) -> None:
        work = self.work_dir or Path(tempfile.gettempdir())
        work.mkdir(parents=True, exist_ok=True)
        # A fresh FLWR_HOME per task: the runner installs the verified bytes into an empty
        # directory, so it can only load what was just checked.
        home = Path(tempfile.mkdtemp(prefix=f"task-{task_id}-", dir=work))
        cmd = [
            sys.executable,
            "-m",
            "community_node.clientapp_guard",
            "task",
            "--runtime-api-address",
            self.runtime_api_address,
            "--refusals",
            str(self.refusals),
            "--parent-pid",
            str(os.getpid()),
        ]
        if self.approved is not None:
            cmd += ["--approved", str(self.approved)]
        if self.insecure:
            cmd.append("--insecure")
        env = dict(os.environ, FLWR_HOME=str(home))
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, env=env, cwd=home)
        assert proc.stdin is not None
        proc.stdin.write((token + "\n").encode())
        proc.stdin.close()
        self.children.append(_Child(proc, home, task_id, run_id))
        log.info("task %s (run %s): started guarded ClientApp process %s", task_id, run_id, proc.pid)

    def _reap(self) -> None:
        for child in list(self.children):
            code = child.proc.poll()
            if code is None:
                continue
            self.children.remove(child)
            shutil.rmtree(child.home, ignore_errors=True)
            log.info("task %s (run %s): ClientApp process exited with %s", child.task_id, child.run_id, code)

    def stop_children(self, grace: float = 5.0) -> None:
        for child in self.children:
            if child.proc.poll() is None:
                child.proc.terminate()
        deadline = time.monotonic() + grace
        for child in self.children:
            try:
                child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        self._reap()

    def serve(self) -> None:
        """Poll for ClientApp tasks until `stopping` is set; then stop the task processes."""
        import httpx
        from flwr.proto.runtime_pb2 import AcquireTaskRequest
        from flwr.supercore.constant import TaskType
        from flwr.supercore.interceptors import RuntimeVersionHttpInterceptor
        from flwr.supercore.runtime import RuntimeHttpClient

        # No retry invoker: flwr's retries back off for a long time and cannot be
        # interrupted; this loop retries itself and stays responsive to SIGTERM.
        client = RuntimeHttpClient.from_server_address(
            server_address=self.runtime_api_address,
            insecure=self.insecure,
            root_certificates=None,
            interceptors=[RuntimeVersionHttpInterceptor(component_name="SuperExec")],
        )
        log.info(
            "guarding SuperNode runtime API %s (approved list: %s, refusals log: %s)",
            self.runtime_api_address,
            self.approved,
            self.refusals,
        )
        reachable: bool | None = None
        try:
            while not self.stopping.is_set():
                self._reap()
                try:
                    res = client.AcquireTask(AcquireTaskRequest(supported_task_types=[TaskType.CLIENT_APP.value]))
                except httpx.HTTPError as err:
                    if reachable is not False:
                        log.warning(
                            "SuperNode runtime API %s unreachable (%s); retrying", self.runtime_api_address, err
                        )
                    reachable = False
                    self.stopping.wait(max(self.poll_interval, 0.5))
                    continue
                if reachable is not True:
                    log.info("connected to SuperNode runtime API %s", self.runtime_api_address)
                reachable = True
                if res.HasField("task") and res.token:
                    self._launch(res.token, res.task.task_id, res.task.run_id)
                    continue  # there may be more queued
                self.stopping.wait(self.poll_interval)
        finally:
            self.stop_children()
            client.close()


# ------------------------------------------------------------------ CLI


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m community_node.clientapp_guard",
        description="Run a member's Flower ClientApps, refusing app bundles the community "
        "has not approved (by SHA-256).",
    )
    p.add_argument(
        "mode",
        nargs="?",
        choices=("serve", "task"),
        default="serve",
        help="serve: poll the SuperNode for tasks (default); task: internal, "
        "one guarded ClientApp run (token on stdin)",
    )
    p.add_argument(
        "--runtime-api-address",
        "--clientappio-api-address",
        dest="address",
        required=True,
        help="the SuperNode's Runtime API, host:port",
    )
    p.add_argument(
        "--approved", type=Path, default=None, help=f"file of approved FAB SHA-256 hashes (also ${APPROVED_ENV})"
    )
    p.add_argument("--refusals", type=Path, required=True, help="JSON-lines log the guard appends each refusal to")
    p.add_argument("--insecure", action="store_true", help="talk plain HTTP to the SuperNode (loopback only)")
    p.add_argument("--poll-interval", type=float, default=0.2, help="seconds between polls")
    p.add_argument(
        "--work-dir", type=Path, default=None, help="where per-task FLWR_HOME directories are made (default: tmp)"
    )
    p.add_argument("--parent-pid", type=int, default=None, help="exit when this process exits")
    return p


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [hayek guard %(process)d] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    if args.mode == "task":
        token = sys.stdin.readline().strip()
        if not token:
            sys.exit("clientapp_guard task: no token on stdin")
        run_task(args.address, token, args.approved, args.refusals, args.insecure, args.parent_pid)
        return

    guard = Guard(
        args.address,
        args.approved,
        args.refusals,
        insecure=args.insecure,
        poll_interval=args.poll_interval,
        work_dir=args.work_dir,
    )

    def _stop(signum: int, _frame: Any) -> None:
        guard.stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.parent_pid is not None:
        parent = args.parent_pid

        def _watch() -> None:
            while not guard.stopping.wait(0.5):
                try:
                    os.kill(parent, 0)
                except ProcessLookupError:
                    guard.stopping.set()

        threading.Thread(target=_watch, daemon=True).start()
    guard.serve()


if __name__ == "__main__":
    main()
