"""The pure half of the proof layer: field encoding, the model hash, the proof bundle and the
checks on its public instances that every verifier of ours runs (no EZKL, no disk, no network).

**Model binding.** Parameters are hashed (EZKL's `param_visibility="hashed"`): the circuit
exposes the Poseidon hash of its quantized parameters as the first public instance, and two
models of one architecture share a verifying key. `model_hash` therefore binds three things:
keccak256(abi.encode(keccak(vk file), keccak(settings file), poseidonParamsHash)).

**Instance layout** (for the settings operator_node.zk produces; `InstanceLayout` checks it):
``instances = [poseidon, x_1 .. x_d, out_1 .. out_m]``, each a BN254 scalar field element.
EZKL writes them as 64-hex-digit **little-endian** strings without 0x; this module turns
each into a Python int with ``int.from_bytes(bytes.fromhex(h), "little")`` and, where a
bytes32 is needed (model hash, Solidity), writes that int **big-endian** (``to_bytes(32,
"big")``) — the same number the EVM verifier sees as ``uint256 instances[i]``. Signed values
(inputs, logits) are field elements ``v`` with ``v > p/2`` meaning ``v - p``.

**Outputs.** The circuit proves *logits* (for K = 2 the single logit difference z = l1 - l0);
the class probabilities are the fixed public function `probabilities_from_logits` of them
(sigmoid for K = 2, softmax otherwise), which every verifier applies itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from protocol.errors import ProofError

#: The BN254 scalar field modulus: EZKL's field elements live in [0, P).
FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617

#: `Halo2VerifierReusable.verifyProof(bytes proof, uint256[] instances, bytes32[] vka)`.
#: It returns (bool success, bytes32 vkaDigest, ...) but its third value is not valid ABI
#: (raw length word, no offset): declare the call as returning (bool, bytes32) only.
EVM_VERIFY_SELECTOR = "0x3409fc9f"
#: `Halo2VerifierReusable.registerVka(bytes32[] vka) returns (bytes32 vkaDigest)`.
EVM_REGISTER_SELECTOR = "0xdc8b4094"

# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class ZkError(ProofError):
    """Root of the proof layer's errors."""


class InvalidProofValue(ZkError, ValueError):
    """A value the proof layer cannot encode or decode (a field element, an input, logits).
    Also a ValueError, so parsers that catch ValueError turn it into their own error."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class ProofRejected(ZkError):
    """A proof bundle fails one of the checks every verifier of ours runs.

    `reason` is one of `REASONS`; `expected` / `got` carry the evidence where there is one.
    """

    WRONG_MODEL = "wrong_model"  # Poseidon instance is not the committed model's
    INPUT_MISMATCH = "input_mismatch"  # input instances are not the input that was sent
    OUTPUT_MISMATCH = "output_mismatch"  # claimed output is not what the instances prove
    INVALID_PROOF = "invalid_proof"  # the proof does not verify with the registered vk
    WRONG_ARTIFACTS = "wrong_artifacts"  # vk/settings do not hash to the expected model hash
    MALFORMED = "malformed"  # not a proof of the expected shape
    REASONS = (WRONG_MODEL, INPUT_MISMATCH, OUTPUT_MISMATCH, INVALID_PROOF, WRONG_ARTIFACTS, MALFORMED)

    def __init__(self, reason: str, detail: str = "", expected: Any = None, got: Any = None):
        self.reason = reason
        self.detail = detail
        self.expected = expected
        self.got = got
        super().__init__(f"proof rejected ({reason})" + (f": {detail}" if detail else ""))


# --------------------------------------------------------------------------------------
# Field elements and fixed point
# --------------------------------------------------------------------------------------


def felt_from_le_hex(h: str) -> int:
    """EZKL's field-element hex (64 digits, little-endian, optional 0x) → int in [0, P)."""
    raw = bytes.fromhex(h[2:] if h.startswith("0x") else h)
    if len(raw) != 32:
        raise InvalidProofValue("field element", f"must be 32 bytes, got {len(raw)}")
    v = int.from_bytes(raw, "little")
    if v >= FIELD_MODULUS:
        raise InvalidProofValue("field element", "not reduced modulo the BN254 scalar field")
    return v


def felt_to_le_hex(v: int) -> str:
    """int in [0, P) → EZKL's little-endian hex (no 0x)."""
    return (v % FIELD_MODULUS).to_bytes(32, "little").hex()


def felt_to_signed(v: int) -> int:
    """Field element → signed integer (v > P/2 encodes v - P)."""
    return v - FIELD_MODULUS if v > FIELD_MODULUS // 2 else v


def signed_to_felt(v: int) -> int:
    """Signed integer → field element (negative v encodes as P + v)."""
    return v % FIELD_MODULUS


def quantize(x: float, scale: int) -> int:
    """The fixed-point integer EZKL assigns to input `x` at `scale` (bits): x is first cast
    to float32 (the graph's input type), multiplied by 2^scale and rounded half away from
    zero — bit for bit what `ezkl.gen_witness` / `ezkl.float_to_felt(..., F32)` do."""
    v = float(np.float32(x))
    if not math.isfinite(v):
        raise InvalidProofValue("input", f"{x!r} is not finite")
    y = v * (1 << scale) if scale >= 0 else v / (1 << -scale)
    q = math.floor(abs(y) + 0.5)
    return -q if y < 0 else q


def dequantize(v: int, scale: int) -> float:
    """Field element at `scale` bits → float."""
    return felt_to_signed(v) / float(2**scale)


def probabilities_from_logits(logits: npt.ArrayLike, n_classes: int) -> tuple[float, ...]:
    """The public map from the proven output to class probabilities: for K = 2 the single
    logit z gives (1 - sigmoid(z), sigmoid(z)); otherwise softmax(logits)."""
    z = np.asarray(logits, np.float64).reshape(-1)
    if n_classes == 2:
        if z.shape != (1,):
            raise InvalidProofValue("logits", f"a binary model proves one logit, got {z.shape[0]}")
        p1 = float(0.5 * (1.0 + math.tanh(0.5 * z[0])))  # sigmoid without overflow
        return (1.0 - p1, p1)
    if z.shape != (n_classes,):
        raise InvalidProofValue("logits", f"expected {n_classes}, got {z.shape[0]}")
    e = np.exp(z - z.max())
    return tuple(float(v) for v in e / e.sum())


# --------------------------------------------------------------------------------------
# Model hash
# --------------------------------------------------------------------------------------


def poseidon_bytes32(poseidon: int) -> bytes:
    """The Poseidon instance as bytes32: the field element big-endian (= uint256 on chain)."""
    if not 0 <= poseidon < FIELD_MODULUS:
        raise InvalidProofValue("poseidon", "not a field element")
    return poseidon.to_bytes(32, "big")


def model_hash(vk_bytes: bytes, settings_bytes: bytes, poseidon_hash_int: int) -> bytes:
    """keccak256(abi.encode(bytes32 vkHash, bytes32 settingsHash, bytes32 poseidonParamsHash))
    with vkHash = keccak256(vk file), settingsHash = keccak256(settings file) and the
    Poseidon hash written big-endian (its uint256 value). Binds circuit and quantized weights."""
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32"],
            [keccak(vk_bytes), keccak(settings_bytes), poseidon_bytes32(poseidon_hash_int)],
        )
    )


def check_model_hash(vk_bytes: bytes, settings_bytes: bytes, poseidon: int, expected_model_hash: bytes) -> None:
    """The vk and settings files, with the Poseidon hash, must give `expected_model_hash`."""
    got = model_hash(vk_bytes, settings_bytes, poseidon)
    if got != expected_model_hash:
        raise ProofRejected(
            ProofRejected.WRONG_ARTIFACTS,
            "vk, settings and Poseidon hash do not give the model hash",
            expected_model_hash.hex(),
            got.hex(),
        )


# --------------------------------------------------------------------------------------
# The proof bundle
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProofBundle:
    """What the inference service returns: the class probabilities, EZKL's proof file as
    bytes, and the public instances as ints ([poseidon, inputs..., outputs...])."""

    output: tuple[float, ...]
    proof_json: bytes
    instances: tuple[int, ...]

    @property
    def poseidon(self) -> int:
        return self.instances[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": list(self.output),
            "proof": json.loads(self.proof_json),
            "instances": [hex(v) for v in self.instances],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ProofBundle:
        try:
            return cls(
                tuple(float(v) for v in d["output"]),
                json.dumps(d["proof"]).encode(),
                tuple(int(v, 16) for v in d["instances"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ProofRejected(ProofRejected.MALFORMED, f"bad bundle: {e}") from e


def proof_instances(proof_json: bytes) -> list[int]:
    """The public instances of an EZKL proof file (one instance column), as ints."""
    try:
        p = json.loads(proof_json)
        inst = p["instances"]
        if len(inst) != 1:
            raise InvalidProofValue("instances", f"expected one instance column, got {len(inst)}")
        return [felt_from_le_hex(h) for h in inst[0]]
    except (ValueError, KeyError, TypeError) as e:
        raise ProofRejected(ProofRejected.MALFORMED, f"cannot read proof instances: {e}") from e


# --------------------------------------------------------------------------------------
# Instance layout and checks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceLayout:
    """Where the inputs and outputs sit among a proof's instances, and their scales (bits)."""

    n_inputs: int
    n_outputs: int
    input_scale: int
    output_scale: int

    @property
    def n_instances(self) -> int:
        return 1 + self.n_inputs + self.n_outputs

    @property
    def n_classes(self) -> int:
        return 2 if self.n_outputs == 1 else self.n_outputs

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> InstanceLayout:
        """The layout of EZKL settings (settings.json, parsed) of the kind operator_node.zk
        produces; rejects anything else (other visibilities move or hide instances)."""
        ra = settings["run_args"]
        pv = ra["param_visibility"]
        hashed_public = isinstance(pv, dict) and pv.get("Hashed", {}).get("hash_is_public") is True
        if not (hashed_public and ra["input_visibility"] == "Public" and ra["output_visibility"] == "Public"):
            raise ProofRejected(
                ProofRejected.WRONG_ARTIFACTS, "settings must have hashed public params and public input/output"
            )
        shapes = settings["model_instance_shapes"]
        if len(shapes) != 2:
            raise ProofRejected(ProofRejected.WRONG_ARTIFACTS, f"unexpected instance shapes {shapes}")
        n_in, n_out = math.prod(shapes[0]), math.prod(shapes[1])
        return cls(
            int(n_in), int(n_out), int(settings["model_input_scales"][0]), int(settings["model_output_scales"][0])
        )


def check_instance_count(instances: Sequence[int], layout: InstanceLayout) -> None:
    if len(instances) != layout.n_instances:
        raise ProofRejected(ProofRejected.MALFORMED, f"{len(instances)} instances, expected {layout.n_instances}")


def check_model_instance(instances: Sequence[int], expected_poseidon: int) -> None:
    """The first instance must be the committed model's Poseidon hash (a proof from another
    model of the same architecture verifies with the same vk and differs only here)."""
    if instances[0] != expected_poseidon:
        raise ProofRejected(
            ProofRejected.WRONG_MODEL,
            "Poseidon instance is not the committed model's parameter hash",
            hex(expected_poseidon),
            hex(instances[0]),
        )


def check_input_instances(instances: Sequence[int], layout: InstanceLayout, sent_input: npt.ArrayLike) -> None:
    """The input instances must be the sent input, quantized as EZKL quantizes it."""
    n_in, scale = layout.n_inputs, layout.input_scale
    x = [float(v) for v in np.asarray(sent_input, np.float64).reshape(-1)]
    if len(x) != n_in:
        raise ProofRejected(ProofRejected.INPUT_MISMATCH, f"sent {len(x)} features, proof has {n_in}")
    want = [signed_to_felt(quantize(v, scale)) for v in x]
    got = list(instances[1 : 1 + n_in])
    if want != got:
        i = next(j for j in range(n_in) if want[j] != got[j])
        raise ProofRejected(
            ProofRejected.INPUT_MISMATCH,
            f"feature {i}: sent {x[i]!r}, proof has {dequantize(got[i], scale)!r}",
            want,
            got,
        )


def check_bundle_instances(
    bundle: ProofBundle, layout: InstanceLayout, expected_poseidon: int, sent_input: npt.ArrayLike
) -> list[int]:
    """Every check on a bundle's public instances, before the proof itself is verified: the
    proof file's instances have the layout's length and are the bundle's, the first is the
    committed model's Poseidon hash, the inputs are the input sent. Returns the instances."""
    instances = proof_instances(bundle.proof_json)
    check_instance_count(instances, layout)
    if tuple(instances) != tuple(bundle.instances):
        raise ProofRejected(ProofRejected.MALFORMED, "bundle instances differ from the proof's")
    check_model_instance(instances, expected_poseidon)
    check_input_instances(instances, layout, sent_input)
    return instances


def proven_output(instances: Sequence[int], layout: InstanceLayout) -> tuple[float, ...]:
    """The class probabilities the output instances prove."""
    logits = [dequantize(v, layout.output_scale) for v in instances[1 + layout.n_inputs :]]
    return probabilities_from_logits(logits, layout.n_classes)


def check_claimed_output(claimed: Sequence[float], proven: Sequence[float], tolerance: float = 1e-9) -> None:
    """The output a bundle claims must be the proven one (within `tolerance` per class)."""
    if len(claimed) != len(proven) or any(not abs(a - b) <= tolerance for a, b in zip(claimed, proven)):
        raise ProofRejected(ProofRejected.OUTPUT_MISMATCH, "claimed output is not the proven output", proven, claimed)


# --------------------------------------------------------------------------------------
# EVM encoding
# --------------------------------------------------------------------------------------


def vka_digest(vka_words: Sequence[bytes]) -> bytes:
    """keccak256 of the packed words: the digest the reusable verifier registers and returns."""
    return keccak(b"".join(vka_words))


def evm_verify_args(bundle: ProofBundle) -> tuple[bytes, list[int]]:
    """(proof bytes, uint256 instances) for `verifyProof(proof, instances, vka)`."""
    p = json.loads(bundle.proof_json)
    hex_proof = p.get("hex_proof")
    proof = bytes.fromhex(hex_proof[2:]) if hex_proof else bytes(p["proof"])
    return proof, list(bundle.instances)
