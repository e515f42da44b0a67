// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRandomnessSource
/// @notice Where committee elections take their seed. Behind an interface so a VRF can
/// replace block randomness, and tests can fix the seed.
interface IRandomnessSource {
    /// @notice The seed for electing round `round`'s committee, which opened at block `openBlock`.
    /// @dev Reverts while the seed is not yet available.
    function seed(uint64 round, uint256 openBlock) external view returns (bytes32);

    /// @notice First block number at which `seed(round, openBlock)` can be read.
    function readyAt(uint256 openBlock) external view returns (uint256);
}
