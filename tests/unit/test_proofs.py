"""The pure half of the proof layer: field encoding, fixed point, model hash, ProofBundle and
the checks on a proof's public instances (no EZKL: proofs here are hand-written JSON)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from protocol.errors import HayekError
from protocol.proofs import (
    FIELD_MODULUS,
    InstanceLayout,
    InvalidProofValue,
    ProofBundle,
    ProofRejected,
    ZkError,
    check_bundle_instances,
    check_claimed_output,
    check_input_instances,
    check_model_hash,
    check_model_instance,
    dequantize,
    evm_verify_args,
    felt_from_le_hex,
    felt_to_le_hex,
    felt_to_signed,
    model_hash,
    poseidon_bytes32,
    probabilities_from_logits,
    proof_instances,
    proven_output,
    quantize,
    signed_to_felt,
    vka_digest,
)

pytestmark = pytest.mark.unit

P = FIELD_MODULUS
HALF = P // 2
felts = st.integers(min_value=0, max_value=P - 1)
signed = st.integers(min_value=-HALF, max_value=HALF)


# ------------------------------------------------------------------ field elements


def test_field_modulus_is_bn254_scalar_field() -> None:
    assert P == 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001


@given(felts)
def test_le_hex_round_trips_every_field_element(v: int) -> None:
    h = felt_to_le_hex(v)
    assert len(h) == 64 and not h.startswith("0x")
    assert bytes.fromhex(h) == v.to_bytes(32, "little")
    assert felt_from_le_hex(h) == v
    assert felt_from_le_hex("0x" + h) == v


@given(st.integers(min_value=P, max_value=2**256 - 1))
def test_le_hex_rejects_unreduced_values(v: int) -> None:
    with pytest.raises(InvalidProofValue):
        felt_from_le_hex(v.to_bytes(32, "little").hex())


@pytest.mark.parametrize("h", ["", "00" * 31, "00" * 33])
def test_le_hex_rejects_wrong_length(h: str) -> None:
    with pytest.raises(InvalidProofValue):
        felt_from_le_hex(h)


@given(signed)
def test_signed_round_trips_over_the_signed_range(v: int) -> None:
    f = signed_to_felt(v)
    assert 0 <= f < P
    assert felt_to_signed(f) == v


@given(felts)
def test_every_field_element_has_one_signed_value(f: int) -> None:
    s = felt_to_signed(f)
    assert -HALF <= s <= HALF
    assert signed_to_felt(s) == f


def test_signed_boundaries() -> None:
    assert felt_to_signed(HALF) == HALF
    assert felt_to_signed(HALF + 1) == -HALF
    assert felt_to_signed(P - 1) == -1
    assert signed_to_felt(-1) == P - 1


# ------------------------------------------------------------------ fixed point


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(min_value=0, max_value=20))
def test_quantize_is_within_half_a_step_of_the_float32_value(x: float, scale: int) -> None:
    q = quantize(x, scale)
    back = dequantize(signed_to_felt(q), scale)
    assert abs(back - float(np.float32(x))) <= 0.5 / 2**scale
    assert (q < 0) == (float(np.float32(x)) * 2**scale <= -0.5)


@given(st.integers(min_value=-(2**24), max_value=2**24), st.integers(min_value=0, max_value=20))
def test_dequantize_inverts_quantize_on_the_grid(k: int, scale: int) -> None:
    # |k| <= 2^24: k / 2^scale is exact in float32, so the grid point survives the cast
    assert quantize(dequantize(signed_to_felt(k), scale), scale) == k


def test_quantize_rounds_half_away_from_zero() -> None:
    assert [quantize(v, 0) for v in (0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, -0.49)] == [1, 2, 3, -1, -2, -3, 0, 0]
    assert quantize(1.0, 14) == 2**14
    assert quantize(8.0, -2) == 2  # negative scales divide


@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan, 1e300])  # 1e300 overflows float32
def test_quantize_rejects_non_finite_inputs(x: float) -> None:
    with np.errstate(over="ignore"), pytest.raises(InvalidProofValue):
        quantize(x, 14)


# ------------------------------------------------------------------ probabilities


@given(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False))
def test_binary_probabilities_are_a_sigmoid_and_sum_to_one(z: float) -> None:
    p0, p1 = probabilities_from_logits([z], 2)
    assert 0.0 <= p1 <= 1.0
    assert math.isclose(p0 + p1, 1.0)
    _, q1 = probabilities_from_logits([-z], 2)
    assert math.isclose(q1, p0, abs_tol=1e-12)


def test_softmax_for_more_classes_and_shape_checks() -> None:
    p = probabilities_from_logits([0.0, math.log(2.0), math.log(3.0)], 3)
    assert np.allclose(p, [1 / 6, 2 / 6, 3 / 6])
    assert probabilities_from_logits([0.0], 2) == (0.5, 0.5)
    with pytest.raises(InvalidProofValue):
        probabilities_from_logits([0.0, 1.0], 2)
    with pytest.raises(InvalidProofValue):
        probabilities_from_logits([0.0, 1.0], 3)


# ------------------------------------------------------------------ model hash

VK, SETTINGS, POSEIDON = b"verifying key bytes", b'{"run_args":{}}', 0x1234


def test_model_hash_known_answer() -> None:
    h = model_hash(VK, SETTINGS, POSEIDON)
    # abi.encode of three bytes32 is their concatenation
    assert h == keccak(keccak(VK) + keccak(SETTINGS) + POSEIDON.to_bytes(32, "big"))
    assert h.hex() == "28fea934662b5cfcc8f67e126f094a329d4e836a3b0fd54865dc7481d3208fb8"


@pytest.mark.parametrize(
    "changed", [(VK + b"!", SETTINGS, POSEIDON), (VK, SETTINGS + b" ", POSEIDON), (VK, SETTINGS, POSEIDON + 1)]
)
def test_model_hash_changes_with_each_input(changed: tuple[bytes, bytes, int]) -> None:
    assert model_hash(*changed) != model_hash(VK, SETTINGS, POSEIDON)


def test_poseidon_bytes32_is_big_endian_and_a_field_element() -> None:
    assert poseidon_bytes32(1) == b"\x00" * 31 + b"\x01"
    assert poseidon_bytes32(P - 1) == (P - 1).to_bytes(32, "big")
    for bad in (-1, P):
        with pytest.raises(InvalidProofValue):
            poseidon_bytes32(bad)
        with pytest.raises(InvalidProofValue):
            model_hash(VK, SETTINGS, bad)


def test_check_model_hash() -> None:
    check_model_hash(VK, SETTINGS, POSEIDON, model_hash(VK, SETTINGS, POSEIDON))
    with pytest.raises(ProofRejected) as e:
        check_model_hash(VK, SETTINGS, POSEIDON + 1, model_hash(VK, SETTINGS, POSEIDON))
    assert e.value.reason == ProofRejected.WRONG_ARTIFACTS
    assert e.value.expected == model_hash(VK, SETTINGS, POSEIDON).hex()


# ------------------------------------------------------------------ bundles and instances

IN_SCALE, OUT_SCALE = 14, 14
X = [0.25, -3.5, 100.0]
MODEL = 0xABCDEF


def _settings(**run_args: Any) -> dict[str, Any]:
    ra = {
        "param_visibility": {"Hashed": {"hash_is_public": True, "outlets": []}},
        "input_visibility": "Public",
        "output_visibility": "Public",
    } | run_args
    return {
        "run_args": ra,
        "model_instance_shapes": [[1, len(X)], [1, 1]],
        "model_input_scales": [IN_SCALE],
        "model_output_scales": [OUT_SCALE],
    }


LAYOUT = InstanceLayout.from_settings(_settings())


def _bundle(instances: list[int], output: tuple[float, ...] | None = None) -> ProofBundle:
    proof = {"instances": [[felt_to_le_hex(v) for v in instances]], "proof": [1, 2, 3], "hex_proof": "0x010203"}
    if output is None:
        output = proven_output(instances, LAYOUT)
    return ProofBundle(output, json.dumps(proof).encode(), tuple(instances))


def _instances(x: list[float] = X, logit: float = 0.75, poseidon: int = MODEL) -> list[int]:
    return (
        [poseidon] + [signed_to_felt(quantize(v, IN_SCALE)) for v in x] + [signed_to_felt(quantize(logit, OUT_SCALE))]
    )


def test_layout_from_settings() -> None:
    assert InstanceLayout(n_inputs=3, n_outputs=1, input_scale=IN_SCALE, output_scale=OUT_SCALE) == LAYOUT
    assert LAYOUT.n_instances == 5 and LAYOUT.n_classes == 2


@pytest.mark.parametrize(
    "run_args",
    [
        {"param_visibility": "Public"},
        {"input_visibility": "Private"},
        {"output_visibility": "Hashed"},
        {"param_visibility": {"Hashed": {"hash_is_public": False}}},
    ],
)
def test_layout_rejects_other_visibilities(run_args: dict[str, Any]) -> None:
    with pytest.raises(ProofRejected) as e:
        InstanceLayout.from_settings(_settings(**run_args))
    assert e.value.reason == ProofRejected.WRONG_ARTIFACTS


def test_layout_rejects_other_instance_shapes() -> None:
    s = _settings() | {"model_instance_shapes": [[1, 3]]}
    with pytest.raises(ProofRejected) as e:
        InstanceLayout.from_settings(s)
    assert e.value.reason == ProofRejected.WRONG_ARTIFACTS


def test_honest_bundle_passes_every_instance_check() -> None:
    b = _bundle(_instances())
    assert check_bundle_instances(b, LAYOUT, MODEL, X) == list(b.instances)
    assert check_bundle_instances(b, LAYOUT, MODEL, np.array([X])) == list(b.instances)  # any shape
    proven = proven_output(b.instances, LAYOUT)
    assert math.isclose(proven[1], 1 / (1 + math.exp(-0.75)), rel_tol=1e-9)
    check_claimed_output(b.output, proven)


def test_wrong_poseidon_instance_is_rejected_as_wrong_model() -> None:
    b = _bundle(_instances(poseidon=MODEL + 1))
    with pytest.raises(ProofRejected) as e:
        check_bundle_instances(b, LAYOUT, MODEL, X)
    assert e.value.reason == ProofRejected.WRONG_MODEL
    assert (e.value.expected, e.value.got) == (hex(MODEL), hex(MODEL + 1))
    with pytest.raises(ProofRejected):
        check_model_instance(b.instances, MODEL)


def test_wrong_input_is_rejected_with_the_differing_feature() -> None:
    b = _bundle(_instances())
    sent = [X[0], X[1] + 2**-IN_SCALE, X[2]]  # one step off in feature 1
    with pytest.raises(ProofRejected) as e:
        check_bundle_instances(b, LAYOUT, MODEL, sent)
    assert e.value.reason == ProofRejected.INPUT_MISMATCH
    assert "feature 1" in e.value.detail
    assert e.value.got == list(b.instances[1:4])


def test_input_of_the_wrong_length_is_rejected() -> None:
    b = _bundle(_instances())
    for sent in (X[:2], [*X, 1.0]):
        with pytest.raises(ProofRejected) as e:
            check_input_instances(b.instances, LAYOUT, sent)
        assert e.value.reason == ProofRejected.INPUT_MISMATCH


def test_wrong_number_of_instances_is_malformed() -> None:
    for inst in (_instances()[:-1], [*_instances(), 0]):
        with pytest.raises(ProofRejected) as e:
            check_bundle_instances(_bundle(inst, output=(0.5, 0.5)), LAYOUT, MODEL, X)
        assert e.value.reason == ProofRejected.MALFORMED


def test_bundle_instances_must_be_the_proofs() -> None:
    b = _bundle(_instances())
    other = ProofBundle(b.output, b.proof_json, (b.instances[0], 0, *b.instances[2:]))
    with pytest.raises(ProofRejected) as e:
        check_bundle_instances(other, LAYOUT, MODEL, X)
    assert e.value.reason == ProofRejected.MALFORMED


@pytest.mark.parametrize(
    "proof",
    [
        b"not json",
        b"{}",
        b'{"instances": []}',
        b'{"instances": [["zz"]]}',
        json.dumps({"instances": [[felt_to_le_hex(0)], [felt_to_le_hex(0)]]}).encode(),
    ],
)
def test_unreadable_proof_instances_are_malformed(proof: bytes) -> None:
    with pytest.raises(ProofRejected) as e:
        proof_instances(proof)
    assert e.value.reason == ProofRejected.MALFORMED


def test_claimed_output_must_be_the_proven_one() -> None:
    proven = (0.25, 0.75)
    check_claimed_output((0.25 + 1e-10, 0.75), proven)
    for claimed in ((0.75, 0.25), (0.25,), (0.25, 0.75, 0.0), (math.nan, 0.75)):
        with pytest.raises(ProofRejected) as e:
            check_claimed_output(claimed, proven)
        assert e.value.reason == ProofRejected.OUTPUT_MISMATCH


@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=4),
    st.lists(felts, min_size=1, max_size=6),
)
def test_bundle_dict_round_trip(output: list[float], instances: list[int]) -> None:
    b = ProofBundle(
        tuple(output), json.dumps({"instances": [[felt_to_le_hex(v) for v in instances]]}).encode(), tuple(instances)
    )
    d = b.to_dict()
    assert json.loads(json.dumps(d)) == d  # JSON-safe
    again = ProofBundle.from_dict(d)
    assert again == b
    assert again.poseidon == instances[0]


@pytest.mark.parametrize(
    "d",
    [
        {},
        {"output": [0.5], "proof": {}},
        {"output": [0.5], "proof": {}, "instances": ["xyz"]},
        {"output": None, "proof": {}, "instances": []},
    ],
)
def test_malformed_bundle_dict_is_rejected(d: dict[str, Any]) -> None:
    with pytest.raises(ProofRejected) as e:
        ProofBundle.from_dict(d)
    assert e.value.reason == ProofRejected.MALFORMED


def test_errors_are_hayek_errors_with_their_evidence() -> None:
    e = ProofRejected(ProofRejected.WRONG_MODEL, "detail", "a", "b")
    assert isinstance(e, ZkError) and isinstance(e, HayekError)
    assert str(e) == "proof rejected (wrong_model): detail"
    assert (e.reason, e.detail, e.expected, e.got) == ("wrong_model", "detail", "a", "b")
    assert str(ProofRejected(ProofRejected.MALFORMED)) == "proof rejected (malformed)"
    assert set(ProofRejected.REASONS) >= {ProofRejected.WRONG_MODEL, ProofRejected.MALFORMED}


# ------------------------------------------------------------------ EVM encoding


def test_evm_verify_args_prefers_hex_proof() -> None:
    b = _bundle(_instances())
    assert evm_verify_args(b) == (b"\x01\x02\x03", list(b.instances))
    raw = ProofBundle(b.output, json.dumps({"proof": [4, 5]}).encode(), b.instances)
    assert evm_verify_args(raw) == (b"\x04\x05", list(b.instances))


def test_vka_digest_is_keccak_of_the_packed_words() -> None:
    words = [bytes([i]) * 32 for i in range(3)]
    assert vka_digest(words) == keccak(b"".join(words))
    assert len(vka_digest([])) == 32
