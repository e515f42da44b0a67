// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";

/// @notice What the registry reads from the game contract: the latest opened round.
interface IRoundCounter {
    function roundCount() external view returns (uint64);
}

/// @title CommunityRegistry
/// @notice Members with history, bonds, committee elections and data batch commitments.
/// The owner is the community's governance account (a DAO would hold it).
contract CommunityRegistry is ICommunityRegistry, Ownable {
    using SafeERC20 for IERC20;

    /// @dev A membership interval [fromRound, untilRound); untilRound == 0 means still a member.
    struct Membership {
        uint64 fromRound;
        uint64 untilRound;
    }

    struct Bond {
        uint128 amountWad;
        uint64 bondedAtBlock; // block at which the bond last reached minBondWad
        uint64 lockedRound; // 0 when not backing a committee seat
    }

    struct BatchInfo {
        address member;
        uint64 round;
        uint32 recordCount;
    }

    IERC20 public immutable collateral;
    /// @notice Bond a member needs to be eligible for a committee.
    uint256 public immutable minBondWad;
    /// @notice The game contract (rounds + markets); set once after deployment.
    address public game;

    address[] private _members;
    mapping(address => uint256) private _memberIndex; // index + 1 in _members; 0 = not current
    mapping(address => Membership[]) private _history;
    mapping(address => Bond) private _bonds;
    mapping(bytes32 => BatchInfo) private _batches;
    bytes32[] private _apps;
    mapping(bytes32 => uint256) private _appIndex; // index + 1 in _apps

    modifier onlyGame() {
        if (msg.sender != game) revert OnlyGame(msg.sender);
        _;
    }

    constructor(IERC20 collateral_, uint256 minBondWad_, address governance) Ownable(governance) {
        collateral = collateral_;
        minBondWad = minBondWad_;
    }

    /// @notice Set the game contract once (it is deployed after the registry).
    function setGame(address game_) external onlyOwner {
        if (game != address(0)) revert GameAlreadySet(game);
        // slither-disable-next-line events-access,missing-zero-check: set once at deployment; zero leaves it unset
        game = game_;
    }

    function _nextRound() private view returns (uint64) {
        return game == address(0) ? 1 : IRoundCounter(game).roundCount() + 1;
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc ICommunityRegistry
    function setAppApproval(bytes32 fabHash, bool approved) external onlyOwner {
        uint256 idx = _appIndex[fabHash];
        if (approved && idx == 0) {
            _apps.push(fabHash);
            _appIndex[fabHash] = _apps.length;
        } else if (!approved && idx != 0) {
            bytes32 last = _apps[_apps.length - 1];
            _apps[idx - 1] = last;
            _appIndex[last] = idx;
            _apps.pop();
            delete _appIndex[fabHash];
        }
        emit AppApproval(fabHash, approved);
    }

    /// @inheritdoc ICommunityRegistry
    function addMember(address account) external onlyOwner {
        if (_memberIndex[account] != 0) revert AlreadyMember(account);
        _members.push(account);
        _memberIndex[account] = _members.length;
        uint64 fromRound = _nextRound();
        _history[account].push(Membership(fromRound, 0));
        emit MemberAdded(account, fromRound);
    }

    /// @inheritdoc ICommunityRegistry
    function removeMember(address account) external onlyOwner {
        uint256 idx = _memberIndex[account];
        if (idx == 0) revert NotAMember(account, _nextRound());
        address last = _members[_members.length - 1];
        _members[idx - 1] = last;
        _memberIndex[last] = idx;
        _members.pop();
        delete _memberIndex[account];
        uint64 untilRound = _nextRound();
        Membership[] storage h = _history[account];
        h[h.length - 1].untilRound = untilRound;
        emit MemberRemoved(account, untilRound);
    }

    // ---------------------------------------------------------------- members

    /// @inheritdoc ICommunityRegistry
    function postBond(uint256 amountWad) external {
        if (_memberIndex[msg.sender] == 0) revert NotAMember(msg.sender, _nextRound());
        Bond storage b = _bonds[msg.sender];
        bool wasBelow = b.amountWad < minBondWad;
        b.amountWad += uint128(amountWad);
        if (wasBelow && b.amountWad >= minBondWad) b.bondedAtBlock = uint64(block.number);
        collateral.safeTransferFrom(msg.sender, address(this), amountWad);
        emit BondPosted(msg.sender, amountWad, b.amountWad);
    }

    /// @inheritdoc ICommunityRegistry
    function withdrawBond(uint256 amountWad) external {
        Bond storage b = _bonds[msg.sender];
        if (b.lockedRound != 0) revert BondLocked(msg.sender, b.lockedRound);
        if (amountWad > b.amountWad) revert InsufficientBond(msg.sender, b.amountWad, amountWad);
        b.amountWad -= uint128(amountWad);
        collateral.safeTransfer(msg.sender, amountWad);
        emit BondWithdrawn(msg.sender, amountWad, b.amountWad);
    }

    /// @inheritdoc ICommunityRegistry
    function commitBatch(uint64 round, bytes32 merkleRoot, uint32 recordCount, bytes32 manifestId) external {
        if (!isMember(msg.sender, round)) revert NotAMember(msg.sender, round);
        if (merkleRoot == bytes32(0) || recordCount == 0) revert EmptyBatch(merkleRoot, recordCount);
        if (_batches[merkleRoot].member != address(0)) revert BatchExists(merkleRoot);
        _batches[merkleRoot] = BatchInfo(msg.sender, round, recordCount);
        emit BatchCommitted(round, msg.sender, merkleRoot, recordCount, manifestId);
    }

    // ---------------------------------------------------------------- game hooks

    /// @inheritdoc ICommunityRegistry
    function electCommittee(uint64 round, uint256 openBlock, uint256 seats, bytes32 seed)
        external
        onlyGame
        returns (address[] memory committee)
    {
        uint256 n = _members.length;
        address[] memory pool = new address[](n);
        // slither-disable-next-line uninitialized-local: a counter, zero by default
        uint256 eligible;
        for (uint256 i; i < n; ++i) {
            address m = _members[i];
            Bond storage b = _bonds[m];
            if (b.amountWad >= minBondWad && b.bondedAtBlock < openBlock && isMember(m, round)) {
                pool[eligible++] = m;
            }
        }
        if (eligible < seats) revert NotEnoughEligible(round, eligible, seats);
        committee = new address[](seats);
        // Partial Fisher–Yates: seat i takes pool[j], j uniform in [i, eligible).
        for (uint256 i; i < seats; ++i) {
            uint256 j = i + uint256(keccak256(abi.encode(seed, i))) % (eligible - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
            committee[i] = pool[i];
            _bonds[pool[i]].lockedRound = round;
        }
        emit CommitteeElected(round, seed, eligible, committee);
    }

    /// @inheritdoc ICommunityRegistry
    function releaseBond(address member, uint64 round) external onlyGame {
        Bond storage b = _bonds[member];
        if (b.lockedRound == round) b.lockedRound = 0;
    }

    /// @inheritdoc ICommunityRegistry
    function slashBond(address member, uint64 round, address recipient)
        external
        onlyGame
        returns (uint256 amountWad)
    {
        Bond storage b = _bonds[member];
        amountWad = b.amountWad;
        b.amountWad = 0;
        if (b.lockedRound == round) b.lockedRound = 0;
        if (amountWad != 0) collateral.safeTransfer(recipient, amountWad);
        emit BondSlashed(member, round, recipient, amountWad);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICommunityRegistry
    function isMember(address account, uint64 round) public view returns (bool) {
        Membership[] storage h = _history[account];
        for (uint256 i = h.length; i > 0; --i) {
            Membership storage m = h[i - 1];
            if (round >= m.fromRound && (m.untilRound == 0 || round < m.untilRound)) return true;
        }
        return false;
    }

    /// @inheritdoc ICommunityRegistry
    function bondOf(address member) external view returns (uint256) {
        return _bonds[member].amountWad;
    }

    /// @notice The round whose committee seat `member`'s bond backs (0 if none).
    function lockedRoundOf(address member) external view returns (uint64) {
        return _bonds[member].lockedRound;
    }

    /// @inheritdoc ICommunityRegistry
    function members() external view returns (address[] memory) {
        return _members;
    }

    /// @inheritdoc ICommunityRegistry
    function approvedApps() external view returns (bytes32[] memory) {
        return _apps;
    }

    /// @inheritdoc ICommunityRegistry
    function batchOf(bytes32 merkleRoot) external view returns (address member, uint64 round, uint32 recordCount) {
        BatchInfo storage b = _batches[merkleRoot];
        return (b.member, b.round, b.recordCount);
    }
}
