"""Content addresses of blobs: ``"sha256-" + sha256(data).hexdigest()`` (lowercase hex)."""

from __future__ import annotations

import hashlib
import re

from protocol.errors import MalformedRecord

BLOB_ID_PREFIX = "sha256-"
_BLOB_ID_RE = re.compile(r"^sha256-[0-9a-f]{64}$")


def blob_id(data: bytes) -> str:
    """The content address of `data`: "sha256-" + lowercase hex SHA-256 digest."""
    return BLOB_ID_PREFIX + hashlib.sha256(data).hexdigest()


def is_blob_id(value: object) -> bool:
    return isinstance(value, str) and _BLOB_ID_RE.match(value) is not None


def check_blob_id(value: object, field: str = "blob_id") -> str:
    if not is_blob_id(value):
        raise MalformedRecord(field, f"expected 'sha256-' + 64 lowercase hex digits, got {value!r}")
    return str(value)
