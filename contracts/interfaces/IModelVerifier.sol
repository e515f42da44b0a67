// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IModelVerifier
/// @notice On-chain check of a proved inference against a registered model hash. EZKL's
/// reusable Halo2 verifier checks the proof with a verifying-key artifact (VKA); this wrapper
/// pins, per model hash, the VKA digest and the Poseidon hash of the model's quantized
/// parameters. With hashed parameters, same-architecture models share a verifying key and a
/// proof differs only in its first public instance (the Poseidon hash): checking it against
/// the model's is what rejects a proof made by any other model.
interface IModelVerifier {
    /// @notice Raised by `bind` when the caller is not the model's registered operator (also for
    /// an unregistered model hash).
    /// @param modelHash The model hash given.
    /// @param caller The caller.
    error NotModelOperator(bytes32 modelHash, address caller);
    /// @notice Raised by `bind` when keccak256(abi.encode(vkHash, settingsHash, poseidon)) is not
    /// the model hash.
    /// @param modelHash The model hash given.
    /// @param computed The hash computed from the given vkHash, settingsHash and poseidon.
    error BindingMismatch(bytes32 modelHash, bytes32 computed);
    /// @notice Raised by `verifyInference` when no binding was registered for this model hash.
    /// @param modelHash The model hash given.
    error UnboundModel(bytes32 modelHash);
    /// @notice Raised by `verifyInference` when the proof has no instances or its first instance
    /// is not the model's Poseidon parameter hash.
    /// @param modelHash The model hash given.
    /// @param poseidonInstance The proof's first instance (0 when there is none).
    error WrongModel(bytes32 modelHash, uint256 poseidonInstance);
    /// @notice Raised by `verifyInference` when the VKA given, or the one EZKL's verifier reports
    /// having used, is not the one bound to the model.
    /// @param modelHash The model hash given.
    /// @param vkaDigest The digest of the VKA given (keccak256 of its words), or the one the
    /// verifier reports.
    error WrongVerifyingKey(bytes32 modelHash, bytes32 vkaDigest);

    /// @notice `modelHash` is bound to Poseidon hash `poseidon` and VKA digest `vkaDigest`.
    /// @param modelHash The model hash.
    /// @param poseidon Poseidon hash of the model's quantized parameters (the proofs' first instance).
    /// @param vkaDigest Digest of the verifying-key artifact, as the reusable verifier registered it.
    event ModelBound(bytes32 indexed modelHash, uint256 poseidon, bytes32 vkaDigest);

    /// @notice Bind a registered model hash to its circuit: the model hash must be
    /// keccak256(abi.encode(vkHash, settingsHash, bytes32(poseidon))); registers the VKA with
    /// the reusable verifier. Only the model's operator. The VKA is the operator's claim for
    /// `vkHash` (the chain cannot recompute it); clients verifying off-chain check vk itself.
    function bind(bytes32 modelHash, bytes32 vkHash, bytes32 settingsHash, uint256 poseidon, bytes32[] calldata vka)
        external;

    /// @notice True iff the proof verifies for `modelHash`'s circuit and parameters; reverts
    /// when it is another model's proof or the wrong VKA (EZKL's verifier also reverts on an
    /// invalid proof). The output is the last instance (fixed point, see protocol/proofs.py).
    function verifyInference(bytes32 modelHash, bytes calldata proof, uint256[] calldata instances, bytes32[] calldata vka)
        external
        returns (bool ok);
}
