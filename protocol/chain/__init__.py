"""The one place that talks to the chain: artifacts, a local devnet, deployment, and a thin
binding per contract. Nothing outside this package imports web3 or ape."""

from protocol.chain.artifacts import Artifacts
from protocol.chain.contracts import (
    Chain,
    CommunityRegistry,
    ContractReverted,
    EventMissing,
    ModelRegistry,
    PredictionGame,
    Token,
)
from protocol.chain.deploy import GameParams, SealedParams, deploy
from protocol.chain.deployment import Deployment
from protocol.chain.devnet import Devnet, dev_accounts
from protocol.chain.views import Listing, ModelRecord, Redeemed, RoundInfo, Traded, Trader

__all__ = [
    "Artifacts",
    "Chain",
    "CommunityRegistry",
    "ContractReverted",
    "Deployment",
    "Devnet",
    "EventMissing",
    "GameParams",
    "Listing",
    "ModelRecord",
    "ModelRegistry",
    "PredictionGame",
    "Redeemed",
    "RoundInfo",
    "SealedParams",
    "Token",
    "Traded",
    "Trader",
    "deploy",
    "dev_accounts",
]
