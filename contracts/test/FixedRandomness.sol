// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title FixedRandomness
/// @notice Test seed source: seed = keccak256(fixedSeed, round), available at once.
contract FixedRandomness is IRandomnessSource {
    bytes32 public fixedSeed;

    constructor(bytes32 fixedSeed_) {
        fixedSeed = fixedSeed_;
    }

    function setSeed(bytes32 fixedSeed_) external {
        fixedSeed = fixedSeed_;
    }

    /// @inheritdoc IRandomnessSource
    function seed(uint64 round, uint256) external view returns (bytes32) {
        return keccak256(abi.encode(fixedSeed, round));
    }

    /// @inheritdoc IRandomnessSource
    function readyAt(uint256 openBlock) external pure returns (uint256) {
        return openBlock;
    }
}
