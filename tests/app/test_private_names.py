"""A module's `_private` names stay in that module: no first-party import takes one, and no
module reaches into another one's (`services._helper`).

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
    modules: dict[str, str] = {}  # local name -> first-party module imported under it
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES and alias.asname:
                    modules[alias.asname] = alias.name
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        if node.module.split(".")[0] not in PACKAGES:
            continue
        for alias in node.names:
            if private(alias.name):
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.module}.{alias.name}")
            else:
                # `from audits import services` binds a module that `services._x` reaches into
                modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append(
                f"{path.relative_to(root)}:{node.lineno} {modules[node.value.id]}.{node.attr}"
            )
    return found


def private(name: str) -> bool:
    # `_` alone is gettext's public name by convention (`from reports.language import _`).
    return name.startswith("_") and not name.startswith("__") and name != "_"


def test_no_module_takes_another_modules_private_names() -> None:
    modules = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    assert len(modules) > 100
    assert [hit for path in modules for hit in private_imports(path)] == []


def test_the_check_sees_a_private_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from reports.queries import _sections\n"
        "from . import _fine\n"
        "from audits import services\n"
        "services._checked_value(1, 2)\n"
    )
    assert private_imports(planted, tmp_path) == [
        "planted.py:1 reports.queries._sections",
        "planted.py:4 audits.services._checked_value",
    ]
