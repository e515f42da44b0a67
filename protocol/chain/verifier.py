"""The on-chain verifier of proved inference: EZKL's reusable Halo2 verifier plus our
ModelVerifier, which pins each model hash to its Poseidon parameter hash and verifying-key
artifact (VKA). Receives proofs, instances and VKA words already computed (operator_node.zk)."""

from __future__ import annotations

from collections.abc import Sequence

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from protocol.chain.artifacts import Artifacts
from protocol.chain.contracts import Bound, Chain
from protocol.errors import MissingSetup


class NoModelVerifier(MissingSetup):
    """The deployment record has no ModelVerifier (deploy it with `deploy_verifier` first)."""

    def __init__(self) -> None:
        super().__init__("no ModelVerifier in the deployment record", "deploy it first (`hayek deploy` on a devnet)")


class ModelVerifier(Bound):
    """ModelVerifier.sol: `bind` a registered model hash to its circuit, `verifyInference`."""

    def bind(
        self,
        operator: LocalAccount,
        model_hash: bytes,
        vk_hash: bytes,
        settings_hash: bytes,
        poseidon: int,
        vka: Sequence[bytes],
    ) -> TxReceipt:
        """Bind `model_hash` = keccak256(abi.encode(vk_hash, settings_hash, poseidon)) to the
        Poseidon instance and the VKA (registered with the reusable verifier); operator only."""
        return self.send(operator, "bind", model_hash, vk_hash, settings_hash, poseidon, list(vka))

    def verify(self, model_hash: bytes, proof: bytes, instances: Sequence[int], vka: Sequence[bytes]) -> bool:
        """Verify a proof through the chain (an eth_call: no transaction). Raises
        ContractReverted when the model is unbound, the Poseidon instance is another model's
        or the VKA is not the bound one."""
        return bool(self.call("verifyInference", model_hash, proof, list(instances), list(vka)))

    def verify_gas(self, model_hash: bytes, proof: bytes, instances: Sequence[int], vka: Sequence[bytes]) -> int:
        """Gas a `verifyInference` transaction would use (estimated, not sent)."""
        fn = self.contract.functions.verifyInference(model_hash, proof, list(instances), list(vka))
        return int(fn.estimate_gas())

    def binding(self, model_hash: bytes) -> tuple[int, bytes]:
        """(Poseidon parameter hash, VKA digest) bound to `model_hash`; (0, 32 zero bytes) if none."""
        poseidon, digest = self.call("bindings", model_hash)
        return int(poseidon), bytes(digest)

    def is_bound(self, model_hash: bytes) -> bool:
        return self.binding(model_hash)[1] != bytes(32)


def model_verifier(chain: Chain) -> ModelVerifier:
    """The deployment's ModelVerifier; NoModelVerifier when it has none."""
    dep = chain.deployment
    if dep is None or "ModelVerifier" not in dep.addresses:
        raise NoModelVerifier()
    return ModelVerifier(chain, dep.addresses["ModelVerifier"], dep.abis["ModelVerifier"])


def deploy_verifier(chain: Chain, governance: LocalAccount) -> dict[str, str]:
    """Deploy the reusable Halo2 verifier and the ModelVerifier; add them to the deployment."""
    dep = chain.deployment
    assert dep is not None
    arts = Artifacts()
    out: dict[str, str] = {}
    for name in ("Halo2VerifierReusable", "ModelVerifier"):
        art = arts.get(name)
        args: tuple[str, ...] = ()
        if name == "ModelVerifier":  # ModelVerifier(models, verifier)
            args = (dep.addresses["ModelRegistry"], out["Halo2VerifierReusable"])
        factory = chain.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        receipt = chain.send(governance, factory.constructor(*args))
        out[name] = str(receipt["contractAddress"])
        dep.addresses[name], dep.abis[name] = out[name], art.abi
        chain.register_abis([art.abi])
    return out
