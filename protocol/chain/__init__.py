"""The one place that talks to the chain: artifacts, a local devnet, deployment, and a thin
binding per contract. Nothing outside this package imports web3 or ape."""

from protocol.chain.artifacts import Artifacts
from protocol.chain.contracts import (
    Chain,
    CommunityRegistry,
    ContractReverted,
    ModelRegistry,
    PredictionGame,
    Token,
)
from protocol.chain.deploy import Deployment, GameParams, deploy
from protocol.chain.devnet import Devnet, dev_accounts

__all__ = [
    "Artifacts",
    "Chain",
    "CommunityRegistry",
    "ContractReverted",
    "Deployment",
    "Devnet",
    "GameParams",
    "ModelRegistry",
    "PredictionGame",
    "Token",
    "deploy",
    "dev_accounts",
]
