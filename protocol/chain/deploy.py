"""Deploy the Hayek contracts to any EVM node and write the deployment record nodes read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from protocol.chain.artifacts import Artifacts
from protocol.chain.contracts import Chain
from protocol.chain.deployment import Deployment

WAD = 10**18


@dataclass(frozen=True)
class GameParams:
    """Fixed at deployment. The devnet preset: binary outcomes, 3 seats, 64 items a member."""

    outcome_count: int = 2
    committee_size: int = 3
    max_items_per_member: int = 64
    min_bond_wad: int = 10 * WAD
    token_name: str = "Hayek Community Token"
    token_symbol: str = "HAYEK"
    # None: block-hash randomness (production path). A value: FixedRandomness (tests).
    fixed_seed: bytes | None = None


@dataclass(frozen=True)
class SealedParams:
    """The sealed-round pool's terms, fixed at deployment (SealedPool's constructor)."""

    eta_wad: int = 2 * WAD // 10  # the score's temperature: 0.2
    reveal_window_secs: int = 300  # reveals take the last 300 s of trading (half the devnet preset's)
    stake_cap_factor_wad: int = WAD  # c = 1: pool stakes sum to at most the round's subsidy


def deploy(
    chain: Chain,
    governance: LocalAccount,
    params: GameParams = GameParams(),
    treasury: str | None = None,
    mint: Sequence[tuple[str, int]] = (),
    artifacts: Artifacts | None = None,
    progress: Callable[[str], None] = lambda _: None,
    sealed: SealedParams | None = None,
) -> Deployment:
    """Deploy token, registries, randomness source and game; wire them; mint to `mint`.
    With `sealed`, also a SealedPool beside the game (recorded as params["sealed"]): the game's market
    is then the pool (params["market"] = "pool", see protocol.chain.rounds), else its LMSR ("lmsr")."""
    arts = artifacts or Artifacts()
    w3 = chain.w3
    treasury = treasury or governance.address
    abis: dict[str, list[dict[str, Any]]] = {}
    addresses: dict[str, str] = {}

    def create(name: str, *args: Any) -> str:
        art = arts.get(name)
        factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        receipt = chain.send(governance, factory.constructor(*args))
        addr = str(receipt["contractAddress"])
        chain.register_abis([art.abi])
        abis[name], addresses[name] = art.abi, addr
        progress(f"deployed {name} at {addr}")
        return addr

    start_block = int(w3.eth.block_number)
    token = create("CommunityToken", params.token_name, params.token_symbol, governance.address)
    registry = create("CommunityRegistry", token, params.min_bond_wad, governance.address)
    models = create("ModelRegistry", governance.address)
    if params.fixed_seed is None:
        randomness = create("BlockhashRandomness")
    else:
        randomness = create("FixedRandomness", params.fixed_seed)
    game = create(
        "PredictionGame",
        token,
        registry,
        models,
        randomness,
        governance.address,
        treasury,
        params.outcome_count,
        params.committee_size,
        params.max_items_per_member,
    )
    pool = None
    if sealed is not None:
        pool = create(
            "SealedPool",
            game,
            token,
            models,
            governance.address,
            treasury,
            sealed.eta_wad,
            sealed.reveal_window_secs,
            sealed.stake_cap_factor_wad,
        )
    recorded: dict[str, Any] = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in asdict(params).items()}
    recorded["market"] = "lmsr" if sealed is None else "pool"
    if sealed is not None:
        recorded["sealed"] = asdict(sealed)
    dep = Deployment(
        chain_id=int(w3.eth.chain_id),
        rpc_url=chain.rpc_url,
        addresses=addresses | {"Randomness": randomness},
        deployed_block=start_block + 1,
        governance=governance.address,
        treasury=treasury,
        params=recorded,
        abis=abis | {"Randomness": abis.get("BlockhashRandomness") or abis["FixedRandomness"]},
    )
    chain.deployment = dep
    chain.registry.send(governance, "setGame", game)
    chain.models.send(governance, "setGame", game)
    if pool is not None:
        chain.models.send(governance, "setPool", pool)
    for to, amount in mint:
        chain.token.mint(governance, to, amount)
    progress(f"minted to {len(mint)} accounts")
    return dep
