"""The inference client: pick a model by its on-chain record, query it, verify the proof."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from operator_node.verify import RegisteredModel, verify_registered
from protocol.chain import Chain
from protocol.chain.contracts import ModelRecord
from protocol.chain.scores import model_scores
from protocol.errors import ServiceError, UnknownModel
from protocol.proofs import ProofBundle, ProofRejected
from protocol.ranking import rank
from protocol.store import BlobStore


class NoModel(UnknownModel):
    """No registered model can answer (none has an inference endpoint)."""

    def __init__(self, reason: str):
        super().__init__("(any)", reason)


class InferenceFailed(ServiceError):
    """An inference endpoint could not be reached or did not answer with a proof."""

    def __init__(self, endpoint: str, reason: str, status: int | None = None):
        self.endpoint = endpoint
        self.reason = reason
        self.status = status
        where = f"{endpoint} (HTTP {status})" if status is not None else endpoint
        super().__init__(f"inference at {where}: {reason}")


def best_model(chain: Chain, last_rounds: int | None = None) -> ModelRecord:
    """The registered model (with an inference endpoint) whose forecasts scored best: the
    lowest log loss over all revealed items of its round (`protocol.ranking`), never its
    profit, which trading against oneself can fake. Unscored models come last, newest first."""
    models = {m.model_hash: m for m in chain.models.all() if m.endpoint.startswith("http")}
    if not models:
        raise NoModel("no registered model has an inference endpoint")
    for s in rank(model_scores(chain, last_rounds)):
        if s.model_hash in models:
            return models[s.model_hash]
    return max(models.values(), key=lambda m: m.registered_at)


def query(endpoint: str, x: Sequence[float], timeout: float = 120.0) -> tuple[bytes, ProofBundle]:
    try:
        r = httpx.post(endpoint.rstrip("/") + "/infer", json={"input": list(x)}, timeout=timeout)
    except httpx.HTTPError as e:
        raise InferenceFailed(endpoint, f"{type(e).__name__}: {e}") from None
    if r.status_code != 200:
        raise InferenceFailed(endpoint, r.text[:200], r.status_code)
    body = r.json()
    return bytes.fromhex(body["model_hash"].removeprefix("0x")), ProofBundle.from_dict(body["proof"])


def query_and_verify(
    chain: Chain, store: BlobStore, x: Sequence[float], model_hash: bytes | None = None, onchain: bool = False
) -> dict[str, Any]:
    record = chain.models.model(model_hash) if model_hash else best_model(chain)
    claimed, bundle = query(record.endpoint, x)
    if claimed != record.model_hash:
        raise ProofRejected(
            ProofRejected.WRONG_ARTIFACTS,
            "the service answers for another model",
            record.model_hash.hex(),
            claimed.hex(),
        )
    with tempfile.TemporaryDirectory() as t:
        reg = RegisteredModel.fetch(chain, store, record.model_hash, Path(t))
        output = verify_registered(reg, bundle, x)
    result: dict[str, Any] = {
        "model_hash": "0x" + record.model_hash.hex(),
        "endpoint": record.endpoint,
        "cumulative_profit": record.cumulative_profit_wad / 1e18,
        "output": list(output),
        "verified_offchain": True,
        "verified_onchain": None,
    }
    if onchain:
        from operator_node.onchain import verify_onchain

        result["verified_onchain"] = verify_onchain(chain, store, record.model_hash, bundle)
    return result
