"""Benchmarks: `make bench` writes bench/results.json, a flat JSON of named figures.

Gas figures are receipt gasUsed divided by the items in the call (so they include the 21,000
base cost and calldata, spread over the batch)."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from rich.console import Console

from protocol.chain import Devnet, GameParams
from protocol.chain.devkit import DevGame
from protocol.orders import Order, belief_from_floats

WAD = 10**18
from bench_results import RESULTS, merge_results  # noqa: E402

console = Console()


def bench_contracts(devnet_url: str) -> dict[str, float]:
    """Gas per item of listing, batched trades (1, 64, 256 items), reveal, redeem; settle.

    Four committee members list 64 items each (256 markets). Trader A's first 64-item trade
    creates the markets and its positions; its second over the same items is the steady state
    (`trade_gas_per_item_64`). Trader B's first trade hits existing markets with new positions."""
    params = GameParams(committee_size=4, max_items_per_member=64, fixed_seed=b"\x07" * 32)
    game = DevGame.launch(devnet_url, n_members=5, n_traders=2, params=params)
    g = game.chain.game
    rng = random.Random(0)
    rnd = game.open_round(WAD // 2, items=256)
    committee = game.elect(rnd)
    listings, list_gas = [], []
    for m in committee:
        lst = game.prepare_listing(rnd, m, [rng.randrange(2) for _ in range(64)], rng)
        r = g.list_items(m, rnd, lst.commitments, keccak(b"items"), keccak(lst.key))
        lst.first_item = int(g.events(r, "Listed")[0]["firstItem"])
        listings.append(lst)
        list_gas.append(r["gasUsed"] / 64)
    a, c = game.traders
    ha, hc = game.register_model(a, "bench-a"), game.register_model(c, "bench-c")
    game.to_phase(rnd, "trading")

    def trade(items: list[int], who: LocalAccount = a, h: bytes = ha) -> int:
        orders = [Order(i, rng.randrange(2), WAD // 10) for i in items]
        beliefs = [belief_from_floats([0.4, 0.6])] * len(items)
        return int(g.trade(who, rnd, h, orders, beliefs, 10**30)["gasUsed"])

    out: dict[str, float] = {"list_gas_per_item": sum(list_gas) / len(list_gas)}
    out["trade_gas_per_item_64_first"] = trade(list(range(64))) / 64
    out["trade_gas_per_item_64"] = trade(list(range(64))) / 64
    out["trade_gas_per_item_64_first_existing_markets"] = trade(list(range(64)), c, hc) / 64
    out["trade_gas_per_item_1"] = trade([0]) / 1
    trade(list(range(64, 256)))
    out["trade_gas_per_item_256"] = trade(list(range(256))) / 256

    game.to_phase(rnd, "revealing")
    reveal = [g.reveal(lst.member, rnd, lst.labels, lst.salts, lst.key)["gasUsed"] / 64 for lst in listings]
    out["reveal_gas_per_item"] = sum(reveal) / len(reveal)
    game.to_phase(rnd, "settleable")
    out["settle_gas"] = int(g.settle(game.governance, rnd)["gasUsed"])
    out["redeem_gas_per_item"] = int(g.redeem(a, rnd, list(range(256)))["gasUsed"]) / 256
    return out


def bench_data(store_url: str, n_records: int = 10_000, batch: int = 1_000) -> dict[str, float]:
    """Records signed (EIP-712) + encrypted (AES-256-GCM) + stored per second, verified per
    second (signature recovery, membership, Merkle root), and blob store throughput."""
    import os
    import time

    from protocol.chain import dev_accounts
    from protocol.crypto import new_key, open_batch, seal_batch
    from protocol.records import Batch, Domain, make_records, sign_record, verify_batch
    from protocol.store import StoreClient

    acct = dev_accounts(2)[1]
    domain = Domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    rng = random.Random(0)
    store = StoreClient(store_url)
    sealed = []
    t0 = time.perf_counter()
    for start in range(0, n_records, batch):
        feats = [[rng.randrange(-(10**9), 10**9) for _ in range(8)] for _ in range(batch)]
        recs = make_records(feats, [rng.randrange(2) for _ in range(batch)], 1, start)
        b = Batch(1, acct.address, "train", tuple(sign_record(acct, r, domain) for r in recs))
        key = new_key()
        ct, manifest = seal_batch(b, domain, key, (start // batch).to_bytes(12, "big"))
        store.put(ct)
        sealed.append((manifest, key))
    publish = n_records / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for manifest, key in sealed:
        verify_batch(open_batch(manifest, store.get(manifest.blob_id), key), domain, lambda a, r: True)
    verify = n_records / (time.perf_counter() - t0)
    blobs = [os.urandom(1 << 20) for _ in range(32)]
    t0 = time.perf_counter()
    for blob in blobs:
        assert store.get(store.put(blob)) == blob
    mb_s = 2 * len(blobs) / (time.perf_counter() - t0)
    return {"records_publish_per_s": publish, "records_verify_per_s": verify, "store_put_get_mb_per_s": mb_s}


def bench_onchain_verify(devnet_url: str, store_url: str, workdir: Path) -> dict[str, float]:
    """Gas of verifying one proved inference through ModelVerifier + EZKL's reusable verifier
    (an 8-feature, 4-hidden MLP, the zk benchmark's default model)."""
    import numpy as np

    from operator_node.onchain import bind_model, verify_onchain_gas
    from operator_node.zk.prover import ZkProver
    from operator_node.zk.srs import devnet_srs
    from protocol.chain.verifier import deploy_verifier
    from protocol.store import StoreClient

    game = DevGame.launch(devnet_url, n_members=1, n_traders=1, params=GameParams(fixed_seed=b"\x09" * 32))
    store = StoreClient(store_url)
    rng = np.random.default_rng(0)
    w = [rng.normal(size=(8, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2)]
    srs = devnet_srs(12, workdir / "srs")
    game.deployment.params["srs_id"] = store.put(srs.read_bytes())
    prover = ZkProver.build(
        [a.astype(np.float32) for a in w],
        np.zeros(8),
        np.ones(8),
        workdir / "zk",
        rng.normal(size=(32, 8)).astype(np.float32),
        srs_path=srs,
    )
    op = game.traders[0]
    game.chain.models.register(
        op,
        prover.model_hash(),
        bytes.fromhex(store.put(prover.keys.vk_bytes())[7:]),
        bytes.fromhex(store.put(prover.compiled.settings_bytes())[7:]),
        "http://127.0.0.1:0",
    )
    deploy_verifier(game.chain, game.governance)
    bind_model(game.chain, op, prover)
    bundle = prover.prove(rng.normal(size=8).tolist())
    return {"verify_onchain_gas": verify_onchain_gas(game.chain, store, prover.model_hash(), bundle)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    import tempfile

    from community_node.store_server import StoreProcess

    ours: dict[str, float] = {}
    with (
        Devnet(accounts=30) as devnet,
        tempfile.TemporaryDirectory() as tmp,
        StoreProcess(tmp, max_blob_bytes=4 << 20) as store,
    ):
        with console.status("contracts: gas of list, trade, reveal, settle, redeem"):
            ours |= bench_contracts(devnet.url)
        with console.status("data: sign + encrypt + store 10,000 records, verify them, store throughput"):
            ours |= bench_data(store.url)
        with console.status("proved inference verified on-chain"):
            ours |= bench_onchain_verify(devnet.url, store.url, Path(tmp))
    merge_results({k: round(v, 1) if isinstance(v, float) else v for k, v in ours.items()}, args.out)
    for k, v in ours.items():
        console.print(f"{k:40s} {v:>14,}")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
