// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ICommunityRegistry
/// @notice Community membership with history, member bonds, per-round committee election
/// and the per-round commitments of members' data batches.
/// Membership is counted in rounds: a member added or removed while round c is the latest
/// opened round is a member (or not) from round c + 1 on, so `isMember(a, r)` never changes
/// for a round that was already opened.
interface ICommunityRegistry {
    // ---------------------------------------------------------------- errors
    /// @notice Caller is not the game contract allowed to lock, release and slash bonds.
    error OnlyGame(address caller);
    /// @notice The game contract was already set.
    error GameAlreadySet(address game);
    /// @notice `account` is already a current member.
    error AlreadyMember(address account);
    /// @notice `account` is not a current member (or was not a member at `round`).
    error NotAMember(address account, uint64 round);
    /// @notice Bond withdrawal while the bond backs an unsettled committee seat.
    error BondLocked(address member, uint64 round);
    /// @notice Withdrawal above the posted bond.
    error InsufficientBond(address member, uint256 bondWad, uint256 requestedWad);
    /// @notice Fewer eligible members than committee seats.
    error NotEnoughEligible(uint64 round, uint256 eligible, uint256 seats);
    /// @notice A data batch commitment with an empty root or no records.
    error EmptyBatch(bytes32 merkleRoot, uint32 recordCount);
    /// @notice The same Merkle root was committed before.
    error BatchExists(bytes32 merkleRoot);

    // ---------------------------------------------------------------- events
    /// @notice `member` joined; it is a member from round `fromRound` on.
    event MemberAdded(address indexed member, uint64 fromRound);
    /// @notice `member` left; it is no member from round `fromRound` on.
    event MemberRemoved(address indexed member, uint64 fromRound);
    /// @notice `member` posted `amountWad`; its bond is now `bondWad`.
    event BondPosted(address indexed member, uint256 amountWad, uint256 bondWad);
    /// @notice `member` withdrew `amountWad`; its bond is now `bondWad`.
    event BondWithdrawn(address indexed member, uint256 amountWad, uint256 bondWad);
    /// @notice `member`'s whole bond `amountWad` went to `recipient` (failed reveal, leaked label).
    event BondSlashed(address indexed member, uint64 indexed round, address recipient, uint256 amountWad);
    /// @notice Round `round`'s committee, elected with `seed` among `eligible` members.
    event CommitteeElected(uint64 indexed round, bytes32 seed, uint256 eligible, address[] committee);
    /// @notice `member` committed a batch of `recordCount` records for `round` under `merkleRoot`;
    /// `manifestId` is the store digest of the batch manifest (ciphertext id, nonce, ...).
    event BatchCommitted(
        uint64 indexed round, address indexed member, bytes32 merkleRoot, uint32 recordCount, bytes32 manifestId
    );

    /// @notice Governance approved (or withdrew approval of) the training app bundle with
    /// this SHA-256 `fabHash`; members' nodes run only approved bundles.
    event AppApproval(bytes32 indexed fabHash, bool approved);

    // ---------------------------------------------------------------- governance
    /// @notice Approve or withdraw a training app bundle (its SHA-256) for members' nodes.
    function setAppApproval(bytes32 fabHash, bool approved) external;
    function addMember(address account) external;
    function removeMember(address account) external;

    // ---------------------------------------------------------------- members
    /// @notice Post `amountWad` of collateral as bond (needs an ERC-20 allowance).
    function postBond(uint256 amountWad) external;
    /// @notice Withdraw `amountWad` of bond; reverts while it backs an unsettled committee seat.
    function withdrawBond(uint256 amountWad) external;
    /// @notice Commit a data batch's Merkle root for `round` (members of `round` only).
    function commitBatch(uint64 round, bytes32 merkleRoot, uint32 recordCount, bytes32 manifestId) external;

    // ---------------------------------------------------------------- game hooks
    /// @notice Elect `seats` members bonded (with at least the minimum bond) before block
    /// `openBlock` and members at `round`, by a partial Fisher–Yates shuffle driven by
    /// keccak256(seed, i); locks their bonds. Game contract only.
    function electCommittee(uint64 round, uint256 openBlock, uint256 seats, bytes32 seed)
        external
        returns (address[] memory committee);
    /// @notice Unlock `member`'s bond after `round`. Game contract only.
    function releaseBond(address member, uint64 round) external;
    /// @notice Send `member`'s whole bond to `recipient`. Game contract only.
    function slashBond(address member, uint64 round, address recipient) external returns (uint256 amountWad);

    // ---------------------------------------------------------------- views
    /// @notice Whether `account` was (or is) a member at round `round`.
    function isMember(address account, uint64 round) external view returns (bool);
    function bondOf(address member) external view returns (uint256);
    function members() external view returns (address[] memory);
    /// @notice Every training app bundle hash currently approved.
    function approvedApps() external view returns (bytes32[] memory);
    /// @notice The committed batch with this root: its member, round and record count.
    function batchOf(bytes32 merkleRoot) external view returns (address member, uint64 round, uint32 recordCount);
}
