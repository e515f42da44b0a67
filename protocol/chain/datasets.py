"""Public data from the chain and the store: committed batches, listings, revealed sets.

Everything returned here was checked: signatures and membership at the record's round
(through the registry), Merkle roots and key hashes against the on-chain commitments,
labels against the revealed outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol.chain.contracts import Chain
from protocol.chain.views import Listing
from protocol.content import BLOB_ID_PREFIX, check_blob_id
from protocol.crypto import open_batch
from protocol.errors import IntegrityError
from protocol.publication import ListingPublication, check_listing, check_revealed
from protocol.records import Domain, Manifest, Record, Signed, verify_batch
from protocol.serde import decode_manifest, loads
from protocol.store import BlobStore


class MissingPublication(IntegrityError):
    """A listing on-chain whose member committed no publication of its items."""

    def __init__(self, round: int, member: str):
        self.round = round
        self.member = member
        super().__init__(f"round {round} listing of {member}", "no publication committed for it")


def blob_id_of(digest: bytes) -> str:
    """The store id of a sha256 digest committed on-chain as bytes32."""
    return BLOB_ID_PREFIX + bytes(digest).hex()


def digest_of(blob_id: str) -> bytes:
    """The bytes32 committed on-chain for a store id."""
    return bytes.fromhex(check_blob_id(blob_id).removeprefix(BLOB_ID_PREFIX))


def domain_of(chain: Chain) -> Domain:
    assert chain.deployment is not None
    return Domain(chain.deployment.chain_id, chain.deployment.registry_address)


@dataclass(frozen=True)
class CommittedBatch:
    round: int
    member: str
    merkle_root: bytes
    record_count: int
    blob_id: str  # of the manifest (train) or the listing publication (validation)
    block: int


def committed_batches(chain: Chain, round: int | None = None) -> list[CommittedBatch]:
    assert chain.deployment is not None
    filters: dict[str, Any] = {"round": round} if round is not None else {}
    logs = chain.registry.logs("BatchCommitted", from_block=chain.deployment.deployed_block, **filters)
    return [
        CommittedBatch(
            int(e["round"]),
            e["member"],
            bytes(e["merkleRoot"]),
            int(e["recordCount"]),
            blob_id_of(e["manifestId"]),
            int(e["blockNumber"]),
        )
        for e in logs
    ]


def _is_member(chain: Chain):  # type: ignore[no-untyped-def]
    cache: dict[tuple[str, int], bool] = {}

    def check(address: str, round: int) -> bool:
        if (address, round) not in cache:
            cache[(address, round)] = chain.registry.is_member(address, round)
        return cache[(address, round)]

    return check


def listing_publications(
    chain: Chain,
    store: BlobStore,
    round: int,
    checked: dict[tuple[Any, ...], ListingPublication] | None = None,
) -> list[tuple[Listing, ListingPublication]]:
    """Each on-chain listing of `round` with its checked publication (features, commitments).

    `checked` remembers publications already checked, by (round, member, first item, count,
    items root): a listing's items root and label commitments never change once listed, so a
    caller that asks every trading pass checks each publication once."""
    g = chain.game
    domain = domain_of(chain)
    is_member = _is_member(chain)
    by_member: dict[str, list[CommittedBatch]] = {}
    for b in committed_batches(chain, round):
        by_member.setdefault(b.member, []).append(b)
    out = []
    for listing in g.listings(round):
        member = listing.member
        key = (round, member, listing.first_item, listing.count, listing.items_root)
        if checked is not None and key in checked:
            out.append((listing, checked[key]))
            continue
        commitments = [g.label_commitment(round, i) for i in listing.items]
        found = None
        for b in by_member.get(member, []):
            if b.merkle_root == listing.items_root:
                found = b
        if found is None:
            raise MissingPublication(round, member)
        pub = ListingPublication.decode(store.get(found.blob_id))
        check_listing(
            pub,
            domain,
            is_member,
            member=member,
            round=round,
            commitments=commitments,
            onchain_items_root=listing.items_root,
            onchain_key_hash=listing.key_hash,
        )
        if checked is not None:
            checked[key] = pub
        out.append((listing, pub))
    return out


def revealed_keys(chain: Chain, round: int) -> dict[str, bytes]:
    assert chain.deployment is not None
    logs = chain.game.logs("Revealed", from_block=chain.deployment.deployed_block, round=round)
    return {e["member"]: bytes(e["key"]) for e in logs}


def revealed_validation(chain: Chain, store: BlobStore, round: int) -> list[Signed[Record]]:
    """The revealed validation records of `round` with their signatures, decrypted and
    checked; void listings are skipped."""
    g = chain.game
    keys = revealed_keys(chain, round)
    records: list[Signed[Record]] = []
    for listing, pub in listing_publications(chain, store, round):
        if not listing.revealed:
            continue
        key = keys[listing.member]
        batch = open_batch(pub.manifest, store.get(pub.manifest.blob_id), key)
        verify_batch(batch, domain_of(chain), _is_member(chain), num_outcomes=g.outcome_count())
        outcomes = [g.outcome_of(round, i) for i in listing.items]
        check_revealed(pub, batch, outcomes)  # type: ignore[arg-type]
        records += batch.records
    return records


def train_manifests(chain: Chain, store: BlobStore, member: str, up_to_round: int) -> list[Manifest]:
    """A member's committed training-batch manifests for rounds ≤ `up_to_round`."""
    out = []
    for b in committed_batches(chain):
        if b.member != member or b.round > up_to_round:
            continue
        data = store.get(b.blob_id)
        obj = loads(data)
        if not isinstance(obj, dict) or obj.get("type") != "Manifest":
            continue  # a validation listing's publication, not a training batch
        m = decode_manifest(data)
        if m.kind != "train" or m.merkle_root != b.merkle_root:
            continue
        out.append(m)
    return out
