"""ape script: deploy Hayek through ape's network configuration and write the record.

    ape run deploy --network ethereum:local:foundry      # ape starts its own anvil
    ape run deploy --network ethereum:local:node          # an anvil/geth you started
    HAYEK_GOVERNANCE_KEY=0x... ape run deploy --network <ecosystem:network:provider>

The record goes to $HAYEK_DEPLOYMENT (default .hayek/deployment.json). The deployment
itself is protocol.chain.deploy, the same code `hayek deploy` runs."""

from __future__ import annotations

import os
from pathlib import Path


def main() -> None:
    from ape import networks

    from hayek.cli.chain_cmds import governance_account
    from protocol.chain import Chain, GameParams, deploy

    provider = networks.provider
    uri = getattr(provider, "http_uri", None) or provider.uri
    chain = Chain(uri)
    gov = governance_account(int(chain.w3.eth.chain_id))
    dep = deploy(chain, gov, GameParams(), progress=print)
    out = Path(os.environ.get("HAYEK_DEPLOYMENT", ".hayek/deployment.json"))
    dep.save(out)
    print(f"deployment record: {out} (chain {dep.chain_id}, game {dep.addresses['PredictionGame']})")
