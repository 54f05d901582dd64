"""A module's `_private` names stay in that module: no first-party import takes one.

When two modules need the same helper, it gets a public name in a module of its own (the
report queries' SQL pieces live in reports/sql.py for that reason).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "touchpoints", "audits", "recovery", "actions", "reports")


def private_imports(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        if node.module.split(".")[0] not in PACKAGES:
            continue
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.module}.{alias.name}")
    return found


def test_no_module_takes_another_modules_private_names() -> None:
    modules = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    assert len(modules) > 100
    assert [hit for path in modules for hit in private_imports(path)] == []


def test_the_check_sees_a_private_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("from reports.queries import _sections\nfrom . import _fine\n")
    assert private_imports(planted, tmp_path) == ["planted.py:1 reports.queries._sections"]
