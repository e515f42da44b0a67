// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {KellyPool} from "../libraries/KellyPool.sol";

/// @title KellyPoolHarness
/// @notice Test-only: exposes the KellyPool library (and solady's fullMulDiv, which its Python
///         mirror ports) as external functions, so tests can compare them with `protocol/pool.py`,
///         plus gas-measuring variants (gasleft around the library call).
contract KellyPoolHarness {
    /// @dev Label words kept in storage, to measure scoring as a game does it (one SLOAD per 64 items).
    uint256[] private _labels;

    /// @notice KellyPool.commitment.
    function commitment(uint256 round, address operator, bytes32 modelHash, bytes calldata forecasts, bytes32 salt)
        external
        pure
        returns (bytes32)
    {
        return KellyPool.commitment(round, operator, modelHash, forecasts, salt);
    }

    /// @notice KellyPool.forecastLength.
    function forecastLength(uint256 items, uint256 outcomes) external pure returns (uint256) {
        return KellyPool.forecastLength(items, outcomes);
    }

    /// @notice KellyPool.validate (returns true when it does not revert).
    function validate(bytes calldata forecasts, uint256 items, uint256 outcomes) external pure returns (bool) {
        KellyPool.validate(forecasts, items, outcomes);
        return true;
    }

    /// @notice KellyPool.probabilities.
    function probabilities(bytes calldata forecasts, uint256 items, uint256 outcomes, uint256 item)
        external
        pure
        returns (uint256[] memory)
    {
        return KellyPool.probabilities(forecasts, items, outcomes, item);
    }

    /// @notice KellyPool.logLikelihood.
    function logLikelihood(bytes calldata forecasts, uint256[] memory labelWords, uint256 items, uint256 outcomes)
        external
        pure
        returns (int256)
    {
        return KellyPool.logLikelihood(forecasts, labelWords, items, outcomes);
    }

    /// @notice KellyPool.score.
    function score(int256 logLikelihoodWad, uint256 etaWad) external pure returns (int256) {
        return KellyPool.score(logLikelihoodWad, etaWad);
    }

    /// @notice KellyPool.seedScore.
    function seedScore(uint256[] memory labelWords, uint256 items, uint256 outcomes, uint256 etaWad)
        external
        pure
        returns (int256)
    {
        return KellyPool.seedScore(labelWords, items, outcomes, etaWad);
    }

    /// @notice KellyPool.weight.
    function weight(uint256 amount, int256 scoreWad, int256 maxScoreWad) external pure returns (uint256) {
        return KellyPool.weight(amount, scoreWad, maxScoreWad);
    }

    /// @notice KellyPool.payout.
    function payout(uint256 pot, uint256 w, uint256 totalWeight) external pure returns (uint256) {
        return KellyPool.payout(pot, w, totalWeight);
    }

    /// @notice KellyPool.settle.
    function settle(
        uint256 subsidy,
        int256 seedScoreWad,
        uint256[] memory stakes,
        int256[] memory scores,
        bool[] memory revealed
    ) external pure returns (KellyPool.Settlement memory) {
        return KellyPool.settle(subsidy, seedScoreWad, stakes, scores, revealed);
    }

    /// @notice solady fullMulDiv.
    function fullMulDiv(uint256 x, uint256 y, uint256 d) external pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(x, y, d);
    }

    /// @notice `logLikelihood` plus the gas the library call used (labels already in memory).
    function logLikelihoodGas(bytes calldata forecasts, uint256[] memory labelWords, uint256 items, uint256 outcomes)
        external
        view
        returns (int256 ll, uint256 gasUsed)
    {
        uint256 before = gasleft();
        ll = KellyPool.logLikelihood(forecasts, labelWords, items, outcomes);
        gasUsed = before - gasleft();
    }

    /// @notice Store label words (for `scoreStoredGas`).
    function storeLabels(uint256[] calldata labelWords) external {
        _labels = labelWords;
    }

    /// @notice Score against the stored labels as a game would: load the words from storage,
    ///         then logLikelihood and score; gasUsed covers the loads and both calls.
    function scoreStoredGas(bytes calldata forecasts, uint256 items, uint256 outcomes, uint256 etaWad)
        external
        view
        returns (int256 scoreWad, uint256 gasUsed)
    {
        uint256 before = gasleft();
        uint256[] memory words = _labels;
        scoreWad = KellyPool.score(KellyPool.logLikelihood(forecasts, words, items, outcomes), etaWad);
        gasUsed = before - gasleft();
    }

    /// @notice `validate` plus the gas it used.
    function validateGas(bytes calldata forecasts, uint256 items, uint256 outcomes)
        external
        view
        returns (uint256 gasUsed)
    {
        uint256 before = gasleft();
        KellyPool.validate(forecasts, items, outcomes);
        gasUsed = before - gasleft();
    }

    /// @notice `settle` plus the gas it used.
    function settleGas(
        uint256 subsidy,
        int256 seedScoreWad,
        uint256[] memory stakes,
        int256[] memory scores,
        bool[] memory revealed
    ) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        KellyPool.settle(subsidy, seedScoreWad, stakes, scores, revealed);
        gasUsed = before - gasleft();
    }
}
