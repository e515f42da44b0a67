"""What a committee member publishes for its listing, and the checks anyone runs on it.

A `ListingPublication` is the public half of a validation batch: the signed listed items
(features, salted label commitment, round, nonce) and the manifest of the encrypted batch
(full signed records) whose key hash the member committed on-chain. Its store id is what
the member commits with `commitBatch(round, itemsRoot, count, publicationId)`.
After reveal, `check_revealed` ties the decrypted records to the listed items and the
revealed outcomes, so anyone can verify and train on the set."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from protocol import merkle, serde
from protocol.errors import IntegrityError, MalformedRecord
from protocol.records import (
    Batch,
    Domain,
    ListedItem,
    Manifest,
    Record,
    Signed,
    verify,
)


@dataclass(frozen=True)
class ListingPublication:
    manifest: Manifest  # of the encrypted validation batch (kind "validation")
    items: tuple[Signed[ListedItem], ...]

    def encode(self) -> bytes:
        return serde.dumps(
            {
                "type": "ListingPublication",
                "manifest": serde.to_obj(self.manifest),
                "items": [serde.to_obj(s) for s in self.items],
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> ListingPublication:
        obj = serde.loads(data)
        if not isinstance(obj, dict) or obj.get("type") != "ListingPublication":
            raise MalformedRecord("type", "expected a ListingPublication")
        if set(obj) != {"type", "manifest", "items"} or not isinstance(obj["items"], list):
            raise MalformedRecord("ListingPublication", "expected fields manifest and items")
        manifest = serde.from_obj(obj["manifest"])
        items = tuple(serde.from_obj(o) for o in obj["items"])
        if not isinstance(manifest, Manifest):
            raise MalformedRecord("manifest", "expected a Manifest")
        for i, s in enumerate(items):
            if not isinstance(s, Signed) or not isinstance(s.message, ListedItem):
                raise MalformedRecord(f"items[{i}]", "expected a signed ListedItem")
        pub = cls(manifest, items)  # type: ignore[arg-type]
        if pub.encode() != bytes(data):
            raise MalformedRecord("encoding", "not in canonical form")
        return pub


def items_root(items: Sequence[Signed[ListedItem]]) -> bytes:
    """Merkle root over the signed listed items (the `itemsRoot` of the on-chain listing)."""
    return merkle.root([serde.batch_leaf(s) for s in items])  # type: ignore[arg-type]


def check_listing(
    pub: ListingPublication,
    domain: Domain,
    is_member: Callable[[str, int], bool],
    *,
    member: str,
    round: int,
    commitments: Sequence[bytes],
    onchain_items_root: bytes,
    onchain_key_hash: bytes,
) -> None:
    """Everything a trader checks before trusting a listing's features."""
    # The publication is the listed member's, for this round, and says so everywhere.
    if pub.manifest.member != member or pub.manifest.round != round or pub.manifest.kind != "validation":
        raise IntegrityError(pub.manifest.blob_id, "manifest is not this member's validation batch")
    if pub.manifest.key_hash != onchain_key_hash:
        raise IntegrityError(pub.manifest.blob_id, "manifest key hash differs from the on-chain listing")
    # One signed item per on-chain commitment, in order.
    if len(pub.items) != len(commitments):
        raise IntegrityError(pub.manifest.blob_id, f"{len(pub.items)} items, {len(commitments)} listed")
    for s, c in zip(pub.items, commitments):
        verify(s, domain, is_member, expected_round=round, expected_signer=member)
        if s.message.label_commitment != c:
            raise IntegrityError(pub.manifest.blob_id, f"item nonce {s.message.nonce}: commitment differs")
    # The item set is the one committed on-chain.
    if items_root(pub.items) != onchain_items_root:
        raise IntegrityError(pub.manifest.blob_id, "items root differs from the on-chain listing")


def check_revealed(pub: ListingPublication, batch: Batch, outcomes: Sequence[int]) -> list[Record]:
    """The decrypted validation records match the listed items and the revealed outcomes."""
    if len(batch.records) != len(pub.items) or len(outcomes) != len(pub.items):
        raise IntegrityError(pub.manifest.blob_id, "record, item and outcome counts differ")
    out = []
    for s, item, k in zip(batch.records, pub.items, outcomes):
        r = s.message
        if (r.round, r.nonce, r.features) != (item.message.round, item.message.nonce, item.message.features):
            raise IntegrityError(pub.manifest.blob_id, f"record nonce {r.nonce} differs from its listed item")
        if r.label != k:
            raise IntegrityError(pub.manifest.blob_id, f"record nonce {r.nonce}: label {r.label}, revealed {k}")
        out.append(r)
    return out
