"""Off-chain verification of a proof bundle: the pure checks of protocol.proofs on its public
instances, around EZKL's verification of the proof itself with the vk, settings and SRS."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from operator_node.zk.ezkl_runtime import call, ezkl
from protocol.proofs import (
    InstanceLayout,
    ProofBundle,
    ProofRejected,
    ZkError,
    check_bundle_instances,
    check_claimed_output,
    check_model_hash,
    proven_output,
)


def verify_bundle(
    bundle: ProofBundle,
    vk_path: str | Path,
    settings_path: str | Path,
    srs_path: str | Path,
    expected_model_poseidon: int | bytes,
    sent_input: Sequence[float],
    *,
    expected_model_hash: bytes | None = None,
    output_tolerance: float = 1e-9,
) -> tuple[float, ...]:
    """Check a proof bundle the way every verifier of ours must; return the proven class
    probabilities (read from the instances, never from `bundle.output`).

    1. (optional) vk and settings files, with the Poseidon hash, give `expected_model_hash`;
    2. the first instance is the committed model's Poseidon hash (a proof from another model
       of the same architecture verifies with the same vk and differs only here);
    3. the input instances are the sent input, quantized as EZKL quantizes it;
    4. the proof verifies with the registered vk, settings and SRS;
    5. the claimed output matches the output the instances prove.
    Raises ProofRejected with the failing check's reason."""
    ez = ezkl()
    settings_path, vk_path = Path(settings_path), Path(vk_path)
    if isinstance(expected_model_poseidon, (bytes, bytearray)):
        expected_model_poseidon = int.from_bytes(expected_model_poseidon, "big")
    # 1. the registered artifacts
    if expected_model_hash is not None:
        check_model_hash(vk_path.read_bytes(), settings_path.read_bytes(), expected_model_poseidon, expected_model_hash)
    layout = InstanceLayout.from_settings(json.loads(settings_path.read_text()))
    # 2., 3. the committed model and the input that was sent
    instances = check_bundle_instances(bundle, layout, expected_model_poseidon, sent_input)
    # 4. the proof itself
    with tempfile.TemporaryDirectory() as t:
        pp = Path(t) / "proof.json"
        pp.write_bytes(bundle.proof_json)
        try:
            ok = call("verify", ez.verify, str(pp), str(settings_path), str(vk_path), str(srs_path), reduced_srs=False)
        except ZkError as e:
            raise ProofRejected(ProofRejected.INVALID_PROOF, str(e)) from e
    if not ok:
        raise ProofRejected(ProofRejected.INVALID_PROOF, "verification returned false")
    # 5. the output
    proven = proven_output(instances, layout)
    check_claimed_output(tuple(bundle.output), proven, output_tolerance)
    return proven
