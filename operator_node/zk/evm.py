"""EVM artifacts by EZKL: the reusable Solidity verifier, a model's verifying-key artifact
(VKA words) and verifier calldata. The chain side (deploying, binding) is protocol.chain.verifier."""

from __future__ import annotations

import tempfile
from pathlib import Path

from operator_node.zk.ezkl_runtime import call, ezkl, run_async
from protocol.proofs import ProofBundle, ZkError


def create_evm_verifier(
    vk_path: str | Path,
    settings_path: str | Path,
    srs_path: str | Path,
    sol_path: str | Path,
    *,
    reusable: bool = True,
) -> Path:
    """Write EZKL's Solidity verifier to `sol_path` (contract `Halo2VerifierReusable` when
    `reusable`, else a standalone `Halo2Verifier` with the vk inlined, ~28 KB of runtime
    code: over the 24 KiB deployment limit). EZKL then tries to download solc to compile it
    and fails offline; the .sol is complete by then and this ignores that failure."""
    sol_path = Path(sol_path)
    sol_path.parent.mkdir(parents=True, exist_ok=True)
    sol_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as t:
        abi = Path(t) / "verifier.abi"
        try:
            run_async(
                "create_evm_verifier",
                ezkl().create_evm_verifier,
                str(vk_path),
                str(settings_path),
                str(sol_path),
                str(abi),
                str(srs_path),
                reusable,
            )
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:
            if not (sol_path.exists() and sol_path.stat().st_size > 0):
                raise ZkError(f"ezkl create_evm_verifier failed: {e}") from e
    return sol_path


def create_evm_vka(
    vk_path: str | Path, settings_path: str | Path, srs_path: str | Path, vka_path: str | Path
) -> list[bytes]:
    """Write the model's verifying-key artifact (VKA) for the reusable verifier and return it
    as the bytes32 words `registerVka` / `verifyProof` take. EZKL's file is bincode: a u64
    little-endian word count, then the 32-byte words."""
    vka_path = Path(vka_path)
    vka_path.parent.mkdir(parents=True, exist_ok=True)
    run_async("create_evm_vka", ezkl().create_evm_vka, str(vk_path), str(settings_path), str(vka_path), str(srs_path))
    return read_vka(vka_path)


def read_vka(vka_path: str | Path) -> list[bytes]:
    """The bytes32 words of a VKA file (bincode: u64 little-endian count, then the words)."""
    raw = Path(vka_path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    if len(raw) != 8 + 32 * n:
        raise ZkError(f"{vka_path}: not a VKA file ({len(raw)} bytes for {n} words)")
    return [raw[8 + 32 * i : 40 + 32 * i] for i in range(n)]


def vka_words(vk_path: str | Path, settings_path: str | Path, srs_path: str | Path) -> list[bytes]:
    """The VKA words of a vk + settings + SRS, without keeping the VKA file."""
    with tempfile.TemporaryDirectory() as t:
        return create_evm_vka(vk_path, settings_path, srs_path, Path(t) / "model.vka")


def encode_evm_calldata(bundle: ProofBundle, vka_path: str | Path | None = None) -> bytes:
    """Calldata for the EVM verifier, by EZKL: with `vka_path`, for the reusable verifier's
    `verifyProof(bytes,uint256[],bytes32[])`; without, for the standalone
    `verifyProof(bytes,uint256[])`."""
    with tempfile.TemporaryDirectory() as t:
        pp, cd = Path(t) / "proof.json", Path(t) / "calldata.bin"
        pp.write_bytes(bundle.proof_json)
        out = call(
            "encode_evm_calldata",
            ezkl().encode_evm_calldata,
            str(pp),
            str(cd),
            None if vka_path is None else str(vka_path),
        )
    return bytes(out)
