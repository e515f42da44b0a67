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
    /// @notice Raised by the game hooks (electCommittee, releaseBond, slashBond) when the caller
    /// is not the game contract allowed to lock, release and slash bonds.
    /// @param caller The caller.
    error OnlyGame(address caller);
    /// @notice Raised by `setGame` when the game contract was already set (it is set once).
    /// @param game The game contract already set.
    error GameAlreadySet(address game);
    /// @notice Raised by `addMember` when `account` is already a current member.
    /// @param account The account given.
    error AlreadyMember(address account);
    /// @notice Raised by `removeMember` and `postBond` when `account` is not a current member
    /// (`round` is then the next round to open), and by `commitBatch` when the caller was not a
    /// member at `round`.
    /// @param account The account given, or the caller.
    /// @param round The round membership was checked for.
    error NotAMember(address account, uint64 round);
    /// @notice Raised by `withdrawBond` while the caller's bond backs a committee seat of a round
    /// not yet settled or cancelled.
    /// @param member The caller.
    /// @param round The round whose committee seat the bond backs.
    error BondLocked(address member, uint64 round);
    /// @notice Raised by `withdrawBond` for more than the caller's posted bond.
    /// @param member The caller.
    /// @param bondWad The caller's bond (wad).
    /// @param requestedWad The amount requested (wad).
    error InsufficientBond(address member, uint256 bondWad, uint256 requestedWad);
    /// @notice Raised by `electCommittee` when fewer members are eligible (members at `round`
    /// with at least the minimum bond, bonded before the round's open block) than there are seats.
    /// @param round The round being elected.
    /// @param eligible The number of eligible members.
    /// @param seats The number of committee seats.
    error NotEnoughEligible(uint64 round, uint256 eligible, uint256 seats);
    /// @notice Raised by `commitBatch` for a zero Merkle root or zero records.
    /// @param merkleRoot The Merkle root given.
    /// @param recordCount The record count given.
    error EmptyBatch(bytes32 merkleRoot, uint32 recordCount);
    /// @notice Raised by `commitBatch` when the same Merkle root was committed before (by any
    /// member, in any round).
    /// @param merkleRoot The Merkle root given.
    error BatchExists(bytes32 merkleRoot);

    // ---------------------------------------------------------------- events
    /// @notice `member` joined; it is a member from round `fromRound` on.
    /// @param member The account added.
    /// @param fromRound The first round it is a member of (the next round to open).
    event MemberAdded(address indexed member, uint64 fromRound);
    /// @notice `member` left; it is no member from round `fromRound` on.
    /// @param member The account removed.
    /// @param fromRound The first round it is no member of (the next round to open).
    event MemberRemoved(address indexed member, uint64 fromRound);
    /// @notice `member` posted `amountWad`; its bond is now `bondWad`.
    /// @param member The caller.
    /// @param amountWad Collateral posted (wad).
    /// @param bondWad The member's bond after posting (wad).
    event BondPosted(address indexed member, uint256 amountWad, uint256 bondWad);
    /// @notice `member` withdrew `amountWad`; its bond is now `bondWad`.
    /// @param member The caller.
    /// @param amountWad Collateral withdrawn (wad).
    /// @param bondWad The member's bond after withdrawing (wad).
    event BondWithdrawn(address indexed member, uint256 amountWad, uint256 bondWad);
    /// @notice `member`'s whole bond `amountWad` went to `recipient` (failed reveal, leaked label).
    /// @param member The member slashed.
    /// @param round The round the slash is for.
    /// @param recipient Who received the bond: the treasury (failed reveal) or the claimant
    /// (leaked label).
    /// @param amountWad The whole bond, now zero (wad; may be 0).
    event BondSlashed(address indexed member, uint64 indexed round, address recipient, uint256 amountWad);
    /// @notice Round `round`'s committee, elected with `seed` among `eligible` members.
    /// @param round The round.
    /// @param seed The randomness source's seed for the round.
    /// @param eligible The number of eligible members the committee was drawn from.
    /// @param committee The elected members, in seat order.
    event CommitteeElected(uint64 indexed round, bytes32 seed, uint256 eligible, address[] committee);
    /// @notice `member` committed a batch of `recordCount` records for `round` under `merkleRoot`;
    /// `manifestId` is the store digest of the batch manifest (ciphertext id, nonce, ...).
    /// @param round The round the batch is for.
    /// @param member The caller.
    /// @param merkleRoot Merkle root of the batch's records.
    /// @param recordCount Number of records in the batch.
    /// @param manifestId Store id (SHA-256 digest) of the batch manifest.
    event BatchCommitted(
        uint64 indexed round, address indexed member, bytes32 merkleRoot, uint32 recordCount, bytes32 manifestId
    );

    /// @notice Governance approved (or withdrew approval of) the training app bundle with
    /// this SHA-256 `fabHash`; members' nodes run only approved bundles.
    /// @param fabHash SHA-256 of the training app bundle.
    /// @param approved True when approved, false when the approval was withdrawn.
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
