"""The embedded content-addressed blob service (HTTP), the default `BlobStore` backend.

Endpoints:

* ``PUT /blobs/{id}`` — body is the blob. 201 when stored, 200 when already present
  (idempotent). 400 when the id is malformed or the body does not hash to it, 413 when the
  body exceeds the size limit; nothing is stored in either case.
* ``GET /blobs/{id}`` — the bytes (404 if missing); ``HEAD`` the same without a body.
* ``GET /health`` — liveness.

Blob ids are ``"sha256-" + hex digest`` (`protocol.serde.blob_id`). Blobs live under
``root/blobs/<hex[0:2]>/<hex[2:4]>/<hex>``, are written to ``root/tmp`` first, fsynced and
renamed into place atomically, and are never rewritten: the service persists across
restarts and a crash never leaves a partial blob under its id.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from protocol import serde
from protocol.errors import StoreError
from protocol.runtime.processes import free_port

DEFAULT_MAX_BLOB_BYTES = 8 * 1024 * 1024
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8470


class FileBlobStore:
    """Blob files on disk with atomic, write-once semantics (no hash check: the app does it)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.tmp = self.root / "tmp"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        for stale in self.tmp.iterdir():  # leftovers of a crash mid-write
            with contextlib.suppress(OSError):
                stale.unlink()

    def path(self, blob_id: str) -> Path:
        digest = serde.check_blob_id(blob_id).removeprefix(serde.BLOB_ID_PREFIX)
        return self.blobs / digest[:2] / digest[2:4] / digest

    def exists(self, blob_id: str) -> bool:
        return self.path(blob_id).is_file()

    def size(self, blob_id: str) -> int | None:
        try:
            return self.path(blob_id).stat().st_size
        except FileNotFoundError:
            return None

    def read(self, blob_id: str) -> bytes | None:
        try:
            return self.path(blob_id).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, blob_id: str, data: bytes) -> bool:
        """Store `data` under `blob_id` unless present; True iff newly written."""
        final = self.path(blob_id)
        if final.is_file():
            return False
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp_name, 0o444)
            try:
                # link() never replaces an existing file: a blob, once written, never changes.
                os.link(tmp_name, final)
            except FileExistsError:
                return False  # a concurrent PUT of the same blob won
            except OSError:
                os.replace(tmp_name, final)  # filesystems without hard links
            _fsync_dir(final.parent)
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _error(status: int, code: str, detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail, **extra}, status_code=status)


def create_app(root_dir: str | os.PathLike[str], max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES) -> FastAPI:
    """The blob service over files in `root_dir`, refusing blobs over `max_blob_bytes`."""
    store = FileBlobStore(root_dir)
    app = FastAPI(title="Hayek blob store", version="1")
    app.state.store = store
    app.state.max_blob_bytes = max_blob_bytes

    def too_large(size: int | None) -> JSONResponse:
        shown = "more" if size is None else f"{size} bytes"
        return _error(
            413, "too_large", f"blob of {shown} exceeds the limit of {max_blob_bytes} bytes",
            limit=max_blob_bytes,
        )  # fmt: skip

    @app.get("/health")
    async def health() -> dict[str, object]:
        return {"status": "ok", "max_blob_bytes": max_blob_bytes}

    @app.put("/blobs/{blob_id}")
    async def put_blob(blob_id: str, request: Request) -> Response:
        # The id is a content address.
        if not serde.is_blob_id(blob_id):
            return _error(400, "bad_blob_id", "blob id must be 'sha256-' + 64 lowercase hex digits")
        # The declared size is within the limit (refused before reading the body).
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                declared_size = int(declared)
            except ValueError:
                return _error(400, "bad_request", "invalid Content-Length")
            if declared_size > max_blob_bytes:
                return too_large(declared_size)
        # The body read is within the limit (chunked bodies have no declared size).
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_blob_bytes:
                return too_large(None)
        # The body hashes to the id.
        actual = serde.blob_id(bytes(body))
        if actual != blob_id:
            return _error(
                400, "hash_mismatch", f"body hashes to {actual}, not to {blob_id}",
                expected=blob_id, actual=actual,
            )  # fmt: skip
        created = await run_in_threadpool(store.write, blob_id, bytes(body))
        return JSONResponse(
            {"blob_id": blob_id, "size": len(body), "created": created},
            status_code=201 if created else 200,
        )

    @app.api_route("/blobs/{blob_id}", methods=["GET", "HEAD"])
    async def get_blob(blob_id: str, request: Request) -> Response:
        if not serde.is_blob_id(blob_id):
            return _error(400, "bad_blob_id", "blob id must be 'sha256-' + 64 lowercase hex digits")
        headers = {"etag": f'"{blob_id}"', "cache-control": "public, max-age=31536000, immutable"}
        if request.method == "HEAD":
            size = await run_in_threadpool(store.size, blob_id)
            if size is None:
                return Response(status_code=404)
            headers["content-length"] = str(size)
            return Response(status_code=200, headers=headers, media_type="application/octet-stream")
        data = await run_in_threadpool(store.read, blob_id)
        if data is None:
            return _error(404, "not_found", f"no blob {blob_id}")
        return Response(content=data, headers=headers, media_type="application/octet-stream")

    return app


def main(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    root: str | os.PathLike[str] = ".hayek/store",
    max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES,
) -> None:
    """Serve the blob store with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(root, max_blob_bytes), host=host, port=port, log_level="warning")


class StoreProcess:
    """`python -m community_node.store_server` in a child process on a loopback port."""

    def __init__(
        self, root: str | os.PathLike[str], port: int | None = None, max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES
    ):
        port = port or free_port()
        self.root, self.port, self.max_blob_bytes = root, port, max_blob_bytes
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> StoreProcess:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "community_node.store_server",
                str(self.root),
                "--port",
                str(self.port),
                "--max-blob-bytes",
                str(self.max_blob_bytes),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StoreError(self.url, f"store server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise StoreError(self.url, f"store server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None

    def __enter__(self) -> StoreProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":  # pragma: no cover - the `hayek` CLI wraps `main` later
    import argparse

    parser = argparse.ArgumentParser(description="Hayek content-addressed blob store")
    parser.add_argument("root", help="directory holding the blobs")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--max-blob-bytes", type=int, default=DEFAULT_MAX_BLOB_BYTES)
    args = parser.parse_args()
    main(args.host, args.port, args.root, args.max_blob_bytes)
