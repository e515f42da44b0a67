"""Every error belongs to a family, and the `hayek` CLI exits with its family's code."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from click.testing import CliRunner

from protocol import errors
from protocol.errors import EXIT_CODES, HayekError

pytestmark = pytest.mark.unit

PACKAGES = ("protocol", "community_node", "operator_node", "hayek")
FAMILIES = tuple(f for f in EXIT_CODES if f is not HayekError)


def all_error_classes() -> set[type[HayekError]]:
    for name in PACKAGES:
        pkg = importlib.import_module(name)
        for mod in pkgutil.walk_packages(pkg.__path__, name + "."):
            if ".training_app" in mod.name or mod.name.endswith("__main__"):  # the app imports itself as `hayek_fl`
                continue
            importlib.import_module(mod.name)
    found: set[type[HayekError]] = set()
    todo = [HayekError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_error_belongs_to_exactly_one_family():
    classes = all_error_classes() - set(FAMILIES)
    assert len(classes) > 40
    orphans = sorted(c.__qualname__ for c in classes if not issubclass(c, FAMILIES))
    assert orphans == []
    for cls in classes:
        assert sum(issubclass(cls, f) for f in FAMILIES) == 1, cls


def test_families_have_distinct_exit_codes_above_usage():
    codes = [f.exit_code for f in FAMILIES]
    assert len(set(codes)) == len(codes)
    assert min(codes) > 2  # 0 success, 1 other, 2 click's usage errors
    assert errors.MalformedRecord("x", "y").exit_code == 3


def test_cli_exits_with_the_family_code_and_one_line(tmp_path, monkeypatch):
    from hayek.cli import main

    monkeypatch.setenv("HAYEK_KEYSTORE_PASSWORD", "pw")
    keystore = tmp_path / "k.json"
    runner = CliRunner()
    assert runner.invoke(main, ["member", "keygen", "--keystore", str(keystore)]).exit_code == 0
    before = keystore.read_bytes()

    again = runner.invoke(main, ["member", "keygen", "--keystore", str(keystore)])

    assert again.exit_code == errors.ConfigError.exit_code
    assert again.output.strip().splitlines() == [f"error: keystore {keystore}: exists; refusing to overwrite"]
    assert keystore.read_bytes() == before
