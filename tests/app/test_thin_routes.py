"""Routes and API are thin: they parse, call a service or a query, and render.

Services own their transactions and queries.py holds the reads, so a route or API module
never commits and never builds or runs a statement. The modules are found by name
(`routes*.py`, `api*.py`, and `routes.py`/`api.py` in any sub-package) and by what they
do (a module that makes an `APIRouter`), so a module added or moved later is covered too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "touchpoints", "audits", "recovery", "actions", "reports")
# Calls a route or API module must leave to services.py (writes) and queries.py (reads).
FORBIDDEN_CALLS = frozenset({"commit", "select", "text", "exec", "execute"})


def web_modules() -> list[Path]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            named = path.name.startswith(("routes", "api")) and path.name != "apidocs.py"
            if named or "APIRouter(" in path.read_text():
                found.add(path)
    return sorted(found)


def forbidden_calls(path: Path) -> list[str]:
    """`line: call` for every commit, select, text, exec or execute in the module (as a
    function, `select(...)`, or as a method, `session.commit()`, whatever it is called on)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    imported = {
        (alias.asname or alias.name): alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            name = func.attr
        elif isinstance(func, ast.Name):
            # A local helper that happens to be called `text` is not SQLAlchemy's.
            name = imported.get(func.id, "")
        else:
            continue
        if name in FORBIDDEN_CALLS:
            calls.append(f"{node.lineno}: {ast.unparse(func)}()")
    return calls


def test_the_web_modules_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in web_modules()}
    # A few that must be among them, whatever the layout becomes.
    assert any(n.startswith("touchpoints/") and "api" in n for n in names), names
    assert any(n.startswith("reports/") and "routes" in n for n in names), names
    assert len(names) >= 20, names


@pytest.mark.parametrize("path", web_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_web_module_neither_commits_nor_builds_queries(path: Path) -> None:
    calls = forbidden_calls(path)
    assert calls == [], (
        f"{path.relative_to(ROOT)} must stay thin: move writes (and their commit) into "
        f"services.py and reads into queries.py. Found: {calls}"
    )
