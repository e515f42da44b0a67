"""A community member's node: imports its data, publishes a signed, encrypted batch each
round, serves on the validation committee when elected (list, then reveal in time), and
prepares the local training view its Flower SuperNode reads. Resumable at every step."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from eth_account.signers.local import LocalAccount

from community_node.csv_import import load_csv
from community_node.state import BatchRow, NodeState
from protocol import lmsr, serde
from protocol.chain import Chain, ContractReverted, Listing
from protocol.chain.datasets import digest_of, domain_of, revealed_validation
from protocol.crypto import new_key, open_batch, seal_batch
from protocol.errors import CsvError, HayekError, IntegrityError
from protocol.publication import ListingPublication, items_root
from protocol.records import (
    Batch,
    Domain,
    Record,
    Signed,
    from_fixed,
    list_item,
    make_records,
    new_salt,
    sign_item,
    sign_record,
    verify_batch,
)
from protocol.store import BlobStore
from protocol.store.localdb import write_status

if TYPE_CHECKING:
    from community_node.supernode import SuperNode


@dataclass
class NodeConfig:
    home: Path
    batch_size: int = 64  # training rows published per round
    listing_size: int = 32  # items listed when elected (capped by the contract's quota and subsidy)
    poll_seconds: float = 0.5


class CommunityNode:
    def __init__(
        self,
        config: NodeConfig,
        account: LocalAccount,
        chain: Chain,
        store: BlobStore,
        say: Callable[[str], None] = lambda _: None,
    ):
        self.cfg = config
        self.account = account
        self.me = account.address
        self.chain = chain
        self.store = store
        self.say = say
        self.state = NodeState(config.home / "node.sqlite")
        self.supernodes: list[SuperNode] = []  # the running node's (for its status)
        self.status_path = config.home / "status.json"

    @property
    def domain(self) -> Domain:
        return domain_of(self.chain)

    def _log(self, kind: str, **detail: object) -> None:
        self.state.log(kind, **detail)
        self.say(f"{kind} " + " ".join(f"{k}={v}" for k, v in detail.items()))

    # ------------------------------------------------------------ data in
    def import_csv(
        self, path: Path, label_column: str, drop_columns: Sequence[str] = (), holdback: float = 0.25, seed: int = 0
    ) -> dict[str, int]:
        """Import rows; a `holdback` fraction is kept unpublished for committee duty."""
        if not 0 <= holdback < 1:
            raise CsvError(f"--holdback must lie in [0, 1), got {holdback}")
        known = self.state.get("label_map")
        data = load_csv(path, label_column, drop_columns, label_map=known)
        k = self.chain.game.outcome_count()
        if len(data.label_map) > k:
            raise CsvError(f"{len(data.label_map)} label values but the game has {k} outcomes")
        width = self.state.get("feature_count")
        if width is not None and len(data.feature_names) != width:
            raise CsvError(f"{len(data.feature_names)} feature columns, earlier imports had {width}")
        rng = random.Random(seed)
        pools = ["holdback" if rng.random() < holdback else "train" for _ in data.labels]
        with self.state.tx():
            self.state.put("label_map", data.label_map)
            self.state.put("feature_count", len(data.feature_names))
            self.state.put("feature_names", list(data.feature_names))
        self.state.add_rows(data.features, data.labels, pools)
        self._log("imported", path=str(path), rows=len(data.labels), holdback=pools.count("holdback"))
        return self.state.count_rows()

    # ------------------------------------------------------------ batches
    def _signed_records(self, b: BatchRow) -> tuple[Signed[Record], ...]:
        rows = self.state.rows(b.row_ids)
        records = make_records([f for f, _ in rows], [y for _, y in rows], b.round, b.first_record_nonce)
        return tuple(sign_record(self.account, r, self.domain) for r in records)

    def _commit(self, round: int, root: bytes, count: int, blob_id: str) -> None:
        member, _, _ = self.chain.registry.batch_of(root)
        if member != self.me:  # not committed before a restart
            self.chain.registry.commit_batch(self.account, round, root, count, digest_of(blob_id))

    def publish_train_batch(self, round: int) -> BatchRow | None:
        """Sign, encrypt, store and commit this round's training batch (idempotent)."""
        b = self.state.train_batch_for(round)
        if b is None:
            b = self.state.new_batch(round, "train", "train", self.cfg.batch_size, new_key())
            if b is None:
                return None
        if b.status == "committed":
            return b
        batch = Batch(round, self.me, "train", self._signed_records(b))
        # Same key, nonce and plaintext as before any restart: the same ciphertext, never a
        # different plaintext under a used nonce.
        ciphertext, manifest = seal_batch(batch, self.domain, b.key, b.nonce)
        self.store.put(ciphertext)
        manifest_id = self.store.put(serde.encode(manifest))
        self.state.update_batch(
            b.id,
            merkle_root=manifest.merkle_root,
            blob_id=manifest.blob_id,
            publication_id=manifest_id,
            status="stored",
        )
        self._commit(round, manifest.merkle_root, manifest.record_count, manifest_id)
        self.state.update_batch(b.id, status="committed")
        self._log("published", round=round, records=manifest.record_count, root="0x" + manifest.merkle_root.hex()[:12])
        return self.state.batch(b.id)

    # ------------------------------------------------------------ committee duty
    def _listable(self, round: int) -> int:
        g = self.chain.game
        info = g.round_info(round)
        quota = int(g.call("maxItemsPerMember"))
        if info.liquidity_wad == 0:  # a sealed round (pool market): listing reserves no LMSR subsidy
            return int(min(self.cfg.listing_size, quota))
        per_item = lmsr.max_loss_up(info.liquidity_wad, g.outcome_count())
        room = (info.subsidy_wad - info.reserved_wad) // per_item
        return int(min(self.cfg.listing_size, quota, room))

    def list_for(self, round: int) -> None:
        """List validation items from held-back rows (idempotent across restarts)."""
        lst = self.state.listing(round)
        if lst is None:
            n = self._listable(round)
            existing = [b for b in self.state.batches("validation") if b.round == round]
            b = existing[0] if existing else self.state.new_batch(round, "validation", "holdback", n, new_key())
            if b is None or n == 0:
                self._log("cannot_list", round=round, reason="no held-back rows" if b is None else "subsidy used up")
                return
            lst = self.state.new_listing(round, b.id, [new_salt() for _ in b.row_ids])
        if lst.status != "prepared":
            return
        b = self.state.batch(lst.batch_id)
        records = self._signed_records(b)
        items = tuple(
            sign_item(self.account, list_item(s.message, salt), self.domain) for s, salt in zip(records, lst.salts)
        )
        ciphertext, manifest = seal_batch(Batch(round, self.me, "validation", records), self.domain, b.key, b.nonce)
        self.store.put(ciphertext)
        pub_id = self.store.put(ListingPublication(manifest, items).encode())
        root = items_root(items)
        self.state.update_batch(
            b.id, merkle_root=manifest.merkle_root, blob_id=manifest.blob_id, publication_id=pub_id, status="stored"
        )
        self.state.update_listing(round, items_root=root)
        self._commit(round, root, len(items), pub_id)
        self.state.update_batch(b.id, status="committed")
        onchain = self._my_listing(round)
        if onchain is None:
            commitments = [i.message.label_commitment for i in items]
            self.chain.game.list_items(self.account, round, commitments, root, manifest.key_hash)
            onchain = self._my_listing(round)
        assert onchain is not None
        self.state.update_listing(round, status="listed", first_item=onchain.first_item)
        self._log("listed", round=round, items=len(items), first_item=onchain.first_item)

    def _my_listing(self, round: int) -> Listing | None:
        for lst in self.chain.game.listings(round):
            if lst.member == self.me:
                return lst
        return None

    def reveal(self, round: int) -> None:
        lst = self.state.listing(round)
        if lst is None or lst.status != "listed":
            return
        b = self.state.batch(lst.batch_id)
        onchain = self._my_listing(round)
        if onchain is not None and not onchain.revealed:
            labels = [y for _, y in self.state.rows(b.row_ids)]
            self.chain.game.reveal(self.account, round, labels, lst.salts, b.key)
        key_blob = self.store.put(
            serde.dumps(
                {
                    "type": "BatchKey",
                    "round": round,
                    "member": self.me,
                    "key": "0x" + b.key.hex(),
                    "manifest": b.blob_id,
                }
            )
        )
        self.state.update_listing(round, status="revealed", key_blob_id=key_blob)
        self._log("revealed", round=round, items=len(b.row_ids), key_blob=key_blob)

    # ------------------------------------------------------------ Flower
    @property
    def view_path(self) -> Path:
        return self.cfg.home / "view.npz"

    @property
    def approved_path(self) -> Path:
        return self.cfg.home / "approved-apps.txt"

    @property
    def refusals_path(self) -> Path:
        return self.cfg.home / "refusals.jsonl"

    def sync_approved_apps(self) -> list[str]:
        """Copy the community's on-chain list of approved training apps for the guard."""
        hashes = self.chain.registry.approved_apps()
        text = "# training app bundles approved by the community (CommunityRegistry)\n" + "\n".join(hashes) + "\n"
        if not self.approved_path.exists() or self.approved_path.read_text() != text:
            tmp = self.approved_path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(self.approved_path)
        return hashes

    def refresh_view(self, current: int, settled: bool = False) -> None:
        """Export the training view for the next round to train: as soon as the current round
        is settled (its revealed validation set joins the view) so that it is ready before the
        next round opens. The SuperNode reads the file at every training message, so replacing
        it atomically is enough."""
        target = current + 1 if settled else max(current, 1)
        if self.state.get("view_round") == target and self.view_path.exists():
            return
        n = self.export_training_view(self.view_path, up_to_round=target)
        self.state.put("view_round", target)
        self._log("training_view", round=target, rows=n)

    def supernode(
        self, superlink: str, dp_enabled: bool = True, dp_clip: float = 1.0, dp_epsilon: float = 10.0
    ) -> SuperNode:
        """A SuperNode for `superlink` that trains only on this member's view and runs only
        community-approved apps (use as a context manager)."""
        from community_node.supernode import SuperNode

        self.sync_approved_apps()
        work = self.cfg.home / "supernodes" / superlink.replace(":", "_")
        return SuperNode(
            superlink,
            self.view_path,
            approved=self.approved_path,
            refusals=self.refusals_path,
            work_dir=work,
            dp_enabled=dp_enabled,
            dp_clip=dp_clip,
            dp_epsilon=dp_epsilon,
        )

    # ------------------------------------------------------------ the loop
    def step(self) -> dict[str, object]:
        """One pass over every duty; safe to repeat and to interrupt. Returns (and writes to
        status.json) where the node stands, for `hayek member status` and devnet drivers."""
        g = self.chain.game
        current = g.round_count()
        self.publish_train_batch(current + 1)  # data for the next round's training
        self.sync_approved_apps()
        phase = g.phase(current) if current >= 1 else None
        if self.state.get("feature_count") is not None:
            self.refresh_view(current, settled=phase in ("settled", "cancelled"))
        if current >= 1 and phase == "listing" and self.me in g.committee(current):
            self.list_for(current)
        for lst in self.state.listings():
            if lst.status != "listed":
                continue
            phase = g.phase(lst.round)
            if phase == "revealing":
                self.reveal(lst.round)
            elif phase in ("settleable", "settled", "cancelled"):
                self.state.update_listing(lst.round, status="missed")
                self._log("missed_reveal", round=lst.round, phase=phase)
        return self.write_status(current, phase)

    def write_status(self, current: int, phase: str | None) -> dict[str, object]:
        return write_status(
            self.status_path,
            {
                "round": current,
                "phase": phase,
                "view_round": self.state.get("view_round"),
                "supernodes": {sn.superlink: sn.node_id() for sn in self.supernodes},
            },
        )

    def run(self, until: Callable[[], bool] = lambda: False) -> None:
        while not until():
            try:
                self.step()
            except (ContractReverted, HayekError) as e:
                self._log("error", message=str(e))
            time.sleep(self.cfg.poll_seconds)

    # ------------------------------------------------------------ training view
    def training_records(self, up_to_round: int) -> list[Record]:
        """Own training batches for rounds ≤ `up_to_round` plus every validation set revealed
        in earlier rounds: what this member's SuperNode trains on for round `up_to_round`."""
        out = self.own_training_records(up_to_round)
        for r in range(1, up_to_round):
            if self.chain.game.phase(r) in ("settled", "settleable"):
                out += [s.message for s in revealed_validation(self.chain, self.store, r)]
        return out

    def own_training_records(self, up_to_round: int) -> list[Record]:
        """Own training batches for rounds ≤ `up_to_round`, fetched from the store, decrypted
        with the local keys, and checked against their signatures and on-chain roots."""
        out: list[Record] = []
        is_member = self.chain.registry.is_member
        for b in self.state.batches("train"):
            if b.round > up_to_round or b.status != "committed":
                continue
            manifest = serde.decode_manifest(self.store.get(b.publication_id or ""))
            batch = open_batch(manifest, self.store.get(manifest.blob_id), b.key)
            verify_batch(batch, self.domain, is_member)
            member, _, _ = self.chain.registry.batch_of(manifest.merkle_root)
            if member != self.me:
                raise IntegrityError(
                    manifest.blob_id,
                    f"batch root 0x{manifest.merkle_root.hex()} is not committed on-chain by this member",
                )
            out += [s.message for s in batch.records]
        return out

    def export_training_view(self, path: Path, up_to_round: int) -> int:
        """Write the SuperNode's training view (npz: float32 X, int64 y); return its row count."""
        recs = self.training_records(up_to_round)
        width = int(self.state.get("feature_count", 0))
        X = np.array([[from_fixed(v) for v in r.features] for r in recs], dtype=np.float32).reshape(-1, width)
        y = np.array([r.label for r in recs], dtype=np.int64)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, X=X, y=y)
        tmp.replace(path)
        return len(recs)
