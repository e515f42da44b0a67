// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @title ModelRegistry
contract ModelRegistry is IModelRegistry, Ownable {
    address public game;
    /// @notice The SealedPool that also records profit (zero in an LMSR-only deployment).
    address public pool;
    mapping(bytes32 => Model) private _models;
    bytes32[] private _hashes;

    constructor(address governance) Ownable(governance) {}

    /// @notice Set the game contract once.
    function setGame(address game_) external onlyOwner {
        if (game != address(0)) revert GameAlreadySet(game);
        // slither-disable-next-line missing-zero-check: set once at deployment; zero leaves it unset
        game = game_;
    }

    /// @notice Set the sealed pool once (a game whose market is the pool).
    function setPool(address pool_) external onlyOwner {
        if (pool != address(0)) revert PoolAlreadySet(pool);
        // slither-disable-next-line missing-zero-check: set once at deployment; zero leaves it unset
        pool = pool_;
    }

    /// @inheritdoc IModelRegistry
    function register(bytes32 modelHash, bytes32 vkId, bytes32 settingsId, string calldata endpoint) external {
        if (modelHash == bytes32(0)) revert ZeroModelHash();
        Model storage m = _models[modelHash];
        if (m.operator != address(0)) revert ModelAlreadyRegistered(modelHash, m.operator);
        m.operator = msg.sender;
        m.registeredAt = uint64(block.timestamp);
        m.vkId = vkId;
        m.settingsId = settingsId;
        m.endpoint = endpoint;
        _hashes.push(modelHash);
        emit ModelRegistered(modelHash, msg.sender, vkId, settingsId, endpoint);
    }

    /// @inheritdoc IModelRegistry
    function setEndpoint(bytes32 modelHash, string calldata endpoint) external {
        Model storage m = _models[modelHash];
        if (m.operator != msg.sender) revert NotModelOperator(modelHash, msg.sender);
        m.endpoint = endpoint;
        emit EndpointChanged(modelHash, endpoint);
    }

    /// @inheritdoc IModelRegistry
    function recordProfit(bytes32 modelHash, uint64 round, int256 profitWad) external {
        if (msg.sender != game && (msg.sender != pool || pool == address(0))) revert OnlyGame(msg.sender);
        Model storage m = _models[modelHash];
        m.cumulativeProfitWad += profitWad;
        m.roundsTraded += 1;
        emit ProfitRecorded(modelHash, round, profitWad, m.cumulativeProfitWad);
    }

    /// @inheritdoc IModelRegistry
    function operatorOf(bytes32 modelHash) external view returns (address) {
        return _models[modelHash].operator;
    }

    /// @inheritdoc IModelRegistry
    function registeredAt(bytes32 modelHash) external view returns (uint64) {
        return _models[modelHash].registeredAt;
    }

    /// @inheritdoc IModelRegistry
    function modelOf(bytes32 modelHash) external view returns (Model memory) {
        return _models[modelHash];
    }

    /// @inheritdoc IModelRegistry
    function modelHashes() external view returns (bytes32[] memory) {
        return _hashes;
    }
}
