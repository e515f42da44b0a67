"""The proved-inference service: `POST /infer` an input, get the output, an EZKL proof and
the model hash; `POST /verify` checks any bundle against a model's *registered* artifacts
(fetched from the chain and the store, never the service's own files)."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from operator_node.verify import RegisteredModel, verify_registered
from operator_node.zk.prover import ZkProver
from protocol.chain import Chain
from protocol.errors import HayekError
from protocol.proofs import ProofBundle, ProofRejected
from protocol.store import BlobStore


class InferRequest(BaseModel):
    input: list[float]


class VerifyRequest(BaseModel):
    model_hash: str
    input: list[float]
    proof: dict[str, Any]


def create_app(
    prover: ZkProver | None,
    chain: Chain | None = None,
    store: BlobStore | None = None,
    models: Callable[[bytes], ZkProver | None] | None = None,
    sealed: Callable[[list[float]], str | None] | None = None,
) -> FastAPI:
    """`prover` answers at /model and /infer; with `models` (model hash -> prover, or None),
    every model of the operator also answers at /models/0x{hash}/model and .../infer: the
    endpoint each model hash is registered with. With `sealed` (input -> why it is refused, or
    None), inputs that are the current round's listed items get 403 until the market closes."""
    app = FastAPI(title="Hayek proved inference")

    def describe(p: ZkProver) -> dict[str, Any]:
        return {
            "model_hash": "0x" + p.model_hash().hex(),
            "n_features": p.compiled.n_features,
            "n_classes": p.compiled.n_classes,
            "logrows": p.compiled.logrows,
        }

    def run(p: ZkProver, req: InferRequest) -> Any:
        n_features = p.compiled.n_features
        if len(req.input) != n_features:
            return JSONResponse(
                {"error": "bad_input", "detail": f"expected {n_features} features, got {len(req.input)}"},
                status_code=400,
            )
        if not all(math.isfinite(v) for v in req.input):
            return JSONResponse({"error": "bad_input", "detail": "features must be finite numbers"}, status_code=400)
        refused = sealed(req.input) if sealed is not None else None
        if refused is not None:
            return JSONResponse({"error": "sealed_item", "detail": refused}, status_code=403)
        bundle = p.prove(req.input)
        return {"model_hash": "0x" + p.model_hash().hex(), "output": list(bundle.output), "proof": bundle.to_dict()}

    def lookup(model_hash: str) -> ZkProver | JSONResponse:
        try:
            h = bytes.fromhex(model_hash.removeprefix("0x"))
        except ValueError:
            h = b""
        found = models(h) if models is not None and len(h) == 32 else None
        if found is None:
            return JSONResponse(
                {"error": "unknown_model", "detail": f"this service has no model {model_hash}"}, status_code=404
            )
        return found

    @app.get("/model")
    def model() -> Any:
        if prover is None:
            return JSONResponse({"error": "unknown_model", "detail": "no default model"}, status_code=404)
        return describe(prover)

    @app.post("/infer")
    def infer(req: InferRequest) -> Any:
        if prover is None:
            return JSONResponse({"error": "unknown_model", "detail": "no default model"}, status_code=404)
        return run(prover, req)

    @app.get("/models/{model_hash}/model")
    def model_of(model_hash: str) -> Any:
        p = lookup(model_hash)
        return p if isinstance(p, JSONResponse) else describe(p)

    @app.post("/models/{model_hash}/infer")
    def infer_with(model_hash: str, req: InferRequest) -> Any:
        p = lookup(model_hash)
        return p if isinstance(p, JSONResponse) else run(p, req)

    @app.post("/verify")
    def verify(req: VerifyRequest) -> Any:
        if chain is None or store is None:
            return JSONResponse(
                {"error": "unavailable", "detail": "service runs without chain access"}, status_code=503
            )
        try:
            bundle = ProofBundle.from_dict(req.proof)
            with tempfile.TemporaryDirectory() as t:
                reg = RegisteredModel.fetch(chain, store, bytes.fromhex(req.model_hash.removeprefix("0x")), Path(t))
                out = verify_registered(reg, bundle, req.input)
        except ProofRejected as e:
            return {"valid": False, "reason": str(e)}
        except (HayekError, ValueError) as e:
            return JSONResponse({"error": "bad_request", "detail": str(e)}, status_code=400)
        return {"valid": True, "output": list(out)}

    return app
