"""How every client of ours checks a proved inference: with the model's *registered*
artifacts. The registry names the verifying key and settings by their store ids; the SRS is
the deployment's (named in the deployment record). The files must hash, with the proof's
Poseidon instance, to the registered model hash — with hashed parameters same-architecture
models share a verifying key, so that instance is what tells them apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from operator_node.zk.verify import verify_bundle
from protocol.chain import Chain
from protocol.chain.contracts import ModelRecord
from protocol.chain.datasets import blob_id_of
from protocol.errors import MissingSetup, UnknownModel
from protocol.proofs import ProofBundle, ProofRejected
from protocol.store import BlobStore


@dataclass(frozen=True)
class RegisteredModel:
    record: ModelRecord
    vk_path: Path
    settings_path: Path
    srs_path: Path

    @classmethod
    def fetch(cls, chain: Chain, store: BlobStore, model_hash: bytes, workdir: Path) -> RegisteredModel:
        record = chain.models.model(model_hash)
        if int(record.operator, 16) == 0:
            raise UnknownModel(model_hash)
        assert chain.deployment is not None
        srs_id = chain.deployment.params.get("srs_id")
        if not srs_id:
            raise MissingSetup("the deployment record names no SRS (srs_id)", "run `hayek srs` first")
        workdir.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, blob in (
            ("model.vk", blob_id_of(record.vk_id)),
            ("settings.json", blob_id_of(record.settings_id)),
            ("kzg.srs", srs_id),
        ):
            p = workdir / name
            p.write_bytes(store.get(blob))  # the store client re-checks the content hash
            paths.append(p)
        return cls(record, *paths)


def verify_registered(reg: RegisteredModel, bundle: ProofBundle, sent_input: Sequence[float]) -> tuple[float, ...]:
    """The proven output, or ProofRejected: registered vk + settings + the proof's Poseidon
    instance must give the registered model hash, and the proof must verify for the input sent."""
    return verify_bundle(
        bundle,
        reg.vk_path,
        reg.settings_path,
        reg.srs_path,
        expected_model_poseidon=bundle.poseidon,
        sent_input=sent_input,
        expected_model_hash=reg.record.model_hash,
    )


__all__ = ["ProofRejected", "RegisteredModel", "verify_registered"]
