"""``store/`` reads and writes domain values: it imports neither the policy nor the service."""

from __future__ import annotations

import ast
from pathlib import Path

from garante.store import queries

STORE = Path(queries.__file__).parent
ABOVE = ("policy", "service", "api", "cli", "console", "taxii")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_store_imports_nothing_of_the_layers_above_it() -> None:
    found = {
        (path.name, name)
        for path in STORE.rglob("*.py")
        for name in imported(path)
        if name.split(".")[:2] in [["garante", layer] for layer in ABOVE]
    }
    assert found == set()
