// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRandomnessSource} from "./interfaces/IRandomnessSource.sol";

/// @title BlockhashRandomness
/// @notice Seed = keccak256(blockhash(openBlock + DELAY), round): a block that did not yet
/// exist when the round was opened, so whoever opens the round cannot pick the committee.
/// A block proposer can still nudge it (a known limit, see README); a VRF can replace it.
contract BlockhashRandomness is IRandomnessSource {
    /// @notice Blocks between opening a round and the block whose hash seeds its election.
    uint256 public constant DELAY = 2;

    /// @notice Raised by `seed` when the seed block is not mined yet, or is older than the 256
    /// blocks blockhash sees.
    /// @param seedBlock The seed block: openBlock + DELAY.
    /// @param currentBlock The current block number.
    error SeedUnavailable(uint256 seedBlock, uint256 currentBlock);

    /// @inheritdoc IRandomnessSource
    function seed(uint64 round, uint256 openBlock) external view returns (bytes32) {
        uint256 seedBlock = openBlock + DELAY;
        bytes32 h = blockhash(seedBlock);
        if (h == bytes32(0)) revert SeedUnavailable(seedBlock, block.number);
        return keccak256(abi.encode(h, round));
    }

    /// @inheritdoc IRandomnessSource
    function readyAt(uint256 openBlock) external pure returns (uint256) {
        return openBlock + DELAY + 1;
    }
}
