"""EZKL proof layer: real proofs of a small MLP, and every way verify_bundle must reject one.

One model is compiled and set up for the whole module (compile + setup ~3 s); a second model
of the same architecture reuses its keys — that is the point: same circuit, same vk."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from operator_node import zk
from protocol import proofs

pytestmark = pytest.mark.integration

D, H = 8, 4


def _model(seed: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """An MLP [W1 (8,4), b1, W2 (4,2), b2] with per-feature standardisation."""
    rng = np.random.default_rng(seed)
    weights = [
        (rng.standard_normal((D, H)) * 0.7).astype(np.float32),
        (rng.standard_normal(H) * 0.1).astype(np.float32),
        rng.standard_normal((H, 2)).astype(np.float32),
        (rng.standard_normal(2) * 0.1).astype(np.float32),
    ]
    return weights, rng.normal(0.0, 2.0, D), rng.uniform(0.5, 2.0, D)


@pytest.fixture(scope="module")
def zkenv(tmp_path_factory: pytest.TempPathFactory) -> dict:
    workdir = tmp_path_factory.mktemp("zk")
    weights, mean, std = _model(1)
    rng = np.random.default_rng(2)
    X = mean + std * rng.standard_normal((40, D))
    prover = zk.ZkProver.build(weights, mean, std, workdir, X)
    # model B: same architecture, other weights. Same circuit, so setup_keys is a cache hit:
    # the file's one setup serves both models
    wb, mb, sb = _model(3)
    onnx_b = zk.export_onnx(wb, mb, sb, workdir / "b.onnx")
    compiled_b = zk.compile_model(onnx_b, workdir, mb + sb * rng.standard_normal((40, D)))
    prover_b = zk.ZkProver(compiled_b, zk.setup_keys(compiled_b, prover.srs_path, workdir), prover.srs_path)
    x = X[0]
    return {
        "workdir": workdir,
        "prover": prover,
        "prover_b": prover_b,
        "X": X,
        "x": x,
        "model": (weights, mean, std),
        "bundle": prover.prove(x),
    }


def _verify(env: dict, bundle: proofs.ProofBundle, sent: np.ndarray | None = None, **kw) -> tuple:
    p = env["prover"]
    return zk.verify_bundle(
        bundle,
        p.keys.vk_path,
        p.compiled.settings_path,
        p.srs_path,
        p.poseidon,
        env["x"] if sent is None else sent,
        **kw,
    )


def _with_instance(bundle: proofs.ProofBundle, index: int, value: int) -> proofs.ProofBundle:
    """The bundle with one public instance replaced, in the proof file and the bundle."""
    proof = json.loads(bundle.proof_json)
    proof["instances"][0][index] = proofs.felt_to_le_hex(value)
    inst = list(bundle.instances)
    inst[index] = value
    return proofs.ProofBundle(bundle.output, json.dumps(proof).encode(), tuple(inst))


def test_real_proof_verifies_and_matches_float_model_within_recorded_bound(zkenv):
    prover, bundle = zkenv["prover"], zkenv["bundle"]
    weights, mean, std = zkenv["model"]

    proven = _verify(zkenv, bundle, expected_model_hash=prover.model_hash())

    ref = zk.reference_proba(weights, mean, std, zkenv["x"][None, :])[0]
    bound = prover.compiled.calibration_max_error  # x is a calibration row
    assert bound <= 0.01
    assert proven == bundle.output
    assert math.isclose(sum(proven), 1.0)
    assert np.max(np.abs(np.array(proven) - ref)) <= bound + 1e-12
    assert bundle.instances[0] == prover.poseidon


def test_proof_from_other_model_of_same_architecture_is_rejected(zkenv):
    prover, prover_b = zkenv["prover"], zkenv["prover_b"]
    assert prover_b.keys == prover.keys  # one circuit, one verifying key
    assert prover_b.compiled.settings_bytes() == prover.compiled.settings_bytes()
    assert prover_b.poseidon != prover.poseidon
    bundle_b = prover_b.prove(zkenv["x"])
    assert bundle_b.poseidon == prover_b.poseidon

    # the same verifying key accepts it: only the Poseidon instance tells the models apart
    p = prover
    assert (
        zk.verify_bundle(bundle_b, p.keys.vk_path, p.compiled.settings_path, p.srs_path, prover_b.poseidon, zkenv["x"])
        == bundle_b.output
    )
    with pytest.raises(proofs.ProofRejected) as e:
        _verify(zkenv, bundle_b)
    assert e.value.reason == proofs.ProofRejected.WRONG_MODEL
    assert e.value.got == hex(prover_b.poseidon)


def test_claimed_output_differing_from_proven_output_is_rejected(zkenv):
    b = zkenv["bundle"]
    forged = replace(b, output=(b.output[1], b.output[0]))

    with pytest.raises(proofs.ProofRejected) as e:
        _verify(zkenv, forged)

    assert e.value.reason == proofs.ProofRejected.OUTPUT_MISMATCH


def test_tampered_output_instance_is_rejected(zkenv):
    b = zkenv["bundle"]
    out_i = len(b.instances) - 1
    shifted = proofs.felt_to_signed(b.instances[out_i]) + 1000
    tampered = _with_instance(b, out_i, proofs.signed_to_felt(shifted))
    tampered = replace(
        tampered,
        output=proofs.probabilities_from_logits(
            [proofs.dequantize(tampered.instances[out_i], zkenv["prover"].compiled.output_scale)], 2
        ),
    )

    with pytest.raises(proofs.ProofRejected) as e:
        _verify(zkenv, tampered)

    assert e.value.reason == proofs.ProofRejected.INVALID_PROOF


def test_input_mismatch_is_rejected(zkenv):
    other = zkenv["x"].copy()
    other[3] += 0.01

    with pytest.raises(proofs.ProofRejected) as e:
        _verify(zkenv, zkenv["bundle"], sent=other)

    assert e.value.reason == proofs.ProofRejected.INPUT_MISMATCH


def test_tampered_input_instance_is_rejected(zkenv):
    b = zkenv["bundle"]
    x = zkenv["x"].copy()
    x[0] += 1.0
    q = proofs.quantize(x[0], zkenv["prover"].compiled.input_scale)
    forged = _with_instance(b, 1, proofs.signed_to_felt(q))

    with pytest.raises(proofs.ProofRejected) as e:
        _verify(zkenv, forged, sent=x)  # inputs now "match", the proof does not

    assert e.value.reason == proofs.ProofRejected.INVALID_PROOF


def test_wrong_artifacts_for_model_hash_are_rejected(zkenv):
    with pytest.raises(proofs.ProofRejected) as e:
        _verify(zkenv, zkenv["bundle"], expected_model_hash=b"\x00" * 32)
    assert e.value.reason == proofs.ProofRejected.WRONG_ARTIFACTS


def test_model_hash_differs_between_models_and_is_stable(zkenv):
    prover, prover_b = zkenv["prover"], zkenv["prover_b"]
    weights, mean, std = zkenv["model"]
    vk = prover.keys.vk_bytes()

    h_a = prover.model_hash()
    # recompiling the same model from a fresh export in a fresh workdir: same settings
    # bytes (no timestamp), same Poseidon hash, and the vk is the shared one
    fresh = zkenv["workdir"] / "fresh"
    onnx_again = zk.export_onnx(weights, mean, std, fresh / "a.onnx")
    again = zk.compile_model(onnx_again, fresh, zkenv["X"])
    poseidon_again = zk.poseidon_params_hash(again, zkenv["X"][5])
    h_again = proofs.model_hash(vk, again.settings_bytes(), poseidon_again)
    h_b = proofs.model_hash(vk, prover_b.compiled.settings_bytes(), prover_b.poseidon)

    assert h_again == h_a
    assert h_b != h_a
    assert len(h_a) == 32
    assert b"timestamp" not in prover.compiled.settings_bytes()


def test_poseidon_hash_is_the_first_instance_big_endian_bytes32(zkenv):
    prover, bundle = zkenv["prover"], zkenv["bundle"]
    le_hex = json.loads(bundle.proof_json)["instances"][0][0]

    as_int = int.from_bytes(bytes.fromhex(le_hex), "little")

    assert as_int == prover.poseidon == bundle.instances[0]
    assert proofs.poseidon_bytes32(as_int) == bytes.fromhex(le_hex)[::-1]


def test_quantize_matches_ezkl(zkenv):
    import ezkl

    s = zkenv["prover"].compiled.input_scale
    rng = np.random.default_rng(5)
    values = list(rng.standard_normal(200) * 50) + [0.5 / 2**s * k for k in range(-7, 8, 2)]
    values += [88.37890365872553, -290.4882750495168]  # round differently in float32 and float64

    for v in values:
        ez = proofs.felt_from_le_hex(ezkl.float_to_felt(float(v), s, ezkl.PyInputType.F32))
        assert proofs.signed_to_felt(proofs.quantize(v, s)) == ez, v


def test_mock_accepts_fresh_inputs_in_the_calibrated_range(zkenv):
    weights, mean, std = zkenv["model"]
    rng = np.random.default_rng(11)
    for x in mean + 3 * std * rng.standard_normal((3, D)):
        assert zk.mock_input(zkenv["prover"].compiled, x)
        p = zk.witness_proba(zkenv["prover"].compiled, x)
        ref = zk.reference_proba(weights, mean, std, x[None, :])[0]
        assert np.max(np.abs(np.array(p) - ref)) <= 0.01


def test_recompile_is_a_cache_hit(zkenv):
    prover = zkenv["prover"]
    again = zk.compile_model(prover.compiled.onnx_path, zkenv["workdir"], zkenv["X"])
    keys = zk.setup_keys(again, prover.srs_path, zkenv["workdir"])
    assert again == prover.compiled
    assert keys == prover.keys


def test_evm_artifacts_reusable_verifier_vka_and_calldata(zkenv, tmp_path: Path):
    from eth_abi import decode

    p, bundle = zkenv["prover"], zkenv["bundle"]
    sol = zk.create_evm_verifier(
        p.keys.vk_path, p.compiled.settings_path, p.srs_path, tmp_path / "Halo2VerifierReusable.sol"
    )
    words = zk.create_evm_vka(p.keys.vk_path, p.compiled.settings_path, p.srs_path, tmp_path / "model.vka")
    calldata = zk.encode_evm_calldata(bundle, tmp_path / "model.vka")

    text = sol.read_text()
    assert "contract Halo2VerifierReusable" in text
    assert "function registerVka(" in text and "function verifyProof(" in text
    assert calldata[:4].hex() == proofs.EVM_VERIFY_SELECTOR[2:]
    proof, instances, vka = decode(["bytes", "uint256[]", "bytes32[]"], calldata[4:])
    assert list(instances) == list(bundle.instances)
    assert list(vka) == words
    assert (proof, list(instances)) == proofs.evm_verify_args(bundle)
    assert len(proofs.vka_digest(words)) == 32


def test_ceremony_srs_path_checks_logrows(zkenv, tmp_path: Path):
    srs = zkenv["prover"].srs_path
    k = zk.srs_logrows(srs)
    assert k == zkenv["prover"].compiled.logrows

    assert zk.ceremony_srs(srs, k) == srs
    with pytest.raises(zk.SrsError):
        zk.ceremony_srs(srs, k + 1)
    junk = tmp_path / "junk.srs"
    junk.write_bytes(b"\xff" * 64)
    with pytest.raises(zk.SrsError):
        zk.ceremony_srs(junk, k)
    with pytest.raises(zk.SrsError):
        zk.ceremony_srs(tmp_path / "missing.srs", k)
