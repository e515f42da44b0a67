"""Keccak-256 Merkle trees that OpenZeppelin's `MerkleProof.verify` accepts.

Encoding (the contracts must match it exactly):

* A *leaf* is a 32-byte value (for a batch: `serde.batch_leaf`, itself a keccak256).
* The tree hashes every leaf once more: ``node = keccak256(leaf)`` — i.e. the
  OpenZeppelin StandardMerkleTree convention ``keccak256(bytes.concat(keccak256(data)))``
  when ``leaf = keccak256(data)``. The second hash keeps a 64-byte inner node from ever
  being passed off as a leaf (second-preimage defence).
  In Solidity: ``MerkleProof.verify(proof, root, keccak256(abi.encodePacked(leaf)))``.
* Inner nodes use sorted-pair hashing, ``keccak256(min(a, b) ++ max(a, b))``, exactly
  `Hashes.commutativeKeccak256`, so a proof is a plain list of sibling hashes and needs
  no left/right flags.
* Leaves keep their given order. Levels are built bottom-up, pairing neighbours; an odd
  node at the end of a level is carried up unchanged (its proof has no sibling there).
* A tree with one leaf has ``root == keccak256(leaf)`` and an empty proof. An empty tree
  has no root and raises.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import keccak

from protocol.errors import MalformedRecord

HASH_BYTES = 32


def _check_hash(value: bytes, field: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != HASH_BYTES:
        raise MalformedRecord(field, "expected 32 bytes")
    return bytes(value)


def leaf_hash(leaf: bytes) -> bytes:
    """The tree's node for a leaf value: keccak256(leaf) (see the module docstring)."""
    return keccak(_check_hash(leaf, "leaf"))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin `Hashes.commutativeKeccak256`: keccak256 of the sorted pair."""
    return keccak(a + b) if a < b else keccak(b + a)


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    if len(leaves) == 0:
        raise MalformedRecord("leaves", "a Merkle tree needs at least one leaf")
    level = [leaf_hash(leaf) for leaf in leaves]
    levels = [level]
    while len(level) > 1:
        nxt = [hash_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2 == 1:
            nxt.append(level[-1])  # odd node carried up unchanged
        level = nxt
        levels.append(level)
    return levels


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle root of `leaves` (32-byte values, in order). Raises on an empty list."""
    return _levels(leaves)[-1][0]


def proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Sibling hashes from leaf `index` up to the root, as `MerkleProof.verify` takes them."""
    if not 0 <= index < len(leaves):
        raise MalformedRecord("index", f"leaf index {index} outside 0..{len(leaves) - 1}")
    siblings: list[bytes] = []
    for level in _levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            siblings.append(level[sibling])
        index //= 2
    return siblings


def process_proof(leaf: bytes, siblings: Sequence[bytes]) -> bytes:
    """The root that `leaf` and `siblings` imply (OpenZeppelin `MerkleProof.processProof`)."""
    node = leaf_hash(leaf)
    for sibling in siblings:
        node = hash_pair(node, _check_hash(sibling, "proof"))
    return node


def verify(root_hash: bytes, leaf: bytes, siblings: Sequence[bytes]) -> bool:
    """True iff `leaf` is in the tree with root `root_hash` (OpenZeppelin `MerkleProof.verify`)."""
    return process_proof(leaf, siblings) == _check_hash(root_hash, "root")
