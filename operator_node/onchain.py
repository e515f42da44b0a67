"""The on-chain path of proved inference: EZKL's reusable verifier plus our ModelVerifier,
which pins each model hash to its Poseidon parameter hash and verifying-key artifact."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from operator_node.verify import RegisteredModel
from operator_node.zk import ProofBundle, ZkProver, create_evm_vka, evm_verify_args
from protocol.chain import Chain
from protocol.chain.artifacts import Artifacts
from protocol.chain.contracts import Bound
from protocol.errors import HayekError
from protocol.store import BlobStore


def deploy_verifier(chain: Chain, governance: LocalAccount) -> dict[str, str]:
    """Deploy the reusable Halo2 verifier and the ModelVerifier; add them to the deployment."""
    dep = chain.deployment
    assert dep is not None
    arts = Artifacts()
    out = {}
    for name, args in (("Halo2VerifierReusable", ()), ("ModelVerifier", None)):
        art = arts.get(name)
        if args is None:
            args = (dep.addresses["ModelRegistry"], out["Halo2VerifierReusable"])
        factory = chain.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        receipt = chain.send(governance, factory.constructor(*args))
        out[name] = str(receipt["contractAddress"])
        dep.addresses[name], dep.abis[name] = out[name], art.abi
        chain.register_abis([art.abi])
    return out


def model_verifier(chain: Chain) -> Bound:
    dep = chain.deployment
    assert dep is not None
    if "ModelVerifier" not in dep.addresses:
        raise HayekError("no ModelVerifier in the deployment record: deploy it first")
    return Bound(chain, dep.addresses["ModelVerifier"], dep.abis["ModelVerifier"])


def vka_words(vk: Path, settings: Path, srs: Path) -> list[bytes]:
    with tempfile.TemporaryDirectory() as t:
        return create_evm_vka(vk, settings, srs, Path(t) / "model.vka")


def bind_model(chain: Chain, operator: LocalAccount, prover: ZkProver) -> Any:
    """Bind the operator's registered model hash to its circuit on-chain."""
    words = vka_words(prover.keys.vk_path, prover.compiled.settings_path, prover.srs_path)
    return model_verifier(chain).send(
        operator, "bind", prover.model_hash(), keccak(prover.keys.vk_bytes()),
        keccak(prover.compiled.settings_bytes()), prover.poseidon, words,
    )


def verify_onchain(chain: Chain, store: BlobStore, model_hash: bytes, bundle: ProofBundle) -> bool:
    """Verify through the chain (an eth_call: no transaction). The client derives the VKA
    itself from the registered vk and settings; the contract checks it is the bound one and
    that the proof's Poseidon instance is the model's. Raises ContractReverted when not."""
    with tempfile.TemporaryDirectory() as t:
        reg = RegisteredModel.fetch(chain, store, model_hash, Path(t))
        words = vka_words(reg.vk_path, reg.settings_path, reg.srs_path)
    proof, instances = evm_verify_args(bundle)
    return bool(model_verifier(chain).call("verifyInference", model_hash, proof, instances, words))


def verify_onchain_gas(chain: Chain, store: BlobStore, model_hash: bytes, bundle: ProofBundle) -> int:
    with tempfile.TemporaryDirectory() as t:
        reg = RegisteredModel.fetch(chain, store, model_hash, Path(t))
        words = vka_words(reg.vk_path, reg.settings_path, reg.srs_path)
    proof, instances = evm_verify_args(bundle)
    fn = model_verifier(chain).contract.functions.verifyInference(model_hash, proof, instances, words)
    return int(fn.estimate_gas())
