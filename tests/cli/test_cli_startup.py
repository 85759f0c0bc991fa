"""The CLI starts without the store, STIX or the web stack: a behaviour, not a timing.

`garante --help` and `garante version` are what a person types first; they must not wait for
SQLAlchemy, stix2 or FastAPI to import. Each case runs in a fresh interpreter and reports which
of those were imported once it was done. `bench/cli.py` measures the time itself.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "stix2", "fastapi", "uvicorn", "httpx", "alembic")

PROBE = """
import contextlib, io, json, sys
from garante.cli.main import app
argv = json.loads(sys.argv[1])
with contextlib.redirect_stdout(io.StringIO()) as printed:
    try:
        app(argv, prog_name="garante") if argv is not None else None
    except SystemExit as exc:
        assert not exc.code, exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules})
garante = sorted(name for name in sys.modules if name.startswith("garante."))
print(json.dumps({"loaded": loaded, "garante": garante, "printed": printed.getvalue()}))
"""


def _started(argv: list[str] | None) -> dict[str, object]:
    ran = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    result: dict[str, object] = json.loads(ran.stdout)
    return result


@pytest.mark.parametrize(
    "argv",
    [None, ["--help"], ["version"], ["orders", "--help"], ["orders", "issue", "--help"]],
    ids=["import", "help", "version", "orders-help", "orders-issue-help"],
)
def test_starting_the_cli_imports_neither_the_store_nor_stix_nor_the_web_stack(
    argv: list[str] | None,
) -> None:
    started = _started(argv)
    loaded = started["loaded"]
    assert isinstance(loaded, list)
    assert [name for name in HEAVY if name in loaded] == []


def test_help_and_version_still_print_what_they_did() -> None:
    assert "Usage: garante [OPTIONS] COMMAND" in str(_started(["--help"])["printed"])
    assert "--require-prohibits" in str(_started(["orders", "issue", "--help"])["printed"])
    assert str(_started(["version"])["printed"]).strip()[0].isdigit()


@pytest.mark.parametrize("argv", [["--help"], ["version"]], ids=["help", "version"])
def test_help_and_version_do_not_build_typer_s_pydantic_coercion(argv: list[str]) -> None:
    """The root's options are taken as given (cli/main.py, _take_verbatim): Pydantic, a third
    of the start-up, is imported only by a command whose options need coercing."""
    loaded = _started(argv)["loaded"]
    assert isinstance(loaded, list)
    assert "pydantic" not in loaded


@pytest.mark.parametrize("argv", [["--help"], ["version"]], ids=["help", "version"])
def test_help_and_version_build_neither_the_records_nor_the_domain_s_concepts(
    argv: list[str],
) -> None:
    """Sixty record dataclasses and the concepts' own took a fifth of the start-up; the
    commands name them in annotations only, and the one that builds a record imports it."""
    loaded = _started(argv)["garante"]
    assert isinstance(loaded, list)
    assert "garante.records" not in loaded
    assert [
        name for name in ("garante.domain.item", "garante.domain.decision") if name in loaded
    ] == []
