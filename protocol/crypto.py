"""AES-256-GCM encryption of batches under per-batch data keys, nonce discipline, key hashes.

* A data key is 32 random bytes, one per batch; validation batches get their own key,
  whose ``key_hash(key) = keccak256(key)`` (the 32 raw key bytes hashed, i.e.
  ``keccak256(abi.encodePacked(bytes32 key))``) a committee member commits on-chain and
  checks against at reveal.
* Nonces are 96 bits from a `NonceSequence` the caller owns and persists. The rule is
  *reserve before use*: take ``nonce, seq = seq.reserve()``, persist ``seq`` (e.g. in
  SQLite) and only then encrypt. A node killed at any point then never reuses a nonce on
  restart: at worst a reserved nonce is skipped.
* The AAD binds the ciphertext to its context (`BatchContext`): chain id, registry
  address, round, member and batch kind. Decrypting under any other context fails, so a
  ciphertext cannot be passed off as another member's, round's or deployment's batch.

`seal_batch` / `open_batch` do the whole path: canonical encoding, encryption, blob id,
Merkle root and manifest; and back, checking every commitment in the manifest.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eth_utils import keccak, to_canonical_address

from protocol import serde
from protocol.errors import DecryptionFailed, IntegrityError, MalformedRecord, NonceExhausted
from protocol.records import (
    BATCH_KINDS,
    UINT64_MAX,
    Batch,
    Domain,
    Manifest,
    check_address,
    check_bytes,
    check_int,
    check_kind,
)

KEY_BYTES = 32
NONCE_BYTES = 12
NONCE_LIMIT = 2 ** (8 * NONCE_BYTES)
AAD_TAG = b"Hayek/batch/v1"
"""Domain tag at the start of every AAD."""


# --------------------------------------------------------------------------- keys


def new_key() -> bytes:
    """A fresh random AES-256 data key (32 bytes)."""
    return secrets.token_bytes(KEY_BYTES)


def key_hash(key: bytes) -> bytes:
    """keccak256(key): the key commitment published on-chain."""
    return keccak(check_bytes(key, "key", KEY_BYTES))


def opens_key(commitment: bytes, key: bytes) -> bool:
    """True iff `key` is the key committed to by `commitment`."""
    return key_hash(key) == check_bytes(commitment, "key_hash", 32)


# --------------------------------------------------------------------------- nonces


@dataclass(frozen=True)
class NonceSequence:
    """A persistent 96-bit nonce counter: `next` is the first nonce not yet handed out.

    Immutable: `reserve()` returns the nonce and the successor state, which the caller
    must persist before it encrypts. The state serialises to 12 bytes (`to_bytes`); as an
    int it may exceed SQLite's int64, so store the bytes (or the int as text). The counter
    never wraps: the all-ones value is the exhausted state and is never handed out.
    """

    next: int = 0

    def __post_init__(self) -> None:
        if type(self.next) is not int or not 0 <= self.next < NONCE_LIMIT:
            raise MalformedRecord("next", f"nonce counter must be in 0..2**96-1, got {self.next!r}")

    def reserve(self) -> tuple[bytes, NonceSequence]:
        """(nonce, state to persist before using the nonce)."""
        if self.next >= NONCE_LIMIT - 1:
            raise NonceExhausted(self.next)
        return self.next.to_bytes(NONCE_BYTES, "big"), NonceSequence(self.next + 1)

    def to_bytes(self) -> bytes:
        return self.next.to_bytes(NONCE_BYTES, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> NonceSequence:
        return cls(int.from_bytes(check_bytes(data, "nonce_sequence", NONCE_BYTES), "big"))


# --------------------------------------------------------------------------- AAD


@dataclass(frozen=True)
class BatchContext:
    """What a batch ciphertext is bound to (its AES-GCM additional authenticated data)."""

    chain_id: int
    registry: str
    round: int
    member: str
    kind: str

    def __post_init__(self) -> None:
        check_int(self.chain_id, "chain_id", 1, 2**256 - 1)
        object.__setattr__(self, "registry", check_address(self.registry, "registry"))
        check_int(self.round, "round", 0, UINT64_MAX)
        object.__setattr__(self, "member", check_address(self.member, "member"))
        check_kind(self.kind)

    @classmethod
    def of_batch(cls, batch: Batch, domain: Domain) -> BatchContext:
        return cls(domain.chain_id, domain.verifying_contract, batch.round, batch.member, batch.kind)

    @classmethod
    def of_manifest(cls, manifest: Manifest) -> BatchContext:
        return cls(manifest.chain_id, manifest.registry, manifest.round, manifest.member, manifest.kind)

    def aad(self) -> bytes:
        """AAD_TAG ‖ uint256 chainId ‖ address registry ‖ uint64 round ‖ address member ‖
        uint8 kind (0 = train, 1 = validation): abi.encodePacked layout after the tag."""
        return (
            AAD_TAG
            + self.chain_id.to_bytes(32, "big")
            + to_canonical_address(self.registry)
            + self.round.to_bytes(8, "big")
            + to_canonical_address(self.member)
            + bytes([BATCH_KINDS.index(self.kind)])
        )

    def __str__(self) -> str:
        return (
            f"{self.kind} batch of {self.member} for round {self.round} "
            f"(chain {self.chain_id}, registry {self.registry})"
        )


# --------------------------------------------------------------------------- AES-GCM


def encrypt_batch(key: bytes, plaintext: bytes, nonce: bytes, aad: BatchContext) -> bytes:
    """AES-256-GCM ciphertext ‖ 16-byte tag of `plaintext`, bound to `aad`."""
    check_bytes(key, "key", KEY_BYTES)
    check_bytes(nonce, "nonce", NONCE_BYTES)
    return AESGCM(key).encrypt(nonce, plaintext, aad.aad())


def decrypt_batch(key: bytes, ciphertext: bytes, nonce: bytes, aad: BatchContext) -> bytes:
    """The plaintext, or `DecryptionFailed` if key, nonce, context or any bit is wrong."""
    check_bytes(key, "key", KEY_BYTES)
    check_bytes(nonce, "nonce", NONCE_BYTES)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad.aad())
    except InvalidTag:
        raise DecryptionFailed(str(aad)) from None


# --------------------------------------------------------------------------- whole batches


def seal_batch(batch: Batch, domain: Domain, key: bytes, nonce: bytes) -> tuple[bytes, Manifest]:
    """Encrypt a batch and describe it: (ciphertext to store, its manifest).

    `nonce` must come from a `NonceSequence` whose successor state is already persisted.
    """
    context = BatchContext.of_batch(batch, domain)
    ciphertext = encrypt_batch(key, serde.encode(batch), nonce, context)
    manifest = Manifest(
        chain_id=domain.chain_id,
        registry=domain.verifying_contract,
        round=batch.round,
        member=batch.member,
        kind=batch.kind,
        merkle_root=serde.batch_root(batch),
        record_count=len(batch.records),
        blob_id=serde.blob_id(ciphertext),
        nonce=nonce,
        key_hash=key_hash(key),
    )
    return ciphertext, manifest


def open_batch(manifest: Manifest, ciphertext: bytes, key: bytes) -> Batch:
    """Check and decrypt a published batch against its manifest.

    Raises `IntegrityError` when the ciphertext, key, record count or Merkle root differs
    from what the manifest commits to, `DecryptionFailed` when authentication fails and
    `MalformedRecord` for a plaintext that is not a canonical batch. Signatures and
    membership are checked separately by `records.verify_batch`.
    """
    # The ciphertext is the blob the manifest names.
    if serde.blob_id(ciphertext) != manifest.blob_id:
        raise IntegrityError(manifest.blob_id, "ciphertext does not match the manifest's blob id")
    # The key is the one committed to.
    if not opens_key(manifest.key_hash, key):
        raise IntegrityError(manifest.blob_id, "key does not match the manifest's key hash")
    plaintext = decrypt_batch(key, ciphertext, manifest.nonce, BatchContext.of_manifest(manifest))
    batch = serde.decode_batch(plaintext)
    # The batch is the one described (the AAD already binds round, member and kind).
    if (batch.round, batch.member, batch.kind) != (manifest.round, manifest.member, manifest.kind):
        raise IntegrityError(manifest.blob_id, "batch header differs from the manifest")
    # Its record count and Merkle root are the committed ones.
    if len(batch.records) != manifest.record_count:
        raise IntegrityError(
            manifest.blob_id,
            f"{len(batch.records)} records, manifest says {manifest.record_count}",
        )
    if serde.batch_root(batch) != manifest.merkle_root:
        raise IntegrityError(manifest.blob_id, "Merkle root differs from the manifest's")
    return batch
