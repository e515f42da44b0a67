// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPredictionGame} from "./IPredictionGame.sol";

/// @title ISealedPool
/// @notice A sealed, order-free market beside the PredictionGame: per game round, a joint Kelly
/// pool (contracts/libraries/KellyPool.sol) that pays each operator in proportion to its stake
/// times e^(eta * log-likelihood of its revealed forecasts) on the game's revealed labels, the
/// community's subsidy S being a seed bet on the uniform forecast. Payouts do not depend on the
/// order of arrival, and profit per stake ranks the models by log loss.
///
/// Round r follows the game's round r (the game keeps the rounds, committee, listings, labels
/// and its LMSR market). Its windows are fixed by the game's deadlines and this pool's reveal
/// window W (seconds): commitEnds = tradingEnds - W.
///   fund      anyone, while the game's round is open and before commitEnds: adds to S.
///   commit    [listingEnds, commitEnds): a model's registered operator (the model registered
///             before listingEnds, the sender not on the round's committee) posts
///             keccak256(abi.encode(uint256 round, address operator, bytes32 modelHash,
///             bytes forecasts, bytes32 salt)) and a stake; one commit per operator and round.
///   reveal    [commitEnds, tradingEnds): the operator shows the forecasts and salt; they are
///             validated and emitted, so the round's aggregate forecast is public before the
///             committee reveals labels (the game reveals from tradingEnds on). A commit never
///             revealed forfeits its pool stake (weight 0, its stake stays in the pot).
///   score     once the game's round is Settled (its labels final: every listing revealed or
///             void, void items lane 0): anyone re-shows revealed forecasts, in batches.
///   finalize  once the game's round is Settled (anyone, once): scores what is left, applies
///             the stake cap, settles with KellyPool.settle and sends the community's refund
///             (Pot - sum of payouts, dust included) to the treasury.
///   claim     each operator once, O(1): its payout plus its excess stake.
///   cancel    if the game cancelled the round: every stake comes back, S goes to the treasury.
///
/// Forecast encoding: item-major, per item K - 1 big-endian uint64 wad probabilities, the last
/// implied (KellyPool.validate); labels are the game's 4-bit outcome lanes
/// (IPredictionGame.outcomeWords).
///
/// Stake cap (the insider bound): with T = floor(c * S / 1e18) (c = stakeCapFactorWad), if the
/// round's stakes sum to more than T every stake s is scaled to s' = floor(s * T / sum s), and
/// the excess s - s' is returned at claim, taking no part in the pool. So the pool holds at
/// most Pot = S + T <= (1 + c) S: an insider (a committee member betting through another
/// address on labels it knows) can take at most Pot minus its own pool stake, that is at most
/// S from the community plus c S from the honest operators' pool stakes together, whatever it
/// stakes. The community loses at most S (refund = Pot - sum payouts >= 0).
///
/// Conservation: the pool's token balance is always the sum of what it owes: before finalize
/// S + sum s; after, the unclaimed payouts plus unclaimed stakes' excess (the refund has left).
interface ISealedPool {
    /// @notice A pool round's state: None (nothing funded or committed), Open, Finalized
    /// (settled, claims open) or Cancelled (the game cancelled the round: stakes come back).
    enum Status {
        None,
        Open,
        Finalized,
        Cancelled
    }

    /// @notice `roundState`: a pool round's totals and settlement.
    /// @dev Amounts in token units (wei); weights are stake-weighted token units; scores wad.
    struct RoundState {
        uint256 subsidyWad; // S: the community's seed, all fundings
        uint256 stakeWad; // sum of all committed stakes
        uint256 poolStakeWad; // sum of capped stakes s' (0 before finalize)
        uint256 potWad; // S + poolStakeWad (0 before finalize)
        uint256 refundWad; // sent to the treasury at finalize (Pot - payouts) or cancel (S)
        uint256 totalWeight; // Z (0 before finalize)
        int256 maxScoreWad; // M (0 before finalize); the seed's score is in the Finalized event
        uint64 commitEnds; // tradingEnds - reveal window (0 before the first commit)
        uint64 revealEnds; // the game's tradingEnds (0 before the first commit)
        uint32 itemCount; // the game round's items (0 before the first commit)
        uint32 operatorCount; // commits
        uint32 revealedCount; // reveals
        uint32 scoredCount; // scored reveals
        Status status;
    }

    /// @notice `operatorState`: one operator's commit in a round.
    struct OperatorState {
        bytes32 modelHash;
        bytes32 commitment;
        uint256 stakeWad; // as committed
        uint256 poolStakeWad; // s' (0 before finalize, or in a cancelled round)
        uint256 excessWad; // stake - s', returned at claim (the whole stake in a cancelled round)
        uint256 payoutWad; // the pool's payout (0 before finalize)
        int256 scoreWad; // eta * log-likelihood (0 until scored)
        bool revealed;
        bool scored;
        bool claimed;
    }

    // ---------------------------------------------------------------- errors
    /// @notice Raised by the constructor for a zero address among the game, token, model
    /// registry and treasury (in that order: `index` 0..3), and by `setTreasury(0)` (index 3).
    /// A zero governance reverts with OpenZeppelin's OwnableInvalidOwner.
    /// @param index Which address was zero.
    error ZeroAddress(uint256 index);
    /// @notice Raised by the constructor when eta is 0 or above KellyPool.MAX_ETA_WAD.
    /// @param etaWad The eta given (wad).
    error InvalidEta(uint256 etaWad);
    /// @notice Raised by the constructor for a stake cap factor of 0 or above MAX_CAP_FACTOR_WAD.
    /// @param stakeCapFactorWad The factor c given (wad).
    error InvalidStakeCapFactor(uint256 stakeCapFactorWad);
    /// @notice Raised by the constructor for a reveal window of 0 seconds.
    /// @param revealWindowSecs The window given (seconds).
    error InvalidRevealWindow(uint64 revealWindowSecs);
    /// @notice Raised by the constructor when the game's number of outcomes K is outside
    /// [KellyPool.MIN_OUTCOMES, KellyPool.MAX_OUTCOMES].
    /// @param outcomeCount The game's K.
    error InvalidOutcomeCount(uint256 outcomeCount);
    /// @notice Raised by `fund` and the first `commit` of a round when the game never opened it.
    /// @param round The round given.
    error UnknownRound(uint64 round);
    /// @notice Raised by `fund` and the first `commit` of a round when the game's round is no
    /// longer open (settled or cancelled).
    /// @param round The round.
    /// @param status The game round's status.
    error GameRoundNotOpen(uint64 round, IPredictionGame.Status status);
    /// @notice Raised by `fund`, `commit`, `reveal`, `score`, `finalize` and `cancel` when the
    /// pool round is already finalized or cancelled.
    /// @param round The round.
    /// @param status The pool round's status.
    error RoundClosed(uint64 round, Status status);
    /// @notice Raised by `fund` with a zero subsidy and by `commit` with a zero stake.
    /// @param round The round.
    error ZeroAmount(uint64 round);
    /// @notice Raised by `commit` before the game's listing deadline (trading opens then).
    /// @param round The round.
    /// @param listingEnds The game's listing deadline (unix timestamp, seconds).
    error CommitNotOpen(uint64 round, uint64 listingEnds);
    /// @notice Raised by `fund` and `commit` at or after commitEnds = tradingEnds - reveal window.
    /// @param round The round.
    /// @param commitEnds The commit deadline (unix timestamp, seconds).
    error CommitClosed(uint64 round, uint64 commitEnds);
    /// @notice Raised by `commit` when the caller holds a seat on the round's committee.
    /// @param round The round.
    /// @param operator The caller.
    error CommitteeCannotCommit(uint64 round, address operator);
    /// @notice Raised by `commit` when the model registry does not name the caller as
    /// `modelHash`'s operator (operator is zero for an unregistered model).
    /// @param modelHash The model hash given.
    /// @param caller The caller.
    /// @param operator The model's registered operator (zero if unregistered).
    error NotModelOperator(bytes32 modelHash, address caller, address operator);
    /// @notice Raised by `commit` when `modelHash` was registered at or after the game round's
    /// listing deadline (as the game requires of a trade's model).
    /// @param modelHash The model hash given.
    /// @param registeredAt When the model was registered (unix timestamp, seconds).
    /// @param listingEnds The round's listing deadline (unix timestamp, seconds).
    error ModelRegisteredLate(bytes32 modelHash, uint64 registeredAt, uint64 listingEnds);
    /// @notice Raised by `commit` when the caller already committed in this round.
    /// @param round The round.
    /// @param operator The caller.
    /// @param commitment Its commitment in this round.
    error AlreadyCommitted(uint64 round, address operator, bytes32 commitment);
    /// @notice Raised by `fund` and `commit` when S plus the sum of stakes would exceed 2**128 - 1
    /// (the pot, Z and the refund are kept in 128 bits).
    /// @param round The round.
    /// @param subsidyWad S after this call (token units).
    /// @param stakeWad The sum of stakes after this call (token units).
    error PotTooLarge(uint64 round, uint256 subsidyWad, uint256 stakeWad);
    /// @notice Raised by the first `commit` of a round when the game round's forecasts would not
    /// fit one transaction: itemCount * (K - 1) > MAX_FORECAST_VALUES (reveal and scoring send
    /// them whole; such a round could never be scored).
    /// @param round The round.
    /// @param itemCount The game round's items.
    /// @param maxItems The most items this pool takes with the game's K.
    error RoundTooLarge(uint64 round, uint256 itemCount, uint256 maxItems);
    /// @notice Raised by `commit` when the round already has MAX_OPERATORS commits (finalize
    /// is O(operators) and must fit a block).
    /// @param round The round.
    /// @param maxOperators The limit.
    error TooManyOperators(uint64 round, uint256 maxOperators);
    /// @notice Raised by `reveal`, `score`, `finalize` and `claim` for an address with no commit
    /// in the round.
    /// @param round The round.
    /// @param operator The address.
    error NotCommitted(uint64 round, address operator);
    /// @notice Raised by `reveal` before commitEnds.
    /// @param round The round.
    /// @param commitEnds The commit deadline: revealing opens then (unix timestamp, seconds).
    error RevealNotOpen(uint64 round, uint64 commitEnds);
    /// @notice Raised by `reveal` at or after the game's trading deadline (the committee may
    /// reveal labels from then on).
    /// @param round The round.
    /// @param revealEnds The reveal deadline, the game's tradingEnds (unix timestamp, seconds).
    error RevealClosed(uint64 round, uint64 revealEnds);
    /// @notice Raised by `reveal` when the caller already revealed.
    /// @param round The round.
    /// @param operator The caller.
    error AlreadyRevealed(uint64 round, address operator);
    /// @notice Raised by `reveal`, `score` and `finalize` when keccak256(abi.encode(round,
    /// operator, modelHash, forecasts, salt)) is not the operator's commitment.
    /// @param round The round.
    /// @param operator The operator.
    /// @param expected The commitment posted at commit.
    /// @param got The commitment the given forecasts and salt make.
    error CommitmentMismatch(uint64 round, address operator, bytes32 expected, bytes32 got);
    /// @notice Raised by `score` and `finalize` while the game's round is not Settled (its labels
    /// are final only then), and by `cancel` while it is not Cancelled.
    /// @param round The round.
    /// @param phase The game round's phase (IPredictionGame.phase).
    error WrongGamePhase(uint64 round, IPredictionGame.Phase phase);
    /// @notice Raised by `score` for an operator that did not reveal.
    /// @param round The round.
    /// @param operator The operator.
    error NotRevealed(uint64 round, address operator);
    /// @notice Raised by `score` for an operator already scored.
    /// @param round The round.
    /// @param operator The operator.
    error AlreadyScored(uint64 round, address operator);
    /// @notice Raised by `score` and `finalize` when `forecasts` or `salts` does not have one
    /// entry per operator.
    /// @param expected The number of operators given.
    /// @param given The length of the first array that differs (forecasts, then salts).
    error LengthMismatch(uint256 expected, uint256 given);
    /// @notice Raised by `finalize` when `operators` does not have one entry per commit.
    /// @param round The round.
    /// @param operatorCount The round's commits.
    /// @param given The number of operators given.
    error OperatorCountMismatch(uint64 round, uint256 operatorCount, uint256 given);
    /// @notice Raised by `finalize` when `operators` is not strictly ascending (so each commit
    /// appears exactly once).
    /// @param round The round.
    /// @param index The first position not above its predecessor.
    /// @param operator The address there.
    error OperatorsNotAscending(uint64 round, uint256 index, address operator);
    /// @notice Raised by `claim` while the round is neither finalized nor cancelled.
    /// @param round The round.
    /// @param status The pool round's status.
    error NotFinalized(uint64 round, Status status);
    /// @notice Raised by `claim` when the caller already claimed in this round.
    /// @param round The round.
    /// @param operator The caller.
    error AlreadyClaimed(uint64 round, address operator);

    // ---------------------------------------------------------------- events
    /// @notice `funder` added `amountWad` to round `round`'s subsidy S.
    /// @param round The round.
    /// @param funder The caller, who paid.
    /// @param amountWad This funding (token units).
    /// @param subsidyWad The round's S after it (token units).
    event Funded(uint64 indexed round, address indexed funder, uint256 amountWad, uint256 subsidyWad);
    /// @notice `operator` sealed its forecasts for `round` with `modelHash` and staked `stakeWad`.
    /// @param round The round.
    /// @param operator The caller, the model's registered operator.
    /// @param modelHash The model the forecasts come from.
    /// @param commitment keccak256(abi.encode(round, operator, modelHash, forecasts, salt)).
    /// @param stakeWad The stake transferred in (token units).
    event Committed(
        uint64 indexed round, address indexed operator, bytes32 indexed modelHash, bytes32 commitment, uint256 stakeWad
    );
    /// @notice `operator` revealed the forecasts it committed (validated for the round).
    /// @param round The round.
    /// @param operator The caller.
    /// @param modelHash The model committed with them.
    /// @param forecasts The forecasts (KellyPool encoding: per item K - 1 big-endian uint64 wad).
    /// @param salt The commitment's salt (so anyone can re-show them at scoring).
    event ForecastRevealed(
        uint64 indexed round, address indexed operator, bytes32 indexed modelHash, bytes forecasts, bytes32 salt
    );
    /// @notice `operator`'s revealed forecasts were scored on the game's labels.
    /// @param round The round.
    /// @param operator The operator.
    /// @param modelHash Its model.
    /// @param logLikelihoodWad L = sum of ln r[y] over the labelled items (wad, <= 0).
    /// @param scoreWad eta * L (wad).
    event Scored(
        uint64 indexed round,
        address indexed operator,
        bytes32 indexed modelHash,
        int256 logLikelihoodWad,
        int256 scoreWad
    );
    /// @notice Round `round` settled: claims are open and `refundWad` went to the treasury.
    /// @param round The round.
    /// @param potWad Pot = S + poolStakeWad (token units).
    /// @param poolStakeWad The sum of capped stakes s' (token units).
    /// @param totalWeight Z = w_0 + sum w_i (token units).
    /// @param maxScoreWad M (wad).
    /// @param seedScoreWad The community seed's score (wad).
    /// @param refundWad Pot - sum of payouts, sent to the treasury (token units).
    event Finalized(
        uint64 indexed round,
        uint256 potWad,
        uint256 poolStakeWad,
        uint256 totalWeight,
        int256 maxScoreWad,
        int256 seedScoreWad,
        uint256 refundWad
    );
    /// @notice The game cancelled `round`: S went back to the treasury; stakes are claimable.
    /// @param round The round.
    /// @param refundWad S, sent to the treasury (token units).
    event RoundCancelled(uint64 indexed round, uint256 refundWad);
    /// @notice `operator` claimed its payout and its excess stake for `round`.
    /// @param round The round.
    /// @param operator The caller.
    /// @param modelHash Its model.
    /// @param stakeWad Its stake as committed (token units).
    /// @param excessWad The part of its stake above the cap, returned (the whole stake in a
    /// cancelled round) (token units).
    /// @param payoutWad The pool's payout (token units).
    /// @param scoreWad Its score (wad; 0 if it did not reveal).
    event Claimed(
        uint64 indexed round,
        address indexed operator,
        bytes32 indexed modelHash,
        uint256 stakeWad,
        uint256 excessWad,
        uint256 payoutWad,
        int256 scoreWad
    );
    /// @notice Governance set the treasury (where refunds go).
    /// @param treasury The new treasury.
    event TreasuryChanged(address indexed treasury);

    // ---------------------------------------------------------------- actions
    /// @notice Add `subsidyWad` to round `round`'s seed S (pulled from the caller), while the
    /// game's round is open and before commitEnds. Several fundings add up.
    /// @param round The game round.
    /// @param subsidyWad The amount (token units, > 0).
    function fund(uint64 round, uint256 subsidyWad) external;

    /// @notice Seal forecasts for round `round` with `modelHash` and stake `stakeWad` (pulled from
    /// the caller), in [listingEnds, commitEnds).
    /// @param round The game round.
    /// @param modelHash A model registered to the caller before the round's listingEnds.
    /// @param commitment KellyPool.commitment(round, caller, modelHash, forecasts, salt).
    /// @param stakeWad The stake (token units, > 0, < 2**96).
    function commit(uint64 round, bytes32 modelHash, bytes32 commitment, uint256 stakeWad) external;

    /// @notice Reveal the caller's committed forecasts, in [commitEnds, tradingEnds).
    /// @param round The round.
    /// @param forecasts The committed forecasts (valid for the round's items and K).
    /// @param salt The committed salt.
    function reveal(uint64 round, bytes calldata forecasts, bytes32 salt) external;

    /// @notice Score revealed operators on the game's labels (anyone, once the game's round is
    /// Settled, before finalize). Optional: finalize scores whoever is left.
    /// @param round The round.
    /// @param operators Revealed, not yet scored operators.
    /// @param forecasts Their revealed forecasts (from ForecastRevealed), in the same order.
    /// @param salts Their salts, in the same order.
    function score(
        uint64 round,
        address[] calldata operators,
        bytes[] calldata forecasts,
        bytes32[] calldata salts
    ) external;

    /// @notice Settle round `round` (anyone, once the game's round is Settled): score every
    /// revealed operator not scored yet, cap the stakes, compute the weights and Z, and send the
    /// community's refund to the treasury. O(operators).
    /// @param round The round.
    /// @param operators Every operator that committed, strictly ascending.
    /// @param forecasts Per operator: its revealed forecasts if it is revealed and not yet
    /// scored; ignored (pass empty) otherwise.
    /// @param salts Per operator: its salt where its forecasts are needed; ignored otherwise.
    function finalize(
        uint64 round,
        address[] calldata operators,
        bytes[] calldata forecasts,
        bytes32[] calldata salts
    ) external;

    /// @notice Close a round the game cancelled (anyone): S goes back to the treasury and every
    /// stake becomes claimable in full.
    /// @param round The round.
    function cancel(uint64 round) external;

    /// @notice Take the caller's payout and excess stake of a finalized round (or its whole stake
    /// of a cancelled one). Once.
    /// @param round The round.
    /// @return amountWad What was transferred (token units).
    function claim(uint64 round) external returns (uint256 amountWad);

    /// @notice Set where refunds go (governance).
    /// @param treasury_ The new treasury (non-zero).
    function setTreasury(address treasury_) external;

    // ---------------------------------------------------------------- views
    /// @notice The game this pool follows.
    /// @return The PredictionGame.
    function game() external view returns (IPredictionGame);

    /// @notice eta, the score's temperature (wad).
    /// @return eta in wad.
    function etaWad() external view returns (uint256);

    /// @notice The reveal window W: commitEnds = tradingEnds - W (seconds).
    /// @return W in seconds.
    function revealWindowSecs() external view returns (uint64);

    /// @notice c, the stake cap factor: the pool stakes sum to at most c * S (wad).
    /// @return c in wad.
    function stakeCapFactorWad() external view returns (uint256);

    /// @notice The game's number of outcomes K (fixed at deployment).
    /// @return K.
    function outcomeCount() external view returns (uint256);

    /// @notice Where refunds go.
    /// @return The treasury.
    function treasury() external view returns (address);

    /// @notice A round's commit deadline, tradingEnds - W (from the game when no one has
    /// committed yet; 0 for a round the game never opened).
    /// @param round The round.
    /// @return The commit deadline (unix timestamp, seconds).
    function commitEnds(uint64 round) external view returns (uint64);

    /// @notice A round's totals and settlement.
    /// @param round The round.
    /// @return The round's state.
    function roundState(uint64 round) external view returns (RoundState memory);

    /// @notice An operator's commit, reveal, score and (once finalized) payout in a round.
    /// @param round The round.
    /// @param operator The operator.
    /// @return The operator's state (all zero if it did not commit).
    function operatorState(uint64 round, address operator) external view returns (OperatorState memory);
}
