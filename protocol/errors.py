"""The one error root of Hayek: every rule the protocol enforces fails with a subclass here.

Each subclass carries the offending field as attributes (so callers and tests can inspect
the evidence) and renders a clear one-line message (so a CLI can print `str(err)` and exit
non-zero). Others may add classes; keep one class per rule and the evidence as attributes.
"""

from __future__ import annotations

from typing import ClassVar


class HayekError(Exception):
    """Root of every error the Hayek protocol and its nodes raise. A CLI exits with the
    `exit_code` of the error's family (the table `EXIT_CODES` below)."""

    exit_code: ClassVar[int] = 1


# --------------------------------------------------------------------------- families
# One family per kind of failure a caller handles differently; every error below belongs to
# one. Exit codes: 0 success, 1 any other HayekError, 2 usage (click), then one per family.


class InputError(HayekError):
    """Bad input: a malformed message, record, CSV, option or file; a bad signature; content
    that does not match its commitment. Retrying the same input fails the same way."""

    exit_code = 3


class ChainError(HayekError):
    """The chain refused a transaction (a contract revert) or could not be reached."""

    exit_code = 4


class ServiceError(HayekError):
    """A remote service failed: the blob store or an inference endpoint was unreachable,
    answered with an unexpected status, or lacks what was asked for."""

    exit_code = 5


class ProofError(HayekError):
    """Zero-knowledge proofs: a proof rejected, proving failed, an unusable SRS."""

    exit_code = 6


class TrainingError(HayekError):
    """Federated training: a Flower process or run failed, timed out or was refused."""

    exit_code = 7


class ConfigError(HayekError):
    """Local setup: a keystore, deployment record, node home or port that cannot be used."""

    exit_code = 8


class ProcessError(HayekError):
    """A node process died, or something it was waiting for never happened."""

    exit_code = 9


EXIT_CODES: dict[type[HayekError], int] = {
    family: family.exit_code
    for family in (
        HayekError,
        InputError,
        ChainError,
        ServiceError,
        ProofError,
        TrainingError,
        ConfigError,
        ProcessError,
    )
}
"""Family -> exit code; documented in docs/ARCHITECTURE.md."""


# --------------------------------------------------------------------------- input


class InvalidSignature(InputError):
    """A signature does not recover the claimed signer (or is not a canonical signature)."""

    def __init__(self, signer: str, reason: str = "signature does not recover the claimed signer"):
        self.signer = signer
        self.reason = reason
        super().__init__(f"invalid signature for {signer}: {reason}")


class NotAMember(InputError):
    """The signer was not a community member at the round the message is for."""

    def __init__(self, address: str, round: int):
        self.address = address
        self.round = round
        super().__init__(f"{address} was not a community member at round {round}")


class MalformedRecord(InputError):
    """A message (record, envelope, batch, manifest) is structurally invalid."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"malformed {field}: {reason}")


class ReplayedRecord(InputError):
    """A record shows up where it does not belong: another round, or a nonce used twice."""

    def __init__(self, round: int, nonce: int, reason: str):
        self.round = round
        self.nonce = nonce
        self.reason = reason
        super().__init__(f"replayed record (round {round}, nonce {nonce}): {reason}")


class IntegrityError(InputError):
    """Content does not match the hash it is addressed or committed by."""

    def __init__(self, blob_id: str, reason: str = "content does not match its hash"):
        self.blob_id = blob_id
        self.reason = reason
        super().__init__(f"integrity check failed for {blob_id}: {reason}")


class BlobTooLarge(InputError):
    """A blob exceeds the store's size limit."""

    def __init__(self, size: int | None, limit: int):
        self.size = size
        self.limit = limit
        shown = "more than the limit" if size is None else f"{size} bytes"
        super().__init__(f"blob too large: {shown} > limit {limit} bytes")


class BlobNotFound(ServiceError):
    """The store has no blob under this id."""

    def __init__(self, blob_id: str):
        self.blob_id = blob_id
        super().__init__(f"blob not found: {blob_id}")


class StoreError(ServiceError):
    """The blob store answered with an unexpected status or could not be reached."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        self.url = url
        self.reason = reason
        self.status = status
        where = f"{url} (HTTP {status})" if status is not None else url
        super().__init__(f"blob store error at {where}: {reason}")


class DecryptionFailed(InputError):
    """AES-GCM authentication failed: wrong key, wrong context (AAD), or tampered bytes."""

    def __init__(self, batch: str, reason: str = "authentication tag mismatch"):
        self.batch = batch
        self.reason = reason
        super().__init__(f"cannot decrypt batch {batch}: {reason}")


class NonceExhausted(ConfigError):
    """A nonce sequence has no fresh nonce left (it never wraps around)."""

    def __init__(self, next: int):
        self.next = next
        super().__init__(f"nonce sequence exhausted at {next}")


class CsvError(InputError):
    """A member's CSV cannot be imported; says which row (1-based, header = 1) and column."""

    def __init__(self, reason: str, row: int | None = None, column: str | None = None):
        self.reason = reason
        self.row = row
        self.column = column
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = f"CSV {', '.join(where)}: " if where else "CSV: "
        super().__init__(prefix + reason)


class InvalidOption(InputError):
    """A command-line option or argument that cannot be used as given."""

    def __init__(self, option: str, reason: str):
        self.option = option
        self.reason = reason
        super().__init__(f"{option}: {reason}")


class CommitteeTooSmall(InputError):
    """An election asks for more seats than there are eligible members."""

    def __init__(self, seats: int, eligible: int):
        self.seats = seats
        self.eligible = eligible
        super().__init__(f"{seats} seats but only {eligible} eligible members")


class UnknownModel(InputError):
    """A model hash that is not registered in the ModelRegistry (or not served here)."""

    def __init__(self, model_hash: bytes | str, reason: str = "is not registered"):
        self.model_hash = model_hash if isinstance(model_hash, str) else "0x" + model_hash.hex()
        self.reason = reason
        super().__init__(f"model {self.model_hash} {reason}")


# --------------------------------------------------------------------------- setup


class MissingSetup(ConfigError):
    """A step the command depends on has not happened yet; `hint` says which to run."""

    def __init__(self, what: str, hint: str):
        self.what = what
        self.hint = hint
        super().__init__(f"{what}: {hint}")
