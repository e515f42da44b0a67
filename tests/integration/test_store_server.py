"""The embedded blob service, run by uvicorn in a real process, and its HTTP client."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from protocol import serde
from protocol.errors import BlobNotFound, BlobTooLarge, IntegrityError, MalformedRecord
from protocol.store import BlobStore, StoreClient

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
LIMIT = 4096  # small limit so oversize bodies are cheap


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(root: Path, limit: int = LIMIT) -> Iterator[str]:
    """`python -m community_node.store_server` on a free port; yields its base URL."""
    port = free_port()
    env = os.environ | {"PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "community_node.store_server", str(root),
           "--port", str(port), "--max-blob-bytes", str(limit)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"store server exited: {proc.stderr.read().decode()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=0.5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("store server did not start")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("store")
    with running_server(root) as url:
        yield url, root


@pytest.fixture
def client(server: tuple[str, Path]) -> Iterator[StoreClient]:
    with StoreClient(server[0], max_blob_bytes=1024 * 1024) as c:
        yield c


def stored_files(root: Path) -> list[Path]:
    return [p for p in (root / "blobs").rglob("*") if p.is_file()]


def test_put_then_get_round_trips(client):
    data = b"ciphertext bytes \x00\xff"
    blob_id = client.put(data)
    assert blob_id == serde.blob_id(data)
    assert client.has(blob_id)
    assert client.get(blob_id) == data
    assert isinstance(client, BlobStore)


def test_put_is_idempotent(server):
    url, _ = server
    data = b"same blob twice"
    blob_id = serde.blob_id(data)
    first = httpx.put(f"{url}/blobs/{blob_id}", content=data)
    second = httpx.put(f"{url}/blobs/{blob_id}", content=data)
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (second.status_code, second.json()["created"]) == (200, False)


def test_blobs_are_fanned_out_and_read_only(client, server):
    _, root = server
    blob_id = client.put(b"fan-out")
    digest = blob_id.removeprefix("sha256-")
    path = root / "blobs" / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == b"fan-out"
    assert not os.access(path, os.W_OK) or os.geteuid() == 0
    assert path.stat().st_mode & 0o222 == 0
    assert list((root / "tmp").iterdir()) == []


def test_a_body_that_does_not_match_its_id_is_refused(server):
    url, root = server
    before = stored_files(root)
    claimed = serde.blob_id(b"what I claim")
    response = httpx.put(f"{url}/blobs/{claimed}", content=b"what I send")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "hash_mismatch"
    assert body["actual"] == serde.blob_id(b"what I send") and claimed in body["detail"]
    assert stored_files(root) == before


def test_a_malformed_id_is_refused(server, client):
    url, _ = server
    response = httpx.put(f"{url}/blobs/sha256-NOTHEX", content=b"x")
    assert response.status_code == 400 and response.json()["error"] == "bad_blob_id"
    with pytest.raises(MalformedRecord):
        client.get("md5-abc")


def test_an_oversize_body_is_refused_and_nothing_is_stored(server):
    url, root = server
    before = stored_files(root)
    data = b"x" * (LIMIT + 1)
    response = httpx.put(f"{url}/blobs/{serde.blob_id(data)}", content=data)
    assert response.status_code == 413
    assert response.json()["limit"] == LIMIT
    assert stored_files(root) == before
    assert list((root / "tmp").iterdir()) == []


def test_an_oversize_chunked_body_is_refused(server):
    url, root = server
    before = stored_files(root)
    data = b"y" * (LIMIT + 100)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 1000):
            yield data[i : i + 1000]

    response = httpx.put(f"{url}/blobs/{serde.blob_id(data)}", content=chunks())
    assert response.status_code == 413
    assert stored_files(root) == before


def test_the_client_reports_the_servers_size_limit(client):
    with pytest.raises(BlobTooLarge) as err:
        client.put(b"z" * (LIMIT + 1))
    assert (err.value.size, err.value.limit) == (LIMIT + 1, LIMIT)


def test_a_missing_blob_is_404(server, client):
    url, _ = server
    missing = serde.blob_id(b"never stored")
    assert httpx.get(f"{url}/blobs/{missing}").status_code == 404
    assert httpx.head(f"{url}/blobs/{missing}").status_code == 404
    assert not client.has(missing)
    with pytest.raises(BlobNotFound):
        client.get(missing)


def test_head_reports_the_size(server, client):
    url, _ = server
    blob_id = client.put(b"12345")
    response = httpx.head(f"{url}/blobs/{blob_id}")
    assert response.status_code == 200
    assert response.headers["content-length"] == "5"


def test_the_client_rejects_content_that_does_not_match_its_id(server, client):
    _, root = server
    blob_id = client.put(b"original content")
    digest = blob_id.removeprefix("sha256-")
    path = root / "blobs" / digest[:2] / digest[2:4] / digest
    path.chmod(0o644)
    path.write_bytes(b"corrupted content")  # the disk (or a hostile store) changed it
    with pytest.raises(IntegrityError) as err:
        client.get(blob_id)
    assert err.value.blob_id == blob_id


def test_blobs_persist_across_a_restart(tmp_path):
    with running_server(tmp_path) as url, StoreClient(url) as c:
        blob_id = c.put(b"survives restarts")
    with running_server(tmp_path) as url, StoreClient(url) as c:
        assert c.has(blob_id)
        assert c.get(blob_id) == b"survives restarts"
