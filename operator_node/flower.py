"""The operator's side of Flower training: a local SuperLink, `flwr run` of the training app
against it, and the app bundle hash communities approve.

    with SuperLink(work_dir) as link:            # flower-superlink on a free loopback port
        weights = link.run_training(APP_DIR, {"n-features": 8, "num-server-rounds": 2})

Members' SuperNodes connect to `link.address`. `fab_hash(APP_DIR)` is the SHA-256 of the
bundle (FAB) that `flwr run` builds from the directory: the hash a member's guard
(community_node.clientapp_guard) checks against the community's approved list.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol.errors import TrainingError
from protocol.runtime.flower import flower_env, flower_executable
from protocol.runtime.processes import (
    die_with_parent,
    free_port,
    stop_process_group,
    tail,
    wait_for_port,
    wait_port_free,
)

APP_DIR = Path(__file__).resolve().parent / "training_app"
CONNECTION = "hayek"  # the connection name in $FLWR_HOME/config.toml


class FlowerError(TrainingError):
    """Root of the errors of operator-side Flower training."""


class SuperLinkError(FlowerError):
    """The SuperLink did not start, or died."""

    def __init__(self, address: str, reason: str):
        self.address = address
        self.reason = reason
        super().__init__(f"SuperLink at {address}: {reason}")


class InvalidRunConfig(FlowerError):
    """A run config key the app does not declare (flwr itself only says "invalid"), or one
    without a value."""

    def __init__(self, key: str, known: list[str], reason: str = "is not in the app's config"):
        self.key = key
        self.known = known
        self.reason = reason
        super().__init__(f"run config key {key!r} {reason}: {', '.join(known)}")


class TrainingFailed(FlowerError):
    """A training run did not complete with weights (refused by members, app error, ...)."""

    def __init__(self, run_id: str | None, status: str, details: str):
        self.run_id = run_id
        self.status = status
        self.details = details
        super().__init__(f"training run {run_id or '(not started)'} {status}: {details}")


class TrainingTimeout(FlowerError):
    """A training run did not finish in time (it was asked to stop)."""

    def __init__(self, run_id: str, timeout: float, status: str):
        self.run_id = run_id
        self.timeout = timeout
        self.status = status
        super().__init__(f"training run {run_id} still {status} after {timeout:.0f} s; stopped")


@dataclass(frozen=True)
class RunProgress:
    """One observation of a run, as `flwr ls` reports it."""

    run_id: str
    status: str  # pending | starting | running | finished:{completed,failed,stopped}
    elapsed: float  # seconds since the run started (0 while pending)
    details: str


def fab_hash(app_dir: str | Path = APP_DIR) -> str:
    """SHA-256 (hex) of the FAB `flwr run <app_dir>` builds, i.e. the hash members see.

    flwr 1.41 builds the bundle deterministically (`flwr.cli.build.build_fab_from_disk`:
    files filtered by its include/exclude patterns, sorted, fixed zip timestamps, the
    pyproject.toml re-serialised, a CONTENT manifest), and SuperLink and SuperNode
    identify it by `sha256(fab_bytes)`. Any change to a bundled file changes the hash.
    """
    from flwr.cli.build import build_fab_from_disk

    return hashlib.sha256(build_fab_from_disk(Path(app_dir))).hexdigest()


def app_config_defaults(app_dir: str | Path = APP_DIR) -> dict[str, Any]:
    """The app's run config defaults ([tool.flwr.app.config] of its pyproject.toml)."""
    import tomllib

    with (Path(app_dir) / "pyproject.toml").open("rb") as f:
        config = tomllib.load(f)
    return dict(config.get("tool", {}).get("flwr", {}).get("app", {}).get("config", {}))


class SuperLink:
    """A `flower-superlink` on a free loopback port, with a FLWR_HOME whose config.toml has a
    connection (`CONNECTION`) to it. Use as a context manager; `stop()` kills its process
    group (the SuperLink, its SuperExec and any ServerApp)."""

    def __init__(
        self,
        work_dir: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        start_timeout: float = 60.0,
        persistent: bool = False,
    ):
        self.work_dir = Path(work_dir).resolve()
        self.persistent = persistent
        self.host = host
        self.port = port or free_port(host)
        self.start_timeout = start_timeout
        self.flwr_home = self.work_dir / "flwr-home"
        self.log_path = self.work_dir / "superlink.log"
        self._proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        """host:port of the SuperLink (Fleet, Control and Runtime APIs share it in 1.41)."""
        return f"{self.host}:{self.port}"

    # ------------------------------------------------------------ lifecycle

    def start(self) -> SuperLink:
        if self._proc is not None:
            return self
        self.flwr_home.mkdir(parents=True, exist_ok=True)
        if not wait_port_free(self.host, self.port, 30):
            raise SuperLinkError(self.address, "the port is in use")
        (self.flwr_home / "config.toml").write_text(
            f'[superlink]\ndefault = "{CONNECTION}"\n\n'
            f'[superlink.{CONNECTION}]\naddress = "{self.address}"\ninsecure = true\n',
            encoding="utf-8",
        )
        cmd = [
            flower_executable("flower-superlink"),
            "--insecure",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--disable-runtime-dependency-installation",
        ]
        if self.persistent:  # registered SuperNodes and runs survive a restart
            cmd += ["--database", str(self.work_dir / "superlink.db")]
        with self.log_path.open("ab") as log_file:
            self._proc = subprocess.Popen(
                cmd,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=flower_env(self.flwr_home),
                cwd=self.work_dir,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        if not wait_for_port(self.host, self.port, self._proc, self.start_timeout):
            self.stop()
            raise SuperLinkError(self.address, "did not start:\n" + tail(self.log_path))
        return self

    def stop(self) -> None:
        if self._proc is not None:
            stop_process_group(self._proc)
            self._proc = None

    def __enter__(self) -> SuperLink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _check_alive(self) -> None:
        if self._proc is None:
            raise SuperLinkError(self.address, "not started")
        if self._proc.poll() is not None:
            raise SuperLinkError(self.address, f"exited with {self._proc.returncode}:\n" + tail(self.log_path))

    # ------------------------------------------------------------ flwr CLI

    def flwr(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run `flwr <args>` against this SuperLink's FLWR_HOME."""
        return subprocess.run(
            [flower_executable("flwr"), *args],
            capture_output=True,
            text=True,
            env=flower_env(self.flwr_home),
            cwd=self.work_dir,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def run_status(self, run_id: str) -> RunProgress | None:
        """The run's status from `flwr ls --run-id`, or None if flwr could not say."""
        try:
            res = self.flwr("ls", CONNECTION, "--run-id", run_id, "--format", "json")
            runs = json.loads(res.stdout)["runs"]
        except (subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
            return None
        if not runs:
            return None
        r = runs[0]
        details = r.get("status-details") or ""
        return RunProgress(
            run_id=run_id,
            status=str(r.get("status", "")),
            elapsed=float(r.get("elapsed") or 0.0),
            details="" if details == "N/A" else str(details),
        )

    def stop_run(self, run_id: str) -> None:
        """Ask the SuperLink to stop a run (best effort)."""
        try:
            self.flwr("stop", run_id, CONNECTION)
        except subprocess.TimeoutExpired:
            pass

    def run_training(
        self,
        app_dir: str | Path,
        run_config: Mapping[str, Any],
        timeout: float = 600.0,
        progress: Callable[[RunProgress], None] | None = None,
        poll_interval: float = 2.5,  # each poll is a `flwr ls` process (~0.5 s of CPU)
    ) -> Path:
        """`flwr run` the app with `run_config`, wait for it to finish, return the weights.

        `run_config` overrides the app's [tool.flwr.app.config] (an unknown key raises
        InvalidRunConfig). Values that are `Path`s, and string values of keys ending in `-path`, are
        made absolute (the ServerApp runs in another directory). If `out-path` is not
        given, the weights go to `<work_dir>/runs/<uuid>.npz`; an existing file there is
        removed first, so a file after the run is this run's. `progress` is called after
        every poll. Raises TrainingFailed (run not started, failed
        or stopped, or no weights), TrainingTimeout (the run is then stopped),
        InvalidRunConfig or SuperLinkError.
        """
        import tomli_w

        self._check_alive()
        app_dir = Path(app_dir).resolve()
        if not (app_dir / "pyproject.toml").is_file():
            raise TrainingFailed(None, "not started", f"{app_dir} has no pyproject.toml")
        known = app_config_defaults(app_dir)
        for key in run_config:
            if key not in known:
                raise InvalidRunConfig(key, sorted(known))
        config = _absolute_paths(run_config)
        if not config.get("out-path"):
            config["out-path"] = str(self.work_dir / "runs" / f"{uuid.uuid4().hex}.npz")
        out_path = Path(config["out-path"])
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.unlink(missing_ok=True)

        runs_dir = self.work_dir / "runs"
        runs_dir.mkdir(parents=True, exist_ok=True)
        config_file = runs_dir / f"run-config-{uuid.uuid4().hex}.toml"
        config_file.write_text(tomli_w.dumps(config), encoding="utf-8")
        try:
            res = self.flwr(
                "run",
                str(app_dir),
                CONNECTION,
                "--format",
                "json",
                "--run-config",
                str(config_file),
                timeout=120.0,
            )
        except subprocess.TimeoutExpired as err:
            raise TrainingFailed(None, "not started", "`flwr run` timed out") from err
        finally:
            config_file.unlink(missing_ok=True)
        run_id, error = _parse_run_output(res.stdout)
        if res.returncode != 0 or run_id is None:
            raise TrainingFailed(
                None,
                "not started",
                f"`flwr run` failed (exit {res.returncode}): {error or res.stderr.strip()}",
            )

        deadline = time.monotonic() + timeout
        last = RunProgress(run_id, "pending", 0.0, "")
        while True:
            self._check_alive()
            observed = self.run_status(run_id)
            if observed is not None:
                last = observed
                if progress is not None:
                    progress(observed)
                if observed.status.startswith("finished"):
                    break
            if time.monotonic() > deadline:
                self.stop_run(run_id)
                raise TrainingTimeout(run_id, timeout, last.status)
            time.sleep(poll_interval)

        status = last.status
        if status != "finished:completed":
            raise TrainingFailed(run_id, status, last.details or "(no details)")
        if not out_path.is_file():
            raise TrainingFailed(run_id, status, f"the ServerApp wrote no weights to {out_path}")
        return out_path


def _absolute_paths(run_config: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in run_config.items():
        if value is None:
            raise InvalidRunConfig(key, [k for k, v in run_config.items() if v is not None], "has no value (None)")
        if isinstance(value, Path) or (key.endswith("-path") and isinstance(value, str) and value):
            value = str(Path(value).resolve())
        out[key] = value
    return out


def _parse_run_output(stdout: str) -> tuple[str | None, str]:
    """(run id, error message) from `flwr run --format json` output: a JSON object,
    possibly after other lines. flwr exits 0 even when it reports `"success": false`."""
    start = stdout.find("{")
    if start < 0:
        return None, stdout.strip()
    try:
        payload = json.loads(stdout[start:])
    except ValueError:
        return None, stdout.strip()
    run_id = payload.get("run-id") if payload.get("success") else None
    return (str(run_id) if run_id else None), str(payload.get("error-message", ""))
