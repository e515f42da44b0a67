"""The layers contract (pyproject.toml's [tool.importlinter]) holds on the tree, and fails
when a protocol module imports a node or the nodes import each other."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("hayek", "community_node", "operator_node", "protocol")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120)


def copy_tree(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_tree_keeps_every_contract():
    out = lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "BROKEN" not in out.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("protocol/lmsr.py", "from operator_node import strategy", "Layers"),
        ("protocol/chain/artifacts.py", "import community_node.node", "Layers"),
        ("community_node/csv_import.py", "from operator_node import strategy", "Layers"),
        ("operator_node/strategy.py", "import community_node.csv_import", "Layers"),
        ("protocol/records.py", "from protocol.chain import Chain", "pure core"),
        ("protocol/merkle.py", "from protocol import publication", "circles"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, line, broken):
    tree = copy_tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}  # injected by the test\n")

    out = lint_imports(tree)

    assert out.returncode != 0
    broken_names = [row for row in out.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(broken in row for row in broken_names), out.stdout
