"""The operator's proof layer, EZKL side: a trained model → ONNX → circuit → keys → proofs.

Pipeline (each step cached on disk, so a restart or a second model of the same
architecture does not redo work):

    onnx_export.export_onnx(weights, mean, std, path)        ONNX graph, standardisation inside
    compile.compile_model(onnx, workdir, calibration)        EZKL settings + compiled circuit
    srs.devnet_srs(logrows, dir) / srs.ceremony_srs(...)     KZG parameters
    keys.setup_keys(compiled, srs, workdir)                  verifying key + proving key
    prover.ZkProver(compiled, keys, srs).prove(x)            ProofBundle (output, proof, instances)
    verify.verify_bundle(bundle, vk, settings, srs, poseidon, x)   what every client runs
    evm.create_evm_verifier / create_evm_vka / encode_evm_calldata  for the on-chain verifier

The pure half (field encoding, model hash, ProofBundle, instance checks) is protocol.proofs.
"""

from operator_node.zk.circuit import CompiledModel, ZkSettings
from operator_node.zk.compile import compile_model
from operator_node.zk.evm import create_evm_verifier, create_evm_vka, encode_evm_calldata, read_vka, vka_words
from operator_node.zk.ezkl_runtime import ezkl_quiet
from operator_node.zk.keys import KeyPair, setup_keys
from operator_node.zk.onnx_export import architecture_hash, count_hashed_params, export_onnx, reference_proba
from operator_node.zk.prover import ProvingFailed, ZkProver
from operator_node.zk.srs import SrsError, ceremony_srs, devnet_srs, srs_logrows
from operator_node.zk.verify import verify_bundle
from operator_node.zk.witness import mock_input, poseidon_params_hash, witness_proba

__all__ = [
    "CompiledModel",
    "KeyPair",
    "ProvingFailed",
    "SrsError",
    "ZkProver",
    "ZkSettings",
    "architecture_hash",
    "ceremony_srs",
    "compile_model",
    "count_hashed_params",
    "create_evm_verifier",
    "create_evm_vka",
    "devnet_srs",
    "encode_evm_calldata",
    "export_onnx",
    "ezkl_quiet",
    "mock_input",
    "poseidon_params_hash",
    "read_vka",
    "reference_proba",
    "setup_keys",
    "srs_logrows",
    "verify_bundle",
    "vka_words",
    "witness_proba",
]
