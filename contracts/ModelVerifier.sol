// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelVerifier} from "./interfaces/IModelVerifier.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @notice The part of EZKL's reusable verifier this wrapper calls.
interface IHalo2VerifierReusable {
    function registerVka(bytes32[] memory vka) external returns (bytes32 vkaDigest);
    /// @dev The generated contract also returns rescaled instances, but not as valid ABI:
    /// declare (and decode) only the first two values.
    function verifyProof(bytes calldata proof, uint256[] calldata instances, bytes32[] memory vka)
        external
        returns (bool success, bytes32 vkaDigest);
}

/// @title ModelVerifier
contract ModelVerifier is IModelVerifier {
    struct Binding {
        uint256 poseidon;
        bytes32 vkaDigest;
    }

    IModelRegistry public immutable models;
    IHalo2VerifierReusable public immutable verifier;
    mapping(bytes32 => Binding) public bindings;

    constructor(IModelRegistry models_, IHalo2VerifierReusable verifier_) {
        models = models_;
        verifier = verifier_;
    }

    /// @inheritdoc IModelVerifier
    function bind(bytes32 modelHash, bytes32 vkHash, bytes32 settingsHash, uint256 poseidon, bytes32[] calldata vka)
        external
    {
        if (models.operatorOf(modelHash) != msg.sender) revert NotModelOperator(modelHash, msg.sender);
        bytes32 computed = keccak256(abi.encode(vkHash, settingsHash, bytes32(poseidon)));
        if (computed != modelHash) revert BindingMismatch(modelHash, computed);
        // slither-disable-next-line reentrancy-benign,reentrancy-events: verifier is the immutable EZKL verifier
        bytes32 digest = verifier.registerVka(vka);
        bindings[modelHash] = Binding(poseidon, digest);
        emit ModelBound(modelHash, poseidon, digest);
    }

    /// @inheritdoc IModelVerifier
    function verifyInference(bytes32 modelHash, bytes calldata proof, uint256[] calldata instances, bytes32[] calldata vka)
        external
        returns (bool ok)
    {
        Binding memory b = bindings[modelHash];
        if (b.vkaDigest == bytes32(0)) revert UnboundModel(modelHash);
        if (instances.length == 0 || instances[0] != b.poseidon) {
            revert WrongModel(modelHash, instances.length == 0 ? 0 : instances[0]);
        }
        bytes32 digest = keccak256(abi.encodePacked(vka));
        if (digest != b.vkaDigest) revert WrongVerifyingKey(modelHash, digest);
        bytes32 used;
        (ok, used) = verifier.verifyProof(proof, instances, vka);
        if (used != b.vkaDigest) revert WrongVerifyingKey(modelHash, used);
    }
}
