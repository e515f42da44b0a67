// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {LMSR} from "../libraries/LMSR.sol";

/// @title LMSRHarness
/// @notice Test-only: exposes the LMSR library (and the solady kernels its Python mirror
///         ports) as external functions, so tests can compare them with `protocol/lmsr.py`.
contract LMSRHarness {
    function quote(uint256[] memory q, uint256 k, uint256 sharesWad, uint256 bWad)
        external
        pure
        returns (uint256 costWad, uint256 priceBeforeWad)
    {
        return LMSR.quote(q, k, sharesWad, bWad);
    }

    function quoteBinary(uint256 q0Wad, uint256 q1Wad, uint256 k, uint256 sharesWad, uint256 bWad)
        external
        pure
        returns (uint256 costWad, uint256 priceBeforeWad)
    {
        return LMSR.quoteBinary(q0Wad, q1Wad, k, sharesWad, bWad);
    }

    function costBounds(uint256[] memory q, uint256 bWad)
        external
        pure
        returns (uint256 costDownWad, uint256 costUpWad)
    {
        return LMSR.costBounds(q, bWad);
    }

    function costUp(uint256[] memory q, uint256 bWad) external pure returns (uint256) {
        return LMSR.costUp(q, bWad);
    }

    function costDown(uint256[] memory q, uint256 bWad) external pure returns (uint256) {
        return LMSR.costDown(q, bWad);
    }

    function priceWad(uint256[] memory q, uint256 k, uint256 bWad) external pure returns (uint256) {
        return LMSR.priceWad(q, k, bWad);
    }

    function maxLossUp(uint256 bWad, uint256 outcomes) external pure returns (uint256) {
        return LMSR.maxLossUp(bWad, outcomes);
    }

    function eps(uint256 bWad, uint256 outcomes) external pure returns (uint256) {
        return LMSR.eps(bWad, outcomes);
    }

    function expNegX96(uint256 x) external pure returns (uint256) {
        return LMSR.expNegX96(x);
    }

    function lnX96(uint256 s) external pure returns (uint256) {
        return LMSR.lnX96(s);
    }

    function expWad(int256 x) external pure returns (int256) {
        return FixedPointMathLib.expWad(x);
    }

    function lnWad(int256 x) external pure returns (int256) {
        return FixedPointMathLib.lnWad(x);
    }

    /// @notice `quote` plus the gas the library call used (measured with gasleft).
    function quoteGas(uint256[] memory q, uint256 k, uint256 sharesWad, uint256 bWad)
        external
        view
        returns (uint256 costWad, uint256 priceBeforeWad, uint256 gasUsed)
    {
        uint256 before = gasleft();
        (costWad, priceBeforeWad) = LMSR.quote(q, k, sharesWad, bWad);
        gasUsed = before - gasleft();
    }

    /// @notice `quoteBinary` plus the gas the library call used (measured with gasleft).
    function quoteBinaryGas(uint256 q0Wad, uint256 q1Wad, uint256 k, uint256 sharesWad, uint256 bWad)
        external
        view
        returns (uint256 costWad, uint256 priceBeforeWad, uint256 gasUsed)
    {
        uint256 before = gasleft();
        (costWad, priceBeforeWad) = LMSR.quoteBinary(q0Wad, q1Wad, k, sharesWad, bWad);
        gasUsed = before - gasleft();
    }
}
