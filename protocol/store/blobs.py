"""Blob store clients (this module does I/O): the `BlobStore` seam and its HTTP client.

Blobs are content-addressed: ``blob_id = "sha256-" + sha256(data).hexdigest()`` (see
`protocol.serde.blob_id`). Every client re-checks the hash of what it gets back, so a
store is trusted for availability only, never for integrity. `BlobStore` is the narrow
interface (put / get / has) an IPFS backend could implement instead.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import httpx

from protocol import serde
from protocol.errors import BlobNotFound, BlobTooLarge, IntegrityError, StoreError
from protocol.serde import check_blob_id

blob_id = serde.blob_id
"""Re-exported: the content address of a blob."""

__all__ = ["BlobStore", "MemoryBlobStore", "StoreClient", "blob_id"]

DEFAULT_MAX_BLOB_BYTES = 8 * 1024 * 1024


@runtime_checkable
class BlobStore(Protocol):
    """A content-addressed blob store."""

    def put(self, data: bytes) -> str:
        """Store `data`; return its blob id. Idempotent."""
        ...

    def get(self, blob_id: str) -> bytes:
        """The blob's bytes, hash-checked; `BlobNotFound` if absent."""
        ...

    def has(self, blob_id: str) -> bool: ...


class MemoryBlobStore:
    """An in-process `BlobStore` for tests and single-process demos."""

    def __init__(self, max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES):
        self.max_blob_bytes = max_blob_bytes
        self._blobs: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        if len(data) > self.max_blob_bytes:
            raise BlobTooLarge(len(data), self.max_blob_bytes)
        blob_id = serde.blob_id(data)
        self._blobs.setdefault(blob_id, bytes(data))
        return blob_id

    def get(self, blob_id: str) -> bytes:
        check_blob_id(blob_id)
        try:
            data = self._blobs[blob_id]
        except KeyError:
            raise BlobNotFound(blob_id) from None
        if serde.blob_id(data) != blob_id:
            raise IntegrityError(blob_id)
        return data

    def has(self, blob_id: str) -> bool:
        check_blob_id(blob_id)
        return blob_id in self._blobs


def _error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict) and "detail" in body:
            return str(body["detail"])
    except ValueError:
        pass
    return response.text[:200] or response.reason_phrase


class StoreClient:
    """HTTP client of the embedded blob service (`community_node.store_server`).

    Endpoints: ``PUT /blobs/{id}`` (body = blob), ``GET``/``HEAD /blobs/{id}``.
    `max_blob_bytes` caps downloads too, so a hostile store cannot make us read forever.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.max_blob_bytes = max_blob_bytes
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _url(self, blob_id: str) -> str:
        return f"/blobs/{check_blob_id(blob_id)}"

    def _request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise StoreError(self.base_url + path, f"{type(exc).__name__}: {exc}") from None

    def put(self, data: bytes) -> str:
        """Upload `data` and return its blob id (refused locally if over the size limit)."""
        data = bytes(data)
        if len(data) > self.max_blob_bytes:
            raise BlobTooLarge(len(data), self.max_blob_bytes)
        blob_id = serde.blob_id(data)
        path = self._url(blob_id)
        response = self._request("PUT", path, content=data, headers={"content-type": "application/octet-stream"})
        if response.status_code in (200, 201):
            return blob_id
        if response.status_code == 413:
            limit = self.max_blob_bytes
            try:
                limit = int(response.json().get("limit", limit))
            except (ValueError, AttributeError):
                pass
            raise BlobTooLarge(len(data), limit)
        if response.status_code == 400:
            raise IntegrityError(blob_id, f"store refused the blob: {_error_detail(response)}")
        raise StoreError(self.base_url + path, _error_detail(response), response.status_code)

    def get(self, blob_id: str) -> bytes:
        """The blob's bytes; `IntegrityError` if they do not hash to `blob_id`."""
        path = self._url(blob_id)
        try:
            with self._http.stream("GET", path) as response:
                if response.status_code == 404:
                    raise BlobNotFound(blob_id)
                if response.status_code != 200:
                    response.read()
                    raise StoreError(self.base_url + path, _error_detail(response), response.status_code)
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_blob_bytes:
                        raise BlobTooLarge(None, self.max_blob_bytes)
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise StoreError(self.base_url + path, f"{type(exc).__name__}: {exc}") from None
        data = b"".join(chunks)
        # The store is trusted for availability only: re-check the content address.
        if serde.blob_id(data) != blob_id:
            actual = serde.blob_id(data)
            raise IntegrityError(blob_id, f"store returned content hashing to {actual}")
        return data

    def has(self, blob_id: str) -> bool:
        path = self._url(blob_id)
        response = self._request("HEAD", path)
        if response.status_code == 200:
            return True
        if response.status_code == 404:
            return False
        raise StoreError(self.base_url + path, response.reason_phrase, response.status_code)

    def health(self) -> bool:
        """True iff the service answers its health check."""
        try:
            return self._http.get("/health").status_code == 200
        except httpx.HTTPError:
            return False
