// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IModelRegistry
/// @notice Model hash → operator, proof artifacts and inference endpoint, plus the realised
/// profit per model the game records at redeem (and the sealed pool at claim), kept as
/// information: clients rank models by the proper score of their forecasts, not by profit.
/// A model hash is keccak256(vkHash, settingsHash, poseidonParamsHash): it binds the circuit
/// and the quantized weights (see DESIGN.md, "Models and proofs").
interface IModelRegistry {
    /// @notice Raised by `recordProfit` when the caller is neither the game contract nor the
    /// sealed pool (the two markets that settle a model's money).
    /// @param caller The caller.
    error OnlyGame(address caller);
    /// @notice Raised by `setGame` when the game contract was already set (it is set once).
    /// @param game The game contract already set.
    error GameAlreadySet(address game);
    /// @notice Raised by `setPool` when the sealed pool was already set (it is set once).
    /// @param pool The pool already set.
    error PoolAlreadySet(address pool);
    /// @notice Raised by `register` when `modelHash` is already registered (to anyone).
    /// @param modelHash The model hash given.
    /// @param operator The operator it is registered to.
    error ModelAlreadyRegistered(bytes32 modelHash, address operator);
    /// @notice `modelHash` is not registered. Declared for clients; no function of
    /// ModelRegistry raises it (its views return zero values for an unknown hash).
    /// @param modelHash The model hash given.
    error UnknownModel(bytes32 modelHash);
    /// @notice Raised by `setEndpoint` when the caller is not `modelHash`'s registered operator
    /// (also for an unregistered model hash).
    /// @param modelHash The model hash given.
    /// @param caller The caller.
    error NotModelOperator(bytes32 modelHash, address caller);
    /// @notice Raised by `register` for the zero model hash.
    error ZeroModelHash();

    /// @notice `operator` registered `modelHash` with its verifying-key and settings blob ids.
    /// @param modelHash keccak256(vkHash, settingsHash, poseidonParamsHash) of the model.
    /// @param operator The caller, now the model's operator.
    /// @param vkId Store id (SHA-256 digest) of the verifying key.
    /// @param settingsId Store id (SHA-256 digest) of the EZKL settings.
    /// @param endpoint The proved-inference URL.
    event ModelRegistered(
        bytes32 indexed modelHash, address indexed operator, bytes32 vkId, bytes32 settingsId, string endpoint
    );
    /// @notice `modelHash`'s inference endpoint is now `endpoint`.
    /// @param modelHash The model hash.
    /// @param endpoint The new proved-inference URL.
    event EndpointChanged(bytes32 indexed modelHash, string endpoint);
    /// @notice `modelHash` realised `profitWad` (signed) in `round`; its total is now `cumulativeProfitWad`.
    /// @param modelHash The model hash.
    /// @param round The round redeemed.
    /// @param profitWad Payout plus refund minus cost of the model's trader in the round (wad, signed).
    /// @param cumulativeProfitWad The model's profit over every round recorded so far (wad, signed).
    event ProfitRecorded(bytes32 indexed modelHash, uint64 indexed round, int256 profitWad, int256 cumulativeProfitWad);

    struct Model {
        address operator;
        uint64 registeredAt; // block timestamp
        uint32 roundsTraded;
        int256 cumulativeProfitWad;
        bytes32 vkId; // store id (sha256 digest) of the verifying key
        bytes32 settingsId; // store id of the EZKL settings
        string endpoint; // proved-inference URL
    }

    /// @notice Register `modelHash` to the caller.
    function register(bytes32 modelHash, bytes32 vkId, bytes32 settingsId, string calldata endpoint) external;
    /// @notice Change the endpoint (operator only).
    function setEndpoint(bytes32 modelHash, string calldata endpoint) external;
    /// @notice Record a round's realised profit for `modelHash`. Game contract only.
    function recordProfit(bytes32 modelHash, uint64 round, int256 profitWad) external;

    function operatorOf(bytes32 modelHash) external view returns (address);
    function registeredAt(bytes32 modelHash) external view returns (uint64);
    function modelOf(bytes32 modelHash) external view returns (Model memory);
    /// @notice All registered model hashes, in registration order.
    function modelHashes() external view returns (bytes32[] memory);
}
