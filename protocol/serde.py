"""The one canonical byte encoding of protocol messages, and content addresses of blobs.

Encoding: JSON, UTF-8 (ASCII only), keys sorted, no whitespace (``separators=(",", ":")``).
Every object carries a ``"type"`` tag ("Record", "ListedItem", "Signed", "Batch",
"Manifest"); field names are the dataclass field names (snake_case). Integers are JSON
integers (any size: features are int256, so non-Python readers must parse big integers),
bytes are ``"0x"`` + lowercase hex, addresses are EIP-55 checksummed. Floats, NaN,
duplicate keys, unknown or missing fields are refused.

Decoding is strict: input that is not byte-for-byte the canonical encoding of what it
decodes to is refused, so one message has exactly one encoding and one hash. Every
failure is a `MalformedRecord(field, reason)` whose field is a path such as
``records[3].message.features[2]``.

Blob ids (`protocol.content`, re-exported here): ``"sha256-" + sha256(data).hexdigest()``.
Batch Merkle leaves: ``keccak256(encode(signed record))``, in batch order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from eth_utils import keccak

from protocol import merkle
from protocol.content import BLOB_ID_PREFIX, blob_id, check_blob_id, is_blob_id
from protocol.errors import MalformedRecord
from protocol.records import (
    Batch,
    ListedItem,
    Manifest,
    Record,
    Signed,
)

_HEX_RE = re.compile(r"^0x(?:[0-9a-f]{2})*$")

Encodable = Record | ListedItem | Signed[Any] | Batch | Manifest
__all__ = ["BLOB_ID_PREFIX", "blob_id", "check_blob_id", "is_blob_id"]  # and the functions below

E = TypeVar("E", Record, ListedItem, Signed[Any], Batch, Manifest)

# --------------------------------------------------------------------------- to JSON


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def to_obj(value: Encodable) -> dict[str, Any]:
    """The JSON object (before serialisation) of a protocol message."""
    if isinstance(value, Record):
        return {
            "type": "Record",
            "round": value.round,
            "nonce": value.nonce,
            "features": list(value.features),
            "label": value.label,
        }
    if isinstance(value, ListedItem):
        return {
            "type": "ListedItem",
            "round": value.round,
            "nonce": value.nonce,
            "features": list(value.features),
            "label_commitment": _hex(value.label_commitment),
        }
    if isinstance(value, Signed):
        return {
            "type": "Signed",
            "message": to_obj(value.message),
            "signature": _hex(value.signature),
            "signer": value.signer,
        }
    if isinstance(value, Batch):
        return {
            "type": "Batch",
            "round": value.round,
            "member": value.member,
            "kind": value.kind,
            "records": [to_obj(r) for r in value.records],
        }
    if isinstance(value, Manifest):
        return {
            "type": "Manifest",
            "chain_id": value.chain_id,
            "registry": value.registry,
            "round": value.round,
            "member": value.member,
            "kind": value.kind,
            "merkle_root": _hex(value.merkle_root),
            "record_count": value.record_count,
            "blob_id": value.blob_id,
            "nonce": _hex(value.nonce),
            "key_hash": _hex(value.key_hash),
        }
    raise MalformedRecord("type", f"cannot encode {type(value).__name__}")


def dumps(obj: Any) -> bytes:
    """Canonical JSON bytes of a plain JSON value."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("ascii")


def encode(value: Encodable) -> bytes:
    """The canonical bytes of a protocol message."""
    return dumps(to_obj(value))


# --------------------------------------------------------------------------- from JSON


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field


def _fields(obj: Any, path: str, type_name: str, names: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise MalformedRecord(path or type_name, f"expected a {type_name} object")
    if obj.get("type") != type_name:
        got = obj.get("type")
        raise MalformedRecord(_join(path, "type"), f"expected {type_name!r}, got {got!r}")
    expected = set(names) | {"type"}
    for key in obj:
        if key not in expected:
            raise MalformedRecord(_join(path, key), "unexpected field")
    for name in names:
        if name not in obj:
            raise MalformedRecord(_join(path, name), "missing")
    return obj


def _int(obj: dict[str, Any], name: str, path: str) -> int:
    v = obj[name]
    if type(v) is not int:
        raise MalformedRecord(_join(path, name), f"expected an integer, got {type(v).__name__}")
    return v


def _str(obj: dict[str, Any], name: str, path: str) -> str:
    v = obj[name]
    if not isinstance(v, str):
        raise MalformedRecord(_join(path, name), f"expected a string, got {type(v).__name__}")
    return v


def _bytes(obj: dict[str, Any], name: str, path: str) -> bytes:
    v = _str(obj, name, path)
    if not _HEX_RE.match(v):
        raise MalformedRecord(_join(path, name), "expected 0x-prefixed lowercase hex bytes")
    return bytes.fromhex(v[2:])


def _int_list(obj: dict[str, Any], name: str, path: str) -> tuple[int, ...]:
    v = obj[name]
    if not isinstance(v, list):
        raise MalformedRecord(_join(path, name), f"expected a list, got {type(v).__name__}")
    for i, x in enumerate(v):
        if type(x) is not int:
            raise MalformedRecord(f"{_join(path, name)}[{i}]", f"expected an integer, got {type(x).__name__}")
    return tuple(v)


def _build(path: str, cls: type[E], **kwargs: Any) -> E:
    """Construct a message; its own validation errors get the field path prefixed."""
    try:
        return cls(**kwargs)
    except MalformedRecord as exc:
        raise MalformedRecord(_join(path, exc.field), exc.reason) from None


def _record(obj: Any, path: str) -> Record:
    o = _fields(obj, path, "Record", ("round", "nonce", "features", "label"))
    return _build(
        path,
        Record,
        round=_int(o, "round", path),
        nonce=_int(o, "nonce", path),
        features=_int_list(o, "features", path),
        label=_int(o, "label", path),
    )


def _listed_item(obj: Any, path: str) -> ListedItem:
    o = _fields(obj, path, "ListedItem", ("round", "nonce", "features", "label_commitment"))
    return _build(
        path,
        ListedItem,
        round=_int(o, "round", path),
        nonce=_int(o, "nonce", path),
        features=_int_list(o, "features", path),
        label_commitment=_bytes(o, "label_commitment", path),
    )


def _signed(obj: Any, path: str) -> Signed[Any]:
    o = _fields(obj, path, "Signed", ("message", "signature", "signer"))
    inner = o["message"]
    inner_path = _join(path, "message")
    message: Record | ListedItem
    if isinstance(inner, dict) and inner.get("type") == "ListedItem":
        message = _listed_item(inner, inner_path)
    else:
        message = _record(inner, inner_path)
    return _build(
        path,
        Signed,
        message=message,
        signature=_bytes(o, "signature", path),
        signer=_str(o, "signer", path),
    )


def _batch(obj: Any, path: str) -> Batch:
    o = _fields(obj, path, "Batch", ("round", "member", "kind", "records"))
    raw = o["records"]
    if not isinstance(raw, list):
        raise MalformedRecord(_join(path, "records"), "expected a list")
    records = []
    for i, r in enumerate(raw):
        rpath = f"{_join(path, 'records')}[{i}]"
        signed = _signed(r, rpath)
        if not isinstance(signed.message, Record):
            raise MalformedRecord(_join(rpath, "message"), "a batch holds Records only")
        records.append(signed)
    return _build(
        path,
        Batch,
        round=_int(o, "round", path),
        member=_str(o, "member", path),
        kind=_str(o, "kind", path),
        records=tuple(records),
    )


def _manifest(obj: Any, path: str) -> Manifest:
    names = (
        "chain_id", "registry", "round", "member", "kind", "merkle_root",
        "record_count", "blob_id", "nonce", "key_hash",
    )  # fmt: skip
    o = _fields(obj, path, "Manifest", names)
    return _build(
        path,
        Manifest,
        chain_id=_int(o, "chain_id", path),
        registry=_str(o, "registry", path),
        round=_int(o, "round", path),
        member=_str(o, "member", path),
        kind=_str(o, "kind", path),
        merkle_root=_bytes(o, "merkle_root", path),
        record_count=_int(o, "record_count", path),
        blob_id=_str(o, "blob_id", path),
        nonce=_bytes(o, "nonce", path),
        key_hash=_bytes(o, "key_hash", path),
    )


_DECODERS: dict[str, Callable[[Any, str], Encodable]] = {
    "Record": _record,
    "ListedItem": _listed_item,
    "Signed": _signed,
    "Batch": _batch,
    "Manifest": _manifest,
}


def from_obj(obj: Any) -> Encodable:
    """A protocol message from its JSON object, by its "type" tag."""
    if not isinstance(obj, dict):
        raise MalformedRecord("type", "expected a JSON object")
    decoder = _DECODERS.get(obj.get("type"))  # type: ignore[arg-type]
    if decoder is None:
        raise MalformedRecord("type", f"unknown message type {obj.get('type')!r}")
    return decoder(obj, "")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise MalformedRecord(key, "duplicate key")
        out[key] = value
    return out


def _no_float(text: str) -> Any:
    raise MalformedRecord("encoding", f"floats are not allowed ({text}); use fixed-point integers")


def _no_constant(text: str) -> Any:
    raise MalformedRecord("encoding", f"{text} is not allowed")


def loads(data: bytes) -> Any:
    """Parse JSON bytes strictly (no floats, NaN or duplicate keys); no canonical check."""
    if not isinstance(data, (bytes, bytearray)):
        raise MalformedRecord("encoding", f"expected bytes, got {type(data).__name__}")
    try:
        text = bytes(data).decode("utf-8")
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_constant,
        )
    except MalformedRecord:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedRecord("encoding", f"not valid JSON: {exc}") from None


def decode(data: bytes, expected: type[E] | None = None) -> Any:
    """Decode canonical bytes into a protocol message, optionally of an `expected` class."""
    value = from_obj(loads(data))
    if expected is not None and not isinstance(value, expected):
        raise MalformedRecord("type", f"expected {expected.__name__}, got {type(value).__name__}")
    if encode(value) != bytes(data):
        raise MalformedRecord("encoding", "not in canonical form (sorted keys, no whitespace)")
    return value


def decode_record(data: bytes) -> Record:
    return decode(data, Record)  # type: ignore[no-any-return]


def decode_signed(data: bytes) -> Signed[Any]:
    return decode(data, Signed)  # type: ignore[no-any-return]


def decode_batch(data: bytes) -> Batch:
    return decode(data, Batch)  # type: ignore[no-any-return]


def decode_manifest(data: bytes) -> Manifest:
    return decode(data, Manifest)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- batches


def batch_leaf(signed: Signed[Record]) -> bytes:
    """keccak256(encode(signed)): the Merkle leaf of one signed record."""
    return keccak(encode(signed))


def batch_leaves(batch: Batch) -> list[bytes]:
    return [batch_leaf(signed) for signed in batch.records]


def batch_root(batch: Batch) -> bytes:
    """Merkle root over the batch's leaves in order (see `protocol.merkle`)."""
    return merkle.root(batch_leaves(batch))


def batch_proof(batch: Batch, index: int) -> list[bytes]:
    return merkle.proof(batch_leaves(batch), index)
