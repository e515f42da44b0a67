// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title CommunityToken
/// @notice The community's ERC-20 collateral (18 decimals: one share pays 1e18 units).
/// The governance account mints; on the devnet it mints to the demo accounts.
contract CommunityToken is ERC20, Ownable {
    constructor(string memory name_, string memory symbol_, address governance)
        ERC20(name_, symbol_)
        Ownable(governance)
    {}

    /// @notice Mint `amount` to `to`. Governance only.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
