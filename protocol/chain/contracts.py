"""Thin bindings, one class per contract, over web3; custom errors decoded into HayekError."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from protocol.chain.deployment import Deployment
from protocol.chain.devnet import advance_time, mine
from protocol.chain.views import PHASES, Listing, ModelRecord, Redeemed, RedeemedPart, RoundInfo, Traded, Trader
from protocol.errors import ChainError, MissingSetup
from protocol.orders import Order

B = TypeVar("B", bound="Bound")

__all__ = [
    "Bound",
    "Chain",
    "CommunityRegistry",
    "ContractReverted",
    "EventMissing",
    "Listing",
    "ModelRecord",
    "ModelRegistry",
    "PredictionGame",
    "Redeemed",
    "RedeemedPart",
    "RoundInfo",
    "Token",
    "Traded",
    "Trader",
]


class ContractReverted(ChainError):
    """A transaction or call reverted; `error` is the custom error's name, `args` its evidence."""

    def __init__(self, error: str, args: dict[str, Any], raw: str = ""):
        self.error = error
        self.args_ = args
        self.raw = raw
        shown = ", ".join(f"{k}={_show(v)}" for k, v in args.items())
        super().__init__(f"reverted: {error}({shown})")


def _show(v: Any) -> str:
    if isinstance(v, bytes):
        return "0x" + v.hex()
    return str(v)


def _error_selectors(abis: Sequence[list[dict[str, Any]]]) -> dict[bytes, tuple[str, list[str], list[str]]]:
    out: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for abi in abis:
        for item in abi:
            if item.get("type") != "error":
                continue
            types = [_abi_type(i) for i in item["inputs"]]
            sig = f"{item['name']}({','.join(types)})"
            out[keccak(text=sig)[:4]] = (item["name"], [i["name"] for i in item["inputs"]], types)
    return out


def _abi_type(inp: dict[str, Any]) -> str:
    t = inp["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in inp["components"]) + ")" + t[5:]
    return str(t)


class EventMissing(ChainError):
    """A transaction's receipt lacks the event its call always emits."""

    def __init__(self, event: str, tx: str):
        self.event = event
        self.tx = tx
        super().__init__(f"no {event} event in transaction {tx}")


class Chain:
    """A web3 connection plus the deployment's contracts; sends signed transactions."""

    def __init__(self, rpc_url: str, deployment: Deployment | None = None):
        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 120}))
        self.rpc_url = rpc_url
        self.deployment = deployment
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        if deployment is not None:
            self.register_abis(deployment.abis.values())

    def register_abis(self, abis: Any) -> None:
        self._errors.update(_error_selectors(list(abis)))

    # ------------------------------------------------------------ contracts
    def _bind(self, cls: type[B], name: str) -> B:
        if self.deployment is None:
            raise MissingSetup("no deployment record loaded", "pass --deployment (written by `hayek deploy`)")
        address = self.deployment.addresses[name]
        cache = self.__dict__.setdefault("_bound", {})
        if (name, address) not in cache:  # building a web3 contract object costs ~4 ms
            cache[(name, address)] = cls(self, address, self.deployment.abis[name])
        bound: B = cache[(name, address)]
        return bound

    @property
    def game(self) -> PredictionGame:
        return self._bind(PredictionGame, "PredictionGame")

    @property
    def registry(self) -> CommunityRegistry:
        return self._bind(CommunityRegistry, "CommunityRegistry")

    @property
    def models(self) -> ModelRegistry:
        return self._bind(ModelRegistry, "ModelRegistry")

    @property
    def token(self) -> Token:
        return self._bind(Token, "CommunityToken")

    # ------------------------------------------------------------ transactions
    def decode_revert(self, data: str | bytes | None) -> ContractReverted:
        raw = data.hex() if isinstance(data, bytes) else (data or "")
        blob = bytes.fromhex(raw[2:] if raw.startswith("0x") else raw)
        sel = blob[:4]
        if sel in self._errors:
            name, names, types = self._errors[sel]
            values = [
                Web3.to_checksum_address(v) if t == "address" else v for t, v in zip(types, abi_decode(types, blob[4:]))
            ]
            return ContractReverted(name, dict(zip(names, values)), raw)
        return ContractReverted("UnknownError", {"data": raw}, raw)

    def send(self, account: LocalAccount, fn: Any, gas: int | None = None) -> TxReceipt:
        """Estimate (a revert raises ContractReverted and sends nothing), sign, send, wait."""
        tx_params = {"from": account.address}
        try:
            estimated = gas or int(fn.estimate_gas(tx_params) * 1.2) + 20_000
        except (ContractCustomError, ContractLogicError, ContractPanicError) as e:
            raise self._reverted(e) from None
        tx = fn.build_transaction(
            {
                "from": account.address,
                "nonce": self.w3.eth.get_transaction_count(account.address, "pending"),
                "gas": estimated,
                "chainId": self.w3.eth.chain_id,
            }
        )
        signed = account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if receipt["status"] != 1:
            raise ContractReverted("TransactionFailed", {"tx": tx_hash.hex()})
        return receipt

    def call(self, fn: Any, sender: str | None = None) -> Any:
        try:
            return fn.call({"from": sender} if sender else {})
        except (ContractCustomError, ContractLogicError, ContractPanicError) as e:
            raise self._reverted(e) from None

    def _reverted(self, e: Exception) -> ContractReverted:
        data = getattr(e, "data", None)
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            return self.decode_revert(data)
        return ContractReverted("Revert", {"message": str(e)})

    # ------------------------------------------------------------ clock
    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> None:
        advance_time(self.w3, seconds)

    def advance_to(self, timestamp: int) -> None:
        """Devnet only: move the clock so the next block's timestamp is at least `timestamp`."""
        delta = timestamp - self.now()
        if delta > 0:
            self.advance(delta)

    def mine(self, blocks: int = 1) -> None:
        mine(self.w3, blocks)


class Bound:
    """A deployed contract: `call` for views, `send` for transactions, `events` to decode logs."""

    def __init__(self, chain: Chain, address: str, abi: list[dict[str, Any]]):
        self.chain = chain
        self.address = Web3.to_checksum_address(address)
        self.contract = chain.w3.eth.contract(address=self.address, abi=abi)
        chain.register_abis([abi])

    def call(self, fn: str, *args: Any, sender: str | None = None) -> Any:
        return self.chain.call(getattr(self.contract.functions, fn)(*args), sender)

    def send(self, account: LocalAccount, fn: str, *args: Any, gas: int | None = None) -> TxReceipt:
        return self.chain.send(account, getattr(self.contract.functions, fn)(*args), gas)

    def events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        evs = getattr(self.contract.events, name)().process_receipt(receipt, errors=DISCARD)
        return [dict(e["args"]) for e in evs]

    def logs(self, name: str, from_block: int = 0, **filters: Any) -> list[dict[str, Any]]:
        ev = getattr(self.contract.events, name)
        entries = ev().get_logs(from_block=from_block, argument_filters=filters or None)
        return [dict(e["args"]) | {"blockNumber": e["blockNumber"]} for e in entries]


class Token(Bound):
    def balance_of(self, who: str) -> int:
        return int(self.call("balanceOf", who))

    def allowance(self, owner: str, spender: str) -> int:
        return int(self.call("allowance", owner, spender))

    def approve(self, account: LocalAccount, spender: str, amount: int = 2**256 - 1) -> TxReceipt:
        return self.send(account, "approve", spender, amount)

    def transfer(self, account: LocalAccount, to: str, amount: int) -> TxReceipt:
        return self.send(account, "transfer", to, amount)

    def mint(self, account: LocalAccount, to: str, amount: int) -> TxReceipt:
        return self.send(account, "mint", to, amount)


class CommunityRegistry(Bound):
    def add_member(self, governance: LocalAccount, member: str) -> TxReceipt:
        return self.send(governance, "addMember", member)

    def remove_member(self, governance: LocalAccount, member: str) -> TxReceipt:
        return self.send(governance, "removeMember", member)

    def post_bond(self, member: LocalAccount, amount_wad: int) -> TxReceipt:
        return self.send(member, "postBond", amount_wad)

    def withdraw_bond(self, member: LocalAccount, amount_wad: int) -> TxReceipt:
        return self.send(member, "withdrawBond", amount_wad)

    def commit_batch(self, member: LocalAccount, round: int, root: bytes, count: int, manifest_id: bytes) -> TxReceipt:
        return self.send(member, "commitBatch", round, root, count, manifest_id)

    def set_app_approval(self, governance: LocalAccount, fab_hash: bytes, approved: bool = True) -> TxReceipt:
        return self.send(governance, "setAppApproval", fab_hash, approved)

    def approved_apps(self) -> list[str]:
        """Approved training app bundles, as lowercase SHA-256 hex (how Flower names a FAB)."""
        return [bytes(h).hex() for h in self.call("approvedApps")]

    def is_member(self, who: str, round: int) -> bool:
        return bool(self.call("isMember", who, round))

    def bond_of(self, who: str) -> int:
        return int(self.call("bondOf", who))

    def members(self) -> list[str]:
        return list(self.call("members"))

    def batch_of(self, root: bytes) -> tuple[str, int, int]:
        m, r, c = self.call("batchOf", root)
        return str(m), int(r), int(c)


class ModelRegistry(Bound):
    def register(
        self, operator: LocalAccount, model_hash: bytes, vk_id: bytes, settings_id: bytes, endpoint: str
    ) -> TxReceipt:
        return self.send(operator, "register", model_hash, vk_id, settings_id, endpoint)

    def operator_of(self, model_hash: bytes) -> str:
        return str(self.call("operatorOf", model_hash))

    def model(self, model_hash: bytes) -> ModelRecord:
        m = self.call("modelOf", model_hash)
        return ModelRecord(model_hash, m[0], int(m[1]), int(m[2]), int(m[3]), m[4], m[5], m[6])

    def all(self) -> list[ModelRecord]:
        return [self.model(h) for h in self.call("modelHashes")]


class PredictionGame(Bound):
    # ---------------------------------------------------------------- actions
    def open_round(
        self,
        governance: LocalAccount,
        subsidy_wad: int,
        liquidity_wad: int,
        listing_secs: int,
        trading_secs: int,
        reveal_secs: int,
    ) -> int:
        """Open and fund the next round; subsidy 0 with liquidity 0 opens a sealed round (no LMSR
        market: `trade` reverts NoLmsrMarket; a pool game's SealedPool is its market)."""
        r = self.send(governance, "openRound", subsidy_wad, liquidity_wad, listing_secs, trading_secs, reveal_secs)
        return int(self.events(r, "RoundOpened")[0]["round"])

    def elect(self, sender: LocalAccount, round: int) -> list[str]:
        r = self.send(sender, "electCommittee", round)
        return list(self.events(r, "CommitteeSeated")[0]["committee"])

    def list_items(
        self, member: LocalAccount, round: int, commitments: Sequence[bytes], items_root: bytes, key_hash: bytes
    ) -> TxReceipt:
        return self.send(member, "list", round, list(commitments), items_root, key_hash)

    def trade(
        self,
        trader: LocalAccount,
        round: int,
        model_hash: bytes,
        orders: Sequence[Order],
        beliefs: Sequence[int],
        max_cost_wad: int,
        gas: int | None = None,
    ) -> TxReceipt:
        """Buy `orders` (packed into the contract's uint256 words here) with one encoded belief
        per order; reverts CostAboveMax if they would cost more than `max_cost_wad`."""
        words = [o.encode() for o in orders]
        return self.send(trader, "trade", round, model_hash, words, list(beliefs), max_cost_wad, gas=gas)

    def reveal(
        self, member: LocalAccount, round: int, outcomes: Sequence[int], salts: Sequence[bytes], key: bytes
    ) -> TxReceipt:
        return self.send(member, "reveal", round, list(outcomes), list(salts), key)

    def claim_leaked_label(self, claimant: LocalAccount, round: int, item: int, outcome: int, salt: bytes) -> TxReceipt:
        return self.send(claimant, "claimLeakedLabel", round, item, outcome, salt)

    def settle(self, sender: LocalAccount, round: int) -> TxReceipt:
        return self.send(sender, "settle", round)

    def cancel(self, governance: LocalAccount, round: int) -> TxReceipt:
        return self.send(governance, "cancelRound", round)

    def redeem(self, trader: LocalAccount, round: int, items: Sequence[int]) -> TxReceipt:
        """Clear the trader's positions on `items` (one batch). The call that clears its last
        position emits Redeemed (the round's totals); earlier ones emit RedeemedPart."""
        return self.send(trader, "redeem", round, list(items))

    # ---------------------------------------------------------------- views
    def round_count(self) -> int:
        return int(self.call("roundCount"))

    def phase(self, round: int) -> str:
        return PHASES[int(self.call("phase", round))]

    def round_info(self, round: int) -> RoundInfo:
        return RoundInfo.decode(self.call("roundInfo", round))

    def listings(self, round: int) -> list[Listing]:
        return [Listing.decode(row) for row in self.call("listings", round)]

    def committee(self, round: int) -> list[str]:
        return list(self.call("committee", round))

    def trader(self, round: int, who: str) -> Trader:
        return Trader.decode(self.call("traderOf", round, who))

    def shares_of(self, round: int, who: str, item: int) -> list[int]:
        return list(self.call("sharesOf", round, who, item))

    def quantities(self, round: int, item: int) -> list[int]:
        return list(self.call("quantities", round, item))

    def outcome_of(self, round: int, item: int) -> int | None:
        lane = int(self.call("outcomeOf", round, item))
        return None if lane == 0 else lane - 1

    def outcome_words(self, round: int) -> list[int]:
        """The round's outcome lanes as stored (protocol.pool.pack_labels's layout: 4 bits per item, 0 = void)."""
        return [int(w) for w in self.call("outcomeWords", round)]

    def label_commitment(self, round: int, item: int) -> bytes:
        return bytes(self.call("labelCommitment", round, item))

    def cost_on_listing(self, round: int, who: str, listing: int) -> int:
        return int(self.call("costOnListing", round, who, listing))

    def outcome_count(self) -> int:
        return int(self.call("outcomeCount"))

    # ---------------------------------------------------------------- events
    def traded(self, round: int, from_block: int, trader: str | None = None) -> list[Traded]:
        """The round's Traded events (of `trader` only, when given), oldest first."""
        filters = {"round": round} | ({"trader": trader} if trader is not None else {})
        return [Traded.decode(e, e["blockNumber"]) for e in self.logs("Traded", from_block=from_block, **filters)]

    def redeemed(self, round: int, from_block: int, trader: str | None = None) -> list[Redeemed]:
        """The round's Redeemed events (of `trader` only, when given), oldest first."""
        filters = {"round": round} | ({"trader": trader} if trader is not None else {})
        return [Redeemed.decode(e, e["blockNumber"]) for e in self.logs("Redeemed", from_block=from_block, **filters)]

    def redeemed_parts(self, round: int, from_block: int, trader: str | None = None) -> list[RedeemedPart]:
        """The round's RedeemedPart events (partial redeem calls; of `trader` only, when given), oldest first."""
        filters = {"round": round} | ({"trader": trader} if trader is not None else {})
        logs = self.logs("RedeemedPart", from_block=from_block, **filters)
        return [RedeemedPart.decode(e, e["blockNumber"]) for e in logs]

    def traded_in(self, receipt: TxReceipt) -> Traded:
        """The Traded event of a `trade` transaction."""
        return Traded.decode(self._one(receipt, "Traded"), int(receipt["blockNumber"]))

    def redeemed_in(self, receipt: TxReceipt) -> Redeemed:
        """The Redeemed event of a trader's last `redeem` transaction of a round (EventMissing for a partial one)."""
        return Redeemed.decode(self._one(receipt, "Redeemed"), int(receipt["blockNumber"]))

    def redeem_result_in(self, receipt: TxReceipt) -> Redeemed | RedeemedPart:
        """What a `redeem` transaction emitted: Redeemed if it was the last call, else RedeemedPart."""
        if self.events(receipt, "Redeemed"):
            return self.redeemed_in(receipt)
        return RedeemedPart.decode(self._one(receipt, "RedeemedPart"), int(receipt["blockNumber"]))

    def _one(self, receipt: TxReceipt, name: str) -> dict[str, Any]:
        evs = self.events(receipt, name)
        if not evs:
            raise EventMissing(name, receipt["transactionHash"].hex())
        return evs[0]
