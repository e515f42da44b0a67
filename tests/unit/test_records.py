"""Records, listed items, EIP-712 signing and verification, batches, and canonical serde."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
from eth_abi import encode as abi_encode
from eth_abi.packed import encode_packed
from eth_account import Account
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from protocol import merkle, serde
from protocol import records as R
from protocol.errors import (
    HayekError,
    InvalidSignature,
    MalformedRecord,
    NotAMember,
    ReplayedRecord,
)

pytestmark = pytest.mark.unit

ALICE = Account.from_key(b"\x0a" * 32)
BOB = Account.from_key(b"\x0b" * 32)
REGISTRY = "0x" + "11" * 20
DOMAIN = R.Domain(chain_id=31337, verifying_contract=REGISTRY)


def everyone(address: str, round: int) -> bool:
    return True


def record(round: int = 3, nonce: int = 0, label: int = 1) -> R.Record:
    return R.Record(round=round, nonce=nonce, features=(R.to_fixed(0.5), -7, 0), label=label)


def batch(member=ALICE, n: int = 3, round: int = 3, kind: str = "train") -> R.Batch:
    signed = [R.sign_record(member, record(round, i, i % 2), DOMAIN) for i in range(n)]
    return R.Batch(round=round, member=member.address, kind=kind, records=tuple(signed))


# --------------------------------------------------------------------------- fixed point


def test_to_fixed_scales_by_ten_to_the_nine():
    assert R.FEATURE_SCALE == 10**9
    assert R.to_fixed(0.1) == 100_000_000
    assert R.to_fixed(-1.5) == -1_500_000_000
    assert R.to_fixed(3) == 3 * 10**9
    assert R.to_fixed("2.25") == 2_250_000_000
    assert R.to_fixed(Decimal("1e-9")) == 1


def test_to_fixed_rounds_half_to_even():
    assert R.to_fixed("0.0000000005") == 0
    assert R.to_fixed("0.0000000015") == 2
    assert R.to_fixed("0.0000000025") == 2
    assert R.to_fixed("-0.0000000005") == 0
    assert R.to_fixed(2.5e-9) == 2
    assert R.to_fixed("0.00000000051") == 1


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "nan", "-Infinity", "abc", "", True])
def test_to_fixed_rejects_non_numbers(bad):
    with pytest.raises(MalformedRecord) as err:
        R.to_fixed(bad)
    assert err.value.field == "feature"


def test_to_fixed_rejects_values_outside_int256():
    with pytest.raises(MalformedRecord):
        R.to_fixed("1e80")
    with pytest.raises(MalformedRecord):
        R.to_fixed("1e100000000")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_from_fixed_then_to_fixed_is_identity(value):
    assert R.to_fixed(R.from_fixed(value)) == value


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"round": -1}, "round"),
        ({"round": 2**64}, "round"),
        ({"nonce": 1.0}, "nonce"),
        ({"label": 256}, "label"),
        ({"label": True}, "label"),
        ({"features": (2**255,)}, "features[0]"),
        ({"features": (1, "2")}, "features[1]"),
        ({"features": 5}, "features"),
    ],
)
def test_record_rejects_out_of_range_fields(kwargs, field):
    args = {"round": 1, "nonce": 0, "features": (1, 2), "label": 0} | kwargs
    with pytest.raises(MalformedRecord) as err:
        R.Record(**args)
    assert err.value.field == field
    assert field in str(err.value)


def test_record_features_become_a_tuple():
    assert R.Record(1, 0, [1, 2], 0).features == (1, 2)


def test_domain_rejects_a_bad_address_and_checksums_a_lowercase_one():
    with pytest.raises(MalformedRecord):
        R.Domain(1, "0x1234")
    addr = "0x5050a4f4b3f9338c3472dcc01a87c76a144b3c9c"
    assert R.Domain(1, addr).verifying_contract == "0x5050A4F4b3f9338C3472dcC01A87C76A144b3c9c"


def test_batch_rejects_unknown_kind_and_empty_records():
    good = batch()
    with pytest.raises(MalformedRecord) as err:
        dataclasses.replace(good, kind="test")
    assert err.value.field == "kind"
    with pytest.raises(MalformedRecord) as err:
        dataclasses.replace(good, records=())
    assert err.value.field == "records"


# --------------------------------------------------------------------------- commitments


def test_label_commitment_is_keccak_of_packed_uint8_and_bytes32():
    salt = bytes(range(32))
    expected = keccak(encode_packed(["uint8", "bytes32"], [2, salt]))
    assert R.label_commitment(2, salt) == expected
    assert R.opens(expected, 2, salt)
    assert not R.opens(expected, 1, salt)


def test_label_commitment_hides_the_label_behind_a_fresh_salt():
    s1, s2 = R.new_salt(), R.new_salt()
    assert len(s1) == 32 and s1 != s2
    item = R.list_item(record(label=1), s1)
    # Without the salt, trying every label against the commitment finds nothing.
    assert all(item.label_commitment != R.label_commitment(k, s2) for k in range(4))
    assert R.opens(item.label_commitment, 1, s1)


def test_label_commitment_rejects_a_short_salt():
    with pytest.raises(MalformedRecord) as err:
        R.label_commitment(0, b"\x00" * 31)
    assert err.value.field == "salt"


# --------------------------------------------------------------------------- EIP-712


def test_domain_separator_matches_the_eip712_definition():
    typehash = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    expected = keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [typehash, keccak(b"Hayek"), keccak(b"1"), 31337, REGISTRY],
        )
    )
    assert R.domain_separator(DOMAIN) == expected


def test_record_struct_hash_matches_the_solidity_encoding():
    rec = R.Record(round=7, nonce=9, features=(-(10**9), 5, 2**200), label=3)
    features_hash = keccak(b"".join(abi_encode(["int256"], [f]) for f in rec.features))
    expected = keccak(
        abi_encode(
            ["bytes32", "uint64", "uint64", "bytes32", "uint8"],
            [keccak(R.RECORD_TYPE.encode()), 7, 9, features_hash, 3],
        )
    )
    assert R.struct_hash(rec, DOMAIN) == expected
    digest = keccak(b"\x19\x01" + R.domain_separator(DOMAIN) + expected)
    assert R.digest(rec, DOMAIN) == digest


def test_listed_item_struct_hash_matches_the_solidity_encoding():
    item = R.list_item(record(), b"\x05" * 32)
    features_hash = keccak(b"".join(abi_encode(["int256"], [f]) for f in item.features))
    expected = keccak(
        abi_encode(
            ["bytes32", "uint64", "uint64", "bytes32", "bytes32"],
            [keccak(R.LISTED_ITEM_TYPE.encode()), 3, 0, features_hash, item.label_commitment],
        )
    )
    assert R.struct_hash(item, DOMAIN) == expected


def test_signed_record_verifies():
    signed = R.sign_record(ALICE, record(), DOMAIN)
    assert signed.signer == ALICE.address and len(signed.signature) == 65
    R.verify(signed, DOMAIN, everyone, expected_round=3, expected_signer=ALICE.address)


def test_signed_listed_item_verifies():
    signed = R.sign_item(ALICE, R.list_item(record(), R.new_salt()), DOMAIN)
    R.verify(signed, DOMAIN, everyone, expected_round=3)


def test_verify_rejects_a_claimed_signer_who_did_not_sign():
    signed = R.sign_record(BOB, record(), DOMAIN)
    forged = dataclasses.replace(signed, signer=ALICE.address)
    with pytest.raises(InvalidSignature) as err:
        R.verify(forged, DOMAIN, everyone)
    assert err.value.signer == ALICE.address


def test_verify_rejects_a_changed_label():
    signed = R.sign_record(ALICE, record(label=1), DOMAIN)
    tampered = dataclasses.replace(signed, message=record(label=0))
    with pytest.raises(InvalidSignature):
        R.verify(tampered, DOMAIN, everyone)


def test_verify_rejects_a_record_replayed_on_another_chain():
    signed = R.sign_record(ALICE, record(), DOMAIN)
    with pytest.raises(InvalidSignature):
        R.verify(signed, R.Domain(1, REGISTRY), everyone)


def test_verify_rejects_a_record_replayed_on_another_registry():
    signed = R.sign_record(ALICE, record(), DOMAIN)
    with pytest.raises(InvalidSignature):
        R.verify(signed, R.Domain(31337, "0x" + "22" * 20), everyone)


def test_verify_rejects_a_record_replayed_into_another_round():
    signed = R.sign_record(ALICE, record(round=3), DOMAIN)
    with pytest.raises(ReplayedRecord) as err:
        R.verify(signed, DOMAIN, everyone, expected_round=4)
    assert (err.value.round, err.value.nonce) == (3, 0)


def test_verify_rejects_a_non_member_at_the_records_round():
    asked = []

    def members(address: str, round: int) -> bool:
        asked.append((address, round))
        return round != 3

    signed = R.sign_record(ALICE, record(round=3), DOMAIN)
    with pytest.raises(NotAMember) as err:
        R.verify(signed, DOMAIN, members)
    assert (err.value.address, err.value.round) == (ALICE.address, 3)
    assert asked == [(ALICE.address, 3)]


def test_verify_rejects_a_record_of_another_member():
    signed = R.sign_record(BOB, record(), DOMAIN)
    with pytest.raises(InvalidSignature) as err:
        R.verify(signed, DOMAIN, everyone, expected_signer=ALICE.address)
    assert err.value.signer == BOB.address


def test_verify_rejects_a_malleated_high_s_signature():
    signed = R.sign_record(ALICE, record(), DOMAIN)
    sig = signed.signature
    s = int.from_bytes(sig[32:64], "big")
    flipped = sig[:32] + (R.SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
    with pytest.raises(InvalidSignature, match="non-canonical"):
        R.verify(dataclasses.replace(signed, signature=flipped), DOMAIN, everyone)


def test_verify_rejects_garbage_signatures():
    signed = R.sign_record(ALICE, record(), DOMAIN)
    with pytest.raises(InvalidSignature):
        R.verify(dataclasses.replace(signed, signature=b"\x00" * 64 + b"\x1b"), DOMAIN, everyone)
    with pytest.raises(InvalidSignature, match="v must be"):
        R.verify(dataclasses.replace(signed, signature=signed.signature[:64] + b"\x01"),
                 DOMAIN, everyone)  # fmt: skip


def test_errors_share_the_hayek_root():
    for cls in (InvalidSignature, NotAMember, MalformedRecord, ReplayedRecord):
        assert issubclass(cls, HayekError)


# --------------------------------------------------------------------------- batches


def test_verify_batch_accepts_a_good_batch():
    R.verify_batch(batch(), DOMAIN, everyone, num_outcomes=2)


def test_verify_batch_rejects_a_record_of_another_round():
    good = batch(round=3)
    stray = R.sign_record(ALICE, record(round=2, nonce=99), DOMAIN)
    bad = dataclasses.replace(good, records=(*good.records, stray))
    with pytest.raises(ReplayedRecord):
        R.verify_batch(bad, DOMAIN, everyone)


def test_verify_batch_rejects_a_nonce_used_twice():
    good = batch()
    bad = dataclasses.replace(good, records=(*good.records, good.records[0]))
    with pytest.raises(ReplayedRecord, match="twice"):
        R.verify_batch(bad, DOMAIN, everyone)


def test_verify_batch_rejects_a_record_signed_by_someone_else():
    good = batch()
    alien = R.sign_record(BOB, record(nonce=50), DOMAIN)
    with pytest.raises(InvalidSignature):
        R.verify_batch(dataclasses.replace(good, records=(alien,)), DOMAIN, everyone)


def test_verify_batch_rejects_ragged_features_and_labels_outside_k():
    narrow = R.sign_record(ALICE, R.Record(3, 77, (1,), 0), DOMAIN)
    good = batch()
    with pytest.raises(MalformedRecord) as err:
        R.verify_batch(dataclasses.replace(good, records=(*good.records, narrow)),
                       DOMAIN, everyone)  # fmt: skip
    assert err.value.field == "records[3].features"
    big_label = R.sign_record(ALICE, record(nonce=1, label=2), DOMAIN)
    with pytest.raises(MalformedRecord) as err:
        R.verify_batch(dataclasses.replace(good, records=(big_label,)), DOMAIN, everyone,
                       num_outcomes=2)  # fmt: skip
    assert err.value.field == "records[0].label"


def test_verify_batch_rejects_a_non_member():
    with pytest.raises(NotAMember):
        R.verify_batch(batch(), DOMAIN, lambda address, round: address != ALICE.address)


def test_batch_leaf_is_keccak_of_the_canonical_encoding():
    signed = batch().records[0]
    assert serde.batch_leaf(signed) == keccak(serde.encode(signed))


def test_every_record_proves_membership_in_the_batch_root():
    b = batch(n=5)
    root = serde.batch_root(b)
    for i, signed in enumerate(b.records):
        assert merkle.verify(root, serde.batch_leaf(signed), serde.batch_proof(b, i))


def test_a_changed_record_fails_its_merkle_proof():
    b = batch(n=5)
    root, proof = serde.batch_root(b), serde.batch_proof(b, 2)
    original = b.records[2]
    flipped = dataclasses.replace(original.message, label=1 - original.message.label)
    changed = R.sign_record(ALICE, flipped, DOMAIN)
    assert changed.message.label != original.message.label
    assert not merkle.verify(root, serde.batch_leaf(changed), proof)


# --------------------------------------------------------------------------- serde


def manifest() -> R.Manifest:
    return R.Manifest(
        chain_id=31337,
        registry=REGISTRY,
        round=3,
        member=ALICE.address,
        kind="validation",
        merkle_root=b"\x01" * 32,
        record_count=3,
        blob_id=serde.blob_id(b"ciphertext"),
        nonce=b"\x00" * 12,
        key_hash=b"\x02" * 32,
    )


@pytest.mark.parametrize(
    "value",
    [
        record(),
        R.list_item(record(), b"\x07" * 32),
        R.sign_record(ALICE, record(), DOMAIN),
        R.sign_item(ALICE, R.list_item(record(), b"\x07" * 32), DOMAIN),
        batch(),
        manifest(),
    ],
    ids=["record", "item", "signed-record", "signed-item", "batch", "manifest"],
)
def test_serde_round_trips_every_message(value):
    data = serde.encode(value)
    assert serde.decode(data, type(value)) == value
    assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()


def test_serde_encoding_is_canonical():
    assert serde.encode(R.Record(1, 2, (3, -4), 1)) == (
        b'{"features":[3,-4],"label":1,"nonce":2,"round":1,"type":"Record"}'
    )


@given(
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**64 - 1),
    st.lists(st.integers(R.INT256_MIN, R.INT256_MAX), max_size=8),
    st.integers(0, 255),
)
def test_serde_round_trips_any_record(round, nonce, features, label):
    rec = R.Record(round, nonce, tuple(features), label)
    assert serde.decode_record(serde.encode(rec)) == rec


def _record_json(**changes) -> bytes:
    obj = {"features": [1, 2], "label": 1, "nonce": 0, "round": 3, "type": "Record"} | changes
    return serde.dumps({k: v for k, v in obj.items() if v is not ...})


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (b"not json", "encoding", "not valid JSON"),
        (b"\xff\xfe", "encoding", "not valid JSON"),
        (b"[1,2]", "type", "expected a JSON object"),
        (_record_json(type="Thing"), "type", "unknown message type"),
        (_record_json(label=...), "label", "missing"),
        (_record_json(extra=1), "extra", "unexpected field"),
        (_record_json(label=True), "label", "expected an integer"),
        (_record_json(label="1"), "label", "expected an integer"),
        (_record_json(label=300), "label", "outside"),
        (_record_json(round=-1), "round", "outside"),
        (_record_json(features=[1, "x"]), "features[1]", "expected an integer"),
        (_record_json(features={"a": 1}), "features", "expected a list"),
        (b'{"features":[1.5],"label":1,"nonce":0,"round":3,"type":"Record"}', "encoding", "floats"),
        (b'{"features":[NaN],"label":1,"nonce":0,"round":3,"type":"Record"}', "encoding", "NaN"),
        (b'{"features":[],"label":1,"label":0,"nonce":0,"round":3,"type":"Record"}', "label", "duplicate"),
        (b'{"type":"Record","features":[],"label":1,"nonce":0,"round":3}', "encoding", "canonical"),
        (b'{"features": [],"label":1,"nonce":0,"round":3,"type":"Record"}', "encoding", "canonical"),
    ],
)
def test_serde_rejects_malformed_records_with_the_field(data, field, reason):
    with pytest.raises(MalformedRecord) as err:
        serde.decode(data)
    assert err.value.field == field
    assert reason in err.value.reason


def test_serde_reports_the_path_of_a_bad_field_inside_a_batch():
    obj = json.loads(serde.encode(batch()))
    obj["records"][1]["message"]["features"][2] = 2**255
    with pytest.raises(MalformedRecord) as err:
        serde.decode(serde.dumps(obj))
    assert err.value.field == "records[1].message.features[2]"


def test_serde_rejects_bad_bytes_and_addresses():
    obj = json.loads(serde.encode(R.sign_record(ALICE, record(), DOMAIN)))
    for bad, field in [
        ({"signature": "0xABCD"}, "signature"),
        ({"signature": "0x" + "00" * 64}, "signature"),
        ({"signer": "0x1234"}, "signer"),
        ({"signer": ALICE.address.lower()}, "encoding"),  # valid, but not the canonical form
    ]:
        with pytest.raises(MalformedRecord) as err:
            serde.decode(serde.dumps(obj | bad))
        assert err.value.field == field


def test_serde_rejects_the_wrong_message_type():
    with pytest.raises(MalformedRecord, match="expected Batch, got Record"):
        serde.decode_batch(serde.encode(record()))


def test_serde_rejects_a_listed_item_inside_a_batch():
    obj = json.loads(serde.encode(batch()))
    item = R.sign_item(ALICE, R.list_item(record(), b"\x01" * 32), DOMAIN)
    obj["records"][0] = json.loads(serde.encode(item))
    with pytest.raises(MalformedRecord) as err:
        serde.decode(serde.dumps(obj))
    assert err.value.field == "records[0].message"


def test_serde_rejects_a_bad_blob_id_in_a_manifest():
    obj = json.loads(serde.encode(manifest()))
    obj["blob_id"] = "sha256-XYZ"
    with pytest.raises(MalformedRecord) as err:
        serde.decode(serde.dumps(obj))
    assert err.value.field == "blob_id"


def test_blob_id_is_sha256_hex():
    assert serde.blob_id(b"") == ("sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert serde.is_blob_id(serde.blob_id(b"x"))
    assert not serde.is_blob_id("sha256-" + "A" * 64)
