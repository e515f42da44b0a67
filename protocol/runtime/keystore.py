"""Encrypted eth-account keystores (disk I/O): create one, open one. The password comes from
HAYEK_KEYSTORE_PASSWORD or a prompt and is never printed; the key never reaches disk in clear."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from protocol.errors import ConfigError

PASSWORD_ENV = "HAYEK_KEYSTORE_PASSWORD"


class KeystoreError(ConfigError):
    """A keystore cannot be created or opened (missing, corrupt, wrong password, exists)."""

    def __init__(self, path: Path | str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"keystore {path}: {reason}")


def password(path: Path | str, confirm: bool = False) -> str:
    pw = os.environ.get(PASSWORD_ENV)
    if pw is not None:
        return pw
    pw = getpass.getpass("keystore password: ")
    if confirm and getpass.getpass("again: ") != pw:
        raise KeystoreError(path, "passwords differ")
    return pw


def load_account(keystore: Path) -> LocalAccount:
    """Decrypt an eth-account keystore (password from HAYEK_KEYSTORE_PASSWORD or a prompt)."""
    try:
        data = json.loads(keystore.read_text())
        return Account.from_key(Account.decrypt(data, password(keystore)))
    except (OSError, ValueError) as e:
        raise KeystoreError(keystore, f"cannot open: {e}") from None


def create_keystore(keystore: Path, private_key: str | None = None) -> LocalAccount:
    """Write a new encrypted keystore (mode 0600) for a fresh key, or for `private_key`."""
    if keystore.exists():
        raise KeystoreError(keystore, "exists; refusing to overwrite")
    acct = Account.from_key(private_key) if private_key else Account.create()
    keystore.parent.mkdir(parents=True, exist_ok=True)
    keystore.write_text(json.dumps(Account.encrypt(acct.key, password(keystore, confirm=True))))
    keystore.chmod(0o600)
    return acct
