"""``service/`` holds no SQL: every statement lives in ``store/``, which the service calls.

A use case may hold a session (``Session``; the transaction and context modules make them with
``sessionmaker`` from an ``Engine``), but it builds no query: ``select``, ``func``, ``update``,
``insert``, ``aliased``, column types or anything else from SQLAlchemy belongs in ``store/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from garante.service import transaction

SERVICE = Path(transaction.__file__).parent
ALLOWED = {
    ("sqlalchemy", "Engine"),
    ("sqlalchemy.orm", "Session"),
    ("sqlalchemy.orm", "sessionmaker"),
}


def sqlalchemy_names(path: Path) -> set[tuple[str, str]]:
    names: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] == "sqlalchemy":
                names.update((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(
                (alias.name, "*")
                for alias in node.names
                if alias.name.split(".")[0] == "sqlalchemy"
            )
    return names


def test_service_imports_only_session_types_from_sqlalchemy() -> None:
    found = {
        (path.name, module, name)
        for path in SERVICE.rglob("*.py")
        for module, name in sqlalchemy_names(path)
        if (module, name) not in ALLOWED
    }
    assert found == set()
