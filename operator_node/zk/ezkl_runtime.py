"""Calls into EZKL: imported lazily, its stdout chatter kept off our stdout, its failures
(Rust panics included) turned into ZkError, its async EVM helpers run to completion."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

from protocol.proofs import ZkError

_STDOUT_LOCK = threading.Lock()


def ezkl() -> Any:
    """The ezkl module, imported on first use: the nodes import the proof layer without proving."""
    import ezkl as module

    return module


@contextlib.contextmanager
def ezkl_quiet() -> Iterator[None]:
    """Send the Rust side's stdout chatter ("Using 2 columns for non-linearity table.") to
    stderr, so a command's `--json` output on stdout stays parseable."""
    with _STDOUT_LOCK:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            os.dup2(2, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call an EZKL function; turn its exceptions (including Rust panics, which are
    BaseException) into ZkError with the step's name."""
    try:
        with ezkl_quiet():
            return fn(*args, **kwargs)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as e:  # pyo3 PanicException derives from BaseException
        raise ZkError(f"ezkl {what} failed: {e}") from e


def run_async(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """EZKL's EVM helpers return a future bound to the running asyncio loop: run them in a
    fresh loop (in a worker thread when the caller already runs a loop, e.g. a web service).
    `what` names the step; failures propagate as EZKL raised them (callers decide)."""

    async def go() -> Any:
        return await fn(*args, **kwargs)

    def run() -> Any:
        with ezkl_quiet():
            return asyncio.run(go())

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()
