"""SealedPool on an anvil devnet beside the game: sealed commits, reveals, joint Kelly settlement, claims.

Collateral is conserved at every step, the payouts equal protocol/pool.py to the wei, and the
windows, the committee, the model's operator and the commitment are enforced; plus its gas.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import pool
from protocol.chain import ContractReverted, Devnet, GameParams, SealedParams
from protocol.chain.devkit import CommitteeListing, DevGame
from protocol.chain.sealed import SealedPool
from tests.conftest import FIXED_SEED

pytestmark = pytest.mark.integration

WAD = 10**18
B = WAD // 2  # the game's LMSR liquidity (its market is not used here)
ETA = pool.DEFAULT_ETA_WAD
CAP = pool.DEFAULT_STAKE_CAP_FACTOR_WAD
K = 2

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --------------------------------------------------------------------------------------
# Fixtures and round helpers
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sg(devnet: Devnet) -> DevGame:
    """One game with a SealedPool (eta 0.2, reveal window 300 s of the 600 s of trading, c = 1),
    five bonded members, three traders; each test runs its own rounds in it."""
    return DevGame.launch(
        devnet.url,
        n_members=5,
        n_traders=3,
        params=GameParams(fixed_seed=FIXED_SEED),
        fund_wad=10**6 * WAD,
        sealed=SealedParams(),
    )


def sealed(sg: DevGame) -> SealedPool:
    return SealedPool.of(sg.chain)


def reverts(error: str, fn: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ContractReverted) as info:
        fn()
    assert info.value.error == error, str(info.value)
    return info.value.args_


@dataclass
class Op:
    """An operator's secret until reveal: its forecasts and salt; and its stake."""

    account: LocalAccount
    model_hash: bytes
    forecasts: bytes
    salt: bytes
    stake: int
    reveal: bool = True

    @property
    def address(self) -> str:
        return str(self.account.address)

    def commitment(self, rnd: int) -> bytes:
        return pool.commitment(rnd, self.address, self.model_hash, self.forecasts, self.salt)


@dataclass
class PoolRound:
    """A game round prepared for the pool: listed (labels known to the test), models registered."""

    sg: DevGame
    rnd: int
    listings: list[CommitteeListing]
    truth: list[int]  # every item's label (what the committee will reveal)
    hashes: list[bytes]  # one registered model per trader
    ops: list[Op] = field(default_factory=list)
    receipts: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def pool(self) -> SealedPool:
        return sealed(self.sg)

    @property
    def items(self) -> int:
        return len(self.truth)

    def op(self, i: int, forecasts: bytes, stake: int, reveal: bool = True, rng: random.Random | None = None) -> Op:
        salt = (rng or random.Random(i)).randbytes(32)
        o = Op(self.sg.traders[i], self.hashes[i], forecasts, salt, stake, reveal)
        self.ops.append(o)
        return o

    def record(self, name: str, receipt: Any) -> Any:
        self.receipts.setdefault(name, []).append(receipt)
        return receipt

    def commit_all(self) -> None:
        self.sg.to_phase(self.rnd, "trading")
        for o in self.ops:
            self.record("commit", self.pool.commit(o.account, self.rnd, o.model_hash, o.commitment(self.rnd), o.stake))
            check_conservation(self.sg)

    def to_commit_ends(self) -> None:
        self.sg.chain.advance_to(self.pool.commit_ends(self.rnd))

    def reveal_all(self) -> None:
        self.to_commit_ends()
        for o in self.ops:
            if o.reveal:
                self.record("reveal", self.pool.reveal(o.account, self.rnd, o.forecasts, o.salt))
                check_conservation(self.sg)

    def settle_game(self, withhold: Sequence[int] = ()) -> list[int | None]:
        """The committee reveals (but the listings in `withhold`), the game settles; the labels
        as the game holds them (None: void)."""
        self.sg.to_phase(self.rnd, "revealing")
        labels: list[int | None] = list(self.truth)
        for j, listing in enumerate(self.listings):
            if j in withhold:
                for i in listing.items:
                    labels[i] = None
            else:
                self.sg.reveal(listing)
        self.sg.to_phase(self.rnd, "settleable")
        self.sg.chain.game.settle(self.sg.governance, self.rnd)
        return labels

    def finalize(self) -> Any:
        r = self.record("finalize", self.pool.finalize_from_events(self.sg.governance, self.rnd))
        check_conservation(self.sg)
        return r

    def claim_all(self) -> list[Any]:
        out = []
        for o in self.ops:
            out.append(self.pool.claim(o.account, self.rnd))
            check_conservation(self.sg)
        return out


def close_open_round(sg: DevGame) -> None:
    """Leave no game round open (a failed example may have): cancel it and close its pool round."""
    g = sg.chain.game
    n = g.round_count()
    if n and g.round_info(n).status == "open":
        g.cancel(sg.governance, n)
    for r in range(1, n + 1):
        if sealed(sg).round_state(r).status in ("none", "open") and g.round_info(r).status == "cancelled":
            sealed(sg).cancel(sg.governance, r)


def prepare(sg: DevGame, items: int = 64, seed: int = 0, subsidy: int = 10 * WAD) -> PoolRound:
    """Open a game round, elect, list `items` items over the three seats, register one model per
    trader (before listing ends); the pool is funded with `subsidy` at opening (0: no funding)."""
    close_open_round(sg)
    min_bond = int(sg.deployment.params["min_bond_wad"])
    for m in sg.members:  # a withheld reveal slashed a bond: post it again, so three stay eligible
        bond = sg.chain.registry.bond_of(m.address)
        if bond < min_bond:
            sg.chain.registry.post_bond(m, min_bond - bond)
    rng = random.Random(seed)
    rnd = sg.open_round(B, items=items, subsidy_wad=subsidy)  # a pool game: the game round has no LMSR market
    committee = sg.elect(rnd)
    sizes = [items // 3 + (1 if j < items % 3 else 0) for j in range(3)]
    listings = [sg.list_random(rnd, m, n, rng) for m, n in zip(committee, sizes, strict=True) if n]
    truth = [lab for lst in listings for lab in lst.labels]
    hashes = [sg.register_model(t, tag=f"round {rnd}") for t in sg.traders]
    return PoolRound(sg, rnd, listings, truth, hashes)


def forecasts_of(truth: Sequence[int], quality: float, rng: random.Random) -> bytes:
    """Binary forecasts putting about `quality` on the true label (noisy, clipped by the encoder)."""
    rows = []
    for y in truth:
        p = min(max(quality + rng.uniform(-0.15, 0.15), 0.01), 0.99)
        rows.append([p, 1 - p] if y == 0 else [1 - p, p])
    return pool.encode_forecasts(rows)


def obligations(sg: DevGame) -> int:
    """What the pool owes over every round, from its views alone: S + stakes of a round not yet
    settled; the unclaimed payouts and excess of a finalized or cancelled one."""
    p = sealed(sg)
    total = 0
    for r in range(1, sg.chain.game.round_count() + 1):
        state = p.round_state(r)
        if state.status in ("none", "open"):
            total += state.subsidy_wad + state.stake_wad
            continue
        for c in p.committed(r):
            o = p.operator_state(r, c.operator)
            if not o.claimed:
                total += o.claim_wad
    return total


def check_conservation(sg: DevGame) -> None:
    assert sg.chain.token.balance_of(sealed(sg).address) == obligations(sg)


def mirror(pr: PoolRound, labels: Sequence[int | None]) -> tuple[list[Op], pool.SealedSettlement, int]:
    """protocol/pool.py's settlement of the round, operators in address order, and the seed score."""
    ops = sorted(pr.ops, key=lambda o: int(o.address, 16))
    scores = [pool.score_wad(pool.log_likelihood_wad(o.forecasts, labels, K), ETA) if o.reveal else None for o in ops]
    seed = pool.seed_score_wad(labels, K, ETA)
    subsidy = pr.pool.round_state(pr.rnd).subsidy_wad
    return ops, pool.settle_sealed([o.stake for o in ops], scores, subsidy, seed, CAP), seed


def treasury_balance(sg: DevGame) -> int:
    return sg.chain.token.balance_of(sg.deployment.treasury)


# --------------------------------------------------------------------------------------
# Whole rounds: conservation, the mirror, the community's bound, forfeits, the stake cap
# --------------------------------------------------------------------------------------


op_strategy = st.tuples(
    st.one_of(st.integers(1, 10**22), st.sampled_from([1, WAD, 10 * WAD])),  # stake
    st.floats(0.3, 0.95),  # quality: probability put on the truth
    st.booleans() | st.just(True),  # reveals
)


@SETTINGS
@given(
    ops=st.lists(op_strategy, min_size=1, max_size=3),
    subsidy=st.one_of(st.just(0), st.integers(1, 10**22), st.sampled_from([WAD, 10 * WAD])),
    items=st.sampled_from([1, 7, 64, 65, 96]),
    withhold=st.sampled_from([(), (), (1,)]),
    seed=st.integers(0, 2**32),
)
def test_round_conserves_collateral_and_pays_the_mirror_to_the_wei(sg, ops, subsidy, items, withhold, seed):
    rng = random.Random(seed)
    pr = prepare(sg, items=items, seed=seed, subsidy=subsidy)
    for i, (stake, quality, rev) in enumerate(ops):
        pr.op(i, forecasts_of(pr.truth, quality, rng), stake, rev, rng)
    check_conservation(sg)

    pr.commit_all()
    pr.reveal_all()
    labels = pr.settle_game(withhold)
    assert sg.chain.game.outcome_words(pr.rnd) == pool.pack_labels(labels)  # what the pool scores against
    treasury_mid = treasury_balance(sg)  # the game's own settlement pays the treasury too
    receipt = pr.finalize()
    claims = pr.claim_all()

    ordered, expected, seed_score = mirror(pr, labels)
    fin = pr.pool.finalized(pr.rnd)
    assert fin is not None
    state = pr.pool.round_state(pr.rnd)
    # the round's settlement is the mirror's, to the wei
    assert (fin.seed_score_wad, fin.max_score_wad, fin.total_weight) == (
        seed_score,
        expected.settlement.max_score,
        expected.settlement.total_weight,
    )
    assert fin.pot_wad == expected.settlement.pot == state.pot_wad
    assert fin.refund_wad == expected.refund == state.refund_wad
    assert treasury_balance(sg) - treasury_mid == expected.refund
    by_op = {c.operator: c for c in claims}
    for o, payout, excess in zip(ordered, expected.payouts, expected.excess, strict=True):
        c = by_op[o.address]
        assert (c.payout_wad, c.excess_wad, c.stake_wad) == (payout, excess, o.stake)
        assert c.model_hash == o.model_hash
    scored = {e["operator"]: e for e in pr.pool.events(receipt, "Scored")}
    assert set(scored) == {o.address for o in ordered if o.reveal}
    # conservation to the wei: stakes + subsidy = payouts + community refund + excess returned
    total_in = subsidy + sum(o.stake for o in ordered)
    assert total_in == sum(c.payout_wad for c in claims) + fin.refund_wad + sum(c.excess_wad for c in claims)
    assert all(pr.pool.operator_state(pr.rnd, o.address).claimed for o in ordered)
    check_conservation(sg)
    # the community loses at most S; the pool stakes stay within the cap, so honest operators
    # together lose at most c S to anyone (an insider included)
    assert fin.refund_wad >= 0 and subsidy - fin.refund_wad <= subsidy
    assert fin.pool_stake_wad <= pool.stake_cap(subsidy, CAP)
    assert sum(max(0, c.stake_wad - c.amount_wad) for c in claims) <= fin.pool_stake_wad
    # unrevealed commits forfeit their pool stake (weight 0) and get only their excess back
    for c in claims:
        o = next(x for x in ordered if x.address == c.operator)
        if not o.reveal:
            assert c.payout_wad == 0 and c.score_wad == 0


def test_payout_per_stake_strictly_decreases_in_log_loss(sg):
    rng = random.Random(3)
    pr = prepare(sg, items=64, seed=3, subsidy=10 * WAD)
    good = pr.op(0, forecasts_of(pr.truth, 0.8, rng), 2 * WAD)
    fair = pr.op(1, forecasts_of(pr.truth, 0.6, rng), 3 * WAD)
    bad = pr.op(2, forecasts_of(pr.truth, 0.4, rng), WAD)
    pr.commit_all()
    pr.reveal_all()
    labels = pr.settle_game()
    pr.finalize()
    claims = {c.operator: c for c in pr.claim_all()}

    def log_loss(o: Op) -> float:
        return -pool.log_likelihood_wad(o.forecasts, labels, K) / WAD / pr.items

    ranked = sorted([good, fair, bad], key=log_loss)
    assert ranked == [good, fair, bad]
    per_stake = [claims[o.address].payout_wad / o.stake for o in ranked]
    assert per_stake[0] > per_stake[1] > per_stake[2]
    assert claims[good.address].profit_wad > 0 > claims[bad.address].profit_wad


def test_unrevealed_commit_forfeits_its_stake_to_the_pot(sg):
    rng = random.Random(4)
    pr = prepare(sg, items=16, seed=4, subsidy=10 * WAD)
    shown = pr.op(0, forecasts_of(pr.truth, 0.7, rng), WAD)
    hidden = pr.op(1, forecasts_of(pr.truth, 0.9, rng), 2 * WAD, reveal=False)
    pr.commit_all()
    pr.reveal_all()
    labels = pr.settle_game()
    pr.finalize()
    state = pr.pool.operator_state(pr.rnd, hidden.address)
    assert (state.revealed, state.scored, state.payout_wad, state.excess_wad) == (False, False, 0, 0)
    claims = {c.operator: c for c in pr.claim_all()}
    assert claims[hidden.address].amount_wad == 0
    fin = pr.pool.finalized(pr.rnd)
    assert fin is not None and fin.pot_wad == 10 * WAD + 3 * WAD
    # the forfeit stayed in the pot: the revealer and the community share all of it
    assert claims[shown.address].payout_wad + fin.refund_wad == fin.pot_wad
    _, expected, _ = mirror(pr, labels)
    assert fin.refund_wad == expected.refund


def test_stakes_above_the_cap_are_scaled_and_the_excess_returned(sg):
    rng = random.Random(5)
    pr = prepare(sg, items=8, seed=5, subsidy=WAD)  # T = c S = 1 token
    a = pr.op(0, forecasts_of(pr.truth, 0.7, rng), 3 * WAD)
    b = pr.op(1, forecasts_of(pr.truth, 0.6, rng), WAD, reveal=False)
    pr.commit_all()
    pr.reveal_all()
    labels = pr.settle_game()
    pr.finalize()
    fin = pr.pool.finalized(pr.rnd)
    assert fin is not None and fin.pool_stake_wad == WAD  # 3/4 and 1/4 of T
    sa, sb = (pr.pool.operator_state(pr.rnd, o.address) for o in (a, b))
    assert (sa.pool_stake_wad, sa.excess_wad) == (3 * WAD // 4, 3 * WAD - 3 * WAD // 4)
    assert (sb.pool_stake_wad, sb.excess_wad) == (WAD // 4, WAD - WAD // 4)
    claims = {c.operator: c for c in pr.claim_all()}
    assert claims[b.address].amount_wad == WAD - WAD // 4  # forfeits only its pool stake
    ordered, expected, _ = mirror(pr, labels)
    assert [claims[o.address].amount_wad for o in ordered] == list(expected.claims)


def test_cancelled_game_round_returns_every_stake_and_the_subsidy(sg):
    rng = random.Random(6)
    pr = prepare(sg, items=8, seed=6, subsidy=5 * WAD)
    a = pr.op(0, forecasts_of(pr.truth, 0.7, rng), 2 * WAD)
    b = pr.op(1, forecasts_of(pr.truth, 0.6, rng), WAD)
    pr.commit_all()
    pr.to_commit_ends()
    pr.pool.reveal(a.account, pr.rnd, a.forecasts, a.salt)
    reverts("WrongGamePhase", lambda: pr.pool.cancel(sg.governance, pr.rnd))
    sg.chain.game.cancel(sg.governance, pr.rnd)
    reverts("NotFinalized", lambda: pr.pool.claim(a.account, pr.rnd))
    reverts("WrongGamePhase", lambda: pr.pool.finalize_from_events(sg.governance, pr.rnd))
    before = treasury_balance(sg)
    pr.pool.cancel(sg.governance, pr.rnd)
    check_conservation(sg)
    assert treasury_balance(sg) - before == 5 * WAD
    assert pr.pool.round_state(pr.rnd).status == "cancelled"
    claims = {c.operator: c for c in pr.claim_all()}
    assert claims[a.address].amount_wad == 2 * WAD and claims[b.address].amount_wad == WAD
    reverts("RoundClosed", lambda: pr.pool.cancel(sg.governance, pr.rnd))


def test_batch_scoring_then_finalize_equals_finalize_alone(sg):
    rng = random.Random(7)
    pr = prepare(sg, items=24, seed=7, subsidy=4 * WAD)
    for i, q in enumerate((0.8, 0.6, 0.7)):
        pr.op(i, forecasts_of(pr.truth, q, rng), (i + 1) * WAD)
    pr.commit_all()
    pr.reveal_all()
    labels = pr.settle_game()
    reveals = pr.pool.revealed(pr.rnd)
    reverts("LengthMismatch", lambda: pr.pool.send(sg.governance, "score", pr.rnd, [reveals[0].operator], [], []))
    pr.pool.score(sg.governance, pr.rnd, reveals[:2])
    reverts("AlreadyScored", lambda: pr.pool.score(sg.governance, pr.rnd, reveals[:1]))
    assert pr.pool.round_state(pr.rnd).scored_count == 2
    _, forecasts, _ = pr.pool.finalize_args(pr.rnd)
    assert sum(1 for f in forecasts if f) == 1  # only the third still needs its forecasts
    pr.finalize()
    assert pr.pool.round_state(pr.rnd).scored_count == 3
    ordered, expected, _ = mirror(pr, labels)
    assert [pr.pool.operator_state(pr.rnd, o.address).payout_wad for o in ordered] == list(expected.payouts)
    pr.claim_all()


# --------------------------------------------------------------------------------------
# Reverts with evidence (and no state change)
# --------------------------------------------------------------------------------------


@pytest.fixture
def committed(sg: DevGame) -> Iterator[PoolRound]:
    """A round in its commit window: trader 0 committed, traders 1 and 2 hold models."""
    rng = random.Random(8)
    pr = prepare(sg, items=8, seed=8, subsidy=2 * WAD)
    for i in range(3):
        pr.op(i, forecasts_of(pr.truth, 0.7, rng), WAD)
    sg.to_phase(pr.rnd, "trading")
    o = pr.ops[0]
    pr.pool.commit(o.account, pr.rnd, o.model_hash, o.commitment(pr.rnd), o.stake)
    yield pr
    close_open_round(sg)


def snapshot(pr: PoolRound) -> tuple[Any, ...]:
    return (
        pr.pool.round_state(pr.rnd),
        [pr.pool.operator_state(pr.rnd, o.address) for o in pr.ops],
        pr.sg.chain.token.balance_of(pr.pool.address),
    )


def test_reveal_that_does_not_match_its_commit_reverts_with_evidence(committed):
    pr = committed
    o = pr.ops[0]
    pr.to_commit_ends()
    before = snapshot(pr)
    other = forecasts_of(pr.truth, 0.2, random.Random(0))
    for forecasts, salt in ((other, o.salt), (o.forecasts, bytes(32))):
        ev = reverts("CommitmentMismatch", lambda f=forecasts, s=salt: pr.pool.reveal(o.account, pr.rnd, f, s))
        assert ev == {
            "round": pr.rnd,
            "operator": o.address,
            "expected": o.commitment(pr.rnd),
            "got": pool.commitment(pr.rnd, o.address, o.model_hash, forecasts, salt),
        }
    assert snapshot(pr) == before
    pr.pool.reveal(o.account, pr.rnd, o.forecasts, o.salt)
    reverts("AlreadyRevealed", lambda: pr.pool.reveal(o.account, pr.rnd, o.forecasts, o.salt))


def test_invalid_forecasts_cannot_be_revealed(sg):
    pr = prepare(sg, items=4, seed=9, subsidy=WAD)
    bad = pool.pack_forecasts([[WAD // 2, WAD // 2]] * 3 + [[WAD, 0]])  # 0 on an outcome
    o = pr.op(0, bad, WAD)
    pr.commit_all()
    pr.to_commit_ends()
    ev = reverts("ProbabilityOutOfRange", lambda: pr.pool.reveal(o.account, pr.rnd, o.forecasts, o.salt))
    assert ev == {"item": 3, "outcome": 0, "probabilityWad": WAD}
    close_open_round(sg)


def test_commit_after_commit_ends_reverts(committed):
    pr = committed
    o = pr.ops[1]
    pr.to_commit_ends()
    before = snapshot(pr)
    ev = reverts("CommitClosed", lambda: pr.pool.commit(o.account, pr.rnd, o.model_hash, o.commitment(pr.rnd), WAD))
    assert ev == {"round": pr.rnd, "commitEnds": pr.pool.commit_ends(pr.rnd)}
    reverts("CommitClosed", lambda: pr.pool.fund(pr.sg.governance, pr.rnd, WAD))
    assert snapshot(pr) == before


def test_commit_before_listing_ends_reverts(sg):
    pr = prepare(sg, items=4, seed=10, subsidy=WAD)
    o = pr.op(0, pool.uniform_forecasts(4, K), WAD)
    ev = reverts("CommitNotOpen", lambda: pr.pool.commit(o.account, pr.rnd, o.model_hash, o.commitment(pr.rnd), WAD))
    assert ev == {"round": pr.rnd, "listingEnds": sg.chain.game.round_info(pr.rnd).listing_ends}
    close_open_round(sg)


def test_reveal_before_commit_ends_or_after_trading_ends_reverts(committed):
    pr = committed
    o = pr.ops[0]
    ev = reverts("RevealNotOpen", lambda: pr.pool.reveal(o.account, pr.rnd, o.forecasts, o.salt))
    assert ev == {"round": pr.rnd, "commitEnds": pr.pool.commit_ends(pr.rnd)}
    pr.sg.to_phase(pr.rnd, "revealing")
    before = snapshot(pr)
    ev = reverts("RevealClosed", lambda: pr.pool.reveal(o.account, pr.rnd, o.forecasts, o.salt))
    assert ev == {"round": pr.rnd, "revealEnds": pr.sg.chain.game.round_info(pr.rnd).trading_ends}
    assert snapshot(pr) == before


def test_committee_member_cannot_commit(committed):
    pr = committed
    member = pr.listings[0].member
    h = pr.sg.register_model(member, tag="member model")  # registered late too, but the seat is checked first
    before = snapshot(pr)
    ev = reverts("CommitteeCannotCommit", lambda: pr.pool.commit(member, pr.rnd, h, bytes(32), WAD))
    assert ev == {"round": pr.rnd, "operator": member.address}
    assert snapshot(pr) == before


def test_non_operator_cannot_commit_with_another_operators_model(committed):
    pr = committed
    thief, victim = pr.ops[1], pr.ops[2]
    before = snapshot(pr)
    ev = reverts("NotModelOperator", lambda: pr.pool.commit(thief.account, pr.rnd, victim.model_hash, bytes(32), WAD))
    assert ev == {"modelHash": victim.model_hash, "caller": thief.address, "operator": victim.address}
    late = pr.sg.register_model(thief.account, tag="late")
    ev = reverts("ModelRegisteredLate", lambda: pr.pool.commit(thief.account, pr.rnd, late, bytes(32), WAD))
    assert ev["listingEnds"] == pr.sg.chain.game.round_info(pr.rnd).listing_ends
    assert snapshot(pr) == before


def test_double_commit_and_double_claim_revert(committed):
    pr = committed
    o = pr.ops[0]
    ev = reverts("AlreadyCommitted", lambda: pr.pool.commit(o.account, pr.rnd, o.model_hash, bytes(32), WAD))
    assert ev == {"round": pr.rnd, "operator": o.address, "commitment": o.commitment(pr.rnd)}
    reverts("ZeroAmount", lambda: pr.pool.commit(pr.ops[1].account, pr.rnd, pr.ops[1].model_hash, bytes(32), 0))
    pr.ops[1:] = []
    pr.reveal_all()
    pr.settle_game()
    pr.finalize()
    pr.pool.claim(o.account, pr.rnd)
    ev = reverts("AlreadyClaimed", lambda: pr.pool.claim(o.account, pr.rnd))
    assert ev == {"round": pr.rnd, "operator": o.address}
    reverts("NotCommitted", lambda: pr.pool.claim(pr.sg.traders[1], pr.rnd))
    reverts("RoundClosed", lambda: pr.pool.finalize_from_events(pr.sg.governance, pr.rnd))


def test_amounts_beyond_the_pools_range_revert(committed):
    pr = committed
    g = pr.sg.governance
    ev = reverts("PotTooLarge", lambda: pr.pool.fund(g, pr.rnd, 2**128))
    assert ev == {"round": pr.rnd, "subsidyWad": 2 * WAD + 2**128, "stakeWad": WAD}
    o = pr.ops[1]
    ev = reverts(
        "SafeCastOverflowedUintDowncast", lambda: pr.pool.commit(o.account, pr.rnd, o.model_hash, bytes(32), 2**96)
    )
    assert ev == {"bits": 96, "value": 2**96}
    reverts("ZeroAmount", lambda: pr.pool.fund(g, pr.rnd, 0))


def test_finalize_needs_the_settled_game_and_every_commit_in_order(sg):
    rng = random.Random(11)
    pr = prepare(sg, items=8, seed=11, subsidy=WAD)
    for i in range(3):
        pr.op(i, forecasts_of(pr.truth, 0.7, rng), WAD)
    pr.commit_all()
    pr.reveal_all()
    g = sg.governance
    reverts("WrongGamePhase", lambda: pr.pool.finalize_from_events(g, pr.rnd))
    pr.settle_game()
    ops, fs, salts = pr.pool.finalize_args(pr.rnd)
    ev = reverts("OperatorCountMismatch", lambda: pr.pool.finalize(g, pr.rnd, ops[:2], fs[:2], salts[:2]))
    assert ev == {"round": pr.rnd, "operatorCount": 3, "given": 2}
    order = [1, 0, 2]
    swapped = [[xs[j] for j in order] for xs in (ops, fs, salts)]
    ev = reverts("OperatorsNotAscending", lambda: pr.pool.finalize(g, pr.rnd, *swapped))
    assert ev == {"round": pr.rnd, "index": 1, "operator": ops[0]}
    dup = [ops[0], ops[0], ops[2]]
    reverts("OperatorsNotAscending", lambda: pr.pool.finalize(g, pr.rnd, dup, fs, salts))
    wrong = [fs[1], fs[0], fs[2]]
    ev = reverts("CommitmentMismatch", lambda: pr.pool.finalize(g, pr.rnd, ops, wrong, salts))
    assert ev["operator"] == ops[0]
    reverts("LengthMismatch", lambda: pr.pool.finalize(g, pr.rnd, ops, fs, salts[:2]))
    pr.finalize()
    pr.claim_all()


# --------------------------------------------------------------------------------------
# Copying
# --------------------------------------------------------------------------------------


def test_a_copier_learns_nothing_from_a_commitment(committed):
    """The commit transaction carries only the model hash, the commitment and the stake; without
    the salt no candidate forecast (the committed one included) opens the commitment."""
    pr = committed
    o = pr.ops[0]
    c = pr.pool.committed(pr.rnd)[0]
    assert c.commitment == o.commitment(pr.rnd) and c.operator == o.address
    tx = pr.sg.chain.w3.eth.get_transaction(
        pr.sg.chain.w3.eth.get_block(c.block_number, full_transactions=True)["transactions"][0]["hash"]
    )
    assert o.forecasts[:64] not in bytes(tx["input"])
    rng = random.Random(0)
    candidates = [o.forecasts, pool.uniform_forecasts(pr.items, K)]
    candidates += [pool.encode_forecasts([[p, 1 - p]] * pr.items) for p in (0.1, 0.3, 0.5, 0.7, 0.9)]
    candidates += [forecasts_of(pr.truth, q, rng) for q in (0.6, 0.7, 0.8)]
    candidates += [pool.encode_forecasts([[0.9, 0.1] if y == 0 else [0.1, 0.9] for y in pr.truth])]
    salts = [bytes(32), b"\xff" * 32] + [i.to_bytes(32, "big") for i in range(1, 2000)]
    salts += [pool.commitment(pr.rnd, o.address, o.model_hash, b"", bytes(32))]
    found = [
        (f, s)
        for f in candidates
        for s in salts
        if pool.commitment(pr.rnd, o.address, o.model_hash, f, s) == c.commitment
    ]
    assert found == []
    assert pool.commitment(pr.rnd, o.address, o.model_hash, o.forecasts, o.salt) == c.commitment


# --------------------------------------------------------------------------------------
# Gas
# --------------------------------------------------------------------------------------


def _intrinsic(sg: DevGame, receipt: Any) -> int:
    tx = sg.chain.w3.eth.get_transaction(receipt["transactionHash"])
    data = bytes(tx["input"])
    return 21_000 + sum(16 if b else 4 for b in data)


def _gas_round(sg: DevGame, n: int, score_txs: bool, items: int = 64) -> dict[str, Any]:
    """Gas of a round with n operators (finalize scoring them all, or a score tx each first)."""
    rng = random.Random(12)
    pr = prepare(sg, items=items, seed=12, subsidy=30 * WAD)
    for i, q in enumerate((0.8, 0.7, 0.6)[:n]):
        pr.op(i, forecasts_of(pr.truth, q, rng), 5 * WAD)
    pr.commit_all()
    pr.reveal_all()
    pr.settle_game()
    if score_txs:
        for o in pr.ops:
            rv = next(r for r in pr.pool.revealed(pr.rnd) if r.operator == o.address)
            pr.record("score", pr.pool.score(o.account, pr.rnd, [rv]))
    pr.finalize()
    for o in pr.ops:
        pr.record("claim", pr.pool.send(o.account, "claim", pr.rnd))
    gas = {name: [int(r["gasUsed"]) for r in rs] for name, rs in pr.receipts.items()}
    intrinsic = {name: _intrinsic(sg, rs[0]) for name, rs in pr.receipts.items()}
    share = {
        "commit": sum(gas["commit"]) / n,
        "reveal": sum(gas["reveal"]) / n,
        "score+finalize": (gas["finalize"][0] + sum(gas.get("score", []))) / n,
        "claim": sum(gas["claim"]) / n,
    }
    return {"gas": gas, "intrinsic": intrinsic, "share": share, "per_item": sum(share.values()) / items}


def test_report_pool_gas_per_item_64(sg):
    """pool_gas_per_item_64 = (commit + reveal + its share of scoring and finalize + claim) / 64 for
    one of 3 operators in a 64-item round; with finalize scoring all three (the path chosen) and
    with a score transaction per operator (for comparison); pool_settle_gas_per_operator: what one
    more operator adds to finalize (its scoring included)."""
    together = _gas_round(sg, 3, score_txs=False)
    apart = _gas_round(sg, 3, score_txs=True)
    alone = _gas_round(sg, 1, score_txs=False)
    big = _gas_round(sg, 3, score_txs=False, items=192)  # the devnet preset's largest round
    settle_per_operator = (together["gas"]["finalize"][0] - alone["gas"]["finalize"][0]) / 2
    for name, fig in (("finalize scores all", together), ("score tx per operator", apart)):
        share = " + ".join(f"{k} {v:.0f}" for k, v in fig["share"].items())
        print(f"SealedPool gas {name}: txs {fig['gas']} (intrinsic, first of each: {fig['intrinsic']})")
        print(f"SealedPool gas {name}: per operator {share} = {sum(fig['share'].values()):.0f}")
        print(f"SealedPool gas {name}: pool_gas_per_item_64 = {fig['per_item']:.0f}")
    print(
        f"SealedPool gas pool_settle_gas_per_operator = {settle_per_operator:.0f} (finalize 1 op"
        f" {alone['gas']['finalize'][0]}, 3 ops {together['gas']['finalize'][0]})"
    )
    print(
        f"SealedPool gas 192 items, 3 operators: per operator {sum(big['share'].values()):.0f},"
        f" per item {big['per_item']:.0f}"
    )
    assert together["per_item"] < apart["per_item"]
    assert together["per_item"] < 6_500  # 6,124 with the claim's profit record in the ModelRegistry (~35k)
