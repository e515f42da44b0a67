"""Keccak Merkle trees compatible with OpenZeppelin's MerkleProof."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from protocol import merkle
from protocol.errors import MalformedRecord

pytestmark = pytest.mark.unit


def leaves(n: int) -> list[bytes]:
    return [keccak(i.to_bytes(4, "big")) for i in range(n)]


def oz_process_proof(proof: list[bytes], leaf_node: bytes) -> bytes:
    """OpenZeppelin MerkleProof.processProof, transcribed from MerkleProof.sol/Hashes.sol."""
    computed = leaf_node
    for p in proof:
        a, b = computed, p
        computed = keccak(a + b) if int.from_bytes(a, "big") < int.from_bytes(b, "big") else (keccak(b + a))
    return computed


def test_an_empty_tree_raises():
    with pytest.raises(MalformedRecord) as err:
        merkle.root([])
    assert err.value.field == "leaves"


def test_one_leaf_root_is_the_double_hashed_leaf_with_empty_proof():
    (leaf,) = leaves(1)
    assert merkle.root([leaf]) == keccak(leaf)
    assert merkle.proof([leaf], 0) == []
    assert merkle.verify(keccak(leaf), leaf, [])


def test_three_leaf_root_pairs_sorted_and_carries_the_odd_node():
    a, b, c = (keccak(x) for x in leaves(3))
    ab = keccak(min(a, b) + max(a, b))
    expected = keccak(min(ab, c) + max(ab, c))
    assert merkle.root(leaves(3)) == expected


@given(st.integers(min_value=1, max_value=40), st.data())
def test_every_leaf_proves_membership(n, data):
    ls = leaves(n)
    root = merkle.root(ls)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = merkle.proof(ls, i)
    assert merkle.verify(root, ls[i], proof)
    # What an OpenZeppelin contract computes from keccak256(abi.encodePacked(leaf)):
    assert oz_process_proof(proof, keccak(ls[i])) == root


@given(st.integers(min_value=2, max_value=20), st.data())
def test_a_changed_leaf_or_another_index_fails(n, data):
    ls = leaves(n)
    root = merkle.root(ls)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = merkle.proof(ls, i)
    assert not merkle.verify(root, keccak(b"changed"), proof)
    j = (i + 1) % n
    assert not merkle.verify(root, ls[j], proof) or merkle.proof(ls, j) == proof


def test_a_tampered_proof_fails():
    ls = leaves(8)
    root = merkle.root(ls)
    proof = merkle.proof(ls, 3)
    proof[1] = bytes(32)
    assert not merkle.verify(root, ls[3], proof)


def test_a_leaf_is_not_an_inner_node():
    """Second preimage: an inner node presented as a leaf does not verify (double hashing)."""
    ls = leaves(4)
    root = merkle.root(ls)
    n0, n1 = keccak(ls[0]), keccak(ls[1])
    inner = keccak(min(n0, n1) + max(n0, n1))
    assert not merkle.verify(root, inner, merkle.proof(ls, 2)[1:])


def test_bad_inputs_raise():
    with pytest.raises(MalformedRecord):
        merkle.root([b"short"])
    with pytest.raises(MalformedRecord) as err:
        merkle.proof(leaves(3), 3)
    assert err.value.field == "index"
    with pytest.raises(MalformedRecord):
        merkle.verify(b"\x00" * 31, leaves(1)[0], [])
