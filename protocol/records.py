"""Protocol messages of the data side (records, listed items, batches, manifests) and EIP-712.

Everything here is pure: frozen dataclasses that validate themselves, EIP-712 hashing,
signing with a caller-supplied account, and verification whose membership lookup is a
callback (the chain binding provides it), so no I/O happens in this module.

EIP-712 domain: ``{name: "Hayek", version: "1", chainId, verifyingContract}`` where the
verifying contract is the CommunityRegistry. A signature made for another chain or another
deployment recovers a different address and is rejected as `InvalidSignature`.

Types (the contracts must use exactly these strings for their type hashes)::

    Record(uint64 round,uint64 nonce,int256[] features,uint8 label)
    ListedItem(uint64 round,uint64 nonce,int256[] features,bytes32 labelCommitment)

Label commitment: ``keccak256(abi.encodePacked(uint8 label, bytes32 salt))`` (33 bytes
hashed), with a fresh 32-byte random salt per item.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Any, Generic, Literal, Protocol, TypeVar

from eth_account import Account
from eth_account.datastructures import SignedMessage
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import is_address, keccak, to_checksum_address

from protocol.content import check_blob_id
from protocol.errors import InvalidSignature, MalformedRecord, NotAMember, ReplayedRecord

# --------------------------------------------------------------------------- constants

DOMAIN_NAME = "Hayek"
DOMAIN_VERSION = "1"

FEATURE_SCALE = 10**9
"""Features are fixed-point integers: value * 10**9, rounded half to even."""

MAX_OUTCOMES = 4
"""Largest number of outcomes K a game may use (binary is K = 2)."""

BATCH_KINDS: tuple[str, ...] = ("train", "validation")
BatchKind = Literal["train", "validation"]

UINT8_MAX = 2**8 - 1
UINT64_MAX = 2**64 - 1
INT256_MIN = -(2**255)
INT256_MAX = 2**255 - 1
SALT_BYTES = 32
SIGNATURE_BYTES = 65
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

RECORD_TYPE = "Record(uint64 round,uint64 nonce,int256[] features,uint8 label)"
LISTED_ITEM_TYPE = "ListedItem(uint64 round,uint64 nonce,int256[] features,bytes32 labelCommitment)"

_EIP712_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

# --------------------------------------------------------------------------- field checks


def check_int(value: Any, field: str, lo: int, hi: int) -> int:
    """`value` as an int in [lo, hi]; bools and floats are refused."""
    if type(value) is not int:
        raise MalformedRecord(field, f"expected an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise MalformedRecord(field, f"{value} outside {lo}..{hi}")
    return value


def check_bytes(value: Any, field: str, length: int) -> bytes:
    """`value` as exactly `length` bytes."""
    if not isinstance(value, (bytes, bytearray)):
        raise MalformedRecord(field, f"expected {length} bytes, got {type(value).__name__}")
    if len(value) != length:
        raise MalformedRecord(field, f"expected {length} bytes, got {len(value)}")
    return bytes(value)


def check_address(value: Any, field: str) -> str:
    """`value` as a checksummed address; all-lowercase input is accepted, a bad checksum is not."""
    if not isinstance(value, str) or not is_address(value):
        raise MalformedRecord(field, f"not an Ethereum address (or bad checksum): {value!r}")
    return str(to_checksum_address(value))


def check_kind(value: Any, field: str = "kind") -> str:
    if value not in BATCH_KINDS:
        raise MalformedRecord(field, f"expected one of {BATCH_KINDS}, got {value!r}")
    return str(value)


def check_features(value: Any, field: str = "features") -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)):
        raise MalformedRecord(field, f"expected a sequence of integers, got {type(value).__name__}")
    return tuple(check_int(v, f"{field}[{i}]", INT256_MIN, INT256_MAX) for i, v in enumerate(value))


# --------------------------------------------------------------------------- fixed point


def to_fixed(value: float | int | str | Decimal) -> int:
    """`value` * FEATURE_SCALE as an integer, rounded half to even.

    Floats go through their shortest decimal repr (so ``to_fixed(0.1) == 10**8`` exactly),
    strings and Decimals are exact. NaN, infinities and values outside int256 are refused.
    """
    if isinstance(value, bool):
        raise MalformedRecord("feature", "a boolean is not a number")
    if isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise MalformedRecord("feature", f"{value!r} is not a number") from None
    elif isinstance(value, Decimal):
        d = value
    else:
        raise MalformedRecord("feature", f"cannot convert {type(value).__name__} to fixed point")
    if not d.is_finite():
        raise MalformedRecord("feature", f"{value!r} is not a finite number")
    if not d.is_zero() and d.adjusted() > 70:  # |d| >= 10**70: far outside int256 / 10**9
        raise MalformedRecord("feature", f"{value!r} is out of range")
    with localcontext() as ctx:
        ctx.prec = 200  # exact for every value that passes the range check above
        fixed = int(d.scaleb(9).to_integral_value(rounding=ROUND_HALF_EVEN))
    if not INT256_MIN <= fixed <= INT256_MAX:
        raise MalformedRecord("feature", f"{value!r} is out of range")
    return fixed


def from_fixed(value: int) -> float:
    """The float nearest to value / FEATURE_SCALE."""
    return value / FEATURE_SCALE


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Domain:
    """EIP-712 domain: binds a chain and a CommunityRegistry deployment."""

    chain_id: int
    verifying_contract: str

    def __post_init__(self) -> None:
        check_int(self.chain_id, "chain_id", 1, 2**256 - 1)
        object.__setattr__(self, "verifying_contract", check_address(self.verifying_contract, "verifying_contract"))

    def as_eip712(self) -> dict[str, Any]:
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


@dataclass(frozen=True)
class Record:
    """One row of a member's data: fixed-point features and outcome index, for one round."""

    round: int
    nonce: int
    features: tuple[int, ...]
    label: int

    def __post_init__(self) -> None:
        check_int(self.round, "round", 0, UINT64_MAX)
        check_int(self.nonce, "nonce", 0, UINT64_MAX)
        object.__setattr__(self, "features", check_features(self.features))
        check_int(self.label, "label", 0, UINT8_MAX)


@dataclass(frozen=True)
class ListedItem:
    """What a committee member publishes during trading: a record with its label hidden."""

    round: int
    nonce: int
    features: tuple[int, ...]
    label_commitment: bytes

    def __post_init__(self) -> None:
        check_int(self.round, "round", 0, UINT64_MAX)
        check_int(self.nonce, "nonce", 0, UINT64_MAX)
        object.__setattr__(self, "features", check_features(self.features))
        object.__setattr__(self, "label_commitment", check_bytes(self.label_commitment, "label_commitment", 32))


Message = Record | ListedItem
T = TypeVar("T", Record, ListedItem)


@dataclass(frozen=True)
class Signed(Generic[T]):
    """A message with its EIP-712 signature (65 bytes r‖s‖v) and the address that claims it."""

    message: T
    signature: bytes
    signer: str

    def __post_init__(self) -> None:
        if not isinstance(self.message, (Record, ListedItem)):
            raise MalformedRecord("message", f"cannot sign a {type(self.message).__name__}")
        object.__setattr__(self, "signature", check_bytes(self.signature, "signature", SIGNATURE_BYTES))
        object.__setattr__(self, "signer", check_address(self.signer, "signer"))


@dataclass(frozen=True)
class Batch:
    """A member's batch of signed records for one round; `kind` is "train" or "validation"."""

    round: int
    member: str
    kind: str
    records: tuple[Signed[Record], ...]

    def __post_init__(self) -> None:
        check_int(self.round, "round", 0, UINT64_MAX)
        object.__setattr__(self, "member", check_address(self.member, "member"))
        check_kind(self.kind)
        if not isinstance(self.records, (tuple, list)):
            raise MalformedRecord("records", "expected a sequence of signed records")
        records = tuple(self.records)
        if not records:
            raise MalformedRecord("records", "a batch holds at least one record")
        for i, signed in enumerate(records):
            if not isinstance(signed, Signed) or not isinstance(signed.message, Record):
                raise MalformedRecord(f"records[{i}]", "expected a signed Record")
        object.__setattr__(self, "records", records)


@dataclass(frozen=True)
class Manifest:
    """Public description of a published, encrypted batch.

    `blob_id` addresses the ciphertext in the data store, `nonce` is the AES-GCM nonce,
    `merkle_root` is the root over `serde.batch_leaf` of the records (committed on-chain), and
    `key_hash = keccak256(key)` (committed on-chain for validation batches). `chain_id`
    and `registry` make the manifest self-describing: they enter the AES-GCM AAD.
    """

    chain_id: int
    registry: str
    round: int
    member: str
    kind: str
    merkle_root: bytes
    record_count: int
    blob_id: str
    nonce: bytes
    key_hash: bytes

    def __post_init__(self) -> None:
        check_int(self.chain_id, "chain_id", 1, 2**256 - 1)
        object.__setattr__(self, "registry", check_address(self.registry, "registry"))
        check_int(self.round, "round", 0, UINT64_MAX)
        object.__setattr__(self, "member", check_address(self.member, "member"))
        check_kind(self.kind)
        object.__setattr__(self, "merkle_root", check_bytes(self.merkle_root, "merkle_root", 32))
        check_int(self.record_count, "record_count", 1, UINT64_MAX)
        check_blob_id(self.blob_id)
        object.__setattr__(self, "nonce", check_bytes(self.nonce, "nonce", 12))
        object.__setattr__(self, "key_hash", check_bytes(self.key_hash, "key_hash", 32))

    @property
    def domain(self) -> Domain:
        return Domain(self.chain_id, self.registry)


# --------------------------------------------------------------------------- commitments


def new_salt() -> bytes:
    """32 fresh random bytes for one item's label commitment."""
    return secrets.token_bytes(SALT_BYTES)


def label_commitment(label: int, salt: bytes) -> bytes:
    """keccak256(abi.encodePacked(uint8 label, bytes32 salt)) — what the contract checks."""
    check_int(label, "label", 0, UINT8_MAX)
    return keccak(bytes([label]) + check_bytes(salt, "salt", SALT_BYTES))


def opens(commitment: bytes, label: int, salt: bytes) -> bool:
    """True iff (label, salt) opens `commitment`."""
    return label_commitment(label, salt) == check_bytes(commitment, "label_commitment", 32)


def list_item(record: Record, salt: bytes) -> ListedItem:
    """The listed form of a validation record: features public, label committed with `salt`."""
    return ListedItem(
        round=record.round,
        nonce=record.nonce,
        features=record.features,
        label_commitment=label_commitment(record.label, salt),
    )


def make_records(
    features: Iterable[Sequence[int]], labels: Iterable[int], round: int, first_nonce: int
) -> tuple[Record, ...]:
    """Records for one round with consecutive nonces starting at `first_nonce`."""
    rows = list(zip(features, labels, strict=True))
    return tuple(
        Record(round=round, nonce=first_nonce + i, features=tuple(f), label=label) for i, (f, label) in enumerate(rows)
    )


# --------------------------------------------------------------------------- EIP-712


def _eip712_message(message: Message) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    if isinstance(message, Record):
        fields = [
            {"name": "round", "type": "uint64"},
            {"name": "nonce", "type": "uint64"},
            {"name": "features", "type": "int256[]"},
            {"name": "label", "type": "uint8"},
        ]
        data: dict[str, Any] = {
            "round": message.round,
            "nonce": message.nonce,
            "features": list(message.features),
            "label": message.label,
        }
        return "Record", fields, data
    if isinstance(message, ListedItem):
        fields = [
            {"name": "round", "type": "uint64"},
            {"name": "nonce", "type": "uint64"},
            {"name": "features", "type": "int256[]"},
            {"name": "labelCommitment", "type": "bytes32"},
        ]
        data = {
            "round": message.round,
            "nonce": message.nonce,
            "features": list(message.features),
            "labelCommitment": message.label_commitment,
        }
        return "ListedItem", fields, data
    raise MalformedRecord("message", f"not a signable message: {type(message).__name__}")


def typed_data(message: Message, domain: Domain) -> dict[str, Any]:
    """The full EIP-712 typed-data document (as `eth_signTypedData_v4` takes it)."""
    primary, fields, data = _eip712_message(message)
    return {
        "types": {"EIP712Domain": _EIP712_DOMAIN_FIELDS, primary: fields},
        "primaryType": primary,
        "domain": domain.as_eip712(),
        "message": data,
    }


def signable(message: Message, domain: Domain) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(message, domain))


def domain_separator(domain: Domain) -> bytes:
    """EIP-712 domain separator (OpenZeppelin `EIP712._domainSeparatorV4()`)."""
    return bytes(signable(Record(0, 0, (), 0), domain).header)


def struct_hash(message: Message, domain: Domain) -> bytes:
    """EIP-712 `hashStruct(message)`; the domain does not enter it."""
    return bytes(signable(message, domain).body)


def digest(message: Message, domain: Domain) -> bytes:
    """The 32-byte EIP-712 hash that is signed: keccak256(0x1901 ‖ separator ‖ hashStruct)."""
    s = signable(message, domain)
    return keccak(b"\x19" + bytes(s.version) + bytes(s.header) + bytes(s.body))


class SigningAccount(Protocol):
    """What signing needs from an account (eth-account's LocalAccount fits)."""

    @property
    def address(self) -> str: ...

    def sign_message(self, signable_message: SignableMessage) -> SignedMessage: ...


def sign(account: SigningAccount, message: T, domain: Domain) -> Signed[T]:
    """Sign `message` with `account` under `domain` (EIP-712)."""
    signed = account.sign_message(signable(message, domain))
    return Signed(message=message, signature=bytes(signed.signature), signer=account.address)


def sign_record(account: SigningAccount, record: Record, domain: Domain) -> Signed[Record]:
    return sign(account, record, domain)


def sign_item(account: SigningAccount, item: ListedItem, domain: Domain) -> Signed[ListedItem]:
    return sign(account, item, domain)


def recover(signed: Signed[Any], domain: Domain) -> str:
    """The address `signed.signature` recovers to under `domain`.

    Refuses non-canonical signatures like OpenZeppelin's ECDSA does (v must be 27 or 28,
    s in the lower half of the curve order), so a signature cannot be malleated into a
    second valid one (which would change the record's Merkle leaf).
    """
    sig = signed.signature
    s = int.from_bytes(sig[32:64], "big")
    if sig[64] not in (27, 28):
        raise InvalidSignature(signed.signer, f"v must be 27 or 28, got {sig[64]}")
    if not 0 < s <= SECP256K1_N // 2:
        raise InvalidSignature(signed.signer, "non-canonical signature (s in the upper half)")
    try:
        return str(Account.recover_message(signable(signed.message, domain), signature=sig))
    except Exception as exc:  # eth-keys raises several types for garbage signatures
        raise InvalidSignature(signed.signer, f"signature does not recover: {exc}") from None


MembershipCheck = Callable[[str, int], bool]
"""is_member(address, round): was `address` a community member at `round`?"""


def verify(
    signed: Signed[Any],
    domain: Domain,
    is_member: MembershipCheck,
    *,
    expected_round: int | None = None,
    expected_signer: str | None = None,
) -> None:
    """Accept a signed record or item, or raise the first rule it breaks.

    `expected_round` is the round the enclosing batch or listing is committed for;
    `expected_signer` the member that batch belongs to.
    """
    message = signed.message
    # The signature recovers the claimed signer (another chain / registry recovers another).
    if recover(signed, domain) != signed.signer:
        raise InvalidSignature(signed.signer)
    # The signer is the member whose batch holds the record.
    if expected_signer is not None and signed.signer != check_address(expected_signer, "member"):
        raise InvalidSignature(signed.signer, f"signed by {signed.signer}, not {expected_signer}")
    # The record is for the round it is presented in (no replay into another round).
    if expected_round is not None and message.round != expected_round:
        raise ReplayedRecord(
            message.round,
            message.nonce,
            f"signed for round {message.round}, presented in round {expected_round}",
        )
    # The signer was a member at the record's round.
    if not is_member(signed.signer, message.round):
        raise NotAMember(signed.signer, message.round)


def verify_batch(
    batch: Batch,
    domain: Domain,
    is_member: MembershipCheck,
    *,
    num_outcomes: int | None = None,
) -> None:
    """Accept a whole batch, or raise the first rule one of its records breaks."""
    width = len(batch.records[0].message.features)
    nonces: set[int] = set()
    for i, signed in enumerate(batch.records):
        record = signed.message
        verify(signed, domain, is_member, expected_round=batch.round, expected_signer=batch.member)
        # A nonce appears once per member and round.
        if record.nonce in nonces:
            raise ReplayedRecord(record.round, record.nonce, "nonce used twice in the batch")
        nonces.add(record.nonce)
        # Every record has the same number of features.
        if len(record.features) != width:
            raise MalformedRecord(f"records[{i}].features", f"{len(record.features)} features, expected {width}")
        # The label is one of the game's outcomes.
        if num_outcomes is not None and record.label >= num_outcomes:
            raise MalformedRecord(f"records[{i}].label", f"{record.label} is not an outcome 0..{num_outcomes - 1}")
