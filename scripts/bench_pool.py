"""Gas of the sealed joint Kelly pool (contracts/SealedPool.sol) beside today's LMSR, in one run
on one anvil devnet (part of `make bench`).

pool_gas_per_item_64: one operator's commit + reveal + its share of finalize (which scores every
revealed operator) + claim, in a 64-item round with 3 operators, divided by 64 (target <= 3,000);
pool_gas_per_item_192: the same at 192 items; pool_settle_gas_per_operator: what one more
operator adds to finalize, its scoring included. Beside it, LMSR's first 64-item trade per item
(trade_gas_per_item_64_first) from scripts/bench.py's measurement on the same devnet.
game_bytecode_bytes / pool_bytecode_bytes: the deployed code size of PredictionGame and SealedPool
(EIP-170 limit 24,576).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from bench_results import merge_results  # noqa: E402
from rich.console import Console  # noqa: E402

from bench import bench_contracts  # noqa: E402
from protocol.chain import Devnet, GameParams, SealedParams  # noqa: E402
from protocol.chain.devkit import DevGame  # noqa: E402
from tests.conftest import FIXED_SEED  # noqa: E402
from tests.integration.test_sealed_pool import _gas_round  # noqa: E402  (the round the tests check)

WAD = 10**18
console = Console()


def main() -> int:
    with Devnet(accounts=30) as devnet:
        with console.status("LMSR: gas of list, trade, reveal, settle, redeem"):
            lmsr = bench_contracts(devnet.url)
        sg = DevGame.launch(
            devnet.url,
            n_members=5,
            n_traders=3,
            params=GameParams(fixed_seed=FIXED_SEED),
            fund_wad=10**6 * WAD,
            sealed=SealedParams(),
        )
        with console.status("sealed pool: 64 and 192 items, 3 operators; finalize with 1 operator"):
            three = _gas_round(sg, 3, score_txs=False)
            one = _gas_round(sg, 1, score_txs=False)
            big = _gas_round(sg, 3, score_txs=False, items=192)
        size = {n: len(sg.chain.w3.eth.get_code(sg.deployment.addresses[n])) for n in ("PredictionGame", "SealedPool")}
    out = {
        "pool_gas_per_item_64": round(three["per_item"], 1),
        "pool_gas_per_item_192": round(big["per_item"], 1),
        "pool_settle_gas_per_operator": round((three["gas"]["finalize"][0] - one["gas"]["finalize"][0]) / 2, 1),
        "pool_gas_per_operator_64": {k: round(v) for k, v in three["share"].items()},
        "trade_gas_per_item_64_first": round(lmsr["trade_gas_per_item_64_first"], 1),
        "game_bytecode_bytes": size["PredictionGame"],
        "pool_bytecode_bytes": size["SealedPool"],
    }
    merge_results(out)
    for k, v in out.items():
        console.print(f"{k:34s} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
