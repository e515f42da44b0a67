"""The proved-inference service: `POST /infer` an input, get the output, an EZKL proof and
the model hash; `POST /verify` checks any bundle against a model's *registered* artifacts
(fetched from the chain and the store, never the service's own files)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from operator_node.verify import RegisteredModel, verify_registered
from operator_node.zk import ProofBundle, ProofRejected, ZkProver
from protocol.chain import Chain
from protocol.errors import HayekError
from protocol.store import BlobStore


class InferRequest(BaseModel):
    input: list[float]


class VerifyRequest(BaseModel):
    model_hash: str
    input: list[float]
    proof: dict[str, Any]


def create_app(prover: ZkProver, chain: Chain | None = None, store: BlobStore | None = None) -> FastAPI:
    app = FastAPI(title="Hayek proved inference")
    model_hash = prover.model_hash()
    n_features = prover.compiled.n_features

    @app.get("/model")
    def model() -> dict[str, Any]:
        return {"model_hash": "0x" + model_hash.hex(), "n_features": n_features,
                "n_classes": prover.compiled.n_classes, "logrows": prover.compiled.logrows}

    @app.post("/infer")
    def infer(req: InferRequest) -> Any:
        if len(req.input) != n_features:
            return JSONResponse({"error": "bad_input", "detail": f"expected {n_features} features, got {len(req.input)}"},
                                status_code=400)
        if not all(math.isfinite(v) for v in req.input):
            return JSONResponse({"error": "bad_input", "detail": "features must be finite numbers"}, status_code=400)
        bundle = prover.prove(req.input)
        return {"model_hash": "0x" + model_hash.hex(), "output": list(bundle.output), "proof": bundle.to_dict()}

    @app.post("/verify")
    def verify(req: VerifyRequest) -> Any:
        if chain is None or store is None:
            return JSONResponse({"error": "unavailable", "detail": "service runs without chain access"}, status_code=503)
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
