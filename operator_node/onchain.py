"""The operator's side of on-chain proved inference: VKA words made by EZKL from a model's
artifacts, handed to the ModelVerifier binding (protocol.chain.verifier) to bind and verify."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from operator_node.verify import RegisteredModel
from operator_node.zk.evm import vka_words
from operator_node.zk.prover import ZkProver
from protocol.chain import Chain
from protocol.chain.verifier import model_verifier
from protocol.proofs import ProofBundle, evm_verify_args
from protocol.store import BlobStore


def bind_model(chain: Chain, operator: LocalAccount, prover: ZkProver) -> Any:
    """Bind the operator's registered model hash to its circuit on-chain."""
    words = vka_words(prover.keys.vk_path, prover.compiled.settings_path, prover.srs_path)
    return model_verifier(chain).bind(
        operator,
        prover.model_hash(),
        keccak(prover.keys.vk_bytes()),
        keccak(prover.compiled.settings_bytes()),
        prover.poseidon,
        words,
    )


def _registered_vka(chain: Chain, store: BlobStore, model_hash: bytes) -> list[bytes]:
    """The VKA words derived from the model's *registered* vk and settings and the deployment's SRS."""
    with tempfile.TemporaryDirectory() as t:
        reg = RegisteredModel.fetch(chain, store, model_hash, Path(t))
        return vka_words(reg.vk_path, reg.settings_path, reg.srs_path)


def verify_onchain(chain: Chain, store: BlobStore, model_hash: bytes, bundle: ProofBundle) -> bool:
    """Verify through the chain (an eth_call: no transaction). The client derives the VKA
    itself from the registered vk and settings; the contract checks it is the bound one and
    that the proof's Poseidon instance is the model's. Raises ContractReverted when not."""
    words = _registered_vka(chain, store, model_hash)
    proof, instances = evm_verify_args(bundle)
    return model_verifier(chain).verify(model_hash, proof, instances, words)


def verify_onchain_gas(chain: Chain, store: BlobStore, model_hash: bytes, bundle: ProofBundle) -> int:
    """Gas of verifying `bundle` on-chain (estimated, nothing sent)."""
    words = _registered_vka(chain, store, model_hash)
    proof, instances = evm_verify_args(bundle)
    return model_verifier(chain).verify_gas(model_hash, proof, instances, words)
