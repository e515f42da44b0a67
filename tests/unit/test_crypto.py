"""AES-256-GCM batch encryption, AAD binding, nonce discipline, key hashes, seal/open."""

from __future__ import annotations

import dataclasses

import pytest
from eth_account import Account
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import crypto, serde
from protocol import records as R
from protocol.errors import DecryptionFailed, IntegrityError, MalformedRecord, NonceExhausted

pytestmark = pytest.mark.unit

ALICE = Account.from_key(b"\x0a" * 32)
BOB = Account.from_key(b"\x0b" * 32)
REGISTRY = "0x" + "11" * 20
DOMAIN = R.Domain(31337, REGISTRY)
CTX = crypto.BatchContext(31337, REGISTRY, 3, ALICE.address, "validation")
KEY = bytes(range(32))
NONCE = b"\x00" * 11 + b"\x01"


def batch(n: int = 3) -> R.Batch:
    recs = R.make_records([(i, -i) for i in range(n)], [i % 2 for i in range(n)], 3, 0)
    signed = tuple(R.sign_record(ALICE, r, DOMAIN) for r in recs)
    return R.Batch(3, ALICE.address, "validation", signed)


# --------------------------------------------------------------------------- keys


def test_new_key_is_32_random_bytes():
    k1, k2 = crypto.new_key(), crypto.new_key()
    assert len(k1) == 32 and k1 != k2


def test_key_hash_is_keccak_of_the_raw_key():
    assert crypto.key_hash(KEY) == keccak(KEY)
    assert crypto.opens_key(keccak(KEY), KEY)
    assert not crypto.opens_key(keccak(KEY), bytes(32))


def test_key_hash_rejects_a_short_key():
    with pytest.raises(MalformedRecord) as err:
        crypto.key_hash(b"\x00" * 16)
    assert err.value.field == "key"


# --------------------------------------------------------------------------- AES-GCM


def test_encrypt_then_decrypt_round_trips():
    ct = crypto.encrypt_batch(KEY, b"rows", NONCE, CTX)
    assert ct != b"rows" and len(ct) == 4 + 16
    assert crypto.decrypt_batch(KEY, ct, NONCE, CTX) == b"rows"


@settings(max_examples=50)
@given(st.data())
def test_a_flipped_ciphertext_bit_fails_decryption(data):
    ct = crypto.encrypt_batch(KEY, b"some validation rows", NONCE, CTX)
    bit = data.draw(st.integers(min_value=0, max_value=8 * len(ct) - 1))
    flipped = bytearray(ct)
    flipped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionFailed) as err:
        crypto.decrypt_batch(KEY, bytes(flipped), NONCE, CTX)
    assert err.value.batch == str(CTX)
    assert "round 3" in str(err.value)


def test_a_wrong_key_or_nonce_fails_decryption():
    ct = crypto.encrypt_batch(KEY, b"rows", NONCE, CTX)
    with pytest.raises(DecryptionFailed):
        crypto.decrypt_batch(bytes(32), ct, NONCE, CTX)
    with pytest.raises(DecryptionFailed):
        crypto.decrypt_batch(KEY, ct, bytes(12), CTX)


@pytest.mark.parametrize(
    "change",
    [
        {"chain_id": 1},
        {"registry": "0x" + "22" * 20},
        {"round": 4},
        {"member": BOB.address},
        {"kind": "train"},
    ],
)
def test_decryption_under_another_context_fails(change):
    ct = crypto.encrypt_batch(KEY, b"rows", NONCE, CTX)
    with pytest.raises(DecryptionFailed):
        crypto.decrypt_batch(KEY, ct, NONCE, dataclasses.replace(CTX, **change))


def test_aad_layout_is_tag_then_packed_fields():
    aad = CTX.aad()
    assert aad == (
        b"Hayek/batch/v1"
        + (31337).to_bytes(32, "big")
        + bytes.fromhex("11" * 20)
        + (3).to_bytes(8, "big")
        + bytes.fromhex(ALICE.address[2:])
        + b"\x01"
    )


def test_encrypt_rejects_bad_key_and_nonce_lengths():
    with pytest.raises(MalformedRecord):
        crypto.encrypt_batch(b"k" * 16, b"rows", NONCE, CTX)
    with pytest.raises(MalformedRecord):
        crypto.encrypt_batch(KEY, b"rows", b"n" * 8, CTX)


# --------------------------------------------------------------------------- nonces


def test_nonce_sequence_hands_out_distinct_counters():
    seq = crypto.NonceSequence()
    seen = set()
    for _ in range(100):
        nonce, seq = seq.reserve()
        assert len(nonce) == 12
        seen.add(nonce)
    assert len(seen) == 100
    assert seq.next == 100


def test_nonce_sequence_survives_a_restart_through_its_serialised_state():
    # Reserve before use: the successor state is persisted, then the nonce is used.
    seq = crypto.NonceSequence()
    used = []
    persisted = seq.to_bytes()
    for _ in range(3):
        nonce, seq = crypto.NonceSequence.from_bytes(persisted).reserve()
        persisted = seq.to_bytes()  # "written to SQLite" before encrypting
        used.append(nonce)
    # The node restarts from what was persisted and never repeats a nonce.
    restarted = crypto.NonceSequence.from_bytes(persisted)
    nonce, _ = restarted.reserve()
    assert nonce not in used
    assert len(persisted) == 12


def test_nonce_sequence_never_wraps():
    last = crypto.NonceSequence(crypto.NONCE_LIMIT - 2)
    nonce, exhausted = last.reserve()
    assert nonce == b"\xff" * 11 + b"\xfe"
    with pytest.raises(NonceExhausted):
        exhausted.reserve()
    with pytest.raises(MalformedRecord):
        crypto.NonceSequence(crypto.NONCE_LIMIT)
    with pytest.raises(MalformedRecord):
        crypto.NonceSequence(-1)


# --------------------------------------------------------------------------- seal / open


def test_seal_then_open_round_trips_and_the_manifest_commits_to_the_batch():
    b = batch()
    ct, manifest = crypto.seal_batch(b, DOMAIN, KEY, NONCE)
    assert manifest.blob_id == serde.blob_id(ct)
    assert manifest.merkle_root == serde.batch_root(b)
    assert manifest.key_hash == keccak(KEY)
    assert (manifest.record_count, manifest.round, manifest.kind) == (3, 3, "validation")
    assert serde.decode_manifest(serde.encode(manifest)) == manifest
    assert crypto.open_batch(manifest, ct, KEY) == b


def test_open_rejects_a_ciphertext_that_is_not_the_named_blob():
    ct, manifest = crypto.seal_batch(batch(), DOMAIN, KEY, NONCE)
    with pytest.raises(IntegrityError, match="blob id"):
        crypto.open_batch(manifest, ct[:-1] + bytes([ct[-1] ^ 1]), KEY)


def test_open_rejects_a_key_that_is_not_the_committed_one():
    ct, manifest = crypto.seal_batch(batch(), DOMAIN, KEY, NONCE)
    with pytest.raises(IntegrityError, match="key hash"):
        crypto.open_batch(manifest, ct, bytes(32))


def test_open_rejects_a_ciphertext_moved_to_another_member():
    ct, manifest = crypto.seal_batch(batch(), DOMAIN, KEY, NONCE)
    with pytest.raises(DecryptionFailed):
        crypto.open_batch(dataclasses.replace(manifest, member=BOB.address), ct, KEY)


def test_open_rejects_a_manifest_with_another_root_or_count():
    ct, manifest = crypto.seal_batch(batch(), DOMAIN, KEY, NONCE)
    with pytest.raises(IntegrityError, match="Merkle root"):
        crypto.open_batch(dataclasses.replace(manifest, merkle_root=bytes(32)), ct, KEY)
    with pytest.raises(IntegrityError, match="records"):
        crypto.open_batch(dataclasses.replace(manifest, record_count=2), ct, KEY)
